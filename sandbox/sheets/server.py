"""Serve the emulator on a free loopback port in a background thread."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from types import TracebackType

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from sandbox.sheets.app import create_app
from sandbox.sheets.person import Person
from sandbox.sheets.store import MAX_CELLS, Spreadsheet, Store
from sandbox.sheets.traffic import PER_USER_PER_MINUTE, Traffic


class _QuietHandler(WSGIRequestHandler):
    """Keep the emulator's access log out of test output."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        """Log nothing."""


class SheetsEmulator:
    """A Google Sheets API v4 emulator: state, traffic controls and a loopback server."""

    def __init__(
        self,
        *,
        reads_per_minute: int = PER_USER_PER_MINUTE,
        writes_per_minute: int = PER_USER_PER_MINUTE,
        clock: Callable[[], float] = time.monotonic,
        max_cells: int = MAX_CELLS,
    ) -> None:
        self.store = Store(max_cells=max_cells)
        self.traffic = Traffic(
            reads_per_minute=reads_per_minute, writes_per_minute=writes_per_minute, clock=clock
        )
        self.app = create_app(self.store, self.traffic)
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        """Return the root URL, e.g. `http://127.0.0.1:41234` (the API is under /v4/)."""
        if self._server is None:
            raise RuntimeError("The Sheets emulator is not started.")
        return f"http://127.0.0.1:{self._server.server_port}"

    def start(self) -> SheetsEmulator:
        """Start serving on a free port of 127.0.0.1."""
        self.traffic.closing.clear()
        self._server = make_server(
            "127.0.0.1", 0, self.app, threaded=True, request_handler=_QuietHandler
        )
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="sheets-emulator",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving, cutting short any simulated latency or hung answer."""
        self.traffic.closing.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=10)
        self._server = None
        self._thread = None

    def __enter__(self) -> SheetsEmulator:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    def create_spreadsheet(
        self,
        title: str = "Untitled spreadsheet",
        *,
        spreadsheet_id: str | None = None,
        sheet_titles: Iterable[str] = ("Sheet1",),
        locale: str = "en_US",
        time_zone: str = "Europe/Paris",
    ) -> Spreadsheet:
        """Create a spreadsheet (as a person would in Drive) and return it."""
        return self.store.create(
            title,
            spreadsheet_id=spreadsheet_id,
            sheet_titles=sheet_titles,
            locale=locale,
            time_zone=time_zone,
        )

    def person(self, spreadsheet_id: str, sheet_title: str) -> Person:
        """Return a person editing one tab by hand."""
        return Person(self.store, spreadsheet_id, sheet_title)
