"""JSON Schemas of the API's bodies, the building blocks of its OpenAPI document."""

from __future__ import annotations

from typing import Any

from hub.ledger import validation
from hub.models import BillingStatus, OrderStatus, ServiceUnit

Schema = dict[str, Any]


def ref(kind: str, name: str) -> Schema:
    return {"$ref": f"#/components/{kind}/{name}"}


def obj(required: list[str], **properties: Schema) -> Schema:
    return {"type": "object", "required": required, "properties": properties}


def json_content(schema: Schema) -> Schema:
    return {"content": {"application/json": {"schema": schema}}}


TEXT: Schema = {"type": "string"}
NULLABLE_TEXT: Schema = {"type": ["string", "null"]}
INTEGER: Schema = {"type": "integer"}
WHEN: Schema = {"type": ["string", "null"], "format": "date-time"}
DECIMAL: Schema = {
    "oneOf": [{"type": "string", "examples": ["1,5", "12,50", "12.50 €"]}, {"type": "number"}]
}
#: As the server reads ids: a positive integer that fits the database's integer columns.
ID_NUMBER: Schema = {"type": "integer", "minimum": 1, "maximum": validation.MAX_ID}
ID: Schema = {"oneOf": [ID_NUMBER, {"type": "string", "pattern": "^[0-9]{1,10}$"}]}
VERSION: Schema = {
    "description": "The version the client last read; a different current version is a 409 stale.",
    "oneOf": [
        {"type": "integer", "minimum": 1, "maximum": validation.MAX_VERSION},
        {"type": "string", "pattern": "^[0-9]{1,10}$"},
    ],
}
ETAG = {"description": "The order's version, for If-Match.", "schema": TEXT}

#: Fields an order create and an order PATCH share.
_ORDER_FIELDS: Schema = {
    "lines": {
        "type": "array",
        "minItems": 1,
        "maxItems": 50,
        "items": ref("schemas", "LineInput"),
    },
    "scheduled_at": WHEN,
    "provider_id": {"oneOf": [ID, {"type": "null"}]},
    "notes": NULLABLE_TEXT,
}


SCHEMAS: dict[str, Schema] = {
    "Error": obj(
        ["error"],
        error=obj(
            ["code", "message", "fields"],
            code={**TEXT, "examples": ["invalid", "not_found", "stale", "invalid_transition"]},
            message={**TEXT, "description": "A sentence in English a person can act on."},
            fields={
                "type": "object",
                "description": "Field path (e.g. lines.0.quantity) to what is wrong with it.",
                "additionalProperties": TEXT,
            },
        ),
    ),
    "Service": obj(
        ["code", "label", "unit", "unit_price_cents", "vat_bp"],
        code=TEXT,
        label=TEXT,
        unit={"enum": [u.value for u in ServiceUnit]},
        unit_price_cents={**INTEGER, "description": "Tax-inclusive price in cents."},
        vat_bp={**INTEGER, "description": "VAT rate in basis points (2000 = 20 %)."},
    ),
    "CustomerInput": obj(
        ["name"],
        name={**TEXT, "maxLength": 200},
        email={**NULLABLE_TEXT, "format": "email"},
        phone=NULLABLE_TEXT,
        address=NULLABLE_TEXT,
        notes=NULLABLE_TEXT,
    ),
    "Customer": obj(
        ["id", "ref", "name", "email", "phone", "address", "notes", "version"],
        id=INTEGER,
        ref={**TEXT, "examples": ["K-000042"]},
        name=TEXT,
        email=NULLABLE_TEXT,
        phone=NULLABLE_TEXT,
        address=NULLABLE_TEXT,
        notes=NULLABLE_TEXT,
        version=INTEGER,
        created_at={**TEXT, "format": "date-time"},
        updated_at={**TEXT, "format": "date-time"},
    ),
    "LineInput": obj(
        ["service_code"],
        service_code=TEXT,
        quantity={**DECIMAL, "description": "Defaults to 1; up to 3 decimals."},
        unit_price={**DECIMAL, "description": "Tax-inclusive; defaults to the catalogue price."},
    ),
    "OrderInput": obj(
        ["lines"],
        customer_id={**ID, "description": "An existing customer; required unless `customer`."},
        customer={
            "description": "A new customer, created with the order (or not at all).",
            "allOf": [ref("schemas", "CustomerInput")],
        },
        **_ORDER_FIELDS,
    ),
    "OrderPatch": {
        **obj(
            ["version"],
            version=VERSION,
            customer_id={
                **ID,
                "description": "Only the order's own customer: it cannot change.",
            },
            **_ORDER_FIELDS,
        ),
        # Any other field (status, total_cents, ...) is a 422 naming it, never ignored.
        "additionalProperties": False,
    },
    "Schedule": obj(
        [],
        scheduled_at={**WHEN, "description": "Required unless the order already has a time."},
        provider_id={**ID, "description": "Required unless the order already has a provider."},
        version=VERSION,
    ),
    "Complete": obj([], version=VERSION),
    "Cancel": obj(
        [],
        reason={
            **NULLABLE_TEXT,
            "maxLength": 500,
            "description": "Kept in the history. Optional here; the order page asks for one.",
        },
        version=VERSION,
    ),
    "Reopen": obj(
        ["reason"],
        reason={
            **TEXT,
            "minLength": 1,
            "maxLength": 500,
            "description": "Why the mission goes back to scheduled; kept in the history.",
        },
        version=VERSION,
    ),
    "HistoryEntry": obj(
        ["at", "kind", "by", "from", "to", "changes"],
        at={**TEXT, "format": "date-time"},
        kind={
            **TEXT,
            "examples": ["created", "scheduled", "done", "reopened", "cancelled", "edited"],
        },
        by={**TEXT, "description": "The user's name, or the system that acted (stripe, cli)."},
        **{
            "from": {
                **NULLABLE_TEXT,
                "description": "The fulfilment state before (billing state for billing news).",
            },
            "to": NULLABLE_TEXT,
        },
        changes={"type": "object", "description": "What changed: {field: {from, to}}, reason."},
    ),
    "Provider": obj(["id", "name", "active"], id=INTEGER, name=TEXT, active={"type": "boolean"}),
    "ProviderList": obj(["data"], data={"type": "array", "items": ref("schemas", "Provider")}),
    "OrderLine": obj(
        ["position", "service_code", "label", "quantity", "unit_price_cents", "amount_cents"],
        position=INTEGER,
        service_code=TEXT,
        label=TEXT,
        unit=TEXT,
        quantity={**TEXT, "examples": ["1.5"]},
        quantity_milli=INTEGER,
        unit_price_cents=INTEGER,
        vat_bp=INTEGER,
        amount_cents=INTEGER,
        net_cents=INTEGER,
        vat_cents=INTEGER,
    ),
    "Invoice": obj(
        ["number", "hosted_url", "pdf_url", "status"],
        number=TEXT,
        hosted_url={**NULLABLE_TEXT, "format": "uri", "description": "Stripe's payment page."},
        pdf_url={**NULLABLE_TEXT, "format": "uri", "description": "The invoice as a PDF."},
        status={**TEXT, "description": "Stripe's status: draft, open, paid, void..."},
    ),
    "Order": obj(
        ["ref", "status", "billing_status", "total_cents", "vat_cents", "lines", "invoice"],
        ref={**TEXT, "examples": ["C-2026-000123"]},
        status={"enum": [s.value for s in OrderStatus]},
        billing_status={"enum": [b.value for b in BillingStatus]},
        customer=obj(
            ["id", "name"],
            id=INTEGER,
            ref=TEXT,
            name=TEXT,
            email=NULLABLE_TEXT,
            address=NULLABLE_TEXT,
        ),
        provider={"oneOf": [obj(["id", "name"], id=INTEGER, name=TEXT), {"type": "null"}]},
        scheduled_at=WHEN,
        completed_at=WHEN,
        notes=NULLABLE_TEXT,
        currency=TEXT,
        total_cents=INTEGER,
        net_cents=INTEGER,
        vat_cents=INTEGER,
        lines={"type": "array", "items": ref("schemas", "OrderLine")},
        invoice={"oneOf": [ref("schemas", "Invoice"), {"type": "null"}]},
        version=INTEGER,
        created_at={**TEXT, "format": "date-time"},
        updated_at={**TEXT, "format": "date-time"},
        created_by={
            **NULLABLE_TEXT,
            "description": "Who recorded the order (single-order answers only, not lists).",
        },
        done_by={
            **NULLABLE_TEXT,
            "description": "Who marked it done, while it is done; the time is completed_at "
            "(single-order answers only).",
        },
        history={
            "type": "array",
            "items": ref("schemas", "HistoryEntry"),
            "description": "Every change, oldest first (single-order answers to staff only).",
        },
    ),
    "ServiceList": obj(["data"], data={"type": "array", "items": ref("schemas", "Service")}),
    "CustomerPage": obj(
        ["data", "next_cursor"],
        data={"type": "array", "items": ref("schemas", "Customer")},
        next_cursor=NULLABLE_TEXT,
    ),
    "OrderPage": obj(
        ["data", "next_cursor"],
        data={"type": "array", "items": ref("schemas", "Order")},
        next_cursor={**NULLABLE_TEXT, "description": "Pass as cursor for the next page."},
    ),
}
