"""Typed cells as Google Sheets values: serial dates, euros as numbers, links as formulas.

Values go out with ``USER_ENTERED`` so that the invoice link can be a ``HYPERLINK`` formula;
every text therefore starts with an apostrophe, which Sheets drops and which stops a name
such as ``=IMPORTXML(...)`` or ``1/2`` from being read as a formula, a number or a date.
Numbers and dates go out as JSON numbers (dates as serial days since 1899-12-30), typed by
their column's number format, set when the tab is made or the rows are added.
"""

from __future__ import annotations

import math
from datetime import date, datetime
from typing import Any

from connectors.sheets.limits import MAX_CELL_CHARS, clip
from connectors.sheets.writer import link_formula
from connectors.tables import ColumnKind

EPOCH = datetime(1899, 12, 30)
EURO = '#,##0.00 "€"'

NUMBER_FORMATS: dict[str, dict[str, str]] = {
    "money": {"type": "CURRENCY", "pattern": EURO},
    "datetime": {"type": "DATE_TIME", "pattern": "dd/mm/yyyy hh:mm"},
    "date": {"type": "DATE", "pattern": "dd/mm/yyyy"},
    "number": {"type": "NUMBER", "pattern": "0.###"},
    "int": {"type": "NUMBER", "pattern": "0"},
}


def serial(moment: date | datetime) -> float:
    """Return the serial number Sheets stores for a date or a naive date-time."""
    if not isinstance(moment, datetime):
        return float((moment - EPOCH.date()).days)
    delta = moment - EPOCH
    return round(delta.days + delta.seconds / 86400, 6)


def to_wire(value: Any, kind: ColumnKind) -> Any:
    """Return a typed cell as the JSON value a USER_ENTERED write sends ("" clears it)."""
    if value is None:
        return ""
    if kind == "money":
        return round(int(value) / 100, 2)
    if kind in ("date", "datetime"):
        return serial(value)
    if kind in ("int", "number"):
        return value
    if kind == "link":
        label, url = value
        return link_formula(label, url)
    # The apostrophe that keeps Google from reading the text as a number counts in its limit.
    text = clip(str(value), MAX_CELL_CHARS - 1)
    return "'" + text if text else ""


def from_wire(written: Any) -> Any:
    """Return what a FORMULA read gives back for a value this module sent."""
    if isinstance(written, str) and written.startswith("'"):
        return written[1:]
    return written


def same(written: Any, read: Any) -> bool:
    """Tell whether a cell read back (FORMULA render) holds what was written."""
    expected = from_wire(written)
    if isinstance(expected, (int, float)) and not isinstance(expected, bool):
        if isinstance(read, bool) or not isinstance(read, (int, float)):
            return False
        return math.isclose(float(expected), float(read), rel_tol=0, abs_tol=1e-5)
    return (expected if expected is not None else "") == (read if read is not None else "")
