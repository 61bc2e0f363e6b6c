"""The local workbook, downloaded by admins from the outbox page.

The file is the one ``[sheets] xlsx_path`` names (``Config.workbook_path``); nothing in the
request chooses it. The sheet connector replaces it by a rename, so an open download keeps
reading the complete file it started with.
"""

from __future__ import annotations

from flask import Blueprint, current_app, render_template, send_file
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from hub.config import get_config
from hub.web.auth import admin_required

XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def workbook_offered() -> bool:
    """Tell whether the hub keeps a local workbook (``[sheets] backend = "xlsx"``)."""
    return get_config(current_app).sheets.backend == "xlsx"


@admin_required
def workbook() -> ResponseReturnValue:
    """Send the workbook as a download, or a page saying why there is none yet."""
    if not workbook_offered():
        return _no_workbook(
            _("No local workbook"),
            _(
                "Reports go to Google Sheets ([sheets] backend = “google”): the hub "
                "keeps no local workbook. Open the spreadsheet in Google Sheets instead."
            ),
        )
    path = get_config(current_app).workbook_path
    try:
        # Opened here, not by name in send_file: a file missing now is a page, not a 500.
        handle = path.open("rb")
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
        return _no_workbook(
            _("No workbook yet"),
            _(
                "The workbook does not exist yet. The worker writes it when it sends the first "
                "orders to the local workbook: take an order, wait a few seconds, then try "
                "again. If it still does not appear, the outbox page shows the local "
                "workbook's backlog and errors."
            ),
        )
    return send_file(
        handle, mimetype=XLSX_MIMETYPE, as_attachment=True, download_name=path.name, max_age=0
    )


def _no_workbook(title: str, message: str) -> ResponseReturnValue:
    return render_template("errors/error.html", title=title, message=message), 404


def register(bp: Blueprint) -> None:
    """Add the download to the admin blueprint, and the outbox page's test for its link."""
    bp.add_url_rule("/workbook", "workbook", workbook, methods=["GET"])
    bp.add_app_template_global(workbook_offered)
