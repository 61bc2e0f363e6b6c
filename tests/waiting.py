"""Wait on a condition, never on the clock: tests of processes and threads poll the state."""

from __future__ import annotations

import time
from collections.abc import Callable

# Generous: a loaded machine (pytest -n 8 on two cores) can take many seconds for what
# takes a fraction of one alone. A condition that holds returns at once, so this costs nothing.
DEFAULT_TIMEOUT = 60.0


def wait_until(
    condition: Callable[[], bool], timeout: float = DEFAULT_TIMEOUT, step: float = 0.05
) -> bool:
    """Poll until the condition holds; False when the timeout passes first."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(step)
    return condition()
