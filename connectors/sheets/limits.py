"""Google's size limits, kept on the client side so a write is never refused for its size.

https://developers.google.com/workspace/sheets/api/limits: keep a request under about 2 MB,
a cell under 50,000 characters, a spreadsheet under 10 million cells.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Sequence
from typing import Any, TypeVar

MAX_CELL_CHARS = 50_000
MAX_CELLS = 10_000_000
#: The share of MAX_CELLS past which the outbox page warns.
CELLS_WARNING_SHARE = 0.8
#: Payload budget per request: Google recommends at most 2 MB; keep a margin for the envelope.
MAX_PAYLOAD_BYTES = 1_900_000

T = TypeVar("T")

# Control characters XML 1.0 refuses (all but tab and line breaks): openpyxl raises on them,
# and a vertical tab comes with text pasted from a word processor.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")


def clip(text: str, limit: int = MAX_CELL_CHARS) -> str:
    """Return the text as a cell holds it: control characters as spaces, cut to ``limit``."""
    text = _CONTROL.sub(" ", text)
    if len(text) <= limit:
        return text
    return text[: limit - 1] + "…"


def encoded_size(value: Any) -> int:
    """Return the size of a value as requests sends it (JSON, ASCII-escaped)."""
    return len(json.dumps(value, separators=(", ", ": ")))


def chunked(items: Sequence[T], size_of: Any, budget: int = MAX_PAYLOAD_BYTES) -> Iterator[list[T]]:
    """Split items into runs whose summed sizes stay under the budget (one item at least)."""
    chunk: list[T] = []
    used = 0
    for item in items:
        size = size_of(item)
        if chunk and used + size > budget:
            yield chunk
            chunk, used = [], 0
        chunk.append(item)
        used += size
    if chunk:
        yield chunk


def cells_warning(cells: int) -> bool:
    """Tell whether the spreadsheet is past the share of Google's cell limit worth a warning."""
    return cells >= CELLS_WARNING_SHARE * MAX_CELLS
