"""Create forms that record once: each rendered form carries a one-time token, kept with what it
created, so that sending the form again (a double tap, or Back and submit) shows that record.

The token is remembered by hub.idempotency, the store behind the API's Idempotency-Key, under
the user and the form's name, in the transaction of the record it created.

A form posted without a token comes from a page rendered before tokens existed (kept open
across a deploy, or cached): it is accepted and creates as before, so nobody loses what they
typed, and a warning is logged. A token of any other shape than ours was altered: the post is
refused with a 400 and stores nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import Flask, current_app, flash, g, redirect, request
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from markupsafe import Markup
from sqlalchemy.orm import Session

from hub.db import get_session
from hub.errors import N_
from hub.idempotency import (
    FORM_TOKEN_FIELD,
    Remembered,
    check_form_token,
    form_key,
    is_form_token,
    new_form_token,
    once,
    recall,
)
from hub.web.auth import current

#: Each create form by name, with what a second submit of it says.
FORMS: dict[str, str] = {
    "customer": N_("This customer was already recorded."),
    "order": N_("This order was already recorded."),
    "user": N_("This user was already recorded."),
    "service": N_("This service was already recorded."),
    "token": N_("This API token was already created; it is shown only once."),
}

#: Makes the record with one ledger use case (which joins the token's transaction); returns
#: what the page needs of it and the address of the record.
Make = Callable[[Session], tuple[dict[str, Any], str]]


class AlreadyRecorded(Exception):
    """The form was sent before: show the record it created, with the form's message."""

    def __init__(self, form: str, location: str) -> None:
        super().__init__(location)
        self.form = form
        self.location = location


@dataclass(frozen=True)
class CreateForm:
    """A create form as posted: its name, who sent it and its one-time token, if it had one."""

    name: str
    user_id: int
    token: str | None

    @classmethod
    def posted(cls, name: str) -> CreateForm:
        """Read the form's token; refuse an altered one before anything is read or stored."""
        assert name in FORMS, name
        raw = request.form.get(FORM_TOKEN_FIELD)
        token = None if raw is None else check_form_token(raw)
        if token is None:
            current_app.logger.warning(
                "create form %s posted without a one-time token (a page from before tokens): "
                "recorded without protection against a second submit",
                name,
            )
        return cls(name=name, user_id=current().id, token=token)

    def _key(self, token: str) -> tuple[str, str]:
        return form_key(self.name, token)

    def check_repeat(self) -> None:
        """Raise AlreadyRecorded if this form was sent before, before its fields are read."""
        if self.token is None:
            return
        found = recall(get_session(), self.user_id, *self._key(self.token))
        if found is not None:
            raise AlreadyRecorded(self.name, found.location or "/")

    def create(self, make: Make) -> tuple[dict[str, Any], str]:
        """Make the record and return what make returned, or raise AlreadyRecorded if made."""
        session = get_session()
        if self.token is None:
            return make(session)
        key, print_ = self._key(self.token)
        answer, repeated = once(
            session, self.user_id, key, print_, lambda s: Remembered(303, *make(s))
        )
        if repeated:
            raise AlreadyRecorded(self.name, answer.location or "/")
        # This token is spent: a page rendered by this same request needs a fresh one.
        g.pop("hub_form_token", None)
        g.hub_form_token_spent = True
        return answer.body, answer.location or "/"


def form_token() -> str:
    """Return the token to render into this page's create form.

    A form shown again with its errors keeps the token it was sent with (nothing was created
    with it yet), so fixing and sending it is still one record; any other page gets a new one.
    """
    token: str | None = g.get("hub_form_token")
    if token is None:
        sent = request.form.get(FORM_TOKEN_FIELD, "") if request.method == "POST" else ""
        keep = is_form_token(sent) and not g.get("hub_form_token_spent")
        token = sent if keep else new_form_token()
        g.hub_form_token = token
    return token


def once_field() -> Markup:
    """Render the hidden input that carries a create form's one-time token."""
    return Markup('<input type="hidden" name="%s" value="%s">') % (FORM_TOKEN_FIELD, form_token())


def _already_recorded(exc: AlreadyRecorded) -> ResponseReturnValue:
    flash(_(FORMS[exc.form]), "info")
    # 303: whatever the form sent, the browser fetches the record with a GET.
    return redirect(exc.location, 303)


def init_app(app: Flask) -> None:
    app.add_template_global(once_field, "once_field")
    app.register_error_handler(AlreadyRecorded, _already_recorded)
