"""Applying the Alembic migrations to the configured database."""

from alembic import command
from alembic.config import Config

from widget_server.assets import asset_dir
from widget_server.services.database import Database

MIGRATIONS = asset_dir("migrations")


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def upgrade(database: Database) -> None:
    """Bring the schema to the newest revision; a no-op when it is already there."""
    config = alembic_config()
    with database.engine.connect() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
        connection.commit()
