"""Run the web app: Flask's reloader in debug mode, gunicorn otherwise."""

from __future__ import annotations

from typing import Any

from flask import Flask
from gunicorn.app.base import BaseApplication

from hub import get_config


class _Gunicorn(BaseApplication):  # type: ignore[misc]
    def __init__(self, app: Flask, options: dict[str, Any]) -> None:
        self.application = app
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> Flask:
        return self.application


def run_server(app: Flask, *, host: str, port: int, workers: int, worker: bool) -> None:
    """Serve until interrupted; the background worker is started by the caller's wiring."""
    cfg = get_config(app)
    if cfg.hub.debug:
        app.run(host=host, port=port, debug=True, use_reloader=False)
        return
    # The app is built before forking, so its engine's pool must not cross the fork.
    from hub.db import get_db

    get_db(app).dispose()
    _Gunicorn(
        app,
        {
            "bind": f"{host}:{port}",
            "workers": max(1, workers),
            "threads": 4,
            "worker_class": "gthread",
            "timeout": 60,
            "graceful_timeout": 20,
            "accesslog": None,
            "errorlog": "-",
            "loglevel": "warning",
        },
    ).run()
