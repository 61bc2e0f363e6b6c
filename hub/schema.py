"""Create or upgrade the database schema with Alembic; the only way production gets tables."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from alembic import command
from alembic.config import Config as AlembicConfig
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from hub.db import Database
from hub.models.customers import SEARCH_FTS_TABLE

MIGRATIONS = Path(__file__).parent / "migrations"


def is_modelled(name: str | None, type_: str, parent_names: Mapping[str, str | None]) -> bool:
    """Tell Alembic's comparison which reflected objects the models declare (its include_name)."""
    return not (type_ == "table" and name is not None and name.startswith(SEARCH_FTS_TABLE))


def alembic_config(database_url: str) -> AlembicConfig:
    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["database_url"] = database_url
    return cfg


def upgrade(db: Database, revision: str = "head") -> None:
    """Bring the schema up to the given revision (head by default)."""
    cfg = alembic_config(db.url)
    with db.engine.connect() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)


def downgrade(db: Database, revision: str) -> None:
    cfg = alembic_config(db.url)
    with db.engine.connect() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, revision)


def current_revision(db: Database) -> str | None:
    with db.engine.connect() as conn:
        rev: str | None = MigrationContext.configure(conn).get_current_revision()
        return rev


def head_revision(db: Database) -> str | None:
    return ScriptDirectory.from_config(alembic_config(db.url)).get_current_head()
