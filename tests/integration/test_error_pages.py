"""HTTP errors outside the API are translated pages; inside the API they stay JSON."""

from __future__ import annotations

from flask.testing import FlaskClient

from tests.conftest import Users, login, post_form


def test_an_unknown_page_is_a_french_404_page(client: FlaskClient, users: Users) -> None:
    login(client, users.concierge)
    response = client.get("/nowhere")
    assert response.status_code == 404
    assert response.mimetype == "text/html"
    html = response.get_data(as_text=True)
    assert "Introuvable" in html
    assert "Il n\u2019y a rien à cette adresse." in html


def test_a_form_posted_without_its_csrf_token_explains_what_to_do(
    client: FlaskClient, users: Users
) -> None:
    login(client, users.concierge)
    response = client.post("/customers/new", data={"name": "Sans jeton"})
    assert response.status_code == 400
    assert response.mimetype == "text/html"
    assert "Le formulaire n\u2019a pas pu être lu" in response.get_data(as_text=True)


def test_a_wrong_method_keeps_its_allow_header(client: FlaskClient) -> None:
    response = client.put("/login")
    assert response.status_code == 405
    assert "GET" in response.headers["Allow"]


def test_api_addresses_still_answer_json(client: FlaskClient) -> None:
    response = client.get("/api/v1/nowhere")
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "not_found"
    response = client.delete("/api/v1/services")
    assert response.status_code == 405
    assert response.get_json()["error"]["code"] == "method_not_allowed"


def test_the_chosen_language_survives_signing_in(client: FlaskClient, users: Users) -> None:
    post_form(client, "/login", "/language", {"lang": "en"})
    login(client, users.concierge)
    board = client.get("/board").get_data(as_text=True)
    assert 'lang="en"' in board
