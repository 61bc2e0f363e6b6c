"""The endpoints of the Sheets API v4 the emulator answers, each over the store."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sandbox.sheets import resource, values
from sandbox.sheets.batch import apply_requests
from sandbox.sheets.errors import InvalidArgument
from sandbox.sheets.store import Spreadsheet, Store

Body = dict[str, Any]


@dataclass(frozen=True)
class Call:
    """One matched request: its endpoint, spreadsheet id, range and validated body."""

    endpoint: str
    spreadsheet_id: str
    range: str
    params: dict[str, list[str]]
    body: Any

    def param(self, name: str, default: str) -> str:
        """Return a query parameter's first value."""
        return self.params.get(name, [default])[0]


Action = Callable[[Store, Call], Body]


def _read_options(call: Call, prefix: str = "") -> tuple[str, str]:
    value_key = f"{prefix}ValueRenderOption" if prefix else "valueRenderOption"
    date_key = f"{prefix}DateTimeRenderOption" if prefix else "dateTimeRenderOption"
    return call.param(value_key, "FORMATTED_VALUE"), call.param(date_key, "SERIAL_NUMBER")


def _input_option(option: str | None) -> bool:
    if option not in ("RAW", "USER_ENTERED"):
        raise InvalidArgument("'valueInputOption' is required but not specified")
    return option == "USER_ENTERED"


def _spreadsheets_get(store: Store, call: Call) -> Body:
    include = call.param("includeGridData", "false").lower() in ("true", "1")
    return resource.spreadsheet_json(
        store.get(call.spreadsheet_id),
        include_grid_data=include,
        ranges=call.params.get("ranges", []),
    )


def _spreadsheets_batch_update(store: Store, call: Call) -> Body:
    body = call.body or {}

    def apply(spreadsheet: Spreadsheet) -> Body:
        replies = apply_requests(spreadsheet, body.get("requests", []))
        answer: Body = {"spreadsheetId": spreadsheet.spreadsheet_id, "replies": replies}
        if body.get("includeSpreadsheetInResponse"):
            answer["updatedSpreadsheet"] = resource.spreadsheet_json(
                spreadsheet,
                include_grid_data=bool(body.get("responseIncludeGridData")),
                ranges=body.get("responseRanges", []),
            )
        return answer

    result: Body = store.change(call.spreadsheet_id, apply)
    return result


def _values_get(store: Store, call: Call) -> Body:
    value_render, date_render = _read_options(call)
    target = values.resolve(store.get(call.spreadsheet_id), call.range)
    major = call.param("majorDimension", "ROWS")
    return values.read(target, major=major, value_render=value_render, date_render=date_render)


def _values_batch_get(store: Store, call: Call) -> Body:
    value_render, date_render = _read_options(call)
    spreadsheet = store.get(call.spreadsheet_id)
    major = call.param("majorDimension", "ROWS")
    ranges = [
        values.read(
            values.resolve(spreadsheet, text),
            major=major,
            value_render=value_render,
            date_render=date_render,
        )
        for text in call.params.get("ranges", [])
    ]
    return {"spreadsheetId": spreadsheet.spreadsheet_id, "valueRanges": ranges}


def _echo(spreadsheet: Spreadsheet, written: Body, call: Call, include: bool) -> Body:
    written = {"spreadsheetId": spreadsheet.spreadsheet_id, **written}
    if include:
        value_render, date_render = _read_options(call, "response")
        target = values.resolve(spreadsheet, written["updatedRange"])
        written["updatedData"] = values.read(
            target, value_render=value_render, date_render=date_render
        )
    return written


def _values_update(store: Store, call: Call) -> Body:
    user_entered = _input_option(call.params.get("valueInputOption", [None])[0])
    body = call.body or {}
    include = call.param("includeValuesInResponse", "false").lower() == "true"

    def apply(spreadsheet: Spreadsheet) -> Body:
        target = values.resolve(spreadsheet, call.range)
        written = values.write(
            target,
            body.get("values", []),
            major=body.get("majorDimension") or "ROWS",
            user_entered=user_entered,
        )
        return _echo(spreadsheet, written, call, include)

    result: Body = store.change(call.spreadsheet_id, apply)
    return result


def _values_batch_update(store: Store, call: Call) -> Body:
    body = call.body or {}
    user_entered = _input_option(body.get("valueInputOption"))
    include = bool(body.get("includeValuesInResponse"))

    def apply(spreadsheet: Spreadsheet) -> Body:
        responses = []
        for data in body.get("data", []):
            target = values.resolve(spreadsheet, data.get("range", ""))
            written = values.write(
                target,
                data.get("values", []),
                major=data.get("majorDimension") or "ROWS",
                user_entered=user_entered,
            )
            responses.append(_echo(spreadsheet, written, call, include))
        sheets = {r["updatedRange"].rpartition("!")[0] for r in responses}
        return {
            "spreadsheetId": spreadsheet.spreadsheet_id,
            "totalUpdatedRows": sum(r["updatedRows"] for r in responses),
            "totalUpdatedColumns": sum(r["updatedColumns"] for r in responses),
            "totalUpdatedCells": sum(r["updatedCells"] for r in responses),
            "totalUpdatedSheets": len(sheets),
            "responses": responses,
        }

    result: Body = store.change(call.spreadsheet_id, apply)
    return result


def _values_append(store: Store, call: Call) -> Body:
    user_entered = _input_option(call.params.get("valueInputOption", [None])[0])
    insert_rows = call.param("insertDataOption", "OVERWRITE") == "INSERT_ROWS"
    include = call.param("includeValuesInResponse", "false").lower() == "true"
    body = call.body or {}

    def apply(spreadsheet: Spreadsheet) -> Body:
        target = values.resolve(spreadsheet, call.range)
        appended = values.append(
            target,
            body.get("values", []),
            major=body.get("majorDimension") or "ROWS",
            user_entered=user_entered,
            insert_rows=insert_rows,
        )
        appended["updates"] = _echo(spreadsheet, appended["updates"], call, include)
        return {"spreadsheetId": spreadsheet.spreadsheet_id, **appended}

    result: Body = store.change(call.spreadsheet_id, apply)
    return result


def _values_clear(store: Store, call: Call) -> Body:
    def apply(spreadsheet: Spreadsheet) -> Body:
        cleared = values.clear(values.resolve(spreadsheet, call.range))
        return {"spreadsheetId": spreadsheet.spreadsheet_id, "clearedRange": cleared}

    result: Body = store.change(call.spreadsheet_id, apply)
    return result


def _values_batch_clear(store: Store, call: Call) -> Body:
    ranges = (call.body or {}).get("ranges", [])

    def apply(spreadsheet: Spreadsheet) -> Body:
        cleared = [values.clear(values.resolve(spreadsheet, text)) for text in ranges]
        return {"spreadsheetId": spreadsheet.spreadsheet_id, "clearedRanges": cleared}

    result: Body = store.change(call.spreadsheet_id, apply)
    return result


ACTIONS: dict[str, Action] = {
    "spreadsheets.get": _spreadsheets_get,
    "spreadsheets.batchUpdate": _spreadsheets_batch_update,
    "values.get": _values_get,
    "values.batchGet": _values_batch_get,
    "values.update": _values_update,
    "values.batchUpdate": _values_batch_update,
    "values.append": _values_append,
    "values.clear": _values_clear,
    "values.batchClear": _values_batch_clear,
}
