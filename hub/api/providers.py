"""The providers a mission can be assigned to, so an app need not copy ids out of orders."""

from __future__ import annotations

from flask import jsonify
from flask.typing import ResponseReturnValue

from hub.accounts import list_providers
from hub.api.auth import require_staff
from hub.api.blueprint import bp
from hub.api.bodies import provider_body
from hub.db import get_session


@bp.get("/providers")
def providers() -> ResponseReturnValue:
    require_staff()
    found = list_providers(get_session(), include_inactive=True)
    return jsonify(data=[provider_body(user) for user in found])
