"""Where the server's files live: inside the package in a wheel, beside it in a checkout.

A wheel holds only the package, so the build maps the top-level `static/`, `templates/` and
`migrations/` (where the design card keeps them) into `widget_server/` (see setup.py). A checkout,
editable install or not, keeps them at the top of the repository. Both layouts are looked up here,
the packaged one first, so the server behaves the same from either.
"""

from pathlib import Path

PACKAGE = Path(__file__).resolve().parent
ASSETS = ("static", "templates", "migrations")


def asset_dir(name: str) -> Path:
    """The directory `name` (one of ASSETS) in an installed wheel, else in the checkout."""
    if name not in ASSETS:
        raise ValueError(f"unknown asset directory {name!r}")
    packaged = PACKAGE / name
    if packaged.is_dir():
        return packaged
    checkout = PACKAGE.parent / name
    if checkout.is_dir():
        return checkout
    raise FileNotFoundError(f"{name}/ is neither in {PACKAGE} nor in {PACKAGE.parent}")
