"""``hub reconcile``: compare a vendor's copy with the ledger, report drift, repair it.

Each vendor adds its command to this group in its own module (``reconcile stripe``,
``reconcile sheets``). A command exits 1 while unresolved drift remains, and stores its
report (``hub.models.ReconcileReport``) for the outbox page.
"""

from __future__ import annotations

import click


@click.group("reconcile")
def reconcile_group() -> None:
    """Compare Stripe or the sheet with the ledger; exit 1 while drift remains."""
