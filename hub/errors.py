"""Domain errors of the ledger, raised by hub.ledger and turned into 4xx by the pages and the API.

    HubError
    ├── InvalidInput      (422) bad data; may name the field it is about
    │   └── AmountError   a price or quantity that cannot be read
    ├── NotFound          (404)
    ├── Forbidden         (403) the actor's role does not allow it
    └── Conflict          (409)
        ├── TransitionError  a state change the state machine forbids
        └── StaleEdit        someone else changed the order first

Messages are English msgids with ``%(name)s`` placeholders, marked with ``N_`` so the
catalogue extractor finds them; the web layer translates them with the params.
"""

from __future__ import annotations

from typing import Any


def N_(message: str) -> str:
    """Mark a message for translation without translating it here."""
    return message


class HubError(Exception):
    code = "error"
    http_status = 400

    def __init__(self, template: str, *, field: str | None = None, **params: Any) -> None:
        self.template = template
        self.field = field
        self.params = params
        super().__init__(template % params if params else template)

    @property
    def message(self) -> str:
        return str(self)


class InvalidInput(HubError):
    code = "invalid"
    http_status = 422


class AmountError(InvalidInput):
    code = "invalid_amount"


class NotFound(HubError):
    code = "not_found"
    http_status = 404


class Forbidden(HubError):
    code = "forbidden"
    http_status = 403


class Conflict(HubError):
    code = "conflict"
    http_status = 409


class TransitionError(Conflict):
    code = "invalid_transition"


class StaleEdit(Conflict):
    code = "stale"
