"""Build-time mapping of the top-level asset folders into the package (pyproject.toml has the rest).

DESIGN §3 keeps `static/`, `templates/` and `migrations/` at the top of the repository, but a wheel
holds only packages: so each folder is installed as `widget_server/<folder>` (package-dir), with
every file in it as package data. `widget_server.assets.asset_dir` finds either layout at run time.
The packages are found here rather than listed, so a new subpackage cannot be left out.
"""

from setuptools import find_packages, setup

ASSETS = ("static", "templates", "migrations")

setup(
    packages=[*find_packages(include=["widget_server", "widget_server.*"]),
              *(f"widget_server.{name}" for name in ASSETS)],
    package_dir={f"widget_server.{name}": name for name in ASSETS},
    package_data={f"widget_server.{name}": ["**/*"] for name in ASSETS},
    exclude_package_data={f"widget_server.{name}": ["**/__pycache__/*", "**/*.pyc"]
                          for name in ASSETS},
)
