"""The one interface both backends implement, and what a write reports back.

A writer holds no database session: it receives order payloads and whole tables, and reports
what it found in the sheet (duplicates, stale copies, the cells in use) as plain data.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from connectors.payloads import OrderPayload
from connectors.sheets.layout import ORDER_COLUMNS, Row
from connectors.sheets.limits import cells_warning
from connectors.sheets.plan import Stale
from connectors.tables import Table


@dataclass(frozen=True)
class WriteReport:
    """What one write did and saw: rows written, copies dropped, duplicates, cells in use."""

    written: int = 0
    stale: Mapping[str, Stale] = field(default_factory=dict)
    duplicates: Mapping[str, int] = field(default_factory=dict)
    removed: int = 0
    cells: int | None = None

    @property
    def cells_warning(self) -> bool:
        return self.cells is not None and cells_warning(self.cells)


@dataclass(frozen=True)
class SheetRow:
    """One data row of the orders tab as read back: its hub cells, comparable, and the rest."""

    number: int
    hub: Row
    person: tuple[Any, ...] = ()

    @property
    def ref(self) -> str:
        return str(self.hub[0] or "")


def link_formula(label: str, url: str) -> str:
    """Return the HYPERLINK formula both backends write for a link cell."""

    def quoted(text: str) -> str:
        return '"' + text.replace('"', '""') + '"'

    return f"=HYPERLINK({quoted(url)},{quoted(label)})"


def comparable(row: Row) -> Row:
    """Return hub cells as a read-back gives them: links as formulas, empty text as None."""
    out: list[Any] = []
    for value, column in zip(row, ORDER_COLUMNS, strict=True):
        if column.kind == "link" and isinstance(value, tuple):
            out.append(link_formula(*value))
        elif column.kind == "number" and isinstance(value, (int, float)):
            out.append(round(float(value), 3))
        elif value == "":
            out.append(None)
        elif isinstance(value, datetime):
            out.append(value.replace(microsecond=0))
        else:
            out.append(value)
    return tuple(out)


#: Called with the number of orders written so far by a rebuild.
Progress = Callable[[int], None]


class SheetWriter(Protocol):
    """Write the ops sheet: changed orders by reference, summary tabs whole."""

    def write_orders(
        self,
        orders: Sequence[OrderPayload],
        *,
        remove_refs: Collection[str] = (),
        repair: bool = False,
    ) -> WriteReport:
        """Write the orders' rows (new ones appended, others in place) and drop ``remove_refs``.

        ``repair`` removes duplicate rows and writes over any version found in the sheet.
        """
        ...

    def write_summaries(self, tables: Sequence[Table]) -> None:
        """Replace each summary tab with its table, the chart on "Jour" kept covering it."""
        ...

    def read_orders(self) -> list[SheetRow]:
        """Return every data row of the orders tab, for reconcile."""
        ...

    def rebuild(self, chunks: Iterable[Sequence[OrderPayload]], progress: Progress) -> int:
        """Rewrite the orders tab from the ledger, keeping people's columns by reference."""
        ...
