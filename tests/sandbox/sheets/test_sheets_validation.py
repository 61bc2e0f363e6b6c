"""Bodies and query parameters are checked against Google's discovery document, as at Google."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import gspread
import pytest
import requests

from sandbox.sheets import SheetsEmulator
from sandbox.sheets.batch import HANDLERS
from sandbox.sheets.discovery_trim import trim
from sandbox.sheets.schema import discovery
from sandbox.sheets.store import Spreadsheet

SHARED_DISCOVERY = Path(__file__).resolve().parents[4] / "shared" / "google" / "sheets.v4.json"


def _url(emulator: SheetsEmulator, spreadsheet: Spreadsheet, suffix: str) -> str:
    return f"{emulator.base_url}/v4/spreadsheets/{spreadsheet.spreadsheet_id}{suffix}"


def test_an_unknown_field_in_a_batch_update_is_google_s_400(
    gc: gspread.Client, spreadsheet: Spreadsheet, emulator: SheetsEmulator
) -> None:
    book = gc.open_by_key(spreadsheet.spreadsheet_id)
    emulator.traffic.reset()

    with pytest.raises(gspread.exceptions.APIError) as refused:
        book.batch_update(
            {
                "requests": [
                    {
                        "updateSheetProperties": {
                            "properties": {"sheetId": 0, "gridProperties": {"frozenRows": 1}},
                            "fields": "gridProperties.frozenRows",
                        }
                    }
                ]
            }
        )

    assert refused.value.response.status_code == 400
    assert refused.value.response.json() == {
        "error": {
            "code": 400,
            "message": 'Invalid JSON payload received. Unknown name "frozenRows" at '
            "'requests[0].update_sheet_properties.properties.grid_properties': "
            "Cannot find field.",
            "status": "INVALID_ARGUMENT",
        }
    }
    assert spreadsheet.sheets[0].properties["gridProperties"] == {
        "rowCount": 1000,
        "columnCount": 26,
    }
    assert emulator.traffic.count(endpoint="spreadsheets.batchUpdate", status=400) == 1


@pytest.mark.parametrize(
    ("method", "suffix", "body", "message"),
    [
        (
            "put",
            "/values/A1?valueInputOption=RAW",
            {"values": [[1]], "value": 2},
            'Unknown name "value": Cannot find field.',
        ),
        (
            "post",
            "/values:batchUpdate",
            {"valueInputOption": "RAW", "data": [{"range": "A1", "values": [[1]], "x": 1}]},
            "Unknown name \"x\" at 'data[0]': Cannot find field.",
        ),
        (
            "post",
            ":batchUpdate",
            {"requests": [{"repeatCell": {"cell": {"userEnteredFormat": {"bold": True}}}}]},
            "Unknown name \"bold\" at 'requests[0].repeat_cell.cell.user_entered_format'",
        ),
        (
            "post",
            ":batchUpdate",
            {"requests": [{"addSheet": {"properties": {"gridProperties": {"rowCount": "ten"}}}}]},
            "Invalid value at 'requests[0].add_sheet.properties.grid_properties.row_count' "
            '(TYPE_INT32), "ten"',
        ),
        (
            "post",
            "/values:batchUpdate",
            {"valueInputOption": "TYPED", "data": []},
            "Invalid value at 'value_input_option'",
        ),
        (
            "get",
            "/values/A1?valueRenderOption=PRETTY",
            None,
            "Invalid value at 'value_render_option'",
        ),
        (
            "get",
            "/values/A1?colour=red",
            None,
            'Unknown name "colour": Cannot bind query parameter.',
        ),
        ("put", "/values/A1", {"values": [[1]]}, "'valueInputOption' is required"),
    ],
)
def test_malformed_requests_are_refused_like_google(
    http: requests.Session,
    emulator: SheetsEmulator,
    spreadsheet: Spreadsheet,
    method: str,
    suffix: str,
    body: Any,
    message: str,
) -> None:
    answer = http.request(method, _url(emulator, spreadsheet, suffix), json=body)

    assert answer.status_code == 400
    error = answer.json()["error"]
    assert error["status"] == "INVALID_ARGUMENT"
    assert message in error["message"]
    assert spreadsheet.sheets[0].rows == []


def test_snake_case_names_are_accepted_as_google_s_parser_does(
    http: requests.Session, emulator: SheetsEmulator, spreadsheet: Spreadsheet
) -> None:
    body = {"value_input_option": "RAW", "data": [{"range": "A1", "values": [["x"]]}]}

    answer = http.post(_url(emulator, spreadsheet, "/values:batchUpdate"), json=body)

    assert answer.status_code == 200
    assert spreadsheet.sheets[0].cell(0, 0) is not None


def test_a_request_without_a_bearer_token_is_401(
    emulator: SheetsEmulator, spreadsheet: Spreadsheet
) -> None:
    with requests.Session() as anonymous:
        answer = anonymous.get(_url(emulator, spreadsheet, ""))

    assert answer.status_code == 401
    assert answer.json()["error"]["status"] == "UNAUTHENTICATED"


def test_drive_calls_get_a_clear_404_and_never_reach_the_network(gc: gspread.Client) -> None:
    with pytest.raises(gspread.exceptions.APIError) as refused:
        gc.open("Ops")

    assert refused.value.response.status_code == 404
    assert "does not implement GET /drive/v3/files" in refused.value.response.text


def test_every_supported_request_kind_exists_in_the_discovery_document() -> None:
    kinds = set(discovery()["schemas"]["Request"]["properties"])

    assert set(HANDLERS) <= kinds


@pytest.mark.skipif(not SHARED_DISCOVERY.exists(), reason="../shared is not beside the clone")
def test_the_shipped_discovery_copy_is_google_s_document_trimmed() -> None:
    original = json.loads(SHARED_DISCOVERY.read_text(encoding="utf-8"))

    assert trim(original) == discovery()
