"""Run the web app: Flask's reloader in debug mode, gunicorn otherwise.

The embedded worker is a separate ``hub worker`` child process, started here once, before
gunicorn forks its web workers, and stopped when the server exits: web workers and reloaders
never run a scheduler of their own.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from dataclasses import asdict
from typing import Any

from flask import Flask
from gunicorn.app.base import BaseApplication

from hub.config import Config, environment, get_config
from hub.web.requests_guard import MAX_HEADER_FIELD

log = logging.getLogger("hub.server")

#: Seconds the worker gets to finish in-flight deliveries after SIGTERM before it is killed.
WORKER_STOP_SECONDS = 30
#: The only address debug mode listens on: its Werkzeug console runs any code it is sent.
DEBUG_HOST = "127.0.0.1"


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


def config_environment(cfg: Config) -> dict[str, str]:
    """Spell every setting as the environment variable that sets it, as config.py reads them."""
    return environment(asdict(cfg))


def start_worker(cfg: Config) -> subprocess.Popen[bytes]:
    """Start ``hub worker`` as a child process with exactly this configuration."""
    env = {**os.environ, **config_environment(cfg)}
    child = subprocess.Popen([sys.executable, "-m", "hub.cli", "worker"], env=env)
    log.info("embedded worker started", extra={"fields": {"pid": child.pid}})
    return child


def stop_worker(child: subprocess.Popen[bytes]) -> None:
    """Ask the worker to finish its deliveries and stop; kill it if it takes too long."""
    if child.poll() is None:
        child.terminate()
        try:
            child.wait(timeout=WORKER_STOP_SECONDS)
        except subprocess.TimeoutExpired:
            # Its leases expire and another worker delivers what it held: nothing is lost.
            child.kill()
            child.wait()
    log.info("embedded worker stopped", extra={"fields": {"pid": child.pid}})


def run_server(app: Flask, *, host: str, port: int, workers: int, worker: bool) -> None:
    """Serve until interrupted, with the embedded worker unless told not to run it."""
    cfg = get_config(app)
    if cfg.hub.debug and host != DEBUG_HOST:
        # Before anything starts: no worker left behind, nothing listening.
        raise SystemExit(
            f"Debug mode listens on {DEBUG_HOST} only: its Werkzeug console runs any code it "
            f"is sent. Drop --host {host}, or turn debug mode off (HUB_DEBUG=false, or debug "
            "under [hub])."
        )
    child = start_worker(cfg) if worker and cfg.jobs.embedded else None
    owner = os.getpid()
    try:
        _serve(app, cfg, host=host, port=port, workers=workers)
    finally:
        # gunicorn's web workers are forks of this process that leave _serve by SystemExit
        # and pass through here too: only the process that started the worker stops it.
        if child is not None and os.getpid() == owner:
            stop_worker(child)


def _serve(app: Flask, cfg: Config, *, host: str, port: int, workers: int) -> None:
    if cfg.hub.debug:
        app.run(host=DEBUG_HOST, port=port, debug=True, use_reloader=False)
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
            # Twice gunicorn's defaults, which the app enforces itself: a longer address or
            # header then gets the app's answer (JSON under /api/), not gunicorn's HTML page.
            # 8190 is the most gunicorn allows for a request line; past it, its page remains.
            "limit_request_line": 8190,
            "limit_request_field_size": 2 * MAX_HEADER_FIELD,
        },
    ).run()
