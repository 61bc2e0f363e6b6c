"""Domain errors of the ledger, raised by hub.ledger and turned into 4xx by the pages and the API.

    HubError
    ├── InvalidInput      (422) bad data; names the field(s) it is about, one message each
    │   └── AmountError   a price or quantity that cannot be read
    ├── NotFound          (404)
    ├── Forbidden         (403) the actor's role does not allow it
    └── Conflict          (409)
        ├── TransitionError  a state change the state machine forbids
        ├── NotYetDue        a provider marking done a mission whose day has not come
        └── StaleEdit        someone else changed the order first

Messages are English msgids with ``%(name)s`` placeholders, marked with ``N_`` so the
catalogue extractor finds them; the web layer translates them with the params.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, TypeVar

T = TypeVar("T")


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
    """Bad data: the first error's message and field, and ``errors`` naming every bad field."""

    code = "invalid"
    http_status = 422

    def __init__(self, template: str, *, field: str | None = None, **params: Any) -> None:
        super().__init__(template, field=field, **params)
        self._errors: dict[str, InvalidInput] | None = None

    @property
    def errors(self) -> dict[str, InvalidInput]:
        """Return every bad field's own error, in the order found; a lone error names itself."""
        if self._errors is not None:
            return self._errors
        return {self.field: self} if self.field else {}

    @property
    def fields(self) -> dict[str, str]:
        """Return {field: message} for every bad field."""
        return {name: error.message for name, error in self.errors.items()}

    @staticmethod
    def of(errors: Mapping[str, InvalidInput]) -> InvalidInput:
        """Combine field errors into one: the first leads, all are listed in ``errors``."""
        first = next(iter(errors.values()))
        combined = type(first)(first.template, field=first.field, **first.params)
        combined._errors = dict(errors)
        return combined


class FieldErrors:
    """Collect the errors of every field while parsing, then raise them together as one."""

    def __init__(self) -> None:
        self.errors: dict[str, InvalidInput] = {}

    def add(self, exc: InvalidInput) -> None:
        found = exc.errors or {exc.field or "": exc}
        for name, error in found.items():
            self.errors.setdefault(name, error)

    def check(self, parse: Callable[[], T]) -> T | None:
        """Return what parse returns, or None after noting its InvalidInput."""
        try:
            return parse()
        except InvalidInput as exc:
            self.add(exc)
            return None

    def __bool__(self) -> bool:
        return bool(self.errors)

    def raise_any(self) -> None:
        """Raise every noted error as one InvalidInput, if there is any."""
        if self.errors:
            raise InvalidInput.of(self.errors)


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


class NotYetDue(Conflict):
    code = "not_yet_due"


class StaleEdit(Conflict):
    code = "stale"
