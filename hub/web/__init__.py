"""The web layer: pages and health checks, wired onto the app."""

from __future__ import annotations

from flask import Flask


def init_web(app: Flask) -> None:
    """Register extensions, security, translations and every page blueprint."""
    from hub.web import (
        admin,
        assets,
        auth,
        board,
        customers,
        errors,
        health,
        i18n,
        missions,
        once,
        orders,
        outbox,
        requests_guard,
        sandbox_banner,
        security,
    )

    security.init_app(app)
    requests_guard.init_app(app)
    errors.init_app(app)
    once.init_app(app)
    i18n.init_app(app)
    sandbox_banner.init_app(app)
    auth.init_app(app)
    health.init_app(app)
    assets.init_app(app)
    board.init_app(app)
    customers.init_app(app)
    orders.init_app(app)
    missions.init_app(app)
    admin.init_app(app)
    outbox.init_app(app)
