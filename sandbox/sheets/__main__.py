"""Serve the Sheets emulator until interrupted: `python -m sandbox.sheets [--port 8099]`."""

from __future__ import annotations

import argparse

from werkzeug.serving import make_server

from sandbox.sheets.server import SheetsEmulator


def main(argv: list[str] | None = None) -> None:
    """Create one spreadsheet, print its id and the base URL, and serve on 127.0.0.1."""
    parser = argparse.ArgumentParser(prog="python -m sandbox.sheets", description=__doc__)
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--spreadsheet-id", default="sandbox-spreadsheet")
    parser.add_argument("--latency", type=float, default=0.0, help="seconds added per request")
    args = parser.parse_args(argv)
    emulator = SheetsEmulator()
    emulator.traffic.latency_seconds = args.latency
    emulator.create_spreadsheet("Sandbox", spreadsheet_id=args.spreadsheet_id)
    server = make_server("127.0.0.1", args.port, emulator.app, threaded=True)
    print(f"Sheets emulator on http://127.0.0.1:{server.server_port}", flush=True)
    print(f"spreadsheet id: {args.spreadsheet_id}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        emulator.traffic.closing.set()
        server.server_close()


if __name__ == "__main__":
    main()
