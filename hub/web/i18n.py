"""Translations (French by default, English available), time zones and display filters."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from flask import Flask, current_app, g, session
from flask_babel import Babel, format_date, format_time, gettext
from markupsafe import Markup

from hub.db import business_zone, get_session
from hub.errors import N_, HubError, InvalidInput, TransitionError
from hub.money import format_cents, format_quantity, format_vat

LANGUAGES = ("fr", "en")
#: The formats each language is shown in: English reads dates day first, as in the UK.
_FORMAT_LOCALES = {"en": "en_GB"}


def _select_locale() -> str:
    """Use the language the person picked (kept in their session), else the configured one."""
    chosen = session.get("lang")
    if chosen not in LANGUAGES:
        chosen = current_app.config["BABEL_DEFAULT_LOCALE"]
    return _FORMAT_LOCALES.get(str(chosen), str(chosen))


def current_language() -> str:
    from flask_babel import get_locale

    locale = get_locale()
    return locale.language if locale else "fr"


def translate_error(error: HubError) -> str:
    """Render a domain error in the reader's language, with its parameters."""
    params = error.params
    if isinstance(error, TransitionError):
        # The state machines name states by their stored (English) values; readers get theirs.
        params = {
            key: status_label(value).lower() if key in ("current", "target") else value
            for key, value in params.items()
        }
    return str(gettext(error.template, **params))


def translate_fields(error: InvalidInput) -> dict[str, str]:
    """Render each field's error of an InvalidInput in the reader's language."""
    found = error.errors or {error.field or "": error}
    return {name: translate_error(each) for name, each in found.items()}


#: Names people read for the fulfilment and billing states (msgids; stored values stay English).
STATUS_LABELS = {
    "new": N_("New"),
    "scheduled": N_("Scheduled"),
    "done": N_("Done"),
    "cancelled": N_("Cancelled"),
    "unbilled": N_("Not billed yet"),
    "pending": N_("Billing pending"),
    "invoiced": N_("Invoiced"),
    "paid": N_("Paid"),
    "payment_failed": N_("Payment failed"),
    "void": N_("Void"),
    "credited": N_("Credited"),
    "uncollectible": N_("Uncollectible"),
}


def status_label(status: str | None) -> str:
    """Return the reader's name for an order or billing state."""
    if not status:
        return ""
    # Lists show two states per row: translate the dozen labels once per request, not each time.
    labels: dict[str, str] | None = g.get("status_labels")
    if labels is None:
        labels = {value: str(gettext(msgid)) for value, msgid in STATUS_LABELS.items()}
        g.status_labels = labels
    return labels.get(status, status)


def local_time(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value.astimezone(business_zone(get_session()))


def format_day(value: date | datetime | None) -> str:
    """A day as every page writes it: "mardi 1 décembre 2026", "Tuesday 1 December 2026"."""
    return "" if value is None else str(format_date(value, "full"))


def format_when(value: datetime | None) -> str:
    """A moment as every page writes it, in the business's time zone: "1 déc. 2026, 13:15"."""
    if value is None:
        return ""
    return f"{format_date(value, 'medium')}, {format_time(value, 'short')}"


def ref_text(ref: str) -> Markup:
    """A reference set in running text, kept on one line ("C-2026-000151" never splits)."""
    return Markup('<span class="ref">%s</span>') % ref


def init_app(app: Flask) -> None:
    Babel(app, locale_selector=_select_locale)
    app.add_template_global(status_label, "status_label")

    @app.template_filter("money")
    def _money(cents: int | None) -> str:
        return "" if cents is None else format_cents(cents, current_language())

    @app.template_filter("qty")
    def _qty(milli: int) -> str:
        return format_quantity(milli, current_language())

    @app.template_filter("vat")
    def _vat(bp: int) -> str:
        return format_vat(bp)

    app.add_template_global(ref_text, "ref_text")
    app.add_template_filter(format_day, "day")
    app.add_template_filter(format_when, "when")

    @app.template_filter("clock")
    def _clock(value: datetime | None) -> str:
        """The time of day alone, where the day is already said ("13:15")."""
        return "" if value is None else str(format_time(value, "short"))

    @app.template_filter("local_input")
    def _local_input(value: datetime | None) -> str:
        """Format for an <input type=datetime-local> in the business's time zone."""
        local = local_time(value)
        return "" if local is None else local.strftime("%Y-%m-%dT%H:%M")

    @app.context_processor
    def _globals() -> dict[str, Any]:
        return {"lang": current_language(), "languages": LANGUAGES}
