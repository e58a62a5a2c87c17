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
# devDependency the browser tests load themselves.
VENDORED = {
    "socket.io.esm.min.js": "socket.io-client/dist/socket.io.esm.min.js",
}
TARGET = TOP / "static" / "vendor"


def differences(node_modules: Path = TOP / "node_modules") -> list[str]:
    """What differs between static/vendor and node_modules (empty when they agree)."""
    found = []
    for name, source in VENDORED.items():
        original, copy = node_modules / source, TARGET / name
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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--check", action="store_true", help="compare only; exit 1 on a difference")
    args = parser.parse_args()
    if args.check:
        problems = differences()
        for problem in problems:
            print(problem, file=sys.stderr)
        return 1 if problems else 0
    TARGET.mkdir(parents=True, exist_ok=True)
    for name, source in VENDORED.items():
        shutil.copyfile(TOP / "node_modules" / source, TARGET / name)
        print(f"static/vendor/{name} ← node_modules/{source}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
