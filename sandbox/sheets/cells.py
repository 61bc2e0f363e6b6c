"""Cells: typed values, formulas kept as entered, and how user-entered text becomes a value."""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from typing import Any

from sandbox.sheets.errors import InvalidArgument

Scalar = float | int | str | bool
# Day 0 of Google's (and Lotus's) serial dates.
EPOCH = datetime(1899, 12, 30)

_NUMBER = re.compile(
    r"^(?P<sign>[-+]?)\s*(?P<cur1>[$€£]?)\s*(?P<num>(\d{1,3}(,\d{3})+|\d*)(\.\d*)?([eE][-+]?\d+)?)"
    r"\s*(?P<pct>%?)\s*(?P<cur2>[€]?)$"
)
# Google refuses longer cells: https://support.google.com/drive/answer/37603
MAX_CELL_CHARACTERS = 50_000
_NUMERIC_STARTS = frozenset("0123456789+-.$€£")
_ISO_DATE = re.compile(
    r"^(\d{4})[-/](\d{1,2})[-/](\d{1,2})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?)?$"
)
_US_DATE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})(?: (\d{1,2}):(\d{2})(?::(\d{2}))?)?$")
_TIME = re.compile(r"^(\d{1,2}):(\d{2})(?::(\d{2}))?$")
_HYPERLINK = re.compile(r'^=HYPERLINK\(\s*"([^"]*)"\s*(?:[,;]\s*"([^"]*)"\s*)?\)$', re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Cell:
    """One cell: its value (the formula's result when known), formula, format and note.

    Cells are immutable so a spreadsheet can be copied cheaply (a batch applies on a copy).
    """

    value: Scalar | None = None
    formula: str | None = None
    format: dict[str, Any] = field(default_factory=dict)
    note: str | None = None
    hyperlink: str | None = None

    @property
    def is_empty(self) -> bool:
        """Return whether the cell holds neither value, formula, format nor note."""
        return self.value is None and self.formula is None and not self.format and not self.note


def to_serial(moment: datetime) -> float:
    """Return the serial number Google stores for a date-time."""
    delta = moment - EPOCH
    return delta.days + delta.seconds / 86400


def from_serial(serial: float) -> datetime:
    """Return the date-time a serial number stands for."""
    days = int(serial // 1)
    seconds = round((serial - days) * 86400)
    return EPOCH + timedelta(days=days, seconds=seconds)


def _date_value(parts: tuple[str | None, ...], order: str) -> tuple[float, dict[str, Any]] | None:
    year, month, day = (
        (parts[0], parts[1], parts[2]) if order == "ymd" else (parts[2], parts[0], parts[1])
    )
    hour, minute, second = parts[3], parts[4], parts[5]
    try:
        moment = datetime(int(year or 0), int(month or 0), int(day or 0))
        if hour is not None:
            moment = datetime.combine(
                moment.date(), time(int(hour), int(minute or 0), int(second or 0))
            )
    except ValueError:
        return None
    date_pattern = "yyyy-mm-dd" if order == "ymd" else "M/d/yyyy"
    if hour is None:
        return _tidy(to_serial(moment)), {"type": "DATE", "pattern": date_pattern}
    return to_serial(moment), {"type": "DATE_TIME", "pattern": date_pattern + " H:mm:ss"}


def parse_user_entered(text: str) -> tuple[Scalar | None, str | None, dict[str, Any] | None]:
    """Read text as typed in the Sheets UI: value, formula, and the number format it implies."""
    if text == "":
        return None, None, None
    if text.startswith("'"):
        return text[1:], None, None
    if text.startswith("="):
        return None, text, None
    stripped = text.strip()
    if stripped[:1] not in _NUMERIC_STARTS:
        # Plain words: skip the number and date patterns (most cells of a large write).
        upper = stripped.upper()
        if upper in ("TRUE", "FALSE"):
            return upper == "TRUE", None, None
        return text, None, None
    number = _NUMBER.match(stripped)
    if number and any(ch.isdigit() for ch in number["num"]):
        try:
            value = float(number["num"].replace(",", ""))
        except ValueError:
            value = None
        if value is not None:
            if number["sign"] == "-":
                value = -value
            if number["pct"]:
                return value / 100, None, {"type": "PERCENT", "pattern": "0.00%"}
            if number["cur1"] or number["cur2"]:
                symbol = number["cur1"] or number["cur2"]
                pattern = f'"{symbol}"#,##0.00' if number["cur1"] else f'#,##0.00\\ "{symbol}"'
                return _tidy(value), None, {"type": "CURRENCY", "pattern": pattern}
            return _tidy(value), None, None
    for regex, order in ((_ISO_DATE, "ymd"), (_US_DATE, "mdy")):
        match = regex.match(stripped)
        if match:
            parsed = _date_value(match.groups(), order)
            if parsed is not None:
                return parsed[0], None, parsed[1]
    match = _TIME.match(stripped)
    if match and int(match[1]) < 24:
        fraction = (int(match[1]) * 3600 + int(match[2]) * 60 + int(match[3] or 0)) / 86400
        return fraction, None, {"type": "TIME", "pattern": "h:mm:ss am/pm"}
    return text, None, None


def _tidy(value: float) -> float | int:
    return int(value) if value.is_integer() and abs(value) < 2**53 else value


def entered_cell(raw: Any, *, user_entered: bool, previous: Cell | None) -> Cell | None:
    """Return the cell a values write leaves, keeping the previous cell's format and note."""
    # Built directly rather than with dataclasses.replace: writes of 100k cells stay fast.
    cell_format = previous.format if previous is not None else {}
    note = previous.note if previous is not None else None
    if raw is None or raw == "":
        return Cell(None, None, cell_format, note) if cell_format or note else None
    if isinstance(raw, bool):
        return Cell(raw, None, cell_format, note)
    if isinstance(raw, int | float):
        return Cell(_tidy(float(raw)), None, cell_format, note)
    text = str(raw)
    check_length(text)
    if not user_entered:
        return Cell(text, None, cell_format, note)
    value, formula, implied = parse_user_entered(text)
    if implied is not None and "numberFormat" not in cell_format:
        cell_format = {**cell_format, "numberFormat": implied}
    if formula is None:
        return Cell(value, None, cell_format, note)
    return with_formula(Cell(None, None, cell_format, note), formula)


def check_length(text: str) -> None:
    """Refuse a cell longer than Google allows, with Google's message."""
    if len(text) > MAX_CELL_CHARACTERS:
        raise InvalidArgument(
            f"Your input contains more than the maximum of {MAX_CELL_CHARACTERS} characters "
            "in a single cell."
        )


def with_formula(cell: Cell, formula: str | None) -> Cell:
    """Attach a formula, computing the few results the emulator knows (HYPERLINK)."""
    if formula is None:
        return replace(cell, formula=None, hyperlink=None)
    link = _HYPERLINK.match(formula)
    if link:
        return replace(cell, formula=formula, value=link[2] or link[1], hyperlink=link[1])
    # Other formulas are kept as entered; their result is unknown to the emulator.
    return replace(cell, formula=formula, value=None, hyperlink=None)


def serial_of(value: date | datetime) -> float:
    """Return the serial number of a Python date or date-time."""
    if not isinstance(value, datetime):
        value = datetime.combine(value, time())
    return to_serial(value)
