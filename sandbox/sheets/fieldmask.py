"""Field masks: `sheets.properties(title,gridProperties/frozenRowCount),spreadsheetId`."""

from __future__ import annotations

import copy
from typing import Any

from sandbox.sheets.errors import InvalidArgument

Mask = dict[str, "Mask"]


def parse(text: str) -> Mask:
    """Parse a field mask into a tree; an empty subtree means the whole field."""
    tree: Mask = {}
    position = _parse_into(tree, text.replace(" ", ""), 0)
    if position != len(text.replace(" ", "")):
        raise InvalidArgument(f"Invalid field selection {text}")
    return tree


def _parse_into(tree: Mask, text: str, position: int) -> int:
    while position < len(text):
        start = position
        while position < len(text) and text[position] not in ",()":
            position += 1
        path = [part for part in text[start:position].replace("/", ".").split(".") if part]
        node = tree
        for part in path:
            node = node.setdefault(part, {})
        if position < len(text) and text[position] == "(":
            position = _parse_into(node, text, position + 1)
            if position >= len(text) or text[position] != ")":
                raise InvalidArgument(f"Invalid field selection {text}")
            position += 1
        if position < len(text) and text[position] == ")":
            return position
        if position < len(text) and text[position] == ",":
            position += 1
    return position


def select(value: Any, mask: Mask) -> Any:
    """Keep only the masked fields of a JSON value (lists are filtered item by item)."""
    if not mask or "*" in mask:
        return value
    if isinstance(value, list):
        return [select(item, mask) for item in value]
    if not isinstance(value, dict):
        return value
    return {name: select(value[name], sub) for name, sub in mask.items() if name in value}


def apply(target: dict[str, Any], source: dict[str, Any], mask: Mask) -> None:
    """Copy the masked fields from source to target; a masked field absent from source is reset."""
    if "*" in mask:
        target.clear()
        target.update(copy.deepcopy(source))
        return
    for name, sub in mask.items():
        if not sub or "*" in sub:
            if name in source:
                target[name] = copy.deepcopy(source[name])
            else:
                target.pop(name, None)
            continue
        child = target.get(name)
        child = dict(child) if isinstance(child, dict) else {}
        inner = source.get(name) or {}
        apply(child, inner, sub)
        if child:
            target[name] = child
        else:
            target.pop(name, None)
