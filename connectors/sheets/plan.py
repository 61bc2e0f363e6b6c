"""Which row each changed order goes to, decided afresh from the key column every cycle.

Rows are found by the reference in column A as read this cycle, never by a row number kept
from before: people sort, filter, insert and delete rows between cycles. Within a batch the
latest version of an order wins; a copy older than the version already in the sheet's hub
column is dropped (a worker frozen past its lease delivering late). When a reference is on
several rows, the row with the highest version keeps it and the others are duplicates.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field

from connectors.payloads import OrderPayload


def version_of(cell: object) -> int | None:
    """Read a version cell as the sheet returns it (a number, or text a person typed)."""
    if isinstance(cell, bool) or cell in (None, ""):
        return None
    if isinstance(cell, int):
        return cell
    try:
        return int(float(str(cell)))
    except ValueError:
        return None


@dataclass(frozen=True)
class KeyColumn:
    """The references and versions of the data rows (index 0 is the row under the header)."""

    refs: tuple[str, ...]
    versions: tuple[int | None, ...]

    @classmethod
    def read(cls, refs: Iterable[object], versions: Iterable[object]) -> KeyColumn:
        # The column holds every order: plain strings and integers take the short way.
        ref_list = tuple(
            r.strip() if type(r) is str else "" if r is None else str(r).strip() for r in refs
        )
        version_list = [v if type(v) is int else version_of(v) for v in versions]
        version_list += [None] * (len(ref_list) - len(version_list))
        return cls(ref_list, tuple(version_list[: len(ref_list)]))


@dataclass(frozen=True)
class Stale:
    """A copy not written because the sheet already holds a newer version of its order."""

    ref: str
    version: int
    newer_version: int


@dataclass
class Plan:
    """What one cycle writes: rows updated in place, rows appended, duplicate rows removed.

    Indexes are data-row indexes after ``deletions`` are applied (descending, so each delete
    leaves the indexes of the ones still to come untouched).
    """

    updates: list[tuple[int, OrderPayload]] = field(default_factory=list)
    appends: list[OrderPayload] = field(default_factory=list)
    append_at: int = 0
    deletions: list[int] = field(default_factory=list)
    duplicates: dict[str, int] = field(default_factory=dict)
    stale: dict[str, Stale] = field(default_factory=dict)

    @property
    def writes(self) -> int:
        return len(self.updates) + len(self.appends)


def latest(orders: Iterable[OrderPayload]) -> list[OrderPayload]:
    """Keep the highest version of each order (the last one seen among equals), in order."""
    kept: dict[str, OrderPayload] = {}
    for order in orders:
        held = kept.get(order.ref)
        if held is None or order.version >= held.version:
            kept.pop(order.ref, None)
            kept[order.ref] = order
    return list(kept.values())


def duplicate_rows(keys: KeyColumn) -> tuple[dict[str, int], dict[str, list[int]]]:
    """Return each reference's keeper row and the other rows holding the same reference."""
    keepers: dict[str, int] = {}
    shared: dict[str, list[int]] = {}
    # One pass over the column (it holds every order); only duplicates need a second look.
    for index, ref in enumerate(keys.refs):
        if not ref:
            continue
        if ref in keepers:
            shared.setdefault(ref, [keepers[ref]]).append(index)
        else:
            keepers[ref] = index
    extra: dict[str, list[int]] = {}
    for ref, rows in shared.items():
        best = max(rows, key=lambda i: (keys.versions[i] or -1, -i))
        keepers[ref] = best
        extra[ref] = [i for i in rows if i != best]
    return keepers, extra


def plan_writes(
    keys: KeyColumn,
    orders: Sequence[OrderPayload],
    *,
    remove_duplicates: bool,
    remove_refs: Collection[str] = (),
    force: bool = False,
) -> Plan:
    """Decide where each order's latest copy goes, given the key column read this cycle.

    ``remove_refs`` are references whose rows go entirely (reconcile's extra rows); ``force``
    writes even over a higher version (a version a person typed by hand, repaired).
    """
    keepers, extra = duplicate_rows(keys)
    plan = Plan(duplicates={ref: len(rows) + 1 for ref, rows in extra.items()})
    doomed: set[int] = set()
    if remove_duplicates:
        doomed.update(i for rows in extra.values() for i in rows)
    for ref in remove_refs:
        if ref in keepers:
            doomed.add(keepers.pop(ref))
            doomed.update(extra.get(ref, ()))
    deleted = sorted(doomed, reverse=True)
    plan.deletions = deleted
    ascending = sorted(deleted)

    def shifted(index: int) -> int:
        # Rows deleted above this one move it up by as many.
        return index - bisect_left(ascending, index)

    for order in latest(orders):
        row = keepers.get(order.ref)
        if row is None:
            plan.appends.append(order)
            continue
        held = keys.versions[row]
        if held is not None and order.version < held and not force:
            plan.stale[order.ref] = Stale(order.ref, order.version, held)
            continue
        plan.updates.append((shifted(row), order))
    plan.append_at = len(keys.refs) - len(deleted)
    return plan
