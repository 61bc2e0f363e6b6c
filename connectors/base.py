"""The contract between the outbox dispatcher and a connector, in plain data.

A connector has a ``name`` (the outbox rows it takes carry it), the ``topics`` it takes, and
``max_batch``: how many events one ``deliver`` call may receive (1 for connectors that work
event by event, hundreds for the sheet). ``deliver`` returns one ``Outcome`` per event. It
receives frozen ``Event`` snapshots, never database sessions, and is called outside any
database transaction, so it may take its time (within its own timeouts).

A connector that lacks its configuration is not built at all: its factory returns ``Off``
with the sentence an admin needs ("Set [stripe] api_key ..."), and its events wait, pending.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from connectors.errors import ConnectorError, PermanentError
from connectors.facts import Fact

#: A topic entry meaning "every topic", for test and demo connectors.
ANY_TOPIC = "*"


@dataclass(frozen=True)
class Event:
    """One outbox row as a connector sees it: what happened, to which aggregate, which try."""

    id: int
    topic: str
    aggregate_type: str
    aggregate_ref: str
    payload: Mapping[str, Any]
    attempt: int
    created_at: datetime

    def step_key(self, step: str) -> str:
        """Return the idempotency key of one step of this delivery: ``hub-<row>-<stamp>-<step>``.

        It is the same on every attempt, so a retry of a half-done delivery replays the steps
        already done (the vendor answers with the first response) and goes on with the rest.
        ``stamp`` is the row's creation time (microseconds, base 36): row ids alone start
        again at 1 in another ledger on the same Stripe account (a staging copy, a ledger
        restored from a backup, a bench), whose keys must not replay this one's answers.
        """
        if not step or not step.replace("-", "").replace("_", "").isalnum():
            raise ValueError(f"step names are short words, not {step!r}")
        return f"hub-{self.id}-{_base36(_microseconds(self.created_at))}-{step}"


def _microseconds(moment: datetime) -> int:
    """Return a moment as whole microseconds since the epoch, naive meaning UTC."""
    aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
    return (aware - _EPOCH) // timedelta(microseconds=1)


def _base36(number: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    text = ""
    while True:
        number, rest = divmod(number, 36)
        text = digits[rest] + text
        if not number:
            return text


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Outcome:
    """The result of delivering one event: ``error`` is None when it was delivered.

    ``facts`` are what the vendor answered that the ledger keeps (a Stripe customer id, an
    invoice number and its links): plain frozen dataclasses from ``connectors.facts``. The
    dispatcher hands them to the ledger in the transaction that records the delivery, so the
    ledger learns them exactly when the row is marked delivered.
    """

    event_id: int
    error: ConnectorError | None = None
    facts: tuple[Fact, ...] = ()

    @property
    def delivered(self) -> bool:
        return self.error is None


@runtime_checkable
class Connector(Protocol):
    """What the dispatcher needs from a connector."""

    @property
    def name(self) -> str: ...

    @property
    def topics(self) -> frozenset[str]: ...

    @property
    def max_batch(self) -> int: ...

    def deliver(self, events: Sequence[Event]) -> Sequence[Outcome]:
        """Deliver the events (at most ``max_batch``) and say how each one went."""
        ...


class SingleEventConnector:
    """Base for connectors that deliver one event per call: implement ``deliver_one``."""

    name: str = ""
    topics: frozenset[str] = frozenset()
    max_batch: int = 1

    def deliver_one(self, event: Event) -> Sequence[Fact] | None:
        """Deliver one event and return the facts learnt, or raise a ``ConnectorError``."""
        raise NotImplementedError

    def deliver(self, events: Sequence[Event]) -> Sequence[Outcome]:
        """Deliver each event in turn; one failure does not stop the others."""
        outcomes = []
        for event in events:
            try:
                facts = self.deliver_one(event)
            except ConnectorError as exc:
                outcomes.append(Outcome(event.id, exc))
            else:
                outcomes.append(Outcome(event.id, facts=tuple(facts or ())))
        return outcomes


def takes_topic(connector: Connector, topic: str) -> bool:
    """Tell whether the connector declared the topic (or every topic)."""
    return ANY_TOPIC in connector.topics or topic in connector.topics


def unknown_topic(connector: Connector, event: Event) -> PermanentError:
    """Build the error for an event whose topic the connector never declared."""
    return PermanentError(
        f"The {connector.name} connector does not take {event.topic!r} events; "
        "fix the outbox subscriptions, then replay."
    )


@dataclass(frozen=True)
class Off:
    """A connector that is switched off, with the sentence saying what to configure.

    ``reason`` is an English message with ``%(name)s`` placeholders filled from ``params``,
    so that the hub's pages can show it translated.
    """

    name: str
    reason: str
    params: Mapping[str, str] = field(default_factory=dict)

    @property
    def message(self) -> str:
        return self.reason % dict(self.params) if self.params else self.reason


@dataclass(frozen=True)
class PluginContext:
    """Plain settings handed to a connector plugin's factory (``[jobs] extra_connectors``)."""

    instance_path: Path
