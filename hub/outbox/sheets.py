"""Build the sheet connector from ``[sheets]``: the local workbook, or Google Sheets.

The workbook is the default and needs nothing. Google needs the spreadsheet's id and the
service account's key file; without them the connector is off, with the sentence saying what
to set, and order events wait in the outbox.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from connectors.base import Connector, Off
from connectors.sheets.connector import SheetsConnector
from hub.config import Config
from hub.errors import N_

if TYPE_CHECKING:
    import gspread

GOOGLE_NOT_SET = N_(
    "Set [sheets] spreadsheet_id (HUB_SHEETS_SPREADSHEET_ID) and [sheets] service_account_file "
    "(HUB_SHEETS_SERVICE_ACCOUNT_FILE) to write to Google Sheets, or set [sheets] backend to "
    '"xlsx" to write the local workbook.'
)
KEY_UNREADABLE = N_(
    "The service account key file %(path)s cannot be read: check [sheets] service_account_file."
)


def account_email(key_file: Path) -> str:
    """Return the service account's e-mail, the one the spreadsheet must be shared with."""
    data = json.loads(key_file.read_text(encoding="utf-8"))
    return str(data.get("client_email", ""))


def sheets_connector(cfg: Config) -> Connector | Off:
    """Return the sheet connector the configuration asks for, or Off with what to set.

    Each backend's library (openpyxl, gspread) is imported only when that backend is built:
    neither is paid for by a process that never delivers to the sheet.
    """
    settings = cfg.sheets
    zone = ZoneInfo(cfg.hub.timezone)
    interval = settings.summary_interval_minutes * 60
    if settings.backend != "google":
        from connectors.sheets.workbook import WorkbookWriter

        workbook = WorkbookWriter(
            cfg.workbook_path, zone=zone, remove_duplicates=settings.remove_duplicates
        )
        return SheetsConnector(workbook, summary_interval_seconds=interval)
    client = _google_client(cfg)
    if isinstance(client, Off):
        return client
    from connectors.sheets.google import GoogleSheetWriter

    google = GoogleSheetWriter(
        client[0],
        settings.spreadsheet_id,
        zone=zone,
        account_email=client[1],
        writes_per_minute=settings.writes_per_minute,
        remove_duplicates=settings.remove_duplicates,
    )
    return SheetsConnector(google, summary_interval_seconds=interval)


def _google_client(cfg: Config) -> tuple[gspread.Client, str] | Off:
    """Return the gspread client and the e-mail the sheet is shared with, or Off with why."""
    import gspread

    settings = cfg.sheets
    if settings.api_base and settings.spreadsheet_id:
        # The sandbox's Sheets emulator (hub serve --sandbox): any token will do there.
        from sandbox.sheets.client import gspread_client

        return gspread_client(settings.api_base), "sandbox@hub.invalid"
    if not settings.spreadsheet_id or not settings.service_account_file:
        return Off("sheets", GOOGLE_NOT_SET)
    key_file = Path(settings.service_account_file)
    try:
        return gspread.service_account(filename=str(key_file)), account_email(key_file)
    except (OSError, ValueError, KeyError) as exc:
        return Off("sheets", KEY_UNREADABLE, {"path": f"{key_file} ({exc})"})
