"""Run the emulator on a loopback port in a background thread."""

from __future__ import annotations

import threading
from collections import Counter
from typing import TYPE_CHECKING, Any

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from .app import create_app
from .faults import Faults, RateLimiter
from .idempotency import IdempotencyCache
from .store import Store
from .webhooks import WebhookSender

if TYPE_CHECKING:
    import stripe

DEFAULT_API_KEY = "sk_test_emulator"


class _QuietHandler(WSGIRequestHandler):
    """Serve requests without logging each one."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        """Log nothing: tests and benchmarks make thousands of requests."""


class StripeEmulator:
    """A stateful Stripe API on 127.0.0.1 that the `stripe` library talks to over HTTP."""

    def __init__(
        self,
        *,
        api_key: str = DEFAULT_API_KEY,
        host: str = "127.0.0.1",
        port: int = 0,
        search_delay_seconds: float = 0.0,
        requests_per_second: float | None = None,
    ) -> None:
        self.api_key = api_key
        self.host = host
        self.port = port
        self.store = Store(search_delay_seconds=search_delay_seconds)
        self.faults = Faults()
        self.webhooks = WebhookSender()
        self.store.on_event = self.webhooks.enqueue
        self.idempotency = IdempotencyCache()
        self.counts: Counter[str] = Counter()
        self.rate_limiter = RateLimiter(requests_per_second) if requests_per_second else None
        self._counts_lock = threading.Lock()
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        """Return the URL to give the client as its API base, e.g. `http://127.0.0.1:5xxxx`."""
        if self._server is None:
            raise RuntimeError("the emulator is not started")
        return f"http://{self.host}:{self._server.server_port}"

    def start(self) -> StripeEmulator:
        """Serve on a free port (or the one given) in a daemon thread."""
        self._server = make_server(
            self.host, self.port, create_app(self), threaded=True, request_handler=_QuietHandler
        )
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            # A short poll keeps stop() fast: tests start and stop an emulator each.
            args=(0.05,),
            name="stripe-emulator",
            daemon=True,
        )
        self._thread.start()
        self.webhooks.start()
        return self

    def stop(self) -> None:
        """Stop serving and delivering webhooks."""
        self.webhooks.stop()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> StripeEmulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def client(
        self, *, timeout: float = 5.0, max_network_retries: int = 0, **options: Any
    ) -> stripe.StripeClient:
        """Return a `StripeClient` pointed at this emulator."""
        import stripe

        return stripe.StripeClient(
            options.pop("api_key", self.api_key),
            base_addresses={"api": self.base_url},
            http_client=stripe.RequestsClient(timeout=timeout),
            max_network_retries=max_network_retries,
            **options,
        )

    def count(self, key: str) -> None:
        """Count one request under its `METHOD /path/{id}` key."""
        with self._counts_lock:
            self.counts[key] += 1

    def requests_made(self, method: str | None = None, path_prefix: str = "") -> int:
        """Return how many API requests matched a method and a normalized path prefix."""
        with self._counts_lock:
            return sum(
                n
                for key, n in self.counts.items()
                if (method is None or key.startswith(method + " "))
                and key.partition(" ")[2].startswith(path_prefix)
            )

    def rate_limit(self, per_second: float | None, burst: float | None = None) -> None:
        """Answer 429 beyond `per_second` requests per second (None lifts the limit)."""
        self.rate_limiter = RateLimiter(per_second, burst) if per_second else None
