"""Fixtures for the Sheets emulator: a started emulator, a clock to move, a real gspread client."""

from __future__ import annotations

from collections.abc import Iterator

import gspread
import pytest
import requests

from sandbox.sheets import SheetsEmulator, gspread_client
from sandbox.sheets.store import Spreadsheet
from sandbox.sheets.traffic import ManualClock


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def emulator(clock: ManualClock) -> Iterator[SheetsEmulator]:
    with SheetsEmulator(reads_per_minute=1000, writes_per_minute=1000, clock=clock) as started:
        yield started


@pytest.fixture
def spreadsheet(emulator: SheetsEmulator) -> Spreadsheet:
    return emulator.create_spreadsheet("Ops", sheet_titles=["Commandes"])


@pytest.fixture
def gc(emulator: SheetsEmulator) -> Iterator[gspread.Client]:
    client = gspread_client(emulator.base_url)
    yield client
    client.http_client.session.close()


@pytest.fixture
def http(emulator: SheetsEmulator) -> Iterator[requests.Session]:
    """A plain requests session pointed at the emulator, for raw bodies gspread won't send."""
    session = requests.Session()
    session.headers["Authorization"] = "Bearer test"
    yield session
    session.close()
