"""Free-text search over customers, served by an index on both databases.

Each customer keeps a ``search_key``: its name and e-mail lowercased, and its phone number's
digits. A query matches the customers whose key holds every word of it (at most five words),
anywhere in the key. PostgreSQL answers with a ``pg_trgm`` GIN index on the key; SQLite with
``customer_search``, an FTS5 trigram table that triggers keep in step with ``customers``
(migration 0007). Words shorter than a trigram fall back to a LIKE over the key.
"""

from __future__ import annotations

import re

import sqlalchemy as sa
from sqlalchemy.orm import InstrumentedAttribute, Session

from hub.models.customers import SEARCH_FTS_TABLE as FTS_TABLE
from hub.models.customers import Customer

MAX_WORDS = 5
#: A word made of these characters only is a phone number, searched by its digits.
_PHONE_LIKE = re.compile(r"^[0-9+.\-()]*[0-9][0-9+.\-()]*$")
_NOT_DIGIT = re.compile(r"[^0-9]")
# Trigram indexes cannot answer for shorter words.
_TRIGRAM = 3
_ESCAPE = "\\"

_fts = sa.table(FTS_TABLE, sa.column("rowid", sa.Integer))


def phone_digits(phone: str | None) -> str:
    """Return the ASCII digits of a phone number as typed ("+33 6 12" gives "33612")."""
    return _NOT_DIGIT.sub("", phone or "")


def search_key(name: str, email: str | None, phone: str | None) -> str:
    """Return the text a customer is found by: name, e-mail and phone digits, lowercased."""
    return " ".join(
        part for part in (name.lower(), (email or "").lower(), phone_digits(phone)) if part
    )


def search_words(query: str) -> list[str]:
    """Split a query into the words a customer's key must hold, phone numbers as digits."""
    words = []
    for word in query.lower().split()[:MAX_WORDS]:
        words.append(phone_digits(word) if _PHONE_LIKE.match(word) else word)
    return words


def like_escaped(text: str) -> str:
    """Escape LIKE's wildcards (and the escape character) so that text matches only itself."""
    return (
        text.replace(_ESCAPE, 2 * _ESCAPE).replace("%", _ESCAPE + "%").replace("_", _ESCAPE + "_")
    )


def contains(
    column: sa.ColumnElement[str] | InstrumentedAttribute[str], text: str
) -> sa.ColumnElement[bool]:
    """Match rows whose column holds text anywhere, wildcards in text taken literally."""
    return column.like("%" + like_escaped(text) + "%", escape=_ESCAPE)


def _probe(word: str) -> str:
    """Return the part of a word that the index looks up: an e-mail's local part, else all of it."""
    # Every address shares trigrams such as "gma", "ail", ".co" with thousands of others; an
    # index lookup costs the sum of those trigrams' entries, so it asks for the rarer part.
    local, at, _domain = word.partition("@")
    return local if at and len(local) >= _TRIGRAM else word


def _fts_phrase(words: list[str]) -> str:
    # A quoted phrase of the trigram tokenizer matches any row holding it as a substring.
    return " AND ".join('"' + word.replace('"', '""') + '"' for word in words)


def customer_ids_matching(session: Session, query: str) -> sa.Select[tuple[int]] | None:
    """Return a select of the ids of customers matching every word of query, or None if blank."""
    words = search_words(query)
    if not words:
        return None
    stmt = sa.select(Customer.id)
    probes = [_probe(word) for word in words]
    # `search_key || ''` is the same text, but no index serves it: whole words are checked
    # on the rows the probes found.
    stmt = stmt.where(
        *(contains(Customer.search_key + "", word) for word in words if _probe(word) != word)
    )
    long_probes = [probe for probe in probes if len(probe) >= _TRIGRAM]
    if session.get_bind().dialect.name == "sqlite" and long_probes:
        phrase = _fts_phrase(long_probes)
        matched = sa.select(_fts.c.rowid).where(sa.literal_column(FTS_TABLE).op("MATCH")(phrase))
        stmt = stmt.where(Customer.id.in_(matched))
        probes = [probe for probe in probes if len(probe) < _TRIGRAM]
    for probe in probes:
        # On PostgreSQL the trigram index serves LIKE '%probe%' directly.
        stmt = stmt.where(contains(Customer.search_key, probe))
    return stmt
