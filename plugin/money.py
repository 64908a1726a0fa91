"""Amounts of money as a shop owner reads them: "₪1,234.50", in the admin's number format, one
total per currency (a Saleor store may sell in several channels with their own currencies)."""
from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django.utils.formats import number_format

SYMBOLS = {"ILS": "₪", "USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥", "INR": "₹", "PLN": "zł ", "CHF": "CHF "}


def decimal(value) -> Decimal:
    """A money value as Saleor or a Django signal gives it (number, text, None), or 0."""
    try:
        return Decimal(str(value or 0))
    except InvalidOperation:
        return Decimal(0)


def amount(value, what: str = "amount") -> Decimal:
    """A money value a store's own code passes (``Decimal``, ``int``, ``float`` or text such as
    ``"20.00"``), as a Decimal; anything else (``"abc"``, ``True``, ``None``, NaN, a negative
    amount) raises TypeError / ValueError naming ``what``: an amount decides what is taken back,
    so a wrong one is the developer's to see, never guessed."""
    if isinstance(value, bool) or not isinstance(value, (Decimal, int, float, str)):
        raise TypeError(f"{what} must be a number (Decimal, int, float or text such as \"20.00\"), "
                        f"not {type(value).__name__}")
    try:
        number = Decimal(value.strip() if isinstance(value, str) else str(value))
    except InvalidOperation:
        raise ValueError(f"{what} must be a number such as 20.00, not {str(value)[:40]!r}") from None
    if not number.is_finite():
        raise ValueError(f"{what} must be a finite number, not {value!r}")
    if number < 0:
        raise ValueError(f"{what} cannot be negative ({number})")
    return number


def format_money(amount, currency: str = "") -> str:
    digits = number_format(decimal(amount), decimal_pos=2, force_grouping=True)
    symbol = SYMBOLS.get(currency.upper())
    if symbol:
        return f"−{symbol}{digits[1:]}" if digits.startswith("-") else f"{symbol}{digits}"
    return f"{digits} {currency}".strip()


class Amounts(dict):
    """currency → Decimal; adds up per currency and reads "₪1,200.00 + €30.00"."""

    def add(self, amount, currency: str) -> None:
        self[currency] = self.get(currency, Decimal(0)) + decimal(amount)

    def __add__(self, other: "Amounts") -> "Amounts":
        total = Amounts(self)
        for currency, amount in other.items():
            total.add(amount, currency)
        return total

    def __sub__(self, other: "Amounts") -> "Amounts":
        return self + Amounts({currency: -amount for currency, amount in other.items()})

    @property
    def is_zero(self) -> bool:
        return not any(self.values())

    def format(self, currency: str = "") -> str:
        """Each currency's total; none: zero in ``currency`` (the store's)."""
        shown = [(c, a) for c, a in sorted(self.items()) if a] or [(currency or next(iter(self), ""), Decimal(0))]
        return " + ".join(format_money(amount, code) for code, amount in shown)

    def __str__(self) -> str:
        return self.format()
