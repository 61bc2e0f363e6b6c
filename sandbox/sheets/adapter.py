"""A requests transport adapter sending Google API calls to the emulator instead."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from requests import PreparedRequest, Response
from requests.adapters import HTTPAdapter

GOOGLE_SHEETS = "https://sheets.googleapis.com"
# gspread calls Drive for open-by-title, create, share and export: the emulator answers
# those with a clear 404 rather than letting a test reach the network.
GOOGLE_APIS = "https://www.googleapis.com"
_HOSTS = (GOOGLE_SHEETS, GOOGLE_APIS)


class EmulatorAdapter(HTTPAdapter):
    """Rewrite Google API URLs to the emulator's base URL, then send.

    Mount it on the session gspread uses:
    `session.mount(GOOGLE_SHEETS, EmulatorAdapter(emulator.base_url))`.
    """

    def __init__(self, base_url: str) -> None:
        super().__init__()
        self.base_url = base_url.rstrip("/")

    def send(
        self,
        request: PreparedRequest,
        stream: bool = False,
        timeout: float | tuple[float, float] | tuple[float, None] | None = None,
        verify: bool | str = True,
        cert: bytes | str | tuple[bytes | str, bytes | str] | None = None,
        proxies: Mapping[str, str] | None = None,
    ) -> Response:
        """Send the request to the emulator, keeping path, query, headers and body."""
        url = request.url or ""
        for host in _HOSTS:
            if url.startswith(host):
                request.url = self.base_url + url[len(host) :]
        # The emulator is plain HTTP on loopback: no TLS, and never through a proxy.
        return super().send(request, stream, timeout, False, None, {})

    def __repr__(self) -> str:
        return f"EmulatorAdapter({self.base_url!r})"


def redirect(session: Any, base_url: str) -> None:
    """Mount the adapter on a requests session (gspread's `client.http_client.session`)."""
    adapter = EmulatorAdapter(base_url)
    for host in _HOSTS:
        session.mount(host, adapter)
