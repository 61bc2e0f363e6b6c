"""The hub: the order ledger of a neighbourhood concierge business.

``create_app()`` is the composition root: the only place where configuration, the database,
the web layer and the background jobs are wired together. Nothing connects at import time.
"""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any

from flask import Flask

from hub.config import Config, load_config


def create_app(
    config: Config | None = None, overrides: dict[str, dict[str, Any]] | None = None
) -> Flask:
    """Build the Flask application from configuration (read once) and wire every part."""
    from hub import logs
    from hub.accounts import Passwords
    from hub.api import init_app as init_api
    from hub.db import Database
    from hub.inbound import stripe_webhook
    from hub.ledger.billing_settings import BillingSettings
    from hub.web import init_web

    cfg = config or load_config(overrides)
    cfg.validate()
    Path(cfg.hub.instance_path).mkdir(parents=True, exist_ok=True)

    app = Flask(__name__, instance_path=str(Path(cfg.hub.instance_path).resolve()))
    app.config.update(
        # Only debug mode runs without a key (validate() saw to it): a random one per process,
        # since a fixed key in the source would let anyone forge a session.
        SECRET_KEY=cfg.hub.secret_key or secrets.token_hex(32),
        DEBUG=cfg.hub.debug,
        # A Host header naming someone else's site is a 400, not echoed in redirects.
        TRUSTED_HOSTS=cfg.trusted_hosts,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=cfg.secure_cookies,
        SESSION_COOKIE_NAME="hub_session",
        REMEMBER_COOKIE_HTTPONLY=True,
        REMEMBER_COOKIE_SAMESITE="Lax",
        REMEMBER_COOKIE_SECURE=cfg.secure_cookies,
        PERMANENT_SESSION_LIFETIME=12 * 3600,
        MAX_CONTENT_LENGTH=1024 * 1024,
        WTF_CSRF_TIME_LIMIT=12 * 3600,
        WTF_CSRF_SSL_STRICT=True,
        BABEL_DEFAULT_LOCALE=cfg.hub.language,
        BABEL_DEFAULT_TIMEZONE=cfg.hub.timezone,
        JSON_SORT_KEYS=False,
    )
    app.extensions["hub.config"] = cfg
    app.extensions["hub.passwords"] = Passwords(cfg.hub.password_hash_cost)

    logs.init_app(app)
    Database(
        cfg.database_url,
        timezone=cfg.hub.timezone,
        billing=BillingSettings(
            billing_mode=cfg.stripe.billing_mode,
            collection_method=cfg.stripe.collection_method,
            days_until_due=cfg.stripe.days_until_due,
            per_order_delay_minutes=cfg.stripe.per_order_delay_minutes,
            refund_to=cfg.stripe.refund_to,
        ),
    ).init_app(app)
    init_web(app)
    init_api(app)
    stripe_webhook.init_app(app)
    if cfg.hub.trusted_proxies > 0:
        from werkzeug.middleware.proxy_fix import ProxyFix

        hops = cfg.hub.trusted_proxies
        # Behind a proxy remote_addr is the proxy itself: sign-in limits and logs need the client.
        # Outermost, so every other middleware sees the client's address and host.
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops
        )
    return app
