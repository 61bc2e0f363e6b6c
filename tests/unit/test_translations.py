"""The French catalogue covers every message of the source, keeps its placeholders, and is compiled.

The messages are extracted again from hub/ at test time, the way scripts/i18n does it, so a page
that adds a string fails here until someone runs scripts/i18n and translates it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog, Message
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
TRANSLATIONS = ROOT / "hub" / "translations"
LOCALES = ("fr",)
# The keywords scripts/i18n passes to `pybabel extract -k ...`, on top of babel's defaults.
KEYWORDS = {**DEFAULT_KEYWORDS, "N_": None, "lazy_gettext": None, "ngettext": (1, 2)}
FIX = "run scripts/i18n then translate them in {po} (and run scripts/i18n again to compile)"

# A printf conversion as Python's % operator reads it: %(name)s, %s, %5.2f, %%.
_CONVERSION = re.compile(
    r"%(?:\((?P<name>[^)]*)\))?[#0\- +]*(?:\*|\d+)?(?:\.(?:\*|\d+))?(?P<type>[diouxXeEfFgGcrsa%])"
)


@dataclass(frozen=True)
class Found:
    """One message marked in the source, with where it was first seen."""

    id: str
    context: str | None
    where: str

    @property
    def key(self) -> str | tuple[str, str]:
        return self.id if self.context is None else (self.id, self.context)


def extracted() -> Iterator[Found]:
    """Extract every message of hub/ with babel.cfg's method map and scripts/i18n's keywords."""
    with (ROOT / "babel.cfg").open(encoding="utf-8") as handle:
        # Babel leaves this function unannotated.
        method_map, options_map = parse_mapping_cfg(handle, "babel.cfg")  # type: ignore[no-untyped-call]
    hub = str(ROOT / "hub")

    def only_hub(path: str) -> bool:
        # babel.cfg maps only hub/; skipping the rest of the tree just saves the walk.
        return (path == str(ROOT) or path.startswith(hub)) and not Path(path).name.startswith(
            (".", "_")
        )

    for filename, lineno, message, _comments, context in extract_from_dir(
        ROOT, method_map, options_map, keywords=KEYWORDS, directory_filter=only_hub
    ):
        # A plural message is keyed by its singular msgid.
        msgid = message[0] if isinstance(message, tuple) else message
        if msgid:
            yield Found(msgid, context, f"{filename}:{lineno}")


def load_po(locale: str) -> Catalog:
    with (TRANSLATIONS / locale / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        return read_po(handle, locale=locale)


def po_path(locale: str) -> str:
    return f"hub/translations/{locale}/LC_MESSAGES/messages.po"


def singular(message: Message) -> str:
    return message.id if isinstance(message.id, str) else message.id[0]


def strings(message: Message) -> tuple[str, ...]:
    value = message.string
    return tuple(value) if isinstance(value, (tuple, list)) else (value or "",)


def conversions(text: str) -> tuple[frozenset[str], int, bool]:
    """Return the named placeholders, the count of unnamed ones, and whether a lone % is left."""
    names: set[str] = set()
    unnamed = 0
    for match in _CONVERSION.finditer(text):
        if match["type"] == "%":
            continue
        if match["name"] is None:
            unnamed += 1
        else:
            names.add(match["name"])
    lone = "%" in _CONVERSION.sub("", text)
    return frozenset(names), unnamed, lone


def describe(found: Found) -> str:
    context = f" (context {found.context!r})" if found.context else ""
    return f"  - {found.id!r}{context}  [{found.where}]"


def test_the_source_has_messages_to_translate() -> None:
    ids = {found.id for found in extracted()}
    # Guards the test below against an extraction that silently finds nothing.
    assert {"Today", "My missions", "Sign in", "This field is required."} <= ids


@pytest.mark.parametrize("locale", LOCALES)
def test_every_message_of_the_source_has_a_checked_translation(locale: str) -> None:
    catalog = load_po(locale)
    missing: dict[object, Found] = {}
    for found in extracted():
        message = catalog.get(found.id, found.context)
        if message is None or message.fuzzy or not all(strings(message)):
            missing.setdefault(found.key, found)
    assert not missing, (
        f"{len(missing)} message(s) have no checked {locale} translation "
        f"(missing, empty or fuzzy); {FIX.format(po=po_path(locale))}:\n"
        + "\n".join(describe(found) for found in missing.values())
    )


@pytest.mark.parametrize("locale", LOCALES)
def test_translations_keep_the_placeholders_of_their_msgid(locale: str) -> None:
    catalog = load_po(locale)
    broken = []
    for message in catalog:
        if not message.id or not message.string:
            continue
        ids = tuple(message.id) if isinstance(message.id, (tuple, list)) else (message.id,)
        names, unnamed, lone = conversions(ids[0])
        if len(ids) > 1:
            plural_names, _unnamed, plural_lone = conversions(ids[1])
            names, lone = names | plural_names, lone or plural_lone
        for index, text in enumerate(strings(message)):
            if not text:
                continue
            got_names, got_unnamed, got_lone = conversions(text)
            # A plural form may leave the count out ("une mission"), never add an unknown name.
            plural_form = len(ids) > 1
            if (
                (got_names > names if plural_form else got_names != names)
                or (got_unnamed > unnamed if plural_form else got_unnamed != unnamed)
                or (got_lone and not lone)
            ):
                label = f"msgstr[{index}]" if plural_form else "msgstr"
                broken.append(f"  - {ids[0]!r}: {label} {text!r}")
    assert not broken, (
        f"these {locale} translations do not keep the %(name)s placeholders of their msgid "
        f"(a literal % is written %% where the msgid does) in {po_path(locale)}:\n"
        + "\n".join(broken)
    )


@pytest.mark.parametrize("locale", LOCALES)
def test_the_french_catalogue_declares_french_plurals(locale: str) -> None:
    catalog = load_po(locale)
    assert catalog.num_plurals == 2
    assert catalog.plural_expr.replace(" ", "") == "(n>1)"


def _translated(catalog: Catalog) -> dict[tuple[str, str | None], tuple[str, ...]]:
    return {
        (singular(message), message.context): strings(message)
        for message in catalog
        if message.id and not message.fuzzy and all(strings(message))
    }


@pytest.mark.parametrize("locale", LOCALES)
def test_the_compiled_catalogue_matches_the_po(locale: str) -> None:
    mo_path = TRANSLATIONS / locale / "LC_MESSAGES" / "messages.mo"
    assert mo_path.exists(), f"no {mo_path.relative_to(ROOT)}: run scripts/i18n"
    with mo_path.open("rb") as handle:
        compiled = read_mo(handle)
    po, mo = _translated(load_po(locale)), _translated(compiled)
    # Forward only: the compiler fills untranslated plurals with their msgids, and a msgid
    # left untranslated in the .po is the business of the test above.
    stale = sorted(
        msgid for (msgid, context), text in po.items() if mo.get((msgid, context)) != text
    )
    assert not stale, (
        f"{mo_path.relative_to(ROOT)} is older than the .po; run scripts/i18n to compile it. "
        "Messages that differ:\n" + "\n".join(f"  - {msgid!r}" for msgid in stale)
    )
    assert compiled.plural_forms == load_po(locale).plural_forms
