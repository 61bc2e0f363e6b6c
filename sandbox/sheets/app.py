"""The WSGI app answering Sheets API v4 requests from the emulator's state."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import Flask, Response, request

from sandbox.sheets import fieldmask, resource, schema, values
from sandbox.sheets.batch import apply_requests
from sandbox.sheets.errors import (
    ApiError,
    InvalidArgument,
    NotFound,
    PermissionDenied,
    ServerError,
    Unauthenticated,
)
from sandbox.sheets.store import Spreadsheet, Store
from sandbox.sheets.traffic import Kind, Traffic

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

# (HTTP method, path pattern under /v4/spreadsheets/, endpoint, kind)
_ROUTES: list[tuple[str, re.Pattern[str], str, Kind]] = [
    ("GET", re.compile(r"^(?P<id>[^/:]+)$"), "spreadsheets.get", "read"),
    ("POST", re.compile(r"^(?P<id>[^/:]+):batchUpdate$"), "spreadsheets.batchUpdate", "write"),
    ("GET", re.compile(r"^(?P<id>[^/:]+)/values:batchGet$"), "values.batchGet", "read"),
    ("POST", re.compile(r"^(?P<id>[^/:]+)/values:batchUpdate$"), "values.batchUpdate", "write"),
    ("POST", re.compile(r"^(?P<id>[^/:]+)/values:batchClear$"), "values.batchClear", "write"),
    ("POST", re.compile(r"^(?P<id>[^/:]+)/values/(?P<range>.+):append$"), "values.append", "write"),
    ("POST", re.compile(r"^(?P<id>[^/:]+)/values/(?P<range>.+):clear$"), "values.clear", "write"),
    ("GET", re.compile(r"^(?P<id>[^/:]+)/values/(?P<range>.+)$"), "values.get", "read"),
    ("PUT", re.compile(r"^(?P<id>[^/:]+)/values/(?P<range>.+)$"), "values.update", "write"),
]


def _read_options(call: Call, prefix: str = "") -> tuple[str, str]:
    value_key = f"{prefix}valueRenderOption" if prefix else "valueRenderOption"
    date_key = f"{prefix}dateTimeRenderOption" if prefix else "dateTimeRenderOption"
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


def _error_response(error: ApiError) -> Response:
    response = Response(json.dumps(error.body()), status=error.code, mimetype="application/json")
    for name, value in error.headers.items():
        response.headers[name] = value
    return response


def _match(method: str, path: str) -> tuple[str, Kind, re.Match[str]]:
    for route_method, pattern, endpoint, kind in _ROUTES:
        match = pattern.match(path)
        if match and route_method == method:
            return endpoint, kind, match
    raise NotFound(f"The emulator has no {method} /v4/spreadsheets/{path}.")


def _call(endpoint: str, match: re.Match[str]) -> Call:
    params = request.args.to_dict(flat=False)
    # Endpoints are named after the discovery ids: spreadsheets.get, values.get, ...
    method_id = (
        "sheets." + endpoint
        if endpoint.startswith("spreadsheets.")
        else ("sheets.spreadsheets." + endpoint)
    )
    schema.check_parameters(method_id, params)
    body: Any = None
    if request.method != "GET":
        raw = request.get_data(as_text=True)
        try:
            body = json.loads(raw) if raw.strip() else {}
        except json.JSONDecodeError as error:
            raise InvalidArgument(f"Invalid JSON payload received. {error.msg}.") from None
        body = schema.check_body(method_id, body)
    groups = match.groupdict()
    return Call(endpoint, groups["id"], groups.get("range") or "", params, body)


def create_app(store: Store, traffic: Traffic) -> Flask:
    """Build the emulator's WSGI app over a store and its traffic controls."""
    app = Flask(__name__)

    @app.route("/v4/spreadsheets/<path:path>", methods=["GET", "POST", "PUT"])
    def spreadsheets(path: str) -> Response:
        endpoint: str = "unknown"
        kind: Kind = "read"
        try:
            endpoint, kind, match = _match(request.method, path)
            response = _serve(store, traffic, endpoint, kind, match)
        except ApiError as error:
            response = _error_response(error)
        traffic.record(endpoint, kind, response.status_code)
        return response

    @app.route("/", defaults={"path": ""}, methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
    @app.route("/<path:path>", methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
    def elsewhere(path: str) -> Response:
        response = _error_response(
            NotFound(f"The Sheets emulator does not implement {request.method} /{path}.")
        )
        traffic.record("unknown", "read", response.status_code)
        return response

    return app


def _serve(
    store: Store, traffic: Traffic, endpoint: str, kind: Kind, match: re.Match[str]
) -> Response:
    traffic.pause(traffic.latency_seconds)
    if not request.headers.get("Authorization", "").startswith("Bearer "):
        raise Unauthenticated("Request is missing required authentication credential.")
    fault = traffic.next_fault(endpoint)
    if fault is not None and fault.mode == "error" and fault.error is not None:
        raise fault.error
    if fault is not None and fault.mode == "hang":
        traffic.pause(fault.seconds)
        raise ServerError(503, "The service is currently unavailable.")
    traffic.admit(kind)
    call = _call(endpoint, match)
    denied = store.get(call.spreadsheet_id).denied_message
    if denied is not None:
        raise PermissionDenied(denied)
    # Reads hold the lock too, so they never see half of a batch being committed.
    with store.lock:
        body = ACTIONS[endpoint](store, call)
    if fault is not None and fault.mode == "lost":
        traffic.pause(fault.seconds)
        raise ServerError(503, "The service is currently unavailable.")
    if "fields" in call.params:
        body = fieldmask.select(body, fieldmask.parse(call.params["fields"][0]))
    return Response(json.dumps(body), status=200, mimetype="application/json")
