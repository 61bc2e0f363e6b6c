"""Keep an emulated Stripe account across restarts in one JSON file.

`hub serve --sandbox` stores Stripe ids (customers, invoices, their payment-page links) in the
hub's database, which outlives the process: without its account on disk, the next run's
emulator would answer 404 for every customer the hub already linked. Idempotency keys are not
kept (a restart plays "24 hours later"), nor webhooks still in flight.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from .store import KINDS, Store

#: Bumped when the file's layout changes; a file of another version is set aside, not read.
SNAPSHOT_VERSION = 1


def save(store: Store, path: Path) -> None:
    """Write the account to `path` atomically: a reader never sees half a file."""
    with store.lock:
        state: dict[str, Any] = {
            "version": SNAPSHOT_VERSION,
            "objects": store.objects,
            "lines": store.lines,
            "deleted": sorted(store.deleted),
            "private": store.private,
            "sequence": store._sequence,
        }
        text = json.dumps(state)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_text(text, encoding="utf-8")
    os.replace(temporary, path)


def load(store: Store, path: Path) -> bool:
    """Fill an empty store from `path`; return False when there is no usable file."""
    if not path.exists():
        return False
    state = json.loads(path.read_text(encoding="utf-8"))
    if state.get("version") != SNAPSHOT_VERSION:
        return False
    with store.lock:
        store.objects = {kind: dict(state["objects"].get(kind, {})) for kind in KINDS}
        store.lines = state["lines"]
        store.deleted = set(state["deleted"])
        store.private = state["private"]
        sequence: dict[str, int] = state["sequence"]
        store._sequence = sequence
        store._next_sequence = max(sequence.values(), default=0)
        # Objects kept from an earlier run are searchable at once: their index lag is long over.
    return True
