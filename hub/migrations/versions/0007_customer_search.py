"""customer search served by an index: pg_trgm on PostgreSQL, an FTS5 trigram table on SQLite

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 02:00:00.000000

The search key gains the phone number's digits, so one indexed column answers every word.
On SQLite, triggers keep ``customer_search`` in step with ``customers``. A later migration that
rebuilds ``customers`` in batch mode drops those triggers with the old table: recreate them.
"""

from __future__ import annotations

import re

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

_NOT_DIGIT = re.compile(r"[^0-9]")

_SQLITE_UP = (
    "CREATE VIRTUAL TABLE customer_search USING fts5("
    "search_key, content='customers', content_rowid='id', tokenize='trigram')",
    "CREATE TRIGGER customer_search_insert AFTER INSERT ON customers BEGIN"
    " INSERT INTO customer_search(rowid, search_key) VALUES (new.id, new.search_key); END",
    "CREATE TRIGGER customer_search_delete AFTER DELETE ON customers BEGIN"
    " INSERT INTO customer_search(customer_search, rowid, search_key)"
    " VALUES ('delete', old.id, old.search_key); END",
    "CREATE TRIGGER customer_search_update AFTER UPDATE OF search_key ON customers BEGIN"
    " INSERT INTO customer_search(customer_search, rowid, search_key)"
    " VALUES ('delete', old.id, old.search_key);"
    " INSERT INTO customer_search(rowid, search_key) VALUES (new.id, new.search_key); END",
    "INSERT INTO customer_search(customer_search) VALUES ('rebuild')",
)
_SQLITE_DOWN = (
    "DROP TRIGGER IF EXISTS customer_search_update",
    "DROP TRIGGER IF EXISTS customer_search_delete",
    "DROP TRIGGER IF EXISTS customer_search_insert",
    "DROP TABLE IF EXISTS customer_search",
)


def _search_key(name: str, email: str | None, phone: str | None) -> str:
    # Frozen copy of hub.ledger.search.search_key as of this revision.
    parts = (name.lower(), (email or "").lower(), _NOT_DIGIT.sub("", phone or ""))
    return " ".join(part for part in parts if part)


def _old_search_key(name: str, email: str | None) -> str:
    return f"{name} {email or ''}".lower().strip()


def _rewrite_keys(with_phone: bool) -> None:
    conn = op.get_bind()
    customers = sa.table(
        "customers",
        sa.column("id", sa.Integer),
        sa.column("name", sa.String),
        sa.column("email", sa.String),
        sa.column("phone", sa.String),
        sa.column("search_key", sa.String),
    )
    last_id = 0
    while True:
        rows = conn.execute(
            sa.select(customers.c.id, customers.c.name, customers.c.email, customers.c.phone)
            .where(customers.c.id > last_id)
            .order_by(customers.c.id)
            .limit(1000)
        ).all()
        if not rows:
            return
        conn.execute(
            customers.update()
            .where(customers.c.id == sa.bindparam("key_id"))
            .values(search_key=sa.bindparam("key")),
            [
                {
                    "key_id": row.id,
                    "key": _search_key(row.name, row.email, row.phone)
                    if with_phone
                    else _old_search_key(row.name, row.email),
                }
                for row in rows
            ],
        )
        last_id = rows[-1].id


def upgrade() -> None:
    _rewrite_keys(with_phone=True)
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        op.drop_index("ix_customers_search_key", table_name="customers")
        op.create_index(
            "ix_customers_search_key",
            "customers",
            ["search_key"],
            postgresql_using="gin",
            postgresql_ops={"search_key": "gin_trgm_ops"},
        )
        return
    for statement in _SQLITE_UP:
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.drop_index("ix_customers_search_key", table_name="customers")
        op.create_index("ix_customers_search_key", "customers", ["search_key"])
    else:
        for statement in _SQLITE_DOWN:
            op.execute(statement)
    _rewrite_keys(with_phone=False)
