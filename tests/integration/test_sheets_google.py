"""The Google writer against the Sheets emulator: few requests, rows found by reference."""

from __future__ import annotations

from datetime import datetime

import gspread
import pytest

from connectors.errors import PermanentError
from connectors.payloads import PartyRef
from connectors.sheets.google import GoogleSheetWriter
from connectors.sheets.layout import ORDER_COLUMNS, ORDERS_TAB
from sandbox.sheets import Fault, SheetsEmulator
from sandbox.sheets.store import Spreadsheet
from tests.integration.sheets_fixtures import (
    ACCOUNT,
    emulator,
    gc,
    jour,
    make_writer,
    order,
    spreadsheet,
    writer,
)

__all__ = ["emulator", "gc", "spreadsheet", "writer"]


def _refs(emulator: SheetsEmulator, spreadsheet: Spreadsheet) -> list[str]:
    rows = emulator.person(spreadsheet.spreadsheet_id, ORDERS_TAB).rows()
    return [str(row[0]) for row in rows[1:] if row and row[0]]


@pytest.mark.parametrize("count", [1, 100, 10_000])
def test_new_and_changed_orders_cost_the_same_few_requests_whatever_their_number(
    emulator: SheetsEmulator, writer: GoogleSheetWriter, spreadsheet: Spreadsheet, count: int
) -> None:
    writer.write_orders([order(0)])  # the tabs exist from now on
    emulator.traffic.reset()
    writer.write_orders([order(n) for n in range(1, count + 1)])
    assert emulator.traffic.by_endpoint() == {
        "values.batchGet": 1,
        "spreadsheets.batchUpdate": 1,
        "values.batchUpdate": 1,
    }
    emulator.traffic.reset()
    writer.write_orders([order(n, version=2, status="done") for n in range(1, count + 1)])
    assert emulator.traffic.by_endpoint() == {"values.batchGet": 1, "values.batchUpdate": 1}
    refs = _refs(emulator, spreadsheet)
    assert len(refs) == count + 1 == len(set(refs))


def test_new_tab_has_a_frozen_formatted_header_and_typed_cells(
    emulator: SheetsEmulator, writer: GoogleSheetWriter, spreadsheet: Spreadsheet
) -> None:
    writer.write_orders([order(1, invoice_number="F-0001", invoice_url="https://pay.example/i/1")])
    sheet = emulator.store.get(spreadsheet.spreadsheet_id).sheet(ORDERS_TAB)
    assert sheet.properties["gridProperties"]["frozenRowCount"] == 1
    person = emulator.person(spreadsheet.spreadsheet_id, ORDERS_TAB)
    header, row = person.rows()[:2]
    assert header == [c.title for c in ORDER_COLUMNS]
    assert person.cell("A1").format["textFormat"]["bold"] is True
    assert row[0] == "C-2026-000001"
    # 08:30 UTC is 09:30 in Paris; the serial number is a date-time, formatted as one.
    assert row[1] == pytest.approx(46357 + 9.5 / 24)
    assert person.cell("B2").format["numberFormat"]["type"] == "DATE_TIME"
    assert row[9] == 57.5 and row[10] == 9.58
    assert person.cell("J2").format["numberFormat"]["pattern"] == '#,##0.00 "€"'
    assert person.rows(formatted=True)[1][9] == "57.50 €"
    assert person.cell("O2").formula == '=HYPERLINK("https://pay.example/i/1","F-0001")'
    assert row[16] == 1


def test_sorting_deleting_inserting_and_notes_never_put_an_order_on_the_wrong_row(
    emulator: SheetsEmulator, writer: GoogleSheetWriter, spreadsheet: Spreadsheet
) -> None:
    writer.write_orders([order(n) for n in range(1, 6)])
    person = emulator.person(spreadsheet.spreadsheet_id, ORDERS_TAB)
    for n in range(1, 6):
        person.type(f"S{n + 1}", f"note {n}")
    person.sort_rows("A", descending=True)
    person.delete_rows(3)  # C-2026-000004 and its note go
    person.insert_rows(2, count=2)
    writer.write_orders(
        [
            order(n, version=2, customer=order(n).customer.__class__(n, f"New {n}"))
            for n in range(1, 7)
        ]
    )
    rows = person.rows()[1:]
    by_ref = {row[0]: row for row in rows if row and row[0]}
    assert sorted(by_ref) == [f"C-2026-{n:06d}" for n in range(1, 7)]
    assert len([row for row in rows if row and row[0]]) == 6
    for n in (1, 2, 3, 5):
        assert by_ref[f"C-2026-{n:06d}"][4] == f"New {n}"
        assert by_ref[f"C-2026-{n:06d}"][18] == f"note {n}"
    assert by_ref["C-2026-000004"][4] == "New 4"  # deleted by hand: written again


def test_a_stale_copy_is_dropped_and_the_newer_row_kept(
    emulator: SheetsEmulator, writer: GoogleSheetWriter, spreadsheet: Spreadsheet
) -> None:
    writer.write_orders([order(1, version=3, status="done")])
    report = writer.write_orders([order(1, version=2, status="scheduled")])
    assert report.stale["C-2026-000001"].newer_version == 3
    row = emulator.person(spreadsheet.spreadsheet_id, ORDERS_TAB).rows()[1]
    assert row[11] == "Faite" and row[16] == 3


def test_within_a_batch_the_latest_version_wins(
    emulator: SheetsEmulator, writer: GoogleSheetWriter, spreadsheet: Spreadsheet
) -> None:
    writer.write_orders([order(1, 2, status="scheduled"), order(1, 3, status="done"), order(1, 1)])
    rows = emulator.person(spreadsheet.spreadsheet_id, ORDERS_TAB).rows()[1:]
    assert [(r[0], r[11], r[16]) for r in rows] == [("C-2026-000001", "Faite", 3)]


def test_duplicates_are_reported_and_removed_when_asked(
    emulator: SheetsEmulator, gc: gspread.Client, spreadsheet: Spreadsheet
) -> None:
    keeping = make_writer(gc, spreadsheet)
    keeping.write_orders([order(1), order(2)])
    person = emulator.person(spreadsheet.spreadsheet_id, ORDERS_TAB)
    person.type("A3", "C-2026-000001")  # someone pasted a reference over another row
    report = keeping.write_orders([order(1, 2)])
    assert report.duplicates == {"C-2026-000001": 2} and report.removed == 0
    removing = make_writer(gc, spreadsheet, remove_duplicates=True)
    report = removing.write_orders([order(3)])
    assert report.removed == 1
    assert _refs(emulator, spreadsheet) == ["C-2026-000001", "C-2026-000003"]


def test_quota_429s_are_absorbed_and_nothing_is_lost(
    emulator: SheetsEmulator, gc: gspread.Client, spreadsheet: Spreadsheet
) -> None:
    waits: list[float] = []
    patient = make_writer(gc, spreadsheet, sleep=waits.append)
    patient.write_orders([order(0)])
    emulator.traffic.inject(Fault.rate_limited(2, endpoint="values.batchUpdate"), times=2)
    patient.write_orders([order(n) for n in range(1, 51)])
    assert waits == [2.0, 2.0]
    assert len(set(_refs(emulator, spreadsheet))) == 51


def test_a_refused_share_names_the_service_account_to_share_with(
    emulator: SheetsEmulator, writer: GoogleSheetWriter, spreadsheet: Spreadsheet
) -> None:
    emulator.store.deny(spreadsheet.spreadsheet_id, "The caller does not have permission")
    with pytest.raises(PermanentError) as refused:
        writer.write_orders([order(1)])
    assert ACCOUNT in refused.value.message
    emulator.store.deny(spreadsheet.spreadsheet_id, None)
    writer.write_orders([order(1)])
    assert _refs(emulator, spreadsheet) == ["C-2026-000001"]


def test_the_chart_on_jour_is_made_once_and_keeps_covering_the_days(
    emulator: SheetsEmulator, writer: GoogleSheetWriter, spreadsheet: Spreadsheet
) -> None:
    writer.write_summaries([jour(3)])
    emulator.traffic.reset()
    writer.write_summaries([jour(40)])
    assert emulator.traffic.count(kind="write") == 1
    charts = [c for _, c in emulator.store.get(spreadsheet.spreadsheet_id).charts()]
    assert len(charts) == 1
    spec = charts[0]["spec"]["basicChart"]
    domain = spec["domains"][0]["domain"]["sourceRange"]["sources"][0]
    assert domain["endRowIndex"] == 41
    assert all(
        s["series"]["sourceRange"]["sources"][0]["endRowIndex"] == 41 for s in spec["series"]
    )
    rows = emulator.person(spreadsheet.spreadsheet_id, "Jour").rows(formatted=True)
    assert rows[0][:4] == ["Jour", "Commandes prises", "Faites", "CA"]
    assert rows[1][:4] == ["01/11/2026", "1", "0", "10.00 €"]
    assert len(rows) == 41
    writer.write_summaries([jour(2)])
    assert len(emulator.person(spreadsheet.spreadsheet_id, "Jour").rows()) == 3


def test_rows_read_back_equal_what_the_ledger_sent(writer: GoogleSheetWriter) -> None:
    writer.write_orders(
        [order(1, scheduled_at=datetime(2026, 12, 2, 13, 0, tzinfo=order(1).created_at.tzinfo))]
    )
    (row,) = writer.read_orders()
    assert row.hub[0] == "C-2026-000001"
    assert row.hub[2] == datetime(2026, 12, 2, 14, 0)
    assert row.hub[9] == 5750


def test_a_batch_past_the_payload_budget_goes_in_several_writes_and_long_cells_are_clipped(
    emulator: SheetsEmulator, writer: GoogleSheetWriter, spreadsheet: Spreadsheet
) -> None:
    writer.write_orders([order(0)])
    emulator.traffic.reset()
    wordy = "x" * 2_000  # 1,200 orders of 2 kB names: ~2.4 MB of values, past the 1.9 MB budget
    writer.write_orders(
        [order(n, customer=PartyRef(n, f"{wordy} {n}")) for n in range(1, 1201)]
        + [order(1201, customer=PartyRef(1201, "y" * 60_000))]
    )
    writes = emulator.traffic.by_endpoint()["values.batchUpdate"]
    assert writes >= 2
    assert writes <= 1 + 2_500_000 // 1_900_000 + 1
    rows = emulator.person(spreadsheet.spreadsheet_id, ORDERS_TAB).rows()
    assert len(rows) == 1 + 1 + 1201 and len({r[0] for r in rows[1:]}) == 1202
    assert 49_000 < len(str(rows[-1][4])) < 50_000  # Google refuses a longer cell: it is clipped
