"""Check request parameters against the schema of each endpoint, as Stripe does.

A schema is a dict of parameter name to spec. Specs: `STR`, `INT`, `BOOL`, `NUM` (a float or
decimal string), `METADATA`, `Range()` (an int or `{gt,gte,lt,lte}`), `List(spec)`,
`Req(spec)` (required), `Nullable(spec)` (an empty string unsets it), or a nested schema
dict. Unknown parameters are refused with `parameter_unknown`, as Stripe refuses them; the
emulator accepts only the subset of Stripe's parameters it implements, so an unimplemented
real parameter is refused the same way (the message says so).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from .errors import invalid


class _Scalar:
    def __init__(self, name: str) -> None:
        self.name = name


STR = _Scalar("string")
INT = _Scalar("integer")
BOOL = _Scalar("boolean")
NUM = _Scalar("decimal")
METADATA = _Scalar("metadata")


@dataclass(frozen=True)
class Req:
    """Mark a parameter as required."""

    spec: Any


@dataclass(frozen=True)
class Nullable:
    """Let an empty string unset a parameter."""

    spec: Any


@dataclass(frozen=True)
class List:
    """A list of items, encoded `name[0]=...` or `name[]=...`."""

    item: Any


@dataclass(frozen=True)
class Range:
    """An integer, or a hash of `gt`, `gte`, `lt`, `lte` integers (list filters)."""


# Stripe's documented metadata limits: https://docs.stripe.com/api/metadata
METADATA_MAX_KEYS = 50
METADATA_MAX_KEY_LENGTH = 40
METADATA_MAX_VALUE_LENGTH = 500

PAGINATION: dict[str, Any] = {
    "limit": INT,
    "starting_after": STR,
    "ending_before": STR,
    "expand": List(STR),
}
SEARCH: dict[str, Any] = {"query": Req(STR), "limit": INT, "page": STR, "expand": List(STR)}


def validate(schema: dict[str, Any], tree: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """Return the typed parameters, or raise the 400 Stripe sends for bad ones."""
    result: dict[str, Any] = {}
    for name, raw in tree.items():
        path = f"{prefix}[{name}]" if prefix else name
        if name not in schema:
            raise invalid(
                f"Received unknown parameter: {path}"
                " (the Stripe emulator implements a subset of Stripe's parameters)",
                param=path,
                code="parameter_unknown",
            )
        result[name] = _value(schema[name], raw, path)
    for name, spec in schema.items():
        if isinstance(spec, Req) and name not in tree:
            path = f"{prefix}[{name}]" if prefix else name
            raise invalid(f"Missing required param: {path}.", param=path, code="parameter_missing")
    return result


def _value(spec: Any, raw: Any, path: str) -> Any:
    if isinstance(spec, Req):
        if raw == "":
            raise invalid(
                f"You passed an empty string for '{path}'. We assume empty values are an"
                f" attempt to unset a parameter; however '{path}' cannot be unset.",
                param=path,
                code="parameter_invalid_empty",
            )
        return _value(spec.spec, raw, path)
    if isinstance(spec, Nullable):
        return None if raw == "" else _value(spec.spec, raw, path)
    if isinstance(spec, dict):
        return validate(spec, _hash(raw, path), path)
    if isinstance(spec, List):
        items = _hash(raw, path) if raw != "" else {}
        if not all(key.isdigit() for key in items):
            raise invalid(f"Invalid array: {path}", param=path)
        ordered = sorted(items.items(), key=lambda item: int(item[0]))
        return [_value(spec.item, value, f"{path}[{index}]") for index, value in ordered]
    if isinstance(spec, Range):
        if isinstance(raw, dict):
            bounds = validate({"gt": INT, "gte": INT, "lt": INT, "lte": INT}, raw, path)
            return bounds
        return {"eq": _scalar(INT, raw, path)}
    return _scalar(spec, raw, path)


def _hash(raw: Any, path: str) -> dict[str, Any]:
    if not isinstance(raw, dict):
        raise invalid(f"Invalid hash: {path}", param=path)
    return raw


def _scalar(spec: _Scalar, raw: Any, path: str) -> Any:
    if spec is METADATA:
        return _metadata(raw, path)
    if isinstance(raw, dict):
        raise invalid(f"Invalid {spec.name}: {path} must be a {spec.name}, not a hash", param=path)
    if spec is STR:
        return raw
    if spec is INT:
        try:
            return int(raw)
        except ValueError:
            raise invalid(
                f"Invalid integer: {raw}", param=path, code="parameter_invalid_integer"
            ) from None
    if spec is BOOL:
        if raw not in ("true", "false"):
            raise invalid(f"Invalid boolean: {raw}", param=path)
        return raw == "true"
    try:
        return Decimal(raw)
    except InvalidOperation:
        raise invalid(f"Invalid decimal: {raw}", param=path) from None


def _metadata(raw: Any, path: str) -> dict[str, str] | None:
    if raw == "":
        return None
    items = _hash(raw, path)
    if len(items) > METADATA_MAX_KEYS:
        raise invalid(f"Invalid {path}: at most {METADATA_MAX_KEYS} keys.", param=path)
    for key, value in items.items():
        if isinstance(value, dict):
            raise invalid(f"Invalid {path}[{key}]: metadata values are strings", param=path)
        if len(key) > METADATA_MAX_KEY_LENGTH or len(value) > METADATA_MAX_VALUE_LENGTH:
            raise invalid(
                f"Invalid {path}[{key}]: keys are at most {METADATA_MAX_KEY_LENGTH}"
                f" characters and values at most {METADATA_MAX_VALUE_LENGTH}.",
                param=f"{path}[{key}]",
            )
    return dict(items)


def merge_metadata(current: dict[str, str], update: dict[str, str] | None) -> dict[str, str]:
    """Apply a metadata update: an empty value removes a key, an empty hash clears all."""
    if update is None:
        return {}
    merged = dict(current)
    for key, value in update.items():
        if value == "":
            merged.pop(key, None)
        else:
            merged[key] = value
    return merged
