"""The hub's marks on Stripe objects: reading metadata, and fitting values in Stripe's limits.

Stripe keeps metadata values of at most 500 characters; lists of order references are cut
to fit, ending ``+N`` for those left out, so a long monthly invoice still names most of
its orders and says how many more it holds.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

#: Stripe's limit on one metadata value, in characters.
VALUE_LIMIT = 500


def metadata_of(obj: Any) -> dict[str, str]:
    """Return a Stripe object's metadata as a plain dict (empty when it has none)."""
    found = getattr(obj, "metadata", None)
    if found is None:
        return {}
    plain = found.to_dict() if hasattr(found, "to_dict") else dict(found)
    return {str(key): str(value) for key, value in plain.items()}


def version_in(obj: Any, key: str) -> int:
    """Return the hub version a metadata key holds (0 when absent or unreadable)."""
    raw = metadata_of(obj).get(key, "")
    # ASCII digits only: str.isdigit() also accepts "²", which int() refuses.
    return int(raw) if raw.isascii() and raw.isdecimal() else 0


def joined_within(items: Sequence[str], limit: int = VALUE_LIMIT) -> str:
    """Join items with commas within ``limit`` characters, ending "+N" for those left out."""
    text = ",".join(items)
    if len(text) <= limit:
        return text
    kept: list[str] = []
    for item in items:
        left_out = len(items) - len(kept) - 1
        if len(",".join([*kept, item, f"+{left_out}"])) > limit:
            break
        kept.append(item)
    return ",".join([*kept, f"+{len(items) - len(kept)}"])
