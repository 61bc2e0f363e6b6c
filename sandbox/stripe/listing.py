"""Page lists and answer search queries as Stripe does.

Lists are newest first with `limit` (1 to 100, default 10), `starting_after` and
`ending_before` cursors. Search takes Stripe's query language
(https://docs.stripe.com/search#search-query-language): clauses `field:'value'`,
`metadata['key']:'value'`, numeric comparisons (`created>1700000000`), negation with a
leading `-`, joined by `AND` or by `OR` (not both). Results page with an opaque `page` token.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from .errors import invalid
from .objects import list_object

_CLAUSE = re.compile(
    r"""^(?P<neg>-)?(?P<field>[a-z_]+)(?:\[(?P<q>['"])(?P<key>[^'"]+)(?P=q)\])?"""
    r"""(?P<op>:|>=|<=|>|<)(?:(?P<vq>['"])(?P<str>[^'"]*)(?P=vq)|(?P<num>-?\d+))$"""
)


def limit_of(params: dict[str, Any]) -> int:
    """Return the page size a request asks for, checked as Stripe checks it."""
    limit = params.get("limit", 10)
    if not 1 <= limit <= 100:
        raise invalid(
            "This value must be greater than or equal to 1 and at most 100.", param="limit"
        )
    return int(limit)


def page(objects: list[dict[str, Any]], params: dict[str, Any], url: str) -> dict[str, Any]:
    """Return one page of newest-first objects after or before a cursor."""
    limit = limit_of(params)
    ids = [o["id"] for o in objects]
    if params.get("starting_after"):
        cursor = params["starting_after"]
        if cursor not in ids:
            raise invalid(
                f"No such object: '{cursor}'", param="starting_after", code="resource_missing"
            )
        rest = objects[ids.index(cursor) + 1 :]
        return list_object(rest[:limit], url, len(rest) > limit)
    if params.get("ending_before"):
        cursor = params["ending_before"]
        if cursor not in ids:
            raise invalid(
                f"No such object: '{cursor}'", param="ending_before", code="resource_missing"
            )
        before = objects[: ids.index(cursor)]
        return list_object(before[-limit:], url, len(before) > limit)
    return list_object(objects[:limit], url, len(objects) > limit)


def matches_range(value: int, bounds: dict[str, int] | None) -> bool:
    """Tell whether a timestamp passes a list filter such as `created[gte]`."""
    if bounds is None:
        return True
    checks: dict[str, Callable[[int, int], bool]] = {
        "eq": lambda a, b: a == b,
        "gt": lambda a, b: a > b,
        "gte": lambda a, b: a >= b,
        "lt": lambda a, b: a < b,
        "lte": lambda a, b: a <= b,
    }
    return all(checks[op](value, bound) for op, bound in bounds.items())


def search(
    objects: list[dict[str, Any]],
    params: dict[str, Any],
    url: str,
    fields: set[str],
    resource: str,
) -> dict[str, Any]:
    """Return the search result page of objects matching the query."""
    predicate = _compile(params["query"], fields, resource)
    found = [o for o in objects if predicate(o)]
    limit = limit_of(params)
    start = int(params.get("page") or 0) if str(params.get("page") or "0").isdigit() else 0
    chunk = found[start : start + limit]
    has_more = len(found) > start + limit
    return {
        "object": "search_result",
        "data": chunk,
        "has_more": has_more,
        "next_page": str(start + limit) if has_more else None,
        "url": url,
    }


def _compile(query: str, fields: set[str], resource: str) -> Callable[[dict[str, Any]], bool]:
    query = query.strip()
    if " AND " in query and " OR " in query:
        raise invalid("Search queries cannot mix AND and OR.", param="query")
    joiner = all if " OR " not in query else any
    parts = re.split(r"\s+(?:AND|OR)\s+", query)
    clauses = [_clause(part.strip(), fields, resource) for part in parts]
    return lambda obj: joiner(clause(obj) for clause in clauses)


def _clause(text: str, fields: set[str], resource: str) -> Callable[[dict[str, Any]], bool]:
    match = _CLAUSE.match(text)
    if match is None:
        raise invalid(f"The query `{text}` is not a valid search clause.", param="query")
    field, key, op = match["field"], match["key"], match["op"]
    if field not in fields or (field == "metadata") != (key is not None):
        raise invalid(
            f"Field `{field}` is an unsupported search field for resource `{resource}`.",
            param="query",
        )
    wanted: str | int = match["str"] if match["str"] is not None else int(match["num"])
    negate = match["neg"] is not None

    def check(obj: dict[str, Any]) -> bool:
        value = obj["metadata"].get(key) if key is not None else obj.get(field)
        if op == ":":
            result = value is not None and str(value) == str(wanted)
        elif not isinstance(value, int) or not isinstance(wanted, int):
            result = False
        else:
            result = {
                ">": value > wanted,
                "<": value < wanted,
                ">=": value >= wanted,
                "<=": value <= wanted,
            }[op]
        return result != negate

    return check
