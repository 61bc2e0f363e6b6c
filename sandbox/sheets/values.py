"""The values collection: read, write, append and clear A1 ranges of a spreadsheet."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sandbox.sheets import a1
from sandbox.sheets.cells import entered_cell
from sandbox.sheets.errors import InvalidArgument
from sandbox.sheets.render import rendered
from sandbox.sheets.store import Line, Sheet, Spreadsheet


@dataclass(frozen=True)
class Target:
    """A resolved range: the sheet, and the requested bounds (None where open)."""

    sheet: Sheet
    range: a1.A1Range

    def read_bounds(self) -> tuple[tuple[int, int], tuple[int, int]]:
        """Return the bounded rows and columns a read covers, clamped to the grid."""
        r = self.range
        rows = (r.start_row or 0, min(r.end_row or self.sheet.row_count, self.sheet.row_count))
        columns = (
            r.start_column or 0,
            min(r.end_column or self.sheet.column_count, self.sheet.column_count),
        )
        if rows[0] >= self.sheet.row_count or columns[0] >= self.sheet.column_count:
            raise InvalidArgument(
                f"Range ({a1.quote_title(self.sheet.title)}!"
                f"{a1.column_letters(columns[0])}{rows[0] + 1}) exceeds grid limits. "
                f"Max rows: {self.sheet.row_count}, max columns: {self.sheet.column_count}"
            )
        return rows, columns


def resolve(spreadsheet: Spreadsheet, text: str) -> Target:
    """Resolve an A1 range; without a sheet name it is on the first tab."""
    parsed = a1.parse(text, spreadsheet.sheet_titles())
    if parsed.sheet_title is None:
        sheet = spreadsheet.sheets[0]
    else:
        try:
            sheet = spreadsheet.sheet(parsed.sheet_title)
        except InvalidArgument:
            raise InvalidArgument(f"Unable to parse range: {text}") from None
    return Target(sheet, parsed)


def read(
    target: Target, *, major: str = "ROWS", value_render: str, date_render: str
) -> dict[str, Any]:
    """Return the ValueRange JSON of a read, trailing empty rows and columns trimmed."""
    rows, columns = target.read_bounds()
    sheet = target.sheet
    lines = sheet.rows[rows[0] : rows[1]]
    if columns[1] - columns[0] == 1:
        # One column (a key column read each cycle): no list per row, rows ~ millions.
        grid = _one_column(lines, columns[0], value_render, date_render, major)
    else:
        grid = []
        for line in lines:
            cells = [rendered(c, value_render, date_render) for c in line[columns[0] : columns[1]]]
            while cells and cells[-1] == "":
                cells.pop()
            grid.append(cells)
        while grid and not grid[-1]:
            grid.pop()
        if major == "COLUMNS":
            width = max((len(values) for values in grid), default=0)
            grid = [[values[c] if c < len(values) else "" for values in grid] for c in range(width)]
            for values in grid:
                while values and values[-1] == "":
                    values.pop()
    body: dict[str, Any] = {
        "range": a1.format_range(sheet.title, rows, columns),
        "majorDimension": major,
    }
    if grid:
        body["values"] = grid
    return body


def _one_column(
    lines: list[Line], column: int, value_render: str, date_render: str, major: str
) -> list[list[Any]]:
    if value_render == "UNFORMATTED_VALUE" and date_render == "SERIAL_NUMBER":
        # rendered()'s answer for this render, inlined: the value, or "" when there is none.
        found = [
            "" if len(line) <= column or (c := line[column]) is None or c.value is None else c.value
            for line in lines
        ]
    else:
        found = [
            rendered(line[column] if len(line) > column else None, value_render, date_render)
            for line in lines
        ]
    while found and found[-1] == "":
        found.pop()
    if not found:
        return []
    if major == "COLUMNS":
        return [found]
    return [[value] if value != "" else [] for value in found]


def write(
    target: Target,
    values: list[list[Any]],
    *,
    major: str = "ROWS",
    user_entered: bool,
    start_row: int | None = None,
) -> dict[str, Any]:
    """Write a grid of values at the range's top-left cell and return UpdateValuesResponse."""
    if major == "COLUMNS":
        width = max((len(line) for line in values), default=0)
        values = [[line[r] if r < len(line) else None for line in values] for r in range(width)]
    sheet = target.sheet
    r = target.range
    top = (r.start_row or 0) if start_row is None else start_row
    left = r.start_column or 0
    height = len(values)
    width = max((len(line) for line in values), default=0)
    # A single cell is where the data starts, not a bound (as at Google).
    anchor = r.end_row == top + 1 and r.end_column == left + 1
    if anchor or start_row is not None:
        r = a1.A1Range(r.sheet_title, r.start_row, None, r.start_column, None)
    if r.end_row is not None and top + height > r.end_row:
        raise InvalidArgument(
            f"Requested writing within range [{_requested(target)}], but tried writing to row "
            f"[{top + height}]"
        )
    if r.end_column is not None and left + width > r.end_column:
        raise InvalidArgument(
            f"Requested writing within range [{_requested(target)}], but tried writing to column "
            f"[{a1.column_letters(left + width - 1)}]"
        )
    cells = 0
    for row_offset, line in enumerate(values):
        for column_offset, raw in enumerate(line):
            if raw is None:
                # A null in a values write leaves the cell as it is.
                continue
            row, column = top + row_offset, left + column_offset
            previous = sheet.cell(row, column)
            sheet.put(row, column, entered_cell(raw, user_entered=user_entered, previous=previous))
            cells += 1
    response: dict[str, Any] = {"updatedRows": height, "updatedColumns": width}
    response["updatedCells"] = cells
    if height and width:
        response["updatedRange"] = a1.format_range(
            sheet.title, (top, top + height), (left, left + width)
        )
    else:
        response["updatedRange"] = _requested(target)
    return response


def _requested(target: Target) -> str:
    r = target.range
    rows = (r.start_row or 0, r.end_row or target.sheet.row_count)
    columns = (r.start_column or 0, r.end_column or target.sheet.column_count)
    return a1.format_range(target.sheet.title, rows, columns)


def append(
    target: Target,
    values: list[list[Any]],
    *,
    major: str,
    user_entered: bool,
    insert_rows: bool,
) -> dict[str, Any]:
    """Append after the table that starts at the range's first row, as values.append does."""
    sheet = target.sheet
    r = target.range
    first = r.start_row or 0
    left = r.start_column or 0
    right = r.end_column or sheet.column_count
    single_cell = r.end_row == first + 1 and r.end_column == left + 1
    last = _last_data_row(sheet, first, left, right)
    if single_cell:
        # From one cell Google finds the table around it: grow right while data continues.
        while right < sheet.column_count and _last_data_row(sheet, first, right, right + 1) > first:
            right += 1
            last = max(last, _last_data_row(sheet, first, left, right))
    body: dict[str, Any] = {}
    if last > first:
        body["tableRange"] = a1.format_range(sheet.title, (first, last), (left, right))
    height = len(values) if major == "ROWS" else max((len(v) for v in values), default=0)
    if insert_rows and height and last < sheet.row_count:
        sheet.insert_rows(last, height)
    body["updates"] = write(target, values, major=major, user_entered=user_entered, start_row=last)
    return body


def _last_data_row(sheet: Sheet, first: int, left: int, right: int) -> int:
    # Google's "table" is contiguous: it ends at the first row without data in its columns,
    # so an append can land in a gap a person left (as it does at Google).
    last = first
    while last < len(sheet.rows) and any(
        (cell := sheet.cell(last, column)) is not None
        and (cell.value is not None or cell.formula is not None)
        for column in range(left, right)
    ):
        last += 1
    return last


def clear(target: Target) -> str:
    """Clear values and formulas (keeping formats) and return the cleared range."""
    rows, columns = target.read_bounds()
    sheet = target.sheet
    for row in range(rows[0], min(rows[1], len(sheet.rows))):
        for column in range(columns[0], min(columns[1], len(sheet.rows[row]))):
            previous = sheet.cell(row, column)
            if previous is not None:
                sheet.put(row, column, entered_cell(None, user_entered=False, previous=previous))
    return a1.format_range(sheet.title, rows, columns)
