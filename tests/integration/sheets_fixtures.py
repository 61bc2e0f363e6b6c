"""Orders, an emulated spreadsheet and writers for the sheet tests (pure: no database)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import gspread
import pytest

from connectors.payloads import OrderLinePayload, OrderPayload, PartyRef
from connectors.sheets.google import GoogleSheetWriter
from connectors.tables import Column, Table
from sandbox.sheets import SheetsEmulator, gspread_client
from sandbox.sheets.store import Spreadsheet

PARIS = ZoneInfo("Europe/Paris")
ACCOUNT = "hub-writer@concierge-ops.iam.gserviceaccount.com"
CREATED = datetime(2026, 12, 1, 8, 30, tzinfo=UTC)


def order(number: int, version: int = 1, **changes: object) -> OrderPayload:
    """Return order C-2026-<number> at a version: 1.5 h of cleaning, 57,50 € incl. VAT."""
    values: dict[str, object] = {
        "ref": f"C-2026-{number:06d}",
        "version": version,
        "status": "new",
        "billing_status": "unbilled",
        "customer": PartyRef(number, f"Client {number}"),
        "created_at": CREATED,
        "updated_at": CREATED,
        "total_cents": 5750,
        "vat_cents": 958,
        "concierge": "Claire Concierge",
        "lines": (
            OrderLinePayload(1, "CLEANING", "Ménage", "hour", 1500, 3833, 2000, 5750, 4792, 958),
        ),
    }
    values.update(changes)
    return OrderPayload(**values)  # type: ignore[arg-type]


def jour(days: int) -> Table:
    """A "Jour" table of ``days`` days, as the ledger's reports give it."""
    columns = (
        Column("Jour", "date"),
        Column("Commandes prises", "int"),
        Column("Faites", "int"),
        Column("CA", "money"),
    )
    rows = tuple(
        (date(2026, 11, 1) + timedelta(days=n), n + 1, n, 1000 * (n + 1)) for n in range(days)
    )
    return Table("Jour", columns, rows)


@pytest.fixture
def emulator() -> Iterator[SheetsEmulator]:
    with SheetsEmulator(reads_per_minute=10_000, writes_per_minute=10_000) as started:
        yield started


@pytest.fixture
def spreadsheet(emulator: SheetsEmulator) -> Spreadsheet:
    return emulator.create_spreadsheet("Ops", sheet_titles=["Feuille 1"])


@pytest.fixture
def gc(emulator: SheetsEmulator) -> Iterator[gspread.Client]:
    client = gspread_client(emulator.base_url)
    yield client
    client.http_client.session.close()


@pytest.fixture
def writer(gc: gspread.Client, spreadsheet: Spreadsheet) -> GoogleSheetWriter:
    return make_writer(gc, spreadsheet)


def make_writer(
    gc: gspread.Client, spreadsheet: Spreadsheet, **options: object
) -> GoogleSheetWriter:
    return GoogleSheetWriter(
        gc,
        spreadsheet.spreadsheet_id,
        zone=PARIS,
        account_email=ACCOUNT,
        **options,  # type: ignore[arg-type]
    )
