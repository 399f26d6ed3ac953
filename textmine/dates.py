"""Reading the date column of a feedback dump.

:func:`parse_date` reads one cell in the forms exports commonly use:

- Chinese and ISO dates, with or without a time: ``2024年3月5日``, ``2024年3月5号 12:30``,
  ``2024/3/5 12:30``, ``2024-03-05``, ``2024-03-05T12:30:00``, ``2024.3.5``;
- compact dates ``20240305``;
- Excel serial dates (days since 1899-12-30, a fraction for the time): ``45356``,
  ``45356.5``, for the years 1950 to 2100;
- Unix timestamps in seconds (``1709596800``) or milliseconds (``1709596800000``),
  for the years 1990 to 2100, read as UTC;
- ``datetime``, ``date`` and pandas ``Timestamp`` values as they are.

Numbers outside those ranges, and any other text, are not dates. :func:`read_dates`
reads a whole column and fails loudly when no cell is a date.
"""
from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone

from .errors import NO_READABLE_DATE, InputError

__all__ = ["DateColumn", "parse_date", "read_dates"]

_DATE = re.compile(
    r"^(\d{4})\s*[年/\-.]\s*(\d{1,2})\s*[月/\-.]\s*(\d{1,2})\s*[日号]?"
    r"(?:[\sT]*(\d{1,2})\s*[:时点]\s*(?:(\d{1,2})\s*分?)?\s*(?::?\s*(\d{1,2}(?:\.\d+)?)\s*秒?)?)?"
    r"(?:\s*(?:Z|[+-]\d{2}:?\d{2}))?$")
_NUMBER = re.compile(r"^\d+(?:\.\d+)?$")
_EXCEL_EPOCH = datetime(1899, 12, 30)
_EXCEL_RANGE = (18264, 73051)                     # 1950-01-01 .. 2100-01-01
_UNIX_RANGE = (631152000, 4102444800)             # 1990-01-01 .. 2100-01-01, seconds


@dataclass(frozen=True)
class DateColumn:
    """The dates of one column: ``stamps`` holds one ``datetime`` or ``None`` per cell,
    in order; ``readable`` counts the cells that hold a date; ``unreadable`` quotes up
    to five cells that are neither empty nor a date."""

    stamps: list[datetime | None]
    readable: int
    unreadable: list[str] = field(default_factory=list)

    @property
    def total(self) -> int:
        """Number of cells."""
        return len(self.stamps)


def _from_number(value: float) -> datetime | None:
    if value.is_integer() and 19000101 <= value <= 21001231:
        n = int(value)
        return _from_parts(n // 10000, n // 100 % 100, n % 100)
    if _EXCEL_RANGE[0] <= value <= _EXCEL_RANGE[1]:
        return _EXCEL_EPOCH + timedelta(days=value)
    for scale in (1, 1000):
        if _UNIX_RANGE[0] * scale <= value <= _UNIX_RANGE[1] * scale:
            return datetime.fromtimestamp(value / scale, tz=timezone.utc).replace(tzinfo=None)
    return None


def _from_parts(year: int, month: int, day: int, *time: float) -> datetime | None:
    try:
        hour, minute, second = (list(time) + [0, 0, 0])[:3]
        return datetime(year, month, day) + timedelta(hours=hour, minutes=minute, seconds=second)
    except ValueError:
        return None


def parse_date(value: object) -> datetime | None:
    """The date and time in one cell (see the module's list of forms), or ``None``
    when the cell holds none. A time zone given in the text is dropped (the local time
    as written is kept). Never raises."""
    if isinstance(value, date):
        if value != value:  # pandas NaT
            return None
        if hasattr(value, "to_pydatetime"):  # pandas Timestamp
            value = value.to_pydatetime()
        if isinstance(value, datetime):
            return value.replace(tzinfo=None)
        return datetime(value.year, value.month, value.day)
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (int, float)):
        return _from_number(float(value)) if value == value else None
    text = unicodedata.normalize("NFKC", str(value)).strip()
    if not text:
        return None
    if _NUMBER.match(text):
        return _from_number(float(text))
    match = _DATE.match(text)
    if match is None:
        return None
    year, month, day, hour, minute, second = match.groups()
    time = [int(hour)] + [int(minute or 0), float(second or 0)] if hour is not None else []
    return _from_parts(int(year), int(month), int(day), *time)


def read_dates(values: Sequence[object], *, column: str = "date", path: str | None = None) -> DateColumn:
    """Read every cell of a date column with :func:`parse_date`.

    Returns
    -------
    DateColumn
        One stamp per cell, the count of readable ones and examples of unreadable ones.

    Raises
    ------
    InputError
        When the column has cells but none holds a date; the message names the
        column (and ``path``) and quotes a few cells.
    """
    stamps = [parse_date(v) for v in values]
    readable = sum(s is not None for s in stamps)
    unreadable = [str(v) for v, s in zip(values, stamps) if s is None and str(v).strip() and v == v][:5]
    if values and not readable:
        examples = ", ".join(repr(v) for v in unreadable[:3]) or "(all empty)"
        raise InputError(NO_READABLE_DATE.format(column=column, rows=len(values), examples=examples), path=path)
    return DateColumn(stamps, readable, unreadable)
