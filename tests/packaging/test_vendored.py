"""The vendored browser libraries are byte for byte the npm packages' files (scripts/vendor.py)."""

import shutil
import subprocess
import sys
from pathlib import Path

TOP = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(TOP / "scripts"))

import vendor  # noqa: E402  (scripts/ is not a package)


def test_static_vendor_matches_node_modules_byte_for_byte() -> None:
    assert vendor.differences() == []
    result = subprocess.run([sys.executable, str(TOP / "scripts" / "vendor.py"), "--check"],
                            capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr


def test_the_check_finds_a_changed_byte(tmp_path: Path) -> None:
    fake = tmp_path / "node_modules"
    sources = [*vendor.VENDORED.values(), *vendor.TEST_VENDORED.values()]
    for source in sources:
        original = TOP / "node_modules" / source
        (fake / source).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(original, fake / source)
        data = bytearray((fake / source).read_bytes())
        data[len(data) // 2] ^= 1
        (fake / source).write_bytes(bytes(data))
    found = vendor.differences(fake)
    assert len(found) == len(sources) and all("differs" in f for f in found)


def test_the_api_reference_and_the_asyncapi_schema_are_vendored() -> None:
    # /api/docs serves Swagger UI from here (no CDN); the AsyncAPI test validates against the
    # schema copied from npm's @asyncapi/specs.
    assert {"swagger-ui-bundle.js", "swagger-ui.css"} <= set(vendor.VENDORED)
    assert (vendor.TEST_TARGET / "asyncapi-3.0.0.schema.json").is_file()


def test_only_runtime_libraries_are_vendored() -> None:
    # axe-core is a devDependency for the tests; the product neither ships nor serves it.
    assert not any("axe" in name for name in vendor.VENDORED)
    assert not list((TOP / "static").rglob("axe*.js"))
