"""A1 ranges, user-entered text, number formats and field masks, without a server."""

from __future__ import annotations

from typing import Any

import pytest

from sandbox.sheets import a1, fieldmask
from sandbox.sheets.cells import Cell, parse_user_entered
from sandbox.sheets.errors import InvalidArgument
from sandbox.sheets.render import formatted


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("A1", a1.A1Range(None, 0, 1, 0, 1)),
        ("Sheet1!B2:C10", a1.A1Range("Sheet1", 1, 10, 1, 3)),
        ("'Équipe du jour'!A:A", a1.A1Range("Équipe du jour", None, None, 0, 1)),
        ("'It''s'!A2:Q", a1.A1Range("It's", 1, None, 0, 17)),
        ("Commandes", a1.A1Range("Commandes", None, None, None, None)),
        ("'Commandes'", a1.A1Range("Commandes", None, None, None, None)),
        ("2:5", a1.A1Range(None, 1, 5, None, None)),
        ("AA10", a1.A1Range(None, 9, 10, 26, 27)),
    ],
)
def test_a1_ranges_parse_like_google_reads_them(text: str, expected: a1.A1Range) -> None:
    assert a1.parse(text, ["Commandes"]) == expected


@pytest.mark.parametrize("text", ["Nowhere", "A1:B2:C3x", "'Open!A1"])
def test_a1_ranges_that_name_nothing_are_invalid(text: str) -> None:
    with pytest.raises(InvalidArgument):
        a1.parse(text, ["Commandes"])


def test_ranges_are_written_back_quoted_only_when_needed() -> None:
    assert a1.format_range("Commandes", (0, 10), (0, 3)) == "Commandes!A1:C10"
    assert a1.format_range("Jour 2", (4, 5), (27, 28)) == "'Jour 2'!AB5"
    assert a1.format_range("A1", (0, 1), (0, 1)) == "'A1'!A1"


@pytest.mark.parametrize(
    ("text", "value", "kind"),
    [
        ("42", 42, None),
        ("-3.5", -3.5, None),
        ("1,234.5", 1234.5, None),
        ("12%", 0.12, "PERCENT"),
        ("$12.50", 12.5, "CURRENCY"),
        ("2026-01-15", 46037, "DATE"),
        ("1/15/2026", 46037, "DATE"),
        ("2026-01-15 06:00", 46037.25, "DATE_TIME"),
        ("true", True, None),
        ("'12", "12", None),
        ("2026-02-30", "2026-02-30", None),
        ("C-2026-000123", "C-2026-000123", None),
    ],
)
def test_user_entered_text_is_typed_like_the_sheets_ui(
    text: str, value: Any, kind: str | None
) -> None:
    parsed, formula, implied = parse_user_entered(text)

    assert parsed == value
    assert type(parsed) is type(value)
    assert formula is None
    assert (implied or {}).get("type") == kind


@pytest.mark.parametrize(
    ("value", "number_format", "shown"),
    [
        (1234.5, {"type": "CURRENCY", "pattern": '#,##0.00\\ "€"'}, "1,234.50 €"),
        (-7, {"type": "CURRENCY", "pattern": "#,##0.00 [$€-40C]"}, "-7.00 €"),
        (0.125, {"type": "PERCENT", "pattern": "0.0%"}, "12.5%"),
        (46037.75, {"type": "DATE_TIME", "pattern": "dd/mm/yyyy hh:mm"}, "15/01/2026 18:00"),
        (46037, {"type": "DATE", "pattern": "d mmmm yyyy"}, "15 January 2026"),
        (46037, {"type": "DATE"}, "1/15/2026"),
        (3, {"type": "NUMBER", "pattern": "0.00"}, "3.00"),
    ],
)
def test_number_formats_render_like_the_ui_shows_them(
    value: float, number_format: dict[str, str], shown: str
) -> None:
    assert formatted(Cell(value=value, format={"numberFormat": number_format})) == shown


def test_field_masks_select_and_apply_nested_fields() -> None:
    mask = fieldmask.parse("sheets.properties(title,gridProperties/frozenRowCount)")
    document = {
        "spreadsheetId": "x",
        "sheets": [
            {
                "properties": {
                    "title": "A",
                    "index": 0,
                    "gridProperties": {"rowCount": 5, "frozenRowCount": 1},
                }
            }
        ],
    }

    assert fieldmask.select(document, mask) == {
        "sheets": [{"properties": {"title": "A", "gridProperties": {"frozenRowCount": 1}}}]
    }

    target: dict[str, Any] = {"title": "A", "gridProperties": {"rowCount": 5, "frozenRowCount": 1}}
    fieldmask.apply(
        target, {"gridProperties": {}}, fieldmask.parse("gridProperties.frozenRowCount")
    )
    assert target == {"title": "A", "gridProperties": {"rowCount": 5}}
