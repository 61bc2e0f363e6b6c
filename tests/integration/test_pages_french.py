"""Pages read in French by default, every English msgid translated; English is one switch away."""

from __future__ import annotations

import html
import re

import pytest
import sqlalchemy as sa
from babel.messages.pofile import read_po
from flask import Flask
from flask.testing import FlaskClient

from hub.db import get_session
from hub.models import Order
from tests.conftest import Users, csrf_from, login, post_form
from tests.integration.test_pages_missions import make_mission
from tests.unit.test_translations import TRANSLATIONS

_TAG = re.compile(r"<[^>]*>")


def _english_sentences() -> list[str]:
    """Return the msgids of two words or more whose French differs, as they would show in a page."""
    with (TRANSLATIONS / "fr" / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        catalog = read_po(handle)
    return [
        message.id
        for message in catalog
        if isinstance(message.id, str)
        and " " in message.id
        and "%" not in message.id
        and message.string != message.id
    ]


ENGLISH = _english_sentences()


_PLAIN = str.maketrans({"\u2019": "'", "\u00a0": " ", "\u202f": " "})


def visible_text(page: str) -> str:
    """Return the text between a page's tags, unescaped, French apostrophes and spaces as ASCII."""
    return html.unescape(_TAG.sub(" ", page)).translate(_PLAIN)


def english_left_in(text: str) -> list[str]:
    return [msgid for msgid in ENGLISH if msgid in text]


def page_text(client: FlaskClient, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    return visible_text(response.get_data(as_text=True))


def switch_to(client: FlaskClient, lang: str, *, on: str) -> None:
    """Press a language button in the footer of the page at `on`."""
    response = post_form(client, on, "/language", {"lang": lang, "next": on})
    assert response.headers["Location"] == on


STAFF_PAGES = [
    ("/board", ["Aujourd'hui", "Missions du jour", "à planifier", "Problèmes de facturation"]),
    ("/orders/new", ["Nouvelle commande", "Prestation", "Quantité", "Prix unitaire"]),
    ("/orders", ["Commandes", "Facturation", "Prestataire", "Filtrer"]),
    ("/customers", ["Clients", "Nouveau client", "Rechercher"]),
]


@pytest.mark.parametrize(("url", "french"), STAFF_PAGES)
def test_staff_pages_read_in_french_by_default(
    client: FlaskClient, users: Users, url: str, french: list[str]
) -> None:
    login(client, users.concierge)
    text = page_text(client, url)
    for words in french:
        assert words in text, (url, words)
    assert english_left_in(text) == [], url


def test_board_counts_agree_with_their_number_in_french(
    app: Flask, client: FlaskClient, users: Users
) -> None:
    make_mission(app, users)
    login(client, users.concierge)
    page = client.get("/board").get_data(as_text=True)
    counts = {
        label.strip(): int(number)
        for number, label in re.findall(r"<strong>(\d+)</strong>([^<]+)</a>", page)
    }
    # French puts 0 and 1 in the singular.
    assert counts == {
        "à planifier": 0,
        "planifiée": 1,
        "terminée ce jour-là": 0,
        "problème de facturation": 0,
    }
    make_mission(app, users, name="Luc Bernard")
    assert "<strong>2</strong>planifiées</a>" in client.get("/board").get_data(as_text=True)


def test_the_providers_missions_read_in_french(
    app: Flask, client: FlaskClient, users: Users
) -> None:
    ref = make_mission(app, users)
    login(client, users.provider)
    for url in ("/missions", f"/missions/{ref}"):
        text = page_text(client, url)
        assert "Mes missions" in text
        assert "Appeler" in text
        assert "Marquer comme terminée" in text  # the button says what it does
        assert english_left_in(text) == [], url
    assert "À faire" in page_text(client, f"/missions/{ref}")


def test_admin_pages_read_in_french(client: FlaskClient, users: Users) -> None:
    login(client, users.admin)
    text = page_text(client, "/admin/users")
    assert "Utilisateurs" in text
    assert "Ajouter un utilisateur" in text
    assert "Prestataire" in text and "Concierge" in text
    assert english_left_in(text) == []
    text = page_text(client, f"/admin/users/{users.provider.id}")
    assert "Jetons d'API" in text and "Désactiver" in text
    assert english_left_in(text) == []
    text = page_text(client, "/admin/services")
    assert "Prix TTC" in text and "Ajouter une prestation" in text
    assert english_left_in(text) == []


def test_the_sign_in_page_reads_in_french(client: FlaskClient) -> None:
    text = page_text(client, "/login")
    assert "Se connecter" in text and "Mot de passe" in text
    assert english_left_in(text) == []


def test_switching_to_english_shows_the_english_pages(client: FlaskClient, users: Users) -> None:
    login(client, users.concierge)
    switch_to(client, "en", on="/board")
    board = page_text(client, "/board")
    assert "Today" in board and "Missions of the day" in board
    assert "Aujourd'hui" not in board and "Missions du jour" not in board
    assert "Missions of the day" in english_left_in(board)  # the check above does see English
    assert "Add a line" in page_text(client, "/orders/new")

    switch_to(client, "fr", on="/board")
    assert "Missions du jour" in page_text(client, "/board")


def test_a_bad_amount_on_the_new_order_form_is_explained_in_french(
    app: Flask, client: FlaskClient, users: Users
) -> None:
    login(client, users.concierge)
    response = post_form(
        client,
        "/orders/new",
        "/orders/new",
        {
            "customer.name": "Marc Dubois",
            "lines.0.service_code": "ASSEMBLY",
            "lines.0.quantity": "1",
            "lines.0.unit_price": "12,5x",
        },
    )
    assert response.status_code == 422
    text = visible_text(response.get_data(as_text=True))
    assert "« 12,5x » n'est pas un nombre ; écrivez par exemple 12,50." in text
    assert "Rien n'a été enregistré." in text
    assert "is not a number" not in text
    assert english_left_in(text) == []
    with app.app_context():
        assert get_session().scalar(sa.select(sa.func.count()).select_from(Order)) == 0


def test_a_recorded_order_is_confirmed_in_french_with_its_reference(
    client: FlaskClient, users: Users
) -> None:
    login(client, users.concierge)
    response = post_form(
        client,
        "/orders/new",
        "/orders/new",
        {
            "customer.name": "Marc Dubois",
            "lines.0.service_code": "ASSEMBLY",
            "lines.0.quantity": "1,5",
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    ref = response.headers["Location"].rsplit("/", 1)[1]
    text = page_text(client, response.headers["Location"])
    assert f"Commande {ref} enregistrée." in text
    assert "Total TTC" in text and "Total HT" in text
    assert english_left_in(text) == []


def test_a_forbidden_state_change_names_the_states_in_french(
    client: FlaskClient, users: Users
) -> None:
    login(client, users.concierge)
    recorded = post_form(
        client,
        "/orders/new",
        "/orders/new",
        {
            "customer.name": "Marc Dubois",
            "lines.0.service_code": "PARCEL",
            "lines.0.quantity": "1",
        },
    )
    url = recorded.headers["Location"]
    page = client.get(url).get_data(as_text=True)
    version = re.search(r'name="version" value="(\d+)"', page)
    assert version
    response = client.post(
        f"{url}/complete", data={"csrf_token": csrf_from(page), "version": version[1]}
    )
    assert response.status_code == 409
    text = visible_text(response.get_data(as_text=True))
    assert "Une commande à l'état « nouvelle » ne peut pas passer à « terminée »." in text
