"""Whole tables handed to a report writer: the sheet's summary tabs, as plain typed rows.

The ledger computes them (hub/ledger/reports.py); a writer (Google Sheets or the local
workbook) writes each one whole. Cells are typed by their column's ``kind``:

- ``text``: str; ``int``: int; ``number``: float (hours, say);
- ``money``: integer cents, written as euros with a euro format;
- ``date``: a ``datetime.date`` in the business time zone;
- ``datetime``: a naive ``datetime.datetime`` in the business time zone;
- ``link``: a (label, url) pair, written as a clickable hyperlink.

``None`` is an empty cell.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

ColumnKind = Literal["text", "int", "number", "money", "date", "datetime", "link"]


@dataclass(frozen=True)
class Column:
    title: str
    kind: ColumnKind = "text"


@dataclass(frozen=True)
class Table:
    """One tab: its name, its columns and its rows, written whole."""

    name: str
    columns: tuple[Column, ...]
    rows: tuple[tuple[object, ...], ...]
