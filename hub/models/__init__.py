"""The ledger's tables, as SQLAlchemy 2.0 typed models."""

from hub.models.billing import (
    BillingMode,
    InboxStatus,
    Invoice,
    InvoiceStatus,
    ReconcileReport,
    StripeEvent,
)
from hub.models.catalogue import Service, ServiceUnit
from hub.models.customers import Customer
from hub.models.idempotency import IdempotencyKey
from hub.models.jobs import (
    AuditEntry,
    ConnectorPause,
    JobOutcome,
    JobPeriod,
    JobRun,
    WorkerHeartbeat,
)
from hub.models.orders import BillingStatus, Order, OrderEvent, OrderLine, OrderStatus
from hub.models.outbox import OutboxRow, OutboxStatus
from hub.models.users import STAFF_ROLES, ApiToken, LoginThrottle, Role, User

__all__ = [
    "STAFF_ROLES",
    "ApiToken",
    "AuditEntry",
    "BillingMode",
    "BillingStatus",
    "ConnectorPause",
    "Customer",
    "IdempotencyKey",
    "InboxStatus",
    "Invoice",
    "InvoiceStatus",
    "JobOutcome",
    "JobPeriod",
    "JobRun",
    "LoginThrottle",
    "Order",
    "OrderEvent",
    "OrderLine",
    "OrderStatus",
    "OutboxRow",
    "OutboxStatus",
    "ReconcileReport",
    "Role",
    "Service",
    "ServiceUnit",
    "StripeEvent",
    "User",
    "WorkerHeartbeat",
]
