"""The OpenAPI 3.1 document of API v1, written as data and served at /api/v1/openapi.json."""

from __future__ import annotations

from flask import jsonify
from flask.typing import ResponseReturnValue

from hub.api.blueprint import PREFIX, bp
from hub.api.schemas import (
    ETAG,
    ID_NUMBER,
    INTEGER,
    SCHEMAS,
    TEXT,
    Schema,
    json_content,
    ref,
)
from hub.ledger.queries import MAX_CURSOR_LENGTH, SETTLE
from hub.models import BillingStatus, OrderStatus


def _answer(description: str, schema: Schema, **headers: Schema) -> Schema:
    answer: Schema = {"description": description, **json_content(schema)}
    if headers:
        answer["headers"] = headers
    return answer


def _errors(*statuses: int) -> dict[str, Schema]:
    names = {
        400: "BadRequest",
        401: "Unauthorized",
        403: "Forbidden",
        404: "NotFound",
        409: "Conflict",
        413: "TooLarge",
        414: "UriTooLong",
        415: "UnsupportedMediaType",
        422: "Unprocessable",
    }
    return {str(status): ref("responses", names[status]) for status in (401, *statuses)}


_ERROR_RESPONSES = {
    "BadRequest": "The body is not a JSON object.",
    "Unauthorized": "No token, or an unknown, revoked or disabled one.",
    "Forbidden": "The token's role does not allow this.",
    "NotFound": "No such record, or not one of the provider's own missions.",
    "Conflict": (
        "A forbidden state change (invalid_transition), a stale version (stale), or a mission"
        " whose day has not come (not_yet_due)."
    ),
    "TooLarge": "The body exceeds 1 MiB.",
    "UriTooLong": "The address (path and query) exceeds 4094 characters.",
    "UnsupportedMediaType": "The body is not application/json.",
    "Unprocessable": "A field is invalid; fields names it.",
}


def _query(name: str, description: str, schema: Schema | None = None) -> Schema:
    return {"name": name, "in": "query", "description": description, "schema": schema or TEXT}


PARAMETERS: dict[str, Schema] = {
    "ref": {
        "name": "ref",
        "in": "path",
        "required": True,
        # As validation.order_ref reads it: anything else is a 404 before any query.
        "schema": {**TEXT, "minLength": 1, "maxLength": 32, "pattern": "^[A-Za-z0-9-]+$"},
    },
    "customer_id": {"name": "customer_id", "in": "path", "required": True, "schema": ID_NUMBER},
    "cursor": _query(
        "cursor",
        "The next_cursor of the previous page.",
        {**TEXT, "minLength": 1, "maxLength": MAX_CURSOR_LENGTH},
    ),
    "limit": _query(
        "limit", "Page size.", {**INTEGER, "minimum": 1, "maximum": 200, "default": 50}
    ),
    "Idempotency-Key": {
        "name": "Idempotency-Key",
        "in": "header",
        "description": (
            "Any unique string (a UUID) per create. A retry with the same key and body within"
            " 24 hours answers what the first request answered, with Idempotent-Replayed: true,"
            " and creates nothing; the same key with another body is a 422."
        ),
        "schema": {**TEXT, "maxLength": 255},
    },
    "If-Match": {
        "name": "If-Match",
        "in": "header",
        "description": "The version (ETag) last read; the body's version wins when both are set.",
        "schema": TEXT,
    },
}

ORDER_FILTERS = [
    _query("status", "Fulfilment state.", {"enum": [s.value for s in OrderStatus]}),
    _query("billing_status", "Billing state.", {"enum": [b.value for b in BillingStatus]}),
    _query(
        "updated_since",
        "Changed at or after this time (with time zone); pages then run oldest change first. "
        f"Only changes at least {SETTLE.seconds} seconds old are listed, so that a change "
        "committed late is never skipped: resume from the last updated_at you read.",
        {**TEXT, "format": "date-time"},
    ),
    _query("provider_id", "Orders of this provider.", ID_NUMBER),
    _query("customer_id", "Orders of this customer.", ID_NUMBER),
    _query(
        "q",
        "An order reference or number, or words of the customer's name or e-mail.",
        {**TEXT, "maxLength": 200},
    ),
    _query(
        "scheduled_from",
        "Scheduled on or after this day (hub time zone).",
        {**TEXT, "format": "date"},
    ),
    _query(
        "scheduled_to",
        "Scheduled on or before this day (hub time zone).",
        {**TEXT, "format": "date"},
    ),
    ref("parameters", "cursor"),
    ref("parameters", "limit"),
]


def _action(summary: str, body: str, *conflicts: int) -> Schema:
    return {
        "summary": summary,
        "parameters": [ref("parameters", "ref"), ref("parameters", "If-Match")],
        "requestBody": {"required": False, **json_content(ref("schemas", body))},
        "responses": {
            "200": _answer("The order as it is now.", ref("schemas", "Order"), ETag=ETAG),
            **_errors(400, 403, 404, 409, 415, 422, *conflicts),
        },
    }


PATHS: dict[str, Schema] = {
    "/openapi.json": {
        "get": {
            "summary": "This document.",
            "security": [],
            "responses": {
                "200": {"description": "OpenAPI 3.1.", **json_content({"type": "object"})}
            },
        }
    },
    "/services": {
        "get": {
            "summary": "List the active services of the catalogue.",
            "responses": {"200": _answer("Services.", ref("schemas", "ServiceList")), **_errors()},
        }
    },
    "/customers": {
        "get": {
            "summary": "Search customers, newest first (staff).",
            "parameters": [
                _query("q", "Words of the name, e-mail or phone.", {**TEXT, "maxLength": 200}),
                ref("parameters", "cursor"),
                ref("parameters", "limit"),
            ],
            "responses": {
                "200": _answer("A page of customers.", ref("schemas", "CustomerPage")),
                **_errors(403, 422),
            },
        },
        "post": {
            "summary": "Add a customer (staff).",
            "parameters": [ref("parameters", "Idempotency-Key")],
            "requestBody": {"required": True, **json_content(ref("schemas", "CustomerInput"))},
            "responses": {
                "201": _answer("The new customer.", ref("schemas", "Customer")),
                **_errors(400, 403, 413, 415, 422),
            },
        },
    },
    "/customers/{customer_id}": {
        "get": {
            "summary": "Read a customer (staff).",
            "parameters": [ref("parameters", "customer_id")],
            "responses": {
                "200": _answer("The customer.", ref("schemas", "Customer")),
                **_errors(403, 404),
            },
        }
    },
    "/orders": {
        "get": {
            "summary": "List orders (providers: their own missions), in keyset pages.",
            "parameters": ORDER_FILTERS,
            "responses": {
                "200": _answer("A page of orders.", ref("schemas", "OrderPage")),
                **_errors(414, 422),
            },
        },
        "post": {
            "summary": "Record an order (staff).",
            "parameters": [ref("parameters", "Idempotency-Key")],
            "requestBody": {"required": True, **json_content(ref("schemas", "OrderInput"))},
            "responses": {
                "201": _answer("The new order.", ref("schemas", "Order"), ETag=ETAG),
                **_errors(400, 403, 413, 415, 422),
            },
        },
    },
    "/orders/{ref}": {
        "get": {
            "summary": "Read an order (providers: their own missions only).",
            "parameters": [ref("parameters", "ref")],
            "responses": {
                "200": _answer("The order.", ref("schemas", "Order"), ETag=ETAG),
                **_errors(404),
            },
        },
        "patch": {
            **_action(
                "Edit an open, unbilled order's lines, notes, time or provider.", "OrderPatch"
            ),
            "requestBody": {"required": True, **json_content(ref("schemas", "OrderPatch"))},
        },
    },
    "/orders/{ref}/schedule": {
        "post": _action("Give an order a time and a provider (staff).", "Schedule")
    },
    "/orders/{ref}/complete": {
        "post": _action(
            "Mark a scheduled mission done (staff, or its provider from its scheduled day on, "
            "in the hub time zone; earlier is a 409 not_yet_due).",
            "Complete",
        )
    },
    "/orders/{ref}/reopen": {
        "post": {
            **_action(
                "Put a mission marked done by mistake back to scheduled (staff), with a reason, "
                "while billing has not started; after that a 409 invalid_transition: cancelling "
                "(void or credit note) is the only way back.",
                "Reopen",
            ),
            "requestBody": {"required": True, **json_content(ref("schemas", "Reopen"))},
        }
    },
    "/orders/{ref}/cancel": {"post": _action("Cancel an order (staff).", "Cancel")},
    "/providers": {
        "get": {
            "summary": "List the providers a mission can be assigned to, active first (staff).",
            "responses": {
                "200": _answer("Providers.", ref("schemas", "ProviderList")),
                **_errors(403),
            },
        }
    },
}

DOCUMENT: Schema = {
    "openapi": "3.1.0",
    "info": {
        "title": "Hub API",
        "version": "1",
        "description": (
            "The concierge hub's order ledger. Amounts are integer cents, tax-inclusive; "
            "VAT rates are basis points. Every error is an Error object."
        ),
    },
    "servers": [{"url": PREFIX}],
    "security": [{"bearer": []}],
    "paths": PATHS,
    "components": {
        "securitySchemes": {
            "bearer": {
                "type": "http",
                "scheme": "bearer",
                "description": "A token from `hub token create EMAIL`.",
            }
        },
        "schemas": SCHEMAS,
        "parameters": PARAMETERS,
        "responses": {
            name: _answer(description, ref("schemas", "Error"))
            for name, description in _ERROR_RESPONSES.items()
        },
    },
}


@bp.get("/openapi.json")
def openapi() -> ResponseReturnValue:
    return jsonify(DOCUMENT)
