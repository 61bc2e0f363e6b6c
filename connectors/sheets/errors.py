"""gspread and network errors classified once, here, as transient or permanent.

    429, RESOURCE_EXHAUSTED, RATE_LIMIT_EXCEEDED   -> TransientError (Retry-After honoured)
    403 rate-limit reasons (older answers)         -> TransientError
    403 otherwise                                  -> PermanentError naming whom to share with
    401, 400, 404                                  -> PermanentError
    408, 409, 5xx, timeouts, connection errors     -> TransientError

gspread's ``BackOffHTTPClient`` is not used: the dispatcher owns retries, and the writer
absorbs a short Retry-After itself (google.py).
"""

from __future__ import annotations

from typing import Any

import gspread
import requests

from connectors.errors import ConnectorError, PermanentError, TransientError

_RATE_REASONS = {"RATE_LIMIT_EXCEEDED", "rateLimitExceeded", "userRateLimitExceeded"}


class RateLimited(TransientError):
    """Google refused the request for quota; ``retry_after`` is its wish, in seconds."""


def _reasons(error: Any) -> set[str]:
    found: set[str] = set()
    for key in ("details", "errors"):
        for item in error.get(key, ()) if isinstance(error, dict) else ():
            if isinstance(item, dict) and item.get("reason"):
                found.add(str(item["reason"]))
    return found


def _retry_after(response: requests.Response | None) -> float | None:
    if response is None:
        return None
    value = response.headers.get("Retry-After")
    try:
        return max(0.0, float(value)) if value is not None else None
    except ValueError:
        return None


def classify(exc: Exception, *, spreadsheet_id: str, account_email: str) -> ConnectorError:
    """Return the connector error a gspread or requests exception stands for."""
    if isinstance(exc, PermissionError) and isinstance(exc.__cause__, Exception):
        # gspread's open_by_key turns a 403 into a bare PermissionError "from" the APIError.
        return classify(exc.__cause__, spreadsheet_id=spreadsheet_id, account_email=account_email)
    if isinstance(exc, gspread.exceptions.APIError):
        error = exc.error if isinstance(exc.error, dict) else {}
        code = int(exc.code) if isinstance(exc.code, int) else -1
        status = str(error.get("status", ""))
        message = str(error.get("message", exc))
        reasons = _reasons(error)
        if code == 429 or status == "RESOURCE_EXHAUSTED" or reasons & _RATE_REASONS:
            return RateLimited(
                f"Google Sheets quota reached: {message}", retry_after=_retry_after(exc.response)
            )
        if code == 403:
            who = account_email or "the service account of [sheets] service_account_file"
            return PermanentError(
                f"Google Sheets refused access to spreadsheet {spreadsheet_id} ({message}). "
                f"Share the spreadsheet with {who} as an editor, then replay."
            )
        if code == 401:
            return PermanentError(
                f"Google refused the service account's credentials ({message}). Check "
                "[sheets] service_account_file, then replay."
            )
        if code == 404:
            return PermanentError(
                f"Google Sheets has no spreadsheet {spreadsheet_id} ({message}). Check "
                "[sheets] spreadsheet_id, then replay."
            )
        if code in (408, 409) or code >= 500:
            return TransientError(f"Google Sheets answered {code}: {message}")
        return PermanentError(f"Google Sheets refused the request ({code}): {message}")
    if isinstance(exc, gspread.exceptions.SpreadsheetNotFound):
        return PermanentError(
            f"Google Sheets has no spreadsheet {spreadsheet_id}. Check [sheets] spreadsheet_id, "
            "then replay."
        )
    if isinstance(exc, requests.RequestException):
        return TransientError(f"Google Sheets could not be reached: {exc}")
    raise TypeError(f"not a Google Sheets error: {exc!r}") from exc
