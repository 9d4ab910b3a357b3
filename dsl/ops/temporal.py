"""Date ops: ``date_parse`` and ``date_format``, defined token by token (no engine's strptime).

Engines' own parsers disagree (PostgreSQL's ``to_date`` rolls 02/30 over to March, MariaDB's
``STR_TO_DATE`` accepts partial input), so a format is compiled into a regex that checks the
string's shape and extracts its fields, and the date is built from the fields only when it is a
real calendar date. Tokens:

=======  =======================================  ======
token    meaning                                   shape
=======  =======================================  ======
``%Y``   year, 4 digits                            0000-9999 (year 0 is refused)
``%y``   year, 2 digits: 00-68 -> 2000s, 69-99 -> 1900s (POSIX)
``%m``   month, 1 or 2 digits                      1-12
``%d``   day of month, 1 or 2 digits               valid for the month and year
``%H``   hour, 2 digits                            00-23
``%M``   minute, 2 digits                          00-59
``%S``   second, 2 digits                          00-59
``%%``   a literal ``%``
=======  =======================================  ======

Any other character is literal. ``date_parse`` tries its formats in order and takes the first
that fits: day/month order is decided by that list, never guessed. A string no format fits is
NULL. Times are naive and read as UTC. ``date_format`` writes the same tokens, zero-padded
(``%m`` and ``%d`` always two digits).
"""

from __future__ import annotations

import re
from typing import ClassVar, Literal

from pydantic import Field

from dsl.ops.base import Limits, OpBase
from dsl.types import DType

__all__ = ["DateParse", "DateFormat", "TOKENS", "tokenize"]

TOKENS = {"Y", "y", "m", "d", "H", "M", "S"}
_TIME_TOKENS = {"H", "M", "S"}


def tokenize(fmt: str) -> list[tuple[str, str]]:
    """Split a format into ``("token", letter)`` and ``("literal", text)`` parts.

    Example:
        >>> tokenize("%d.%m.%Y")
        [('token', 'd'), ('literal', '.'), ('token', 'm'), ('literal', '.'), ('token', 'Y')]
    """
    parts: list[tuple[str, str]] = []
    i = 0
    while i < len(fmt):
        if fmt[i] == "%":
            if i + 1 >= len(fmt):
                raise ValueError("a format cannot end with %")
            letter = fmt[i + 1]
            if letter == "%":
                parts.append(("literal", "%"))
            elif letter in TOKENS:
                parts.append(("token", letter))
            else:
                raise ValueError(f"%{letter} is not a supported token (use %Y %y %m %d %H %M %S)")
            i += 2
        else:
            parts.append(("literal", fmt[i]))
            i += 1
    merged: list[tuple[str, str]] = []
    for kind, text in parts:
        if kind == "literal" and merged and merged[-1][0] == "literal":
            merged[-1] = ("literal", merged[-1][1] + text)
        else:
            merged.append((kind, text))
    return merged


def _format_problem(fmt: str, to: str) -> str | None:
    try:
        parts = tokenize(fmt)
    except ValueError as e:
        return str(e)
    letters = [text for kind, text in parts if kind == "token"]
    if len(letters) != len(set(letters)):
        return "a token appears twice"
    if ("Y" in letters) == ("y" in letters) or "m" not in letters or "d" not in letters:
        return "a date format needs one year (%Y or %y), %m and %d"
    if ("H" in letters) != ("M" in letters) or ("S" in letters and "H" not in letters):
        return "a time needs %H and %M together (and %S only with them)"
    if to == "date" and _TIME_TOKENS & set(letters):
        return "a date has no time: parse to timestamp, or drop %H %M %S"
    for kind, text in parts:
        if kind == "literal" and re.search(r"[0-9]", text):
            return "digits may not be literal in a format"
    return None


class DateParse(OpBase):
    op: Literal["date_parse"] = "date_parse"
    formats: list[str] = Field(min_length=1, max_length=16)
    to: Literal["date", "timestamp"] = "date"

    def result(self, dtype: DType) -> DType:
        return DType(self.to)

    def problems(self, limits: Limits) -> list[tuple[str, str]]:
        found = []
        for i, fmt in enumerate(self.formats):
            problem = _format_problem(fmt, self.to)
            if problem:
                found.append((f"formats/{i}", f"{fmt!r}: {problem}"))
        return found


class DateFormat(OpBase):
    op: Literal["date_format"] = "date_format"
    format: str = Field(min_length=1, max_length=64)

    accepts: ClassVar[tuple[str, ...]] = ("date", "timestamp")

    def problems(self, limits: Limits) -> list[tuple[str, str]]:
        try:
            tokenize(self.format)
        except ValueError as e:
            return [("format", str(e))]
        return []
