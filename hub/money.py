"""Money and quantities: parsing what people type, and tax-inclusive arithmetic in integer cents.

Rounding rule, stated once: every division rounds half away from zero (half-up for the
positive amounts the ledger holds), per line, and order totals are sums of rounded lines.

- line amount (TTC)  = round(unit_price_cents * quantity_milli / 1000)
- line VAT           = round(amount * vat_bp / (10000 + vat_bp))   (as Stripe rounds an
                       inclusive tax rate, per line, half up: see sandbox/stripe/taxes.py)
- line net (HT)      = amount - VAT
- order total / VAT  = sum of the lines' amounts / VATs
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from hub.errors import N_, AmountError

MAX_AMOUNT_CENTS = 100_000_000  # 1,000,000.00
MAX_QUANTITY_MILLI = 10_000_000  # 10,000 units
_SPACES = re.compile(r"[\s\u00a0\u202f]")
# ASCII digits only: \d also matches Arabic-Indic and full-width digits, which Decimal reads.
_NUMBER = re.compile(
    r"^[0-9]{1,3}(?:[ ][0-9]{3})+(?:[.,][0-9]+)?$|^[0-9]+(?:[.,][0-9]+)?$|^[.,][0-9]+$"
)


_NOT_A_NUMBER = N_("“%(text)s” is not a number; write it like 12,50.")


def _to_decimal(value: str | int | float | Decimal) -> Decimal:
    """Read a number a person typed or a client sent, refusing anything ambiguous."""
    if isinstance(value, bool):
        raise AmountError(_NOT_A_NUMBER, text=str(value))
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        dec = Decimal(repr(value))
        if not dec.is_finite():
            raise AmountError(_NOT_A_NUMBER, text=repr(value))
        return dec
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise AmountError(_NOT_A_NUMBER, text=str(value))
        return value
    if not isinstance(value, str):
        raise AmountError(_NOT_A_NUMBER, text=str(value)[:40])
    shown = value.strip()[:40]
    raw = value.strip()
    for suffix in ("€", "EUR", "eur"):
        if raw.endswith(suffix):
            raw = raw[: -len(suffix)].strip()
            break
    if not raw:
        raise AmountError(N_("This field is required."))
    if raw.startswith("-"):
        raise AmountError(N_("Negative values are not allowed."))
    # Normalise every kind of space (French thousands separators included) to one space.
    spaced = _SPACES.sub(" ", raw)
    if not _NUMBER.match(spaced) or ("," in spaced and "." in spaced):
        raise AmountError(_NOT_A_NUMBER, text=shown)
    try:
        return Decimal(spaced.replace(" ", "").replace(",", "."))
    except InvalidOperation as exc:  # pragma: no cover - the pattern already rejects these
        raise AmountError(_NOT_A_NUMBER, text=shown) from exc


def _decimals(dec: Decimal) -> int:
    # As typed, trailing zeros included: "1,250" is three decimals, not a tidied-up 1,25.
    exponent = dec.as_tuple().exponent
    return -exponent if isinstance(exponent, int) and exponent < 0 else 0


def parse_cents(value: str | int | float | Decimal) -> int:
    """Parse a tax-inclusive price such as ``12,50``, ``12.50``, ``12,50 €`` or ``1 250,00``."""
    dec = _to_decimal(value)
    if dec < 0:
        raise AmountError(N_("Negative values are not allowed."))
    if _decimals(dec) > 2:
        raise AmountError(N_("A price has at most 2 decimals (cents)."))
    cents = int(dec * 100)
    if cents > MAX_AMOUNT_CENTS:
        raise AmountError(N_("A price cannot exceed 1 000 000,00 €."))
    return cents


def parse_quantity_milli(value: str | int | float | Decimal) -> int:
    """Parse a quantity such as ``2``, ``1,5`` or ``0.25`` into thousandths of a unit."""
    dec = _to_decimal(value)
    if dec <= 0:
        raise AmountError(N_("A quantity must be greater than zero."))
    if _decimals(dec) > 3:
        raise AmountError(N_("A quantity has at most 3 decimals."))
    milli = int(dec * 1000)
    if milli > MAX_QUANTITY_MILLI:
        raise AmountError(N_("A quantity cannot exceed 10 000."))
    return milli


def _round_div(numerator: int, denominator: int) -> int:
    """Divide non-negative integers, rounding half up."""
    return int((Decimal(numerator) / Decimal(denominator)).quantize(Decimal(1), ROUND_HALF_UP))


@dataclass(frozen=True)
class LineAmounts:
    amount_cents: int
    net_cents: int
    vat_cents: int


def line_amounts(unit_price_cents: int, quantity_milli: int, vat_bp: int) -> LineAmounts:
    """Compute a tax-inclusive line's amount, net and VAT in cents."""
    if unit_price_cents < 0 or quantity_milli <= 0 or vat_bp < 0:
        raise AmountError(N_("Prices, quantities and VAT rates must be positive."))
    amount = _round_div(unit_price_cents * quantity_milli, 1000)
    # Round the VAT, not the net: the two differ on exact halves (3 cents at 20 % is 0,5 of
    # VAT), and Stripe rounds the tax, so only this way do the hub's totals equal Stripe's.
    vat = _round_div(amount * vat_bp, 10_000 + vat_bp)
    return LineAmounts(amount_cents=amount, net_cents=amount - vat, vat_cents=vat)


def format_cents(cents: int, language: str = "fr") -> str:
    """Render cents for people: ``1 250,00 €`` in French, ``€1,250.00`` in English."""
    sign = "-" if cents < 0 else ""
    units, rest = divmod(abs(cents), 100)
    if language == "en":
        return f"{sign}€{units:,}.{rest:02d}"
    grouped = f"{units:,}".replace(",", "\u202f")
    return f"{sign}{grouped},{rest:02d}\u00a0€"


def format_quantity(quantity_milli: int, language: str = "fr") -> str:
    """Render a quantity without trailing zeros: ``1,5`` in French, ``1.5`` in English."""
    text = f"{Decimal(quantity_milli) / 1000:f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text.replace(".", ",") if language == "fr" else text


def format_cents_plain(cents: int) -> str:
    """Render cents as an editable decimal string, ``12,50`` style."""
    units, rest = divmod(cents, 100)
    return f"{units},{rest:02d}"


def format_vat(vat_bp: int) -> str:
    """Render a VAT rate in basis points as a percentage, ``20 %`` or ``5,5 %``."""
    text = f"{Decimal(vat_bp) / 100:f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return f"{text.replace('.', ',')}\u00a0%"
