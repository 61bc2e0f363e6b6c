"""The blueprint every /api/v1 route hangs on."""

from __future__ import annotations

from flask import Blueprint

from hub.http_errors import API_PREFIX

PREFIX = API_PREFIX

bp = Blueprint("api", __name__, url_prefix=PREFIX)
