"""A stateful Google Sheets API v4 emulator served on loopback, for gspread over HTTP.

with SheetsEmulator() as emulator:
    spreadsheet = emulator.create_spreadsheet("Ops")
    client = gspread_client(emulator.base_url)
    worksheet = client.open_by_key(spreadsheet.spreadsheet_id).sheet1
"""

from __future__ import annotations

from sandbox.sheets.adapter import EmulatorAdapter, redirect
from sandbox.sheets.client import gspread_client
from sandbox.sheets.server import SheetsEmulator
from sandbox.sheets.traffic import Fault, ManualClock

__all__ = [
    "EmulatorAdapter",
    "Fault",
    "ManualClock",
    "SheetsEmulator",
    "gspread_client",
    "redirect",
]
