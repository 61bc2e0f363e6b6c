"""Admins download the local workbook from the hub; nobody else, and never another file."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask

from hub.config import get_config
from hub.db import get_db
from hub.web.workbook import XLSX_MIMETYPE
from tests import conftest
from tests.conftest import SignIn, Users, sign_in


def _write_workbook(app: Flask) -> bytes:
    """Put a file where [sheets] xlsx_path says, as the sheet connector would (an xlsx is a zip)."""
    path = get_config(app).workbook_path
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w") as book:
        book.writestr("[Content_Types].xml", "<Types/>")
        book.writestr("xl/worksheets/sheet1.xml", "<worksheet>C-2026-000001</worksheet>")
    return path.read_bytes()


def test_the_workbook_lives_in_the_instance_folder_by_default(app: Flask, tmp_path: Path) -> None:
    assert get_config(app).workbook_path == (tmp_path / "instance" / "hub.xlsx").resolve()


def test_an_admin_downloads_the_workbook_as_an_xlsx_attachment(
    app: Flask, signed_in: SignIn
) -> None:
    written = _write_workbook(app)
    # buffered: the test client reads the file through and closes it, as a server does.
    response = signed_in("admin").get("/admin/workbook", buffered=True)
    assert response.status_code == 200
    assert response.mimetype == XLSX_MIMETYPE
    assert response.headers["Content-Disposition"] == "attachment; filename=hub.xlsx"
    assert response.data == written
    with zipfile.ZipFile(io.BytesIO(response.data)) as book:
        assert b"C-2026-000001" in book.read("xl/worksheets/sheet1.xml")


@pytest.mark.parametrize("role", ["concierge", "provider"])
def test_other_roles_are_refused_the_workbook(app: Flask, signed_in: SignIn, role: str) -> None:
    _write_workbook(app)
    assert signed_in(role).get("/admin/workbook", buffered=True).status_code == 403


def test_a_visitor_is_sent_to_sign_in(app: Flask, users: Users) -> None:
    _write_workbook(app)
    response = app.test_client().get("/admin/workbook")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_the_request_cannot_choose_another_file(
    app: Flask, signed_in: SignIn, tmp_path: Path
) -> None:
    written = _write_workbook(app)
    secret = tmp_path / "instance" / "secret.txt"
    secret.write_text("not for download")
    admin = signed_in("admin")
    response = admin.get(
        "/admin/workbook", query_string={"path": str(secret), "name": "x"}, buffered=True
    )
    assert response.data == written
    assert admin.get("/admin/workbook/secret.txt").status_code == 404
    assert admin.get("/admin/workbook/../instance/secret.txt").status_code == 404


def test_a_missing_workbook_is_explained_in_french(app: Flask, signed_in: SignIn) -> None:
    response = signed_in("admin", english=False).get("/admin/workbook")
    assert response.status_code == 404
    page = response.get_data(as_text=True)
    assert "Pas encore de classeur" in page
    assert "prenez une commande" in page


def test_the_outbox_page_links_to_the_workbook(app: Flask, signed_in: SignIn) -> None:
    page = signed_in("admin").get("/admin/outbox").get_data(as_text=True)
    assert 'id="workbook-download"' in page
    assert 'href="/admin/workbook"' in page


@pytest.fixture
def google_app(app: Flask, database: conftest.TestDatabase, tmp_path: Path) -> Iterator[Flask]:
    """The hub writing to Google Sheets, on the test database ``app`` emptied."""
    flask_app = conftest.make_app(database, tmp_path, sheets={"backend": "google"})
    yield flask_app
    get_db(flask_app).dispose()


def test_with_google_sheets_there_is_no_workbook_to_download(
    google_app: Flask, users: Users
) -> None:
    # Even a file left from the days of the local workbook: it is no longer kept current.
    _write_workbook(google_app)
    client = google_app.test_client()
    sign_in(client, users.admin)
    response = client.get("/admin/workbook", buffered=True)
    assert response.status_code == 404
    assert "Google Sheets" in response.get_data(as_text=True)
    page = client.get("/admin/outbox").get_data(as_text=True)
    assert 'id="workbook-download"' not in page
