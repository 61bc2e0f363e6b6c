"""The emulator's WSGI app: every API request goes through one pipeline.

Order, as a client of Stripe sees it: count the request; the rate limit (429); injected
faults (5xx, 429, timeout, lost response); authentication (401); form parsing; idempotency
(replay, 400, 409); parameter validation (400); the handler, under the store's lock;
`expand[]`; the answer. A lost response is applied, then its connection is closed unanswered.
"""

from __future__ import annotations

import base64
import copy
import json
import socket
import time
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from flask import Flask, Response, request
from werkzeug.exceptions import HTTPException

from . import (
    credit_notes,
    customers,
    events,
    forms,
    invoice_lines,
    invoice_states,
    invoices,
    pay_page,
    tax_rates,
)
from . import params as params_module
from .errors import StripeError
from .faults import retry_after_header
from .objects import API_VERSION
from .routing import Route
from .store import Ctx, new_id

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

    from .server import StripeEmulator

ROUTES: list[Route] = [
    *customers.ROUTES,
    *tax_rates.ROUTES,
    *invoices.ROUTES,
    *invoice_lines.ROUTES,
    *invoice_states.ROUTES,
    *credit_notes.ROUTES,
    *events.ROUTES,
]
_PREFIXES = {
    "cus": "customer",
    "in": "invoice",
    "txr": "tax_rate",
    "cn": "credit_note",
    "ch": "charge",
    "evt": "event",
}
LOSE_RESPONSE = "sandbox.stripe.lose_response"


def route_key(method: str, rule: str) -> str:
    """Return `METHOD /path/{id}`, the key request counts use, from a URL rule."""
    return f"{method} {rule.replace('<id>', '{id}')}"


def create_app(emulator: StripeEmulator) -> Flask:
    """Build the emulator's Flask app around its state."""
    app = Flask("sandbox.stripe")
    for route in ROUTES:
        app.add_url_rule(
            route.rule,
            endpoint=f"{route.method} {route.rule}",
            view_func=_view(emulator, route),
            methods=[route.method],
        )
    pay_page.register(app, emulator)

    @app.errorhandler(Exception)
    def crashed(exc: Exception) -> Response:
        if isinstance(exc, HTTPException):
            return unknown_url(exc)
        app.logger.exception("Stripe emulator error")
        error = StripeError(500, f"The emulator failed: {exc!r}", type="api_error")
        return _error_response(error, new_id("req"))

    @app.errorhandler(HTTPException)
    def unknown_url(exc: HTTPException) -> Response:
        error = StripeError(404, f"Unrecognized request URL ({request.method}: {request.path}).")
        return _error_response(error, new_id("req"))

    app.wsgi_app = _LoseResponses(app.wsgi_app)  # type: ignore[method-assign]
    return app


def _json(status: int, body: str, headers: dict[str, str]) -> Response:
    return Response(body, status=status, headers=headers, content_type="application/json")


def _error_response(error: StripeError, request_id: str) -> Response:
    return _json(
        error.status,
        json.dumps(error.body(request_id), indent=2),
        {"Request-Id": request_id, **error.headers},
    )


def _view(emulator: StripeEmulator, route: Route) -> Callable[..., Response]:
    def view(**path_args: str) -> Response:
        request_id = new_id("req")
        try:
            return _serve(emulator, route, request_id, path_args)
        except StripeError as error:
            return _error_response(error, request_id)

    view.__name__ = f"{route.method}_{route.rule}"
    return view


def _serve(
    emulator: StripeEmulator, route: Route, request_id: str, path_args: dict[str, str]
) -> Response:
    method, path = request.method, request.path
    emulator.count(route_key(method, route.rule))
    if emulator.rate_limiter is not None:
        wait = emulator.rate_limiter.acquire()
        if wait:
            raise _rate_limited(retry_after_header(wait))
    fault = emulator.faults.take(method, path)
    if fault is not None and fault.kind == "error":
        raise StripeError(
            fault.status, "An unknown error occurred (injected by the emulator).", type="api_error"
        )
    if fault is not None and fault.kind == "rate_limit":
        raise _rate_limited(str(fault.retry_after))
    api_key = _authenticate(emulator.api_key)
    raw = forms.parse(
        request.get_data(as_text=True) if method == "POST" else request.query_string.decode()
    )
    key = request.headers.get("Idempotency-Key") if method == "POST" else None
    headers = {
        "Request-Id": request_id,
        "Stripe-Version": request.headers.get("Stripe-Version", API_VERSION),
    }
    if key is not None:
        headers["Idempotency-Key"] = key
        saved = emulator.idempotency.begin(api_key, key, f"{method} {path}", raw, request_id)
        if saved is not None:
            assert saved.status is not None and saved.body is not None
            return _json(
                saved.status,
                saved.body,
                {**headers, "Idempotent-Replayed": "true", "Original-Request": saved.request_id},
            )
    if fault is not None and fault.kind == "timeout":
        time.sleep(fault.delay_seconds)
    try:
        checked = params_module.validate(route.schema, raw)
    except StripeError:
        if key is not None:
            emulator.idempotency.release(api_key, key)
        raise
    ctx = Ctx(request_id, key, request.host_url.rstrip("/"), api_key.startswith("sk_live_"))
    try:
        with emulator.store.lock:
            result = route.handler(emulator.store, ctx, checked, **path_args)
            status, body = (
                200,
                json.dumps(
                    _expand(emulator, copy.deepcopy(result), checked.get("expand", [])), indent=2
                ),
            )
    except StripeError as error:
        status, body = error.status, json.dumps(error.body(request_id), indent=2)
    except Exception:
        # An emulator bug must not leave the key claimed: retries would get 409s forever.
        if key is not None:
            emulator.idempotency.release(api_key, key)
        raise
    if key is not None:
        emulator.idempotency.finish(api_key, key, status, body)
    if fault is not None and fault.kind == "lost":
        request.environ[LOSE_RESPONSE] = True
    return _json(status, body, headers)


def _rate_limited(retry_after: str) -> StripeError:
    return StripeError(
        429,
        "Too many requests hit the API too quickly. We recommend an exponential backoff of"
        " your requests.",
        code="rate_limit",
        headers={"Retry-After": retry_after},
    )


def _authenticate(expected: str) -> str:
    header = request.headers.get("Authorization", "")
    scheme, _, credentials = header.partition(" ")
    if scheme == "Basic":
        credentials = base64.b64decode(credentials).decode().partition(":")[0]
    elif scheme != "Bearer":
        credentials = ""
    if not credentials:
        raise StripeError(
            401,
            "You did not provide an API key. You need to provide your API"
            " key in the Authorization header, using Bearer auth (e.g."
            " 'Authorization: Bearer YOUR_SECRET_KEY').",
        )
    if credentials != expected:
        raise StripeError(
            401,
            f"Invalid API Key provided: {credentials[:8]}"
            f"{'*' * max(0, len(credentials) - 12)}{credentials[-4:]}",
        )
    return credentials


def _expand(emulator: StripeEmulator, obj: Any, paths: list[str]) -> Any:
    """Replace ids by the objects they name along each `expand[]` path."""
    for path in paths:
        _expand_path(emulator, obj, path.split("."))
    return obj


def _expand_path(emulator: StripeEmulator, obj: Any, parts: list[str]) -> None:
    if not isinstance(obj, dict) or not parts:
        return
    head, rest = parts[0], parts[1:]
    if head == "data" and isinstance(obj.get("data"), list):
        for item in obj["data"]:
            _expand_path(emulator, item, rest)
        return
    value = obj.get(head)
    if isinstance(value, str) and not rest:
        kind = _PREFIXES.get(value.partition("_")[0])
        found = emulator.store.objects[kind].get(value) if kind else None
        if found is not None:
            obj[head] = copy.deepcopy(found)
    else:
        _expand_path(emulator, value, rest)


class _LoseResponses:
    """Close the connection unanswered when the request was marked as a lost response."""

    def __init__(self, app: WSGIApplication) -> None:
        self.app = app

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        captured: list[Any] = []

        def capture(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            captured[:] = [status, headers]
            return lambda data: None

        body = b"".join(self.app(environ, capture))
        if environ.get(LOSE_RESPONSE):
            connection: socket.socket = environ["werkzeug.socket"]
            # The change is applied; the client only sees the connection drop.
            connection.shutdown(socket.SHUT_RDWR)
        start_response(captured[0], captured[1])
        return [body]
