"""A stateful Stripe emulator on loopback, for tests, benchmarks and `hub serve --sandbox`.

The real `stripe` library talks to it over HTTP; nothing is patched::

    from sandbox.stripe import StripeEmulator

    with StripeEmulator() as emulator:               # 127.0.0.1, a free port
        client = stripe.StripeClient(
            emulator.api_key,                        # "sk_test_emulator" unless given
            base_addresses={"api": emulator.base_url},
            max_network_retries=2,
        )                                            # or: client = emulator.client()
        customer = client.v1.customers.create(
            {"name": "Ada", "metadata": {"hub_customer_id": "12"}}
        )

What it covers: customers (create, retrieve, update, delete, list, search), tax rates
(create, retrieve, update, list), invoices (draft create, update, delete, `add_lines` up to
250 lines, lines list, list with filters, search, finalize, send, pay, void,
mark_uncollectible), credit notes (create by line or amount, list, retrieve), events (list,
retrieve), a hosted payment page per invoice (`GET/POST /pay/<invoice>`) and a text "PDF"
(`/pdf/<id>`). Objects are shaped like Stripe's official fixtures (`shapes.json`); taxes are
computed and rounded as Stripe does (see `taxes`).

Behaviour a client can tell apart from Stripe's, emulated:

- idempotency keys: replay with `Idempotent-Replayed: true`, 400 `idempotency_error` on other
  parameters or another endpoint, 409 while the first request runs (`idempotency`);
  `emulator.idempotency.expire_all()` plays "24 hours later";
- unknown parameters refused with 400 `parameter_unknown` and its `param`; bodies parsed as
  Stripe parses them (`forms`, `params`); errors shaped `{"error": {type, code, message,
  param}}`; 404 `resource_missing`; 401 without the right key;
- faults (`faults`): ``emulator.faults.add("lost", "/v1/invoices", method="POST")``, also
  `"error"` (5xx), `"rate_limit"` (429 + Retry-After), `"timeout"`; a rate limit with
  ``emulator.rate_limit(25)``; request counts in ``emulator.counts`` (keys such as
  ``"POST /v1/invoices/{id}/add_lines"``) and ``emulator.requests_made("POST")``;
- search lag: ``StripeEmulator(search_delay_seconds=2)`` hides new objects from search for 2 s;
- webhooks (`webhooks`): ``secret = emulator.webhooks.add_endpoint(url)``; every recorded
  event is POSTed with a `Stripe-Signature` that `stripe.Webhook.construct_event` verifies;
  set ``emulator.webhooks.duplicates``, ``.reorder`` and ``.delay_seconds`` to misbehave, and
  ``emulator.webhooks.flush()`` to wait for delivery. `webhooks.sign` signs any payload (for
  forged or stale signatures in tests).

Not emulated: prices, products, invoice items outside `add_lines`, subscriptions, payment
intents, customer balance transactions, automatic advancement (`auto_advance` is stored only),
e-mails, and Stripe's exact wording of errors about invoice status (see `invoice_states`).
"""

from __future__ import annotations

from .server import DEFAULT_API_KEY, StripeEmulator
from .webhooks import sign

__all__ = ["DEFAULT_API_KEY", "StripeEmulator", "sign"]
