"""Demo data: placeholder."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.orm import Session


def seed_demo(session: Session, progress: Callable[[str], None]) -> str:
    return "demo: nothing yet"
