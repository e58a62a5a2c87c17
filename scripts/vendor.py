#!/usr/bin/env python3
"""Copy the browser libraries the pages use from node_modules into static/vendor/.

The copies are committed, so a checkout and a wheel serve them without Node or `npm ci`; npm's
lock file pins what they are. `--check` compares each copy byte for byte with node_modules and
exits 1 on any difference (tests/packaging/test_vendored.py runs it in CI).

    python3 scripts/vendor.py          # after changing package.json / npm ci
    python3 scripts/vendor.py --check
"""

import argparse
import shutil
import sys
from pathlib import Path

TOP = Path(__file__).resolve().parent.parent
# The served name → its file in node_modules. Only runtime libraries: axe-core is a
# devDependency the browser tests load themselves. Swagger UI renders the API reference at
# /api/docs (a classic script setting window.SwaggerUIBundle, its stylesheet, and the licence
# file the bundle's header points to).
VENDORED = {
    "socket.io.esm.min.js": "socket.io-client/dist/socket.io.esm.min.js",
    "swagger-ui-bundle.js": "swagger-ui-dist/swagger-ui-bundle.js",
    "swagger-ui-bundle.js.LICENSE.txt": "swagger-ui-dist/swagger-ui-bundle.js.LICENSE.txt",
    "swagger-ui.css": "swagger-ui-dist/swagger-ui.css",
}
TARGET = TOP / "static" / "vendor"
# Copies the tests use, checked the same way but never served: the AsyncAPI 3.0.0 JSON schema
# (draft-07, every $ref inside the one file) that tests/api/test_asyncapi.py validates against.
TEST_VENDORED = {
    "asyncapi-3.0.0.schema.json": "@asyncapi/specs/schemas/3.0.0-without-$id.json",
}
TEST_TARGET = TOP / "tests" / "api" / "vendored"


def differences(node_modules: Path = TOP / "node_modules") -> list[str]:
    """What differs between static/vendor and node_modules (empty when they agree)."""
    found = []
    for original, copy in _pairs(node_modules):
        if not original.is_file():
            found.append(f"{original} is missing: run npm ci")
        elif not copy.is_file():
            found.append(f"{copy} is missing: run scripts/vendor.py")
        elif original.read_bytes() != copy.read_bytes():
            found.append(f"{copy} differs from {original}: run scripts/vendor.py")
    # Besides the copies: their type declarations (*.d.ts, ours, for `tsc --checkJs` only).
    extra = sorted(p.name for p in TARGET.glob("*")
                   if p.name not in VENDORED and not p.name.endswith(".d.ts"))
    found += [f"{TARGET / name} is not vendored from npm: remove it" for name in extra]
    return found


def _pairs(node_modules: Path) -> list[tuple[Path, Path]]:
    return ([(node_modules / source, TARGET / name) for name, source in VENDORED.items()]
            + [(node_modules / source, TEST_TARGET / name)
               for name, source in TEST_VENDORED.items()])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--check", action="store_true", help="compare only; exit 1 on a difference")
    args = parser.parse_args()
    if args.check:
        problems = differences()
        for problem in problems:
            print(problem, file=sys.stderr)
        return 1 if problems else 0
    for original, copy in _pairs(TOP / "node_modules"):
        copy.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(original, copy)
        print(f"{copy.relative_to(TOP)} ← {original.relative_to(TOP)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
