"""Check request bodies and query parameters against Google's discovery document.

Google's JSON parser accepts camelCase and the proto's snake_case names and rejects any other
name with `Invalid JSON payload received. Unknown name "x" at 'path': Cannot find field.`;
the checked body comes back with camelCase names only, so handlers read one spelling.
"""

from __future__ import annotations

import functools
import json
import re
from importlib import resources
from typing import Any

from sandbox.sheets.errors import InvalidArgument


@functools.cache
def discovery() -> dict[str, Any]:
    """Return the trimmed discovery document shipped with the emulator."""
    text = resources.files("sandbox.sheets").joinpath("discovery/sheets.v4.json").read_text("utf-8")
    document: dict[str, Any] = json.loads(text)
    return document


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)([A-Z])", r"_\1", name).lower()


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def method(method_id: str) -> dict[str, Any]:
    """Return the discovery entry of a method, e.g. `sheets.spreadsheets.values.update`."""
    node: dict[str, Any] = {"resources": discovery()["resources"]}
    *path, name = method_id.split(".")[1:]
    for part in path:
        node = node["resources"][part]
    entry: dict[str, Any] = node["methods"][name]
    return entry


def check_parameters(method_id: str, params: dict[str, list[str]]) -> None:
    """Refuse unknown query parameters and values outside a parameter's enum."""
    known = {**discovery()["parameters"], **method(method_id).get("parameters", {})}
    for name, values in params.items():
        spec = known.get(name) or known.get(_camel(name))
        if spec is None or spec.get("location") == "path":
            raise InvalidArgument(
                f'Invalid JSON payload received. Unknown name "{name}": Cannot bind query '
                f"parameter. Field '{name}' could not be found in request message."
            )
        for value in values:
            _check_scalar(spec, value, _snake(name), from_query=True)


def check_body(method_id: str, body: Any) -> Any:
    """Return the body with camelCase names, or raise InvalidArgument like Google."""
    request = method(method_id).get("request")
    if request is None:
        return body
    return _check({"$ref": request["$ref"]}, body, "")


def _where(path: str) -> str:
    return f" at '{path}'" if path else ""


def _check(spec: dict[str, Any], value: Any, path: str) -> Any:
    if "$ref" in spec:
        spec = discovery()["schemas"][spec["$ref"]]
    kind = spec.get("type")
    if value is None or kind == "any":
        return value
    if kind == "object":
        if not isinstance(value, dict):
            raise InvalidArgument(
                f"Invalid JSON payload received. Expected an object{_where(path)}."
            )
        if "additionalProperties" in spec:
            return {
                k: _check(spec["additionalProperties"], v, f"{path}[{k}]") for k, v in value.items()
            }
        properties = spec.get("properties", {})
        checked: dict[str, Any] = {}
        for name, item in value.items():
            camel = name if name in properties else _camel(name)
            if camel not in properties or (camel != name and _snake(camel) != name):
                raise InvalidArgument(
                    f'Invalid JSON payload received. Unknown name "{name}"{_where(path)}: '
                    "Cannot find field."
                )
            child = f"{path}.{_snake(camel)}" if path else _snake(camel)
            checked[camel] = _check(properties[camel], item, child)
        return checked
    if kind == "array":
        if not isinstance(value, list):
            raise InvalidArgument(
                f"Invalid value{_where(path)} ({_type_name(spec)}), {json.dumps(value)}"
            )
        return [_check(spec["items"], item, f"{path}[{i}]") for i, item in enumerate(value)]
    _check_scalar(spec, value, path, from_query=False)
    return value


def _type_name(spec: dict[str, Any]) -> str:
    fmt = spec.get("format")
    if fmt:
        return f"TYPE_{fmt.upper()}"
    return f"TYPE_{str(spec.get('type', 'message')).upper()}"


def _check_scalar(spec: dict[str, Any], value: Any, path: str, *, from_query: bool) -> None:
    kind = spec.get("type")
    bad = InvalidArgument(f"Invalid value{_where(path)} ({_type_name(spec)}), {json.dumps(value)}")
    if kind == "string":
        if not isinstance(value, str):
            raise bad
        if "enum" in spec and value not in spec["enum"]:
            raise bad
    elif kind == "integer":
        # int64 travels as a string in JSON, and query parameters are always strings.
        text = str(value) if isinstance(value, str) else None
        if isinstance(value, bool) or not (
            isinstance(value, int) or (text is not None and re.fullmatch(r"-?\d+", text))
        ):
            raise bad
    elif kind == "number":
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            raise bad
        if isinstance(value, str):
            try:
                float(value)
            except ValueError:
                raise bad from None
    elif kind == "boolean":
        if from_query:
            if str(value).lower() not in ("true", "false", "1", "0"):
                raise bad
        elif not isinstance(value, bool):
            raise bad
