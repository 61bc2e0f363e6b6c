"""Quotas, request counts, latency and injected faults, seen through the real gspread."""

from __future__ import annotations

import time
from collections.abc import Iterator

import gspread
import pytest
import requests

from sandbox.sheets import Fault, SheetsEmulator, gspread_client
from sandbox.sheets.store import Spreadsheet
from sandbox.sheets.traffic import ManualClock


@pytest.fixture
def tight(clock: ManualClock) -> Iterator[SheetsEmulator]:
    with SheetsEmulator(reads_per_minute=4, writes_per_minute=2, clock=clock) as started:
        yield started


@pytest.fixture
def tight_gc(tight: SheetsEmulator) -> Iterator[gspread.Client]:
    client = gspread_client(tight.base_url)
    yield client
    client.http_client.session.close()


def test_a_used_up_write_quota_is_a_429_until_the_minute_has_passed(
    tight: SheetsEmulator, tight_gc: gspread.Client, clock: ManualClock
) -> None:
    spreadsheet = tight.create_spreadsheet("Ops")
    worksheet = tight_gc.open_by_key(spreadsheet.spreadsheet_id).sheet1
    worksheet.update(values=[["a"]], range_name="A1")
    clock.advance(20)
    worksheet.update(values=[["b"]], range_name="A2")

    with pytest.raises(gspread.exceptions.APIError) as throttled:
        worksheet.update(values=[["c"]], range_name="A3")

    response = throttled.value.response
    assert response.status_code == 429
    assert response.headers["Retry-After"] == "40"
    error = response.json()["error"]
    assert error["status"] == "RESOURCE_EXHAUSTED"
    assert error["details"][0]["reason"] == "RATE_LIMIT_EXCEEDED"
    assert "Write requests per minute per user" in error["message"]

    clock.advance(40)
    worksheet.update(values=[["c"]], range_name="A3")

    assert worksheet.col_values(1) == ["a", "b", "c"]
    assert tight.traffic.count(kind="write", status=429) == 1
    assert tight.traffic.count(kind="write", status=200) == 3


def test_reads_and_writes_have_separate_quotas(
    tight: SheetsEmulator, tight_gc: gspread.Client
) -> None:
    spreadsheet = tight.create_spreadsheet("Ops")
    # open_by_key and .sheet1 each fetch the spreadsheet: reads 1 and 2.
    worksheet = tight_gc.open_by_key(spreadsheet.spreadsheet_id).sheet1
    worksheet.update(values=[["a"]], range_name="A1")
    worksheet.update(values=[["b"]], range_name="A2")
    worksheet.get_values("A1")  # read 3
    worksheet.get_values("A2")  # read 4

    with pytest.raises(gspread.exceptions.APIError) as throttled:
        worksheet.get_values("A1")

    assert throttled.value.response.status_code == 429
    assert "Read requests" in throttled.value.response.json()["error"]["message"]


def test_request_counts_are_exact_by_kind_and_endpoint(
    gc: gspread.Client, spreadsheet: Spreadsheet, emulator: SheetsEmulator
) -> None:
    book = gc.open_by_key(spreadsheet.spreadsheet_id)
    worksheet = book.sheet1
    worksheet.update(values=[["ref"]], range_name="A1")
    worksheet.append_rows([["C-1"], ["C-2"]])
    worksheet.batch_update([{"range": "B1", "values": [["x"]]}, {"range": "C1", "values": [[1]]}])
    worksheet.freeze(rows=1)
    worksheet.get_values("A:A")
    worksheet.batch_get(["A1", "B1"])

    # gspread fetches the spreadsheet in open_by_key and again for .sheet1.
    assert emulator.traffic.by_endpoint() == {
        "spreadsheets.get": 2,
        "values.update": 1,
        "values.append": 1,
        "values.batchUpdate": 1,
        "spreadsheets.batchUpdate": 1,
        "values.get": 1,
        "values.batchGet": 1,
    }
    assert emulator.traffic.count(kind="read") == 4
    assert emulator.traffic.count(kind="write") == 4

    emulator.traffic.reset()
    assert emulator.traffic.count() == 0


def test_an_injected_server_error_fails_once_then_the_call_succeeds(
    gc: gspread.Client, spreadsheet: Spreadsheet, emulator: SheetsEmulator
) -> None:
    worksheet = gc.open_by_key(spreadsheet.spreadsheet_id).sheet1
    emulator.traffic.inject(Fault.server_error(503, endpoint="values.update"))

    with pytest.raises(gspread.exceptions.APIError) as failed:
        worksheet.update(values=[["a"]], range_name="A1")
    worksheet.update(values=[["a"]], range_name="A1")

    assert failed.value.response.status_code == 503
    assert failed.value.response.json()["error"]["status"] == "UNAVAILABLE"
    assert worksheet.acell("A1").value == "a"


def test_an_injected_permission_error_carries_its_message(
    gc: gspread.Client, spreadsheet: Spreadsheet, emulator: SheetsEmulator
) -> None:
    worksheet = gc.open_by_key(spreadsheet.spreadsheet_id).sheet1
    emulator.traffic.inject(Fault.permission_denied("The caller does not have permission"))

    with pytest.raises(gspread.exceptions.APIError) as refused:
        worksheet.update(values=[["a"]], range_name="A1")

    assert refused.value.response.status_code == 403
    assert refused.value.response.json()["error"] == {
        "code": 403,
        "message": "The caller does not have permission",
        "status": "PERMISSION_DENIED",
    }
    assert spreadsheet.sheets[0].rows == []


def test_a_spreadsheet_not_shared_refuses_every_call_until_it_is(
    gc: gspread.Client, spreadsheet: Spreadsheet, emulator: SheetsEmulator
) -> None:
    emulator.store.deny(spreadsheet.spreadsheet_id, "The caller does not have permission")

    # gspread turns a 403 on open_by_key into the built-in PermissionError.
    with pytest.raises(PermissionError) as refused:
        gc.open_by_key(spreadsheet.spreadsheet_id)
    emulator.store.deny(spreadsheet.spreadsheet_id, None)

    cause = refused.value.__cause__
    assert isinstance(cause, gspread.exceptions.APIError)
    assert cause.response.status_code == 403
    assert gc.open_by_key(spreadsheet.spreadsheet_id).title == "Ops"


def test_a_hung_answer_is_a_client_timeout_and_nothing_is_written(
    gc: gspread.Client, spreadsheet: Spreadsheet, emulator: SheetsEmulator
) -> None:
    worksheet = gc.open_by_key(spreadsheet.spreadsheet_id).sheet1
    gc.set_timeout(0.2)
    emulator.traffic.inject(Fault.timeout(seconds=2))

    with pytest.raises(requests.exceptions.ReadTimeout):
        worksheet.update(values=[["a"]], range_name="A1")

    assert spreadsheet.sheets[0].rows == []


def test_a_lost_response_was_applied_although_the_client_saw_a_failure(
    gc: gspread.Client, spreadsheet: Spreadsheet, emulator: SheetsEmulator
) -> None:
    worksheet = gc.open_by_key(spreadsheet.spreadsheet_id).sheet1
    gc.set_timeout(0.2)
    emulator.traffic.inject(Fault.lost_response(seconds=2))

    with pytest.raises(requests.exceptions.ReadTimeout):
        worksheet.update(values=[["a"]], range_name="A1")

    assert emulator.person(spreadsheet.spreadsheet_id, "Commandes").rows() == [["a"]]


def test_simulated_latency_delays_every_answer(
    gc: gspread.Client, spreadsheet: Spreadsheet, emulator: SheetsEmulator
) -> None:
    worksheet = gc.open_by_key(spreadsheet.spreadsheet_id).sheet1
    emulator.traffic.latency_seconds = 0.1

    started = time.perf_counter()
    worksheet.get_values("A1")
    worksheet.get_values("A1")

    assert time.perf_counter() - started >= 0.2
