"""Tell every page whether the hub runs in the sandbox, so nobody takes a demo for real."""

from __future__ import annotations

from flask import Flask

from hub.config import get_config


def init_app(app: Flask) -> None:
    """Hand the base template the ``sandbox`` flag ([hub] sandbox, set by `hub serve --sandbox`)."""
    sandbox = get_config(app).hub.sandbox

    @app.context_processor
    def _sandbox() -> dict[str, bool]:
        return {"sandbox": sandbox}
