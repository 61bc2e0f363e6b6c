"""Today's board for staff: the day's missions and the orders that need someone's attention."""

from __future__ import annotations

from datetime import date, timedelta

from flask import Blueprint, Flask, render_template, request
from flask.typing import ResponseReturnValue

from hub.db import get_session
from hub.ledger.board_view import COUNT_CAP, read_board, today
from hub.web.auth import staff_required
from hub.web.forms import handle_hub_errors

bp = Blueprint("board", __name__)
handle_hub_errors(bp)


def _day() -> date:
    """Return the day asked for in ?day=YYYY-MM-DD, else today in the business's time zone."""
    try:
        asked = date.fromisoformat(request.args.get("day", ""))
    except ValueError:
        asked = None
    if asked is not None and 2000 <= asked.year <= 2100:
        return asked
    return today(get_session())


@bp.get("/board")
@staff_required
def index() -> ResponseReturnValue:
    board = read_board(get_session(), _day())
    return render_template(
        "board/index.html",
        day=board.day,
        today=board.today,
        previous_day=board.day - timedelta(days=1),
        next_day=board.day + timedelta(days=1),
        missions=board.missions,
        counts=board.counts,
        count_cap=COUNT_CAP,
        to_schedule=board.to_schedule,
        done=board.done,
        billing_problems=board.billing_problems,
    )


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
