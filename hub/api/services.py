"""The service catalogue, read-only: what an order line may name."""

from __future__ import annotations

from flask import jsonify
from flask.typing import ResponseReturnValue

from hub.api.blueprint import bp
from hub.api.bodies import service_body
from hub.db import get_session
from hub.ledger.catalogue import list_services


@bp.get("/services")
def services() -> ResponseReturnValue:
    return jsonify(data=[service_body(s) for s in list_services(get_session())])
