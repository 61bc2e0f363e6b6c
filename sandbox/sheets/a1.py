"""A1 notation: parse `'Sheet 1'!A2:C`, `Sheet1`, `A:A`, `2:5` and write ranges back."""

from __future__ import annotations

import re
from dataclasses import dataclass

from sandbox.sheets.errors import InvalidArgument

_CELL = re.compile(r"^([A-Za-z]{0,3})(\d*)$")
_PLAIN_TITLE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_CELL_LIKE = re.compile(r"[A-Za-z]{1,3}\d+")


@dataclass(frozen=True)
class A1Range:
    """A range on one sheet; None bounds are open (to the grid's edge), ends are exclusive."""

    sheet_title: str | None
    start_row: int | None
    end_row: int | None
    start_column: int | None
    end_column: int | None


def column_number(letters: str) -> int:
    """Return the zero-based index of a column named by letters (A is 0, AA is 26)."""
    index = 0
    for letter in letters.upper():
        index = index * 26 + (ord(letter) - ord("A") + 1)
    return index - 1


def column_letters(index: int) -> str:
    """Return the letters naming a zero-based column index."""
    letters = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(ord("A") + remainder) + letters
    return letters


def quote_title(title: str) -> str:
    """Quote a sheet title the way Google writes it in ranges it returns."""
    if _PLAIN_TITLE.fullmatch(title) and not _CELL_LIKE.fullmatch(title):
        return title
    return "'" + title.replace("'", "''") + "'"


def _split_sheet(text: str) -> tuple[str | None, str]:
    if text.startswith("'"):
        end = 1
        title = ""
        while end < len(text):
            if text[end] == "'":
                if text[end + 1 : end + 2] == "'":
                    title += "'"
                    end += 2
                    continue
                break
            title += text[end]
            end += 1
        if end >= len(text):
            raise InvalidArgument(f"Unable to parse range: {text}")
        rest = text[end + 1 :]
        if not rest:
            return title, ""
        if not rest.startswith("!"):
            raise InvalidArgument(f"Unable to parse range: {text}")
        return title, rest[1:]
    if "!" in text:
        title, _, rest = text.rpartition("!")
        return title, rest
    return None, text


def parse(text: str, sheet_titles: list[str]) -> A1Range:
    """Parse an A1 range; a bare word that names a sheet is the whole sheet."""
    sheet, cells = _split_sheet(text.strip())
    if sheet is None and cells in sheet_titles:
        return A1Range(cells, None, None, None, None)
    if not cells:
        return A1Range(sheet, None, None, None, None)
    first, _, last = cells.partition(":")
    start = _CELL.match(first)
    end = _CELL.match(last) if last else start
    if start is None or end is None or not (first and (start[1] or start[2])):
        raise InvalidArgument(f"Unable to parse range: {text}")
    start_col = column_number(start[1]) if start[1] else None
    start_row = int(start[2]) - 1 if start[2] else None
    end_col = column_number(end[1]) + 1 if end[1] else None
    end_row = int(end[2]) if end[2] else None
    if not last and start_row is None:
        end_col = None if start_col is None else start_col + 1
    if (start_row is not None and start_row < 0) or (end_row is not None and end_row < 1):
        raise InvalidArgument(f"Unable to parse range: {text}")
    if start_col is None and end_col is not None and last:
        start_col = 0
    if start_row is None and (start_col is not None or end_col is not None) and last and end_row:
        start_row = 0
    return A1Range(sheet, start_row, end_row, start_col, end_col)


def format_range(title: str, rows: tuple[int, int], columns: tuple[int, int]) -> str:
    """Write a bounded range as Google returns it, e.g. `Sheet1!A1:C10`."""
    first = f"{column_letters(columns[0])}{rows[0] + 1}"
    last = f"{column_letters(columns[1] - 1)}{rows[1]}"
    cells = first if first == last else f"{first}:{last}"
    return f"{quote_title(title)}!{cells}"
