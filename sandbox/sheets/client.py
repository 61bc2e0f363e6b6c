"""Build a real gspread client that talks to the emulator, offline, with dummy credentials."""

from __future__ import annotations

import gspread
from google.oauth2.credentials import Credentials

from sandbox.sheets.adapter import redirect

# Any bearer token is accepted by the emulator; this one only has to be non-empty.
DUMMY_TOKEN = "emulator-token"  # noqa: S105


def gspread_client(base_url: str, *, token: str = DUMMY_TOKEN) -> gspread.Client:
    """Return a gspread Client whose session sends Sheets calls to the emulator at base_url.

    A bearer-token credential without expiry is valid as is, so google-auth never tries to
    refresh it over the network; gspread's own code runs unpatched.
    """
    credentials = Credentials(token=token)  # type: ignore[no-untyped-call]
    client = gspread.Client(auth=credentials)
    redirect(client.http_client.session, base_url)
    return client
