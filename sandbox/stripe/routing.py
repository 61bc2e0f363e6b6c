"""Describe an emulated endpoint: method, URL rule, parameter schema and handler."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .store import Ctx, Store

Handler = Callable[..., dict[str, Any]]


@dataclass(frozen=True)
class Route:
    """One endpoint; the handler gets `(store, ctx, params, **path_args)`."""

    method: str
    rule: str
    schema: dict[str, Any]
    handler: Handler


def changed(obj: dict[str, Any], updates: dict[str, Any]) -> dict[str, Any]:
    """Apply updates to an object and return the previous values of what changed."""
    previous: dict[str, Any] = {}
    for name, value in updates.items():
        if obj.get(name) != value:
            previous[name] = obj.get(name)
            obj[name] = value
    return previous


__all__ = ["Ctx", "Handler", "Route", "Store", "changed"]
