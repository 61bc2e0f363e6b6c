"""Run the Stripe emulator in the foreground: `python -m sandbox.stripe --port 12111`."""

from __future__ import annotations

import argparse
import threading

from .server import DEFAULT_API_KEY, StripeEmulator


def main() -> None:
    """Serve until interrupted, printing the API base and the webhook secret."""
    parser = argparse.ArgumentParser(prog="python -m sandbox.stripe", description=__doc__)
    parser.add_argument("--port", type=int, default=12111)
    parser.add_argument("--api-key", default=DEFAULT_API_KEY)
    parser.add_argument("--webhook-url", help="POST every event here, signed")
    parser.add_argument("--webhook-secret", help="signing secret (default: a fresh whsec_...)")
    parser.add_argument("--requests-per-second", type=float, help="answer 429 beyond this rate")
    args = parser.parse_args()
    emulator = StripeEmulator(
        api_key=args.api_key, port=args.port, requests_per_second=args.requests_per_second
    )
    secret = None
    if args.webhook_url:
        secret = emulator.webhooks.add_endpoint(args.webhook_url, args.webhook_secret)
    emulator.start()
    print(f"Stripe emulator on {emulator.base_url} (API key {emulator.api_key})")
    if secret:
        print(f"Webhooks to {args.webhook_url}, secret {secret}")
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        emulator.stop()


if __name__ == "__main__":
    main()
