"""Generated values: dates, amounts, reference numbers, NINOs, phone numbers, times.

Every generator draws only from the random stream it is given, never from the
record's labels, so these values cannot predict a label. Phone numbers use the
ranges Ofcom reserves for drama (07700 900xxx, 01632 960xxx); NINO prefixes avoid
the letters HMRC never issues.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable

ValueFn = Callable[[random.Random], str]

_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
_DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_NINO_FIRST = "ABCEGHJKLMNOPRSTWXYZ"
_NINO_SECOND = "ABCEGHJKLMNPRSTWXYZ"
_LETTERS = "ABCDEFGHJKLMNPRSTUWXYZ"
_START = dt.date(2023, 1, 2)
_SPAN_DAYS = 1090


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def _random_date(rng: random.Random) -> dt.date:
    return _START + dt.timedelta(days=rng.randrange(_SPAN_DAYS))


def date(rng: random.Random) -> str:
    """A date in one of the formats people and caseworkers write."""
    d = _random_date(rng)
    month = _MONTHS[d.month - 1]
    style = rng.randrange(8)
    if style == 0:
        return f"{d.day:02d}/{d.month:02d}/{d.year}"
    if style == 1:
        return f"{d.day}/{d.month}/{d.year % 100:02d}"
    if style == 2:
        return f"{d.day}.{d.month}.{d.year % 100:02d}"
    if style == 3:
        return f"{d.day} {month} {d.year}"
    if style == 4:
        return f"{_ordinal(d.day)} {month}"
    if style == 5:
        return f"{month} {_ordinal(d.day)}"
    if style == 6:
        return f"{d.day} {month[:3]}"
    return f"{d.day}/{d.month}"


def date_long(rng: random.Random) -> str:
    """A date as written at the top of a letter."""
    d = _random_date(rng)
    if rng.random() < 0.5:
        return f"{d.day} {_MONTHS[d.month - 1]} {d.year}"
    return f"{_ordinal(d.day)} {_MONTHS[d.month - 1]} {d.year}"


def month(rng: random.Random) -> str:
    """A month name."""
    return _MONTHS[rng.randrange(12)]


def weekday(rng: random.Random) -> str:
    """A day of the week."""
    return _DAYS[rng.randrange(5)]


def year(rng: random.Random) -> str:
    """A recent year."""
    return str(rng.randrange(2012, 2025))


def amount(rng: random.Random) -> str:
    """A benefit-sized amount of money."""
    pounds = int(rng.lognormvariate(5.0, 0.9)) % 2400 + 5
    pence = rng.randrange(100)
    style = rng.randrange(4)
    if style == 0:
        return f"£{pounds}"
    if style == 3:
        return f"{pounds}.{pence:02d}"
    return f"£{pounds}.{pence:02d}"


def small_amount(rng: random.Random) -> str:
    """A small amount, such as a weekly deduction."""
    return f"£{rng.randrange(3, 160)}.{rng.randrange(100):02d}"


def big_amount(rng: random.Random) -> str:
    """A large amount, such as an overpayment or arrears."""
    pounds = rng.randrange(300, 14000)
    return f"£{pounds:,}" if rng.random() < 0.6 else f"£{pounds}.{rng.randrange(100):02d}"


def nino(rng: random.Random) -> str:
    """A National Insurance number, sometimes spaced or in lower case."""
    prefix = (
        _NINO_FIRST[rng.randrange(len(_NINO_FIRST))]
        + _NINO_SECOND[rng.randrange(len(_NINO_SECOND))]
    )
    digits = f"{rng.randrange(1000000):06d}"
    suffix = "ABCD"[rng.randrange(4)]
    style = rng.randrange(6)
    if style == 0:
        return f"{prefix} {digits[:2]} {digits[2:4]} {digits[4:]} {suffix}"
    if style == 1:
        return f"{prefix}{digits}{suffix}".lower()
    return f"{prefix}{digits}{suffix}"


def ref(rng: random.Random) -> str:
    """A claim or case reference number."""
    style = rng.randrange(5)
    num = rng.randrange(10**7, 10**8)
    if style == 0:
        return f"{num}"
    if style == 1:
        return f"{_LETTERS[rng.randrange(len(_LETTERS))]}{num}"
    if style == 2:
        return f"{num // 10000} {num % 10000:04d}"
    if style == 3:
        return f"{rng.randrange(2019, 2026)}/{num % 1000000:06d}"
    return f"CL{num % 10**6:06d}"


def office_ref(rng: random.Random) -> str:
    """A correspondent's own reference (an MP's office, an agency, a solicitor)."""
    initials = _LETTERS[rng.randrange(len(_LETTERS))] + _LETTERS[rng.randrange(len(_LETTERS))]
    style = rng.randrange(4)
    if style == 0:
        return f"{initials}/{rng.randrange(1000, 99999)}"
    if style == 1:
        return f"{initials}{rng.randrange(10000, 999999)}"
    if style == 2:
        return f"{rng.randrange(100, 9999)}/{initials}/{rng.randrange(19, 26)}"
    return f"Case {rng.randrange(10000, 999999)}"


def phone(rng: random.Random) -> str:
    """A fictional phone number (Ofcom drama ranges)."""
    if rng.random() < 0.7:
        tail = f"{rng.randrange(1000):03d}"
        return f"07700 900{tail}" if rng.random() < 0.6 else f"07700900{tail}"
    return f"01632 960{rng.randrange(1000):03d}"


def postcode(rng: random.Random) -> str:
    """A postcode-shaped string."""
    area = _LETTERS[rng.randrange(len(_LETTERS))] + _LETTERS[rng.randrange(len(_LETTERS))]
    inward = f"{rng.randrange(10)}{_LETTERS[rng.randrange(len(_LETTERS))]}"
    return f"{area}{rng.randrange(1, 30)} {inward}{_LETTERS[rng.randrange(len(_LETTERS))]}"


def time(rng: random.Random) -> str:
    """A time of day."""
    hour = rng.randrange(8, 17)
    minute = (0, 0, 15, 30, 30, 45)[rng.randrange(6)]
    style = rng.randrange(4)
    if style == 0:
        return f"{hour:02d}:{minute:02d}"
    if style == 1:
        return f"{hour}.{minute:02d}"
    h12 = hour if hour <= 12 else hour - 12
    half = "am" if hour < 12 else "pm"
    return f"{h12}{half}" if minute == 0 else f"{h12}.{minute:02d}{half}"


def _int_between(low: int, high: int) -> ValueFn:
    def draw(rng: random.Random) -> str:
        return str(rng.randrange(low, high + 1))

    return draw


def _ordinal_between(low: int, high: int) -> ValueFn:
    def draw(rng: random.Random) -> str:
        return _ordinal(rng.randrange(low, high + 1))

    return draw


VALUES: dict[str, ValueFn] = {
    "date": date,
    "date_long": date_long,
    "month": month,
    "weekday": weekday,
    "year": year,
    "amount": amount,
    "small_amount": small_amount,
    "big_amount": big_amount,
    "nino": nino,
    "ref": ref,
    "office_ref": office_ref,
    "phone": phone,
    "postcode": postcode,
    "time": time,
    "weeks": _int_between(2, 16),
    "days": _int_between(2, 12),
    "wd": _int_between(3, 20),
    "n": _int_between(2, 6),
    "hours": _int_between(6, 37),
    "house_no": _int_between(1, 180),
    "nth": _ordinal_between(2, 6),
}
