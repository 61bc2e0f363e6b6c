"""The hub's marks read back from Stripe metadata, whatever a person typed there."""

from __future__ import annotations

import pytest

from connectors.stripe.metadata import version_in


class _Marked:
    def __init__(self, metadata: dict[str, str]) -> None:
        self.metadata = metadata


@pytest.mark.parametrize("typed", ["", "x", "²", "-3", "1.5"])
def test_a_version_that_is_not_plain_digits_reads_as_none(typed: str) -> None:
    assert version_in(_Marked({"hub_version": typed}), "hub_version") == 0


def test_a_version_in_digits_is_read() -> None:
    assert version_in(_Marked({"hub_version": "12"}), "hub_version") == 12
