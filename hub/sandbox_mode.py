"""Start the Stripe (and Sheets) emulators beside ``hub serve --sandbox`` and point the hub at them.

For demos and training: a newcomer sees the whole loop (an order done, its invoice, the
payment page, the signed webhook, the order paid) without a Stripe or Google account, and
nothing leaves the machine. The emulators run on loopback threads of the serving process; the
hub, and the embedded worker it starts, only get configuration overrides naming them.
"""

from __future__ import annotations

import socket
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hub.config import Config, env_var

if TYPE_CHECKING:
    # Loaded when a sandbox starts: `hub --help` and plain `hub serve` need none of it.
    from sandbox.sheets import SheetsEmulator
    from sandbox.stripe import StripeEmulator

#: The Stripe emulator's port: fixed, so the payment links the ledger keeps still open after
#: a restart (`python -m sandbox.stripe` uses the same one).
STRIPE_PORT = 12111
#: Where the hub takes Stripe's webhooks (hub/web: the webhook route).
WEBHOOK_PATH = "/webhooks/stripe"
#: The spreadsheet created in the Sheets emulator when the Google backend is chosen.
SPREADSHEET_ID = "sandbox-spreadsheet"
#: A per-order invoice waits at most this long in the sandbox: a trainee should not wait the
#: production delay to see it, yet still sees that a reopen right after "done" costs nothing.
INVOICE_DELAY_MINUTES = 1.0
#: Addresses that mean "every interface": the emulator reaches such a server on loopback.
_ANY_ADDRESS = ("", "0.0.0.0", "::")  # noqa: S104 - names them, binds nothing


class SandboxError(Exception):
    """The sandbox cannot start; the message says what to change."""


def _reach_host(host: str) -> str:
    """Return the address a client on this machine uses for a server bound to host."""
    return "127.0.0.1" if host in _ANY_ADDRESS else host


def hub_address(host: str, port: int) -> str:
    """Return the hub's root URL as a client on this machine reaches a server bound to host."""
    reach = _reach_host(host)
    return f"http://[{reach}]:{port}" if ":" in reach else f"http://{reach}:{port}"


@dataclass
class Sandbox:
    """The running emulators, the overrides that point the hub at them, and how to stop them."""

    stripe: StripeEmulator
    sheets: SheetsEmulator | None
    webhook_url: str
    webhook_secret: str
    state_file: Path | None
    invoice_delay_minutes: float
    overrides: dict[str, dict[str, Any]] = field(default_factory=dict)

    def stop(self) -> None:
        """Stop both emulators, keeping the emulated Stripe account for the next run."""
        # Stopped first, so no request changes the account while it is written.
        from sandbox.stripe import snapshot

        self.stripe.stop()
        if self.state_file is not None:
            snapshot.save(self.stripe.store, self.state_file)
        if self.sheets is not None:
            self.sheets.stop()

    def summary(self) -> list[str]:
        """Say, for people, where each emulator runs and that nothing reaches Stripe or Google."""
        lines = [
            "Sandbox: nothing reaches Stripe or Google; no real payment is made.",
            f"  Stripe emulator on {self.stripe.base_url} (API key {self.stripe.api_key}); "
            f"invoices are paid on its pages, {self.stripe.base_url}/pay/<invoice>.",
            f"  Its signed webhooks go to {self.webhook_url}.",
            f"  Per-order invoices are made {self.invoice_delay_minutes:g} min after an order "
            "is done.",
        ]
        if self.state_file is not None:
            lines.append(f"  The emulated Stripe account is kept in {self.state_file}.")
        if self.sheets is not None:
            lines.append(
                f"  Google Sheets emulator on {self.sheets.base_url}, spreadsheet "
                f"{SPREADSHEET_ID} (kept in memory only)."
            )
        return lines


def start_sandbox(
    cfg: Config,
    *,
    host: str,
    port: int,
    stripe_port: int = STRIPE_PORT,
    state_file: Path | None = None,
) -> Sandbox:
    """Start the emulators the configuration needs and return them with the hub's overrides.

    ``host`` and ``port`` are where the hub will listen: the Stripe emulator sends its signed
    webhooks there. ``state_file`` keeps the emulated Stripe account across runs.
    """
    if cfg.stripe.live:
        # Its outbox may hold real invoices: delivering them to the emulator would lose them.
        raise SandboxError(
            f"A live Stripe key is configured ({env_var('stripe', 'api_key')}, or api_key under "
            "[stripe]): the sandbox would take over the invoices meant for Stripe. Run the "
            "sandbox on a database and configuration of its own."
        )
    from sandbox.sheets import SheetsEmulator
    from sandbox.stripe import StripeEmulator, snapshot

    emulator = StripeEmulator(port=stripe_port)
    if state_file is not None:
        snapshot.load(emulator.store, state_file)
    webhook_url = hub_address(host, port) + WEBHOOK_PATH
    secret = emulator.webhooks.add_endpoint(webhook_url)
    _check_free(stripe_port)
    emulator.start()
    delay = min(cfg.stripe.per_order_delay_minutes, INVOICE_DELAY_MINUTES)
    overrides: dict[str, dict[str, Any]] = {
        "hub": {"sandbox": True},
        "stripe": {
            "api_key": emulator.api_key,
            "api_base": emulator.base_url,
            "webhook_secret": secret,
            "per_order_delay_minutes": delay,
        },
    }
    reach = _reach_host(host)
    if reach not in cfg.trusted_hosts:
        # The emulator's webhooks name this host: the hub must not refuse them as foreign.
        extra = [name for name in (cfg.hub.allowed_hosts, reach) if name]
        overrides["hub"]["allowed_hosts"] = ",".join(extra)
    sheets = None
    if cfg.sheets.backend == "google":
        sheets = SheetsEmulator().start()
        sheets.create_spreadsheet("Concierge hub (sandbox)", spreadsheet_id=SPREADSHEET_ID)
        overrides["sheets"] = {"api_base": sheets.base_url, "spreadsheet_id": SPREADSHEET_ID}
    return Sandbox(
        stripe=emulator,
        sheets=sheets,
        webhook_url=webhook_url,
        webhook_secret=secret,
        state_file=state_file,
        invoice_delay_minutes=delay,
        overrides=overrides,
    )


def _check_free(port: int) -> None:
    """Refuse a busy port with a sentence (Werkzeug would print its own and exit)."""
    with socket.socket() as probe:
        # As the emulator's server binds: a port left in TIME_WAIT by the last run is free.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError as exc:
            raise SandboxError(
                f"The Stripe emulator cannot listen on 127.0.0.1:{port} ({exc.strerror}): is "
                "another sandbox running? Stop it, or pass --sandbox-port with a free port."
            ) from exc


def state_file_for(cfg: Config) -> Path:
    """Return where the sandbox keeps its Stripe account: beside the hub's own local state."""
    return Path(cfg.hub.instance_path) / "sandbox" / "stripe.json"
