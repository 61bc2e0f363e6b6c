"""Parse form-encoded bodies and query strings the way Stripe does.

Stripe's v1 API takes `application/x-www-form-urlencoded` parameters with bracketed keys:
`metadata[key]=v`, `lines[0][tax_rates][0]=txr_1`, `expand[]=lines`. The official libraries
encode lists with explicit indices, curl users often with `[]`; both are accepted. An empty
value (`tax_rates=`) means "unset" and stays an empty string here; `params.validate` turns it
into `None` where the schema allows it.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qsl

from .errors import invalid

_KEY = re.compile(r"^([^\[\]]+)((?:\[[^\[\]]*\])*)$")
_PART = re.compile(r"\[([^\[\]]*)\]")

# A nested parameter tree: dicts keyed by name or by list index (as a string), strings at
# the leaves. Lists stay dicts keyed "0", "1", ... until the schema says they are lists.
Tree = dict[str, Any]


def parse(encoded: str) -> Tree:
    """Return the parameter tree of a form-encoded string."""
    tree: Tree = {}
    for key, value in parse_qsl(encoded, keep_blank_values=True, strict_parsing=False):
        _insert(tree, key, value)
    return tree


def _insert(tree: Tree, key: str, value: str) -> None:
    match = _KEY.match(key)
    if match is None:
        raise invalid(f"Invalid parameter name: {key}", param=key)
    parts = [match.group(1), *_PART.findall(match.group(2))]
    node = tree
    for depth, part in enumerate(parts):
        name = part if part != "" else str(len(node))
        last = depth == len(parts) - 1
        if last:
            if isinstance(node.get(name), dict):
                raise invalid(f"Invalid parameter: {key} is both a value and a hash", param=key)
            node[name] = value
            return
        child = node.setdefault(name, {})
        if not isinstance(child, dict):
            raise invalid(f"Invalid parameter: {key} is both a value and a hash", param=key)
        node = child
