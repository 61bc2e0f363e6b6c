"""The WSGI app answering Sheets API v4 requests from the emulator's state."""

from __future__ import annotations

import json
import re
from typing import Any

from flask import Flask, Response, request

from sandbox.sheets import fieldmask, schema
from sandbox.sheets.endpoints import ACTIONS, Call
from sandbox.sheets.errors import (
    ApiError,
    InvalidArgument,
    NotFound,
    PermissionDenied,
    ServerError,
    Unauthenticated,
)
from sandbox.sheets.store import Store
from sandbox.sheets.traffic import Kind, Traffic

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
