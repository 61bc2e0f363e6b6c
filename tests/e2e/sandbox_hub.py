"""A hub served in the sandbox for browser tests: emulators first, then the app pointed at them.

The Stripe emulator must know where to send its webhooks before the app exists, and the app
must know the emulator before it is built, so the hub's socket is bound first and its app
plugged in afterwards.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import Flask
from werkzeug.serving import BaseWSGIServer, make_server

from hub.config import load_config
from hub.db import get_db
from hub.sandbox_mode import Sandbox, start_sandbox
from tests import conftest


class _Socket:
    """A WSGI app that hands every request to the app plugged in once it exists."""

    app: Flask | None = None

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        assert self.app is not None, "a request came before the hub's app was built"
        return self.app(environ, start_response)


@dataclass
class SandboxHub:
    url: str
    app: Flask
    sandbox: Sandbox


@contextmanager
def sandbox_hub(
    database: conftest.TestDatabase, tmp_path: Path, **sections: dict[str, Any]
) -> Iterator[SandboxHub]:
    """Serve the hub on loopback as `hub serve --sandbox` would, with these settings on top."""
    socket = _Socket()
    server: BaseWSGIServer = make_server("127.0.0.1", 0, socket, threaded=True)
    url = f"http://127.0.0.1:{server.server_port}"
    before = load_config(
        {"hub": {"secret_key": "test-secret-key-0123456789abcdef", "base_url": url}},
        environ={"HUB_CONFIG": "/dev/null"},
    )
    box = start_sandbox(before, host="127.0.0.1", port=server.server_port, stripe_port=0)
    layers: dict[str, dict[str, Any]] = {"hub": {"base_url": url}}
    for layer in (box.overrides, sections):
        for name, values in layer.items():
            layers.setdefault(name, {}).update(values)
    app = conftest.make_app(database, tmp_path, **layers)
    socket.app = app
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield SandboxHub(url=url, app=app, sandbox=box)
    finally:
        server.shutdown()
        thread.join(timeout=10)
        box.stop()
        get_db(app).dispose()
