"""Helpers shared by the staff pages' forms: every error at once, local times, versions."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any, TypeVar

from flask import Blueprint, abort, render_template
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from hub.db import business_zone, get_session
from hub.errors import N_, HubError, InvalidInput
from hub.ledger import validation
from hub.web.i18n import translate_error

T = TypeVar("T")

_TITLES = {
    400: N_("The form could not be read"),
    403: N_("Not allowed"),
    404: N_("Not found"),
    409: N_("Changed meanwhile"),
    422: N_("Please check what you typed"),
}


def collect_errors(
    parse: Callable[[dict[str, Any]], T],
    data: Mapping[str, Any],
    stand_ins: Mapping[str, Any] | None = None,
) -> tuple[T | None, dict[str, str]]:
    """Run a ledger parser, swapping each bad field for a stand-in, to report every error."""
    trial = dict(data)
    errors: dict[str, str] = {}
    # Each round removes one bad field, so the loop ends after at most one round per field.
    for _round in range(len(trial) + 2):
        try:
            parsed = parse(trial)
        except InvalidInput as exc:
            if len(exc.errors) > 1:
                # The parser named every bad field itself: nothing left to find by stand-ins.
                errors.update((name, translate_error(each)) for name, each in exc.errors.items())
                return None, errors
            field = exc.field or ""
            if field in errors or not field or field not in trial:
                errors.setdefault(field, translate_error(exc))
                return None, errors
            errors[field] = translate_error(exc)
            trial[field] = (stand_ins or {}).get(field)
            continue
        return (None if errors else parsed), errors
    return None, errors


def parse_local_datetime(text: str | None, field: str) -> datetime | None:
    """Read an <input type=datetime-local> value as a time in the business's time zone."""
    zone = business_zone(get_session())
    return validation.instant(text, field, local_zone=zone, first_year=2000, last_year=2100)


def parse_version(text: str | None) -> int:
    """Read the hidden version field a form carries for optimistic locking, or refuse the post."""
    try:
        return validation.version(text)
    except InvalidInput:
        abort(400)


def error_page(exc: HubError) -> ResponseReturnValue:
    """Render a domain error that no form could place, with its 4xx status."""
    title = _TITLES.get(exc.http_status, N_("Something went wrong"))
    return (
        render_template("errors/error.html", title=_(title), message=translate_error(exc)),
        exc.http_status,
    )


def handle_hub_errors(bp: Blueprint) -> None:
    """Turn domain errors escaping a blueprint's views into readable 4xx pages, never a 500."""
    bp.register_error_handler(HubError, error_page)
