"""billing: invoices, Stripe ids and billing modes, the Stripe webhook inbox, reconcile reports

Also drops the outbox rows the Stripe connector could never take: before this release it was
not installed, and its rows for order topics waited. Billing now goes through invoice.requested
rows that the ledger writes when it decides an invoice (the monthly run, or an order done in
per-order mode), so those old rows carry nothing the connector needs.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01 04:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "invoices",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column(
            "mode",
            sa.Enum(
                "per_order",
                "monthly",
                "weekly",
                name="billingmode",
                native_enum=False,
                length=20,
                create_constraint=False,
            ),
            nullable=False,
        ),
        sa.Column("period", sa.String(length=20), nullable=True),
        sa.Column("collection_method", sa.String(length=30), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "requested",
                "draft",
                "open",
                "paid",
                "void",
                "uncollectible",
                name="invoice_status_known",
                native_enum=False,
                length=20,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("total_cents", sa.Integer(), nullable=False),
        sa.Column("vat_cents", sa.Integer(), nullable=False),
        sa.Column("stripe_invoice_id", sa.String(length=255), nullable=True),
        sa.Column("number", sa.String(length=100), nullable=True),
        sa.Column("hosted_url", sa.Text(), nullable=True),
        sa.Column("pdf_url", sa.Text(), nullable=True),
        sa.Column("paid_at", sa.DateTime(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.id"], name=op.f("fk_invoices_customer_id_customers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invoices")),
        sa.UniqueConstraint("stripe_invoice_id", name=op.f("uq_invoices_stripe_invoice_id")),
    )
    op.create_index("ix_invoices_customer_period", "invoices", ["customer_id", "period"])
    op.create_index("ix_invoices_status", "invoices", ["status"])

    op.create_table(
        "stripe_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.String(length=255), nullable=False),
        sa.Column("type", sa.String(length=100), nullable=False),
        sa.Column("livemode", sa.Boolean(), nullable=False),
        sa.Column("created", sa.DateTime(), nullable=True),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "received",
                "applied",
                "failed",
                "ignored",
                name="inbox_status_known",
                native_enum=False,
                length=20,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("received_at", sa.DateTime(), nullable=False),
        sa.Column("applied_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stripe_events")),
        sa.UniqueConstraint("event_id", name=op.f("uq_stripe_events_event_id")),
    )
    op.create_index("ix_stripe_events_status", "stripe_events", ["status", "id"])

    op.create_table(
        "reconcile_reports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("target", sa.String(length=20), nullable=False),
        sa.Column("started_at", sa.DateTime(), nullable=False),
        sa.Column("finished_at", sa.DateTime(), nullable=True),
        sa.Column("repaired", sa.Integer(), nullable=False),
        sa.Column("unresolved", sa.Integer(), nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reconcile_reports")),
    )
    op.create_index("ix_reconcile_reports_target", "reconcile_reports", ["target", "id"])

    # Plain ADD COLUMNs: rebuilding customers on SQLite would drop its search triggers.
    op.add_column("customers", sa.Column("stripe_customer_id", sa.String(255), nullable=True))
    op.add_column(
        "customers",
        sa.Column(
            "billing_mode",
            sa.Enum(
                "per_order",
                "monthly",
                "weekly",
                name="billingmode",
                native_enum=False,
                length=20,
                create_constraint=False,
            ),
            nullable=True,
        ),
    )
    op.create_index(
        "ux_customers_stripe_customer_id", "customers", ["stripe_customer_id"], unique=True
    )
    with op.batch_alter_table("orders") as batch:
        batch.add_column(sa.Column("invoice_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            op.f("fk_orders_invoice_id_invoices"), "invoices", ["invoice_id"], ["id"]
        )
        batch.create_index("ix_orders_invoice_id", ["invoice_id"])

    op.execute(
        "DELETE FROM outbox WHERE connector = 'stripe' AND topic LIKE 'order.%' "
        "AND status <> 'delivered'"
    )


def downgrade() -> None:
    with op.batch_alter_table("orders") as batch:
        batch.drop_index("ix_orders_invoice_id")
        batch.drop_constraint(op.f("fk_orders_invoice_id_invoices"), type_="foreignkey")
        batch.drop_column("invoice_id")
    op.drop_index("ux_customers_stripe_customer_id", table_name="customers")
    op.drop_column("customers", "billing_mode")
    op.drop_column("customers", "stripe_customer_id")
    op.drop_index("ix_reconcile_reports_target", table_name="reconcile_reports")
    op.drop_table("reconcile_reports")
    op.drop_index("ix_stripe_events_status", table_name="stripe_events")
    op.drop_table("stripe_events")
    op.drop_index("ix_invoices_status", table_name="invoices")
    op.drop_index("ix_invoices_customer_period", table_name="invoices")
    op.drop_table("invoices")
