"""Render cell values for reads: FORMATTED_VALUE, UNFORMATTED_VALUE or FORMULA."""

from __future__ import annotations

import re
from typing import Any

from sandbox.sheets.cells import Cell, Scalar, from_serial

_DATE_TOKEN = re.compile(
    r'yyyy|yy|mmmm|mmm|mm|m|dddd|ddd|dd|d|hh|h|ss|s|am/pm|"[^"]*"|\\.|.', re.DOTALL | re.IGNORECASE
)
_DATE_TYPES = ("DATE", "DATE_TIME", "TIME")
_MONTHS = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]
_DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]


def is_date_format(number_format: dict[str, Any] | None) -> bool:
    """Return whether a number format shows a date or time."""
    return number_format is not None and number_format.get("type") in _DATE_TYPES


def _is_field(token: str) -> bool:
    return token[0].lower() in "ymdhs" or token.lower() == "am/pm"


def _format_date(serial: float, pattern: str) -> str:
    moment = from_serial(serial)
    tokens = _DATE_TOKEN.findall(pattern)
    fields = [t.lower() for t in tokens if _is_field(t)]
    twelve_hour = "am/pm" in fields
    hour = moment.hour % 12 or 12 if twelve_hour else moment.hour
    out: list[str] = []
    field_index = -1
    for token in tokens:
        if not _is_field(token):
            quoted = token.startswith('"') or token.startswith("\\")
            out.append(
                token.strip('"') if token.startswith('"') else token[1:] if quoted else token
            )
            continue
        field_index += 1
        lower = token.lower()
        before = fields[field_index - 1] if field_index else ""
        after = fields[field_index + 1] if field_index + 1 < len(fields) else ""
        minutes = lower in ("m", "mm") and (before.startswith("h") or after.startswith("s"))
        values = {
            "yyyy": f"{moment.year:04d}",
            "yy": f"{moment.year % 100:02d}",
            "mmmm": _MONTHS[moment.month - 1],
            "mmm": _MONTHS[moment.month - 1][:3],
            "mm": f"{moment.minute:02d}" if minutes else f"{moment.month:02d}",
            "m": str(moment.minute) if minutes else str(moment.month),
            "dddd": _DAYS[moment.weekday()],
            "ddd": _DAYS[moment.weekday()][:3],
            "dd": f"{moment.day:02d}",
            "d": str(moment.day),
            "hh": f"{hour:02d}",
            "h": str(hour),
            "ss": f"{moment.second:02d}",
            "s": str(moment.second),
            "am/pm": "AM" if moment.hour < 12 else "PM",
        }
        out.append(values.get(lower, token))
    return "".join(out)


def _format_number(value: float, pattern: str) -> str:
    section = pattern.split(";")[0]
    section = re.sub(r"\[\$([^-\]]*)[^\]]*\]", r'"\1"', section)
    numeric = re.search(r"[#0,]*0(?:\.0+|\.#+)?|#(?:,##0)?", section)
    if numeric is None:
        return _general(value)
    spec = numeric.group(0)
    decimals = len(spec.split(".")[1]) if "." in spec else 0
    percent = "%" in section
    shown = value * 100 if percent else value
    body = f"{abs(shown):,.{decimals}f}" if "," in spec else f"{abs(shown):.{decimals}f}"
    prefix = _literal(section[: numeric.start()])
    suffix = _literal(section[numeric.end() :])
    return ("-" if shown < 0 and round(abs(shown), decimals) else "") + prefix + body + suffix


def _literal(text: str) -> str:
    return re.sub(r'"([^"]*)"|\\(.)|_.|\*.', lambda m: m.group(1) or m.group(2) or "", text)


def _general(value: float) -> str:
    if float(value).is_integer() and abs(value) < 1e15:
        return str(int(value))
    return f"{value:.10g}"


def formatted(cell: Cell) -> str:
    """Return the text the Sheets UI shows for a cell."""
    value = cell.value
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, str):
        return value
    number_format = cell.format.get("numberFormat") or {}
    kind = number_format.get("type")
    pattern = number_format.get("pattern") or ""
    if kind in _DATE_TYPES:
        default = {"DATE": "M/d/yyyy", "DATE_TIME": "M/d/yyyy H:mm:ss", "TIME": "h:mm:ss am/pm"}
        return _format_date(float(value), pattern or default[kind])
    if kind == "PERCENT" and not pattern:
        pattern = "0.00%"
    if kind == "CURRENCY" and not pattern:
        pattern = '"$"#,##0.00'
    if kind == "SCIENTIFIC":
        return f"{value:.2E}"
    return _format_number(float(value), pattern) if pattern else _general(float(value))


def rendered(cell: Cell | None, value_render: str, date_render: str) -> Scalar:
    """Return one cell's value as a values read answers it ("" for an empty cell)."""
    if cell is None:
        return ""
    if value_render == "FORMULA" and cell.formula is not None:
        return cell.formula
    if value_render == "FORMATTED_VALUE":
        return formatted(cell)
    if cell.value is None:
        return ""
    if (
        date_render == "FORMATTED_STRING"
        and not isinstance(cell.value, bool | str)
        and is_date_format(cell.format.get("numberFormat"))
    ):
        return formatted(cell)
    return cell.value


def extended_value(value: Scalar) -> dict[str, Any]:
    """Return the ExtendedValue JSON of a value."""
    if isinstance(value, bool):
        return {"boolValue": value}
    if isinstance(value, str):
        return {"stringValue": value}
    return {"numberValue": value}


def cell_data(cell: Cell) -> dict[str, Any]:
    """Return a cell as the CellData JSON of spreadsheets.get with grid data."""
    data: dict[str, Any] = {}
    if cell.formula is not None:
        data["userEnteredValue"] = {"formulaValue": cell.formula}
    elif cell.value is not None:
        data["userEnteredValue"] = extended_value(cell.value)
    if cell.value is not None:
        data["effectiveValue"] = extended_value(cell.value)
        data["formattedValue"] = formatted(cell)
    if cell.format:
        data["userEnteredFormat"] = cell.format
        data["effectiveFormat"] = cell.format
    if cell.note:
        data["note"] = cell.note
    if cell.hyperlink:
        data["hyperlink"] = cell.hyperlink
    return data
