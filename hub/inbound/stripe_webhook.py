"""``POST /webhooks/stripe``: verify Stripe's signature, store the event once, answer at once.

Nothing is stored unless the signature verifies with ``[stripe] webhook_secret`` (300 s
tolerance, checked by the stripe library itself) and the event's mode is the key's. The
worker applies stored events (``hub.ledger.stripe_news``). Logs name the event, never the
body or the secret. The only route exempt from CSRF: Stripe signs it instead.
"""

from __future__ import annotations

import json
import logging

import stripe
from flask import Blueprint, Flask, current_app, jsonify, request
from flask.typing import ResponseReturnValue

from hub.config import env_var, get_config
from hub.db import get_session
from hub.ledger.stripe_inbox import MalformedEvent, check_event, store_event

log = logging.getLogger("hub.inbound.stripe")

#: Stripe's own default: a signature older than this is refused (replayed requests).
TOLERANCE_SECONDS = 300
#: Stripe's events are a few kilobytes; a larger body is not one of them.
MAX_BODY_BYTES = 1024 * 1024

bp = Blueprint("stripe_webhook", __name__)


def _refuse(status: int, message: str) -> ResponseReturnValue:
    return jsonify(error={"code": "refused", "message": message}), status


@bp.post("/webhooks/stripe")
def receive() -> ResponseReturnValue:
    """Store a verified Stripe event in the inbox and acknowledge it."""
    cfg = get_config(current_app).stripe
    if not cfg.webhook_secret:
        return _refuse(
            503,
            "Stripe webhooks are not set up on this hub: set "
            f"{env_var('stripe', 'webhook_secret')} (webhook_secret under [stripe]) to the "
            "endpoint's signing secret (whsec_...).",
        )
    request.max_content_length = MAX_BODY_BYTES
    body = request.get_data(cache=False)  # 413 past the limit, before any of it is read
    try:
        stripe.WebhookSignature.verify_header(
            body, request.headers.get("Stripe-Signature"), cfg.webhook_secret, TOLERANCE_SECONDS
        )
        event = check_event(json.loads(body))
    except stripe.SignatureVerificationError:
        log.warning("stripe webhook refused: signature", extra={"fields": {"reason": "signature"}})
        return _refuse(400, "The Stripe-Signature header is missing, wrong or too old.")
    except (UnicodeDecodeError, ValueError, MalformedEvent):
        # json.JSONDecodeError is a ValueError; a signed non-event is refused the same way.
        return _refuse(400, "The body is not a Stripe event.")
    if event["livemode"] != cfg.live:
        log.warning(
            "stripe webhook refused: mode",
            extra={"fields": {"event": event["id"], "livemode": event["livemode"]}},
        )
        return _refuse(
            400,
            "This event is from Stripe's "
            f"{'live' if event['livemode'] else 'test'} mode; this hub's key is "
            f"{'live' if cfg.live else 'test'}.",
        )
    receipt = store_event(get_session(), event)
    log.info(
        "stripe webhook stored",
        extra={"fields": {"event": event["id"], "type": event["type"], "receipt": receipt}},
    )
    return jsonify(received=True, receipt=str(receipt)), 200


def init_app(app: Flask) -> None:
    """Register the route; Stripe's signature, not a CSRF token, vouches for its requests."""
    # The pages' CSRFProtect, registered by init_web before this runs.
    app.extensions["csrf"].exempt(bp)
    app.register_blueprint(bp)
