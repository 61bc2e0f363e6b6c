"""Regenerate `shapes.json` from Stripe's official fixtures.

Run `python -m sandbox.stripe.shapes_from_fixtures ../shared/stripe/fixtures3.json` after a
fixtures update (the shape tests fail when a fixture gains a field the templates lack). Each
template keeps every field of the official object; example values become neutral: strings
null, numbers zero, lists empty, nested objects null except the few the emulator fills in
place (kept with their own fields neutralised).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

KINDS = (
    "customer",
    "tax_rate",
    "invoice",
    "line_item",
    "credit_note",
    "credit_note_line_item",
    "event",
    "charge",
)
# Nested objects the builders fill field by field rather than replace.
NESTED = {
    "customer": {"address", "invoice_settings"},
    "invoice": {
        "automatic_tax",
        "issuer",
        "rendering",
        "status_transitions",
        "lines",
        "payment_settings",
    },
    "line_item": {"period", "pricing"},
    "credit_note": {"lines"},
    "event": {"data", "request"},
    "charge": {"fraud_details", "refunds", "billing_details"},
}
# Enumerations whose fixture value is also the right default (nested: only `type`).
KEPT = {
    "object",
    "currency",
    "tax_exempt",
    "billing_reason",
    "collection_method",
    "status",
    "type",
    "tax_type",
    "customer_tax_exempt",
    "account_country",
}
# Nested objects that stay null although they are filled in place elsewhere.
NULL_NESTED = {("invoice", "payment_settings", "payment_method_options")}


def neutral(kind: str, value: Any, name: str, path: tuple[str, ...] = ()) -> Any:
    """Return the neutral default of a fixture value."""
    if isinstance(value, dict):
        if value.get("object") == "list":
            return {"data": [], "has_more": False, "object": "list", "url": None}
        if name == "metadata":
            return {}
        if path and (path[0] not in NESTED.get(kind, set()) or (kind, *path) in NULL_NESTED):
            return None
        return {k: neutral(kind, v, k, (*path, k)) for k, v in value.items()}
    if isinstance(value, list):
        return []
    if isinstance(value, bool) or (name in KEPT if len(path) <= 1 else name == "type"):
        return value
    if isinstance(value, int | float):
        return 0
    return None


def templates(fixtures: dict[str, Any]) -> dict[str, Any]:
    """Return the templates of the emulated kinds."""
    resources = fixtures["resources"]
    return {kind: neutral(kind, resources[kind], "") for kind in KINDS}


def main() -> None:
    """Write `shapes.json` beside this module from a fixtures file."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("fixtures", type=Path)
    args = parser.parse_args()
    shapes = templates(json.loads(args.fixtures.read_text(encoding="utf-8")))
    target = Path(__file__).with_name("shapes.json")
    target.write_text(json.dumps(shapes, indent=1, sort_keys=True) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
