"""Alembic is the only way production gets tables: from nothing to head and back, both backends."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from hub import models  # noqa: F401 - registers every table on Base.metadata
from hub.db import Base, Database
from hub.schema import (
    alembic_config,
    current_revision,
    downgrade,
    head_revision,
    is_modelled,
    upgrade,
)
from tests import conftest


@pytest.fixture
def empty_db(database: conftest.TestDatabase, tmp_path: Path) -> Iterator[Database]:
    """A database of the same backend as ``database``, created empty for this test."""
    if database.backend == "sqlite":
        db = Database(f"sqlite:///{tmp_path / 'empty.sqlite3'}")
        yield db
        db.dispose()
        return
    name, url = conftest._create_pg_database()
    db = Database(url)
    try:
        yield db
    finally:
        db.dispose()
        conftest._drop_pg_database(name)


def _differences(db: Database) -> list[object]:
    with db.engine.connect() as conn:
        context = MigrationContext.configure(
            conn, opts={"compare_type": True, "include_name": is_modelled}
        )
        diff: list[object] = compare_metadata(context, Base.metadata)
    return diff


def _tables(db: Database) -> set[str]:
    names = set(sa.inspect(db.engine).get_table_names()) - {"alembic_version"}
    return {name for name in names if is_modelled(name, "table", {})}


def test_an_empty_database_upgrades_to_head(empty_db: Database) -> None:
    assert current_revision(empty_db) is None
    assert _tables(empty_db) == set()
    upgrade(empty_db)
    assert current_revision(empty_db) == head_revision(empty_db)
    assert _tables(empty_db) == set(Base.metadata.tables)


def test_the_migrated_schema_matches_the_models(empty_db: Database) -> None:
    upgrade(empty_db)
    assert _differences(empty_db) == []


def test_downgrade_to_base_and_upgrade_again_gives_the_same_schema(empty_db: Database) -> None:
    upgrade(empty_db)
    downgrade(empty_db, "base")
    assert current_revision(empty_db) is None
    assert _tables(empty_db) == set()
    upgrade(empty_db)
    assert current_revision(empty_db) == head_revision(empty_db)
    assert _differences(empty_db) == []


def test_every_revision_upgrades_downgrades_and_upgrades_again(empty_db: Database) -> None:
    script = ScriptDirectory.from_config(alembic_config(empty_db.url))
    revisions = [rev.revision for rev in reversed(list(script.walk_revisions()))]
    assert revisions, "no migrations found"
    for revision in revisions:
        upgrade(empty_db, revision)
        downgrade(empty_db, "-1")
        upgrade(empty_db, revision)
        assert current_revision(empty_db) == revision


def test_upgrading_a_database_at_head_changes_nothing(empty_db: Database) -> None:
    upgrade(empty_db)
    upgrade(empty_db)
    assert current_revision(empty_db) == head_revision(empty_db)
    assert _differences(empty_db) == []
