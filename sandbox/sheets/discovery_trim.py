"""Trim Google's Sheets discovery document to what the emulator reads (see discovery/README.md)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

TARGET = Path(__file__).with_name("discovery") / "sheets.v4.json"
_DROPPED = frozenset({"description", "enumDescriptions", "enumDeprecated", "deprecated"})
_METHOD_KEYS = ("id", "httpMethod", "path", "parameters", "parameterOrder", "request", "response")


def _strip(node: Any) -> Any:
    if isinstance(node, dict):
        return {k: _strip(v) for k, v in node.items() if k not in _DROPPED}
    if isinstance(node, list):
        return [_strip(item) for item in node]
    return node


def _resources(resources: dict[str, Any]) -> dict[str, Any]:
    trimmed: dict[str, Any] = {}
    for name, resource in resources.items():
        entry: dict[str, Any] = {}
        if "methods" in resource:
            entry["methods"] = {
                method_name: {k: method[k] for k in _METHOD_KEYS if k in method}
                for method_name, method in resource["methods"].items()
            }
        if "resources" in resource:
            entry["resources"] = _resources(resource["resources"])
        trimmed[name] = entry
    return trimmed


def trim(document: dict[str, Any]) -> dict[str, Any]:
    """Return the parts of a discovery document the emulator uses, without descriptions."""
    kept = {k: document[k] for k in ("id", "revision", "version", "rootUrl", "servicePath")}
    kept["parameters"] = _strip(document["parameters"])
    kept["resources"] = _strip(_resources(document["resources"]))
    kept["schemas"] = _strip(document["schemas"])
    return kept


def main(argv: list[str]) -> None:
    """Write the trimmed copy of the discovery document named on the command line."""
    document = json.loads(Path(argv[0]).read_text(encoding="utf-8"))
    text = json.dumps(trim(document), separators=(",", ":"), sort_keys=True)
    TARGET.write_text(text + "\n", encoding="utf-8")


if __name__ == "__main__":
    main(sys.argv[1:])
