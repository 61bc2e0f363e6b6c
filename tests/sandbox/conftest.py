"""Fixtures for the Sheets emulator: a started emulator, a clock to move, a real gspread client."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import gspread
import pytest
import requests

from sandbox.sheets import SheetsEmulator, gspread_client
from sandbox.sheets.store import Spreadsheet


@dataclass
class FakeClock:
    """A monotonic clock the test moves by hand."""

    now: float = 1_000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def emulator(clock: FakeClock) -> Iterator[SheetsEmulator]:
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
