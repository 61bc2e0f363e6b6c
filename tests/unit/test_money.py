"""Money parsing and tax-inclusive arithmetic, checked by example and by property."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hub.errors import AmountError
from hub.money import (
    MAX_AMOUNT_CENTS,
    format_cents,
    format_cents_plain,
    format_quantity,
    format_vat,
    line_amounts,
    parse_cents,
    parse_quantity_milli,
)

cents = st.integers(min_value=0, max_value=MAX_AMOUNT_CENTS)
vat_rates = st.sampled_from([0, 210, 550, 1000, 2000])
quantities = st.integers(min_value=1, max_value=100_000)


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("12,50", 1250),
        ("12.50", 1250),
        ("12,50 €", 1250),
        ("12,50€", 1250),
        ("1 250,00", 125000),
        ("1\u202f250,00", 125000),
        ("1\u00a0250,00 €", 125000),
        ("0", 0),
        ("7", 700),
        ("0,5", 50),
        (",5", 50),
        ("1000000", MAX_AMOUNT_CENTS),
        (12, 1200),
        (12.5, 1250),
        (Decimal("3.05"), 305),
    ],
)
def test_prices_people_type_are_read_to_the_cent(typed: object, expected: int) -> None:
    assert parse_cents(typed) == expected  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "typed",
    [
        "",
        "   ",
        "-1",
        "-0,01",
        "abc",
        "12,5x",
        "1.234",
        "12,345",
        "1,250.00",
        "1 25,00",
        "1000000,01",
        "99999999999999999999",
        "nan",
        "inf",
        "1e3",
        "0x10",
        "€",
        True,
        None,
        [],
        float("nan"),
        float("inf"),
        -5,
    ],
)
def test_unreadable_prices_are_refused_with_a_message(typed: object) -> None:
    with pytest.raises(AmountError) as info:
        parse_cents(typed)  # type: ignore[arg-type]
    assert str(info.value)


@pytest.mark.parametrize("typed", ["1,250", "1.250", "12,500", "0,100"])
def test_a_price_with_three_decimals_typed_is_refused_even_when_the_last_is_zero(
    typed: str,
) -> None:
    with pytest.raises(AmountError) as info:
        parse_cents(typed)
    assert info.value.message == "A price has at most 2 decimals (cents)."


@pytest.mark.parametrize(("typed", "expected"), [("1,500", 1500), ("1.250", 1250), ("2,0", 2000)])
def test_a_quantity_keeps_up_to_three_decimals_as_typed(typed: str, expected: int) -> None:
    assert parse_quantity_milli(typed) == expected


@given(cents)
def test_every_price_survives_a_round_trip_through_its_french_spelling(amount: int) -> None:
    assert parse_cents(format_cents_plain(amount)) == amount
    assert parse_cents(format_cents(amount, "fr")) == amount


@given(cents)
def test_dot_and_comma_decimals_read_the_same(amount: int) -> None:
    units, rest = divmod(amount, 100)
    assert parse_cents(f"{units}.{rest:02d}") == parse_cents(f"{units},{rest:02d}") == amount


@given(st.integers(min_value=1, max_value=10_000_000))
def test_quantities_round_trip_through_their_spelling(milli: int) -> None:
    assert parse_quantity_milli(format_quantity(milli, "fr")) == milli
    assert parse_quantity_milli(format_quantity(milli, "en")) == milli


@pytest.mark.parametrize("typed", ["0", "-1", "1,2345", "10001", "deux", ""])
def test_bad_quantities_are_refused(typed: str) -> None:
    with pytest.raises(AmountError):
        parse_quantity_milli(typed)


@given(cents, quantities, vat_rates)
def test_a_line_splits_exactly_into_net_and_vat(price: int, milli: int, vat_bp: int) -> None:
    line = line_amounts(price, milli, vat_bp)
    assert line.net_cents + line.vat_cents == line.amount_cents
    assert 0 <= line.vat_cents <= line.amount_cents
    # The amount is the exact product rounded half-up to the cent.
    exact = Decimal(price) * milli / 1000
    assert abs(Decimal(line.amount_cents) - exact) <= Decimal("0.5")
    # The VAT is what the rate implies on a tax-inclusive amount, within half a cent.
    implied = Decimal(line.amount_cents) * vat_bp / (10_000 + vat_bp)
    assert abs(Decimal(line.vat_cents) - implied) <= Decimal("0.5")


def test_known_lines_match_hand_computed_invoices() -> None:
    assert line_amounts(3500, 1500, 2000).amount_cents == 5250
    assert line_amounts(3500, 1500, 2000).vat_cents == 875
    assert line_amounts(2800, 1000, 1000).vat_cents == 255  # 28,00 TTC at 10 %: 25,45 HT
    assert line_amounts(999, 333, 2000).amount_cents == 333  # 332,667 rounds up
    assert line_amounts(0, 1000, 2000).vat_cents == 0


def test_amounts_are_shown_in_each_language() -> None:
    assert format_cents(125050, "fr") == "1\u202f250,50\u00a0€"
    assert format_cents(125050, "en") == "€1,250.50"
    assert format_quantity(1500, "fr") == "1,5"
    assert format_quantity(2000, "en") == "2"
    assert format_vat(550) == "5,5\u00a0%"
    assert format_vat(2000) == "20\u00a0%"


def test_vat_is_rounded_half_up_as_stripe_rounds_an_inclusive_rate() -> None:
    # 0,03 € at 20 % holds exactly half a cent of VAT: Stripe rounds that tax up, to 1 cent.
    assert line_amounts(3, 1000, 2000).vat_cents == 1
    assert line_amounts(1053, 1000, 2000).vat_cents == 176  # 175,5 cents of VAT
