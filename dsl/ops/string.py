"""String ops: trim, case, collapse_whitespace, regex_extract, regex_split, concat.

Semantics shared by all of them: NULL in, NULL out; the empty string is a value, not NULL.

- *whitespace* means exactly the six ASCII characters space, \\t, \\n, \\v, \\f, \\r (the engines
  disagree on Unicode spaces, so none of them is whitespace here: U+00A0 is kept);
- ``case`` maps ASCII letters only (``é`` stays ``é`` under ``upper``); the engines disagree on
  ``ß``, final sigma, Turkish dotted I and title-case digraphs, so non-ASCII letters are kept;
- regex patterns follow ``dsl.regex`` (a deterministic, linear-time subset);
- ``regex_extract`` gives the group of the leftmost match: NULL when nothing matches, ``''`` when
  the pattern matched but the group took no part in the match;
- ``regex_split`` splits on every match and returns part ``index`` (0-based), NULL when there
  is no such part; the pattern may not match the empty string;
- ``concat`` joins the columns of a multi-column value with ``separator``; with ``skip_nulls``
  NULL columns are left out (NULL when all are NULL), without it any NULL makes the result NULL.
"""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field

from dsl.ops.base import Limits, OpBase, TypeFlowError, Value
from dsl.regex import RegexError, parse_regex
from dsl.types import STRING

__all__ = ["Trim", "Case", "CollapseWhitespace", "RegexExtract", "RegexSplit", "Concat"]

WHITESPACE = " \t\n\v\f\r"


class Trim(OpBase):
    """Remove ASCII whitespace from both ends, or one."""

    op: Literal["trim"] = "trim"
    side: Literal["both", "left", "right"] = "both"


class Case(OpBase):
    """Map ASCII letters to upper or lower case."""

    op: Literal["case"] = "case"
    to: Literal["upper", "lower"]


class CollapseWhitespace(OpBase):
    """Replace every run of ASCII whitespace by one space (ends are not trimmed)."""

    op: Literal["collapse_whitespace"] = "collapse_whitespace"


def _regex_problems(pattern: str, limits: Limits) -> list[tuple[str, str]]:
    try:
        parse_regex(pattern, max_length=limits.max_regex_length)
    except RegexError as e:
        return [("pattern", str(e))]
    return []


class RegexExtract(OpBase):
    """The ``group``-th capture group (0 = the whole match) of the leftmost match."""

    op: Literal["regex_extract"] = "regex_extract"
    pattern: str = Field(min_length=1)
    group: int = Field(default=1, ge=0, le=99)

    def problems(self, limits: Limits) -> list[tuple[str, str]]:
        found = _regex_problems(self.pattern, limits)
        if not found and self.group > parse_regex(self.pattern).groups:
            found.append(("group", f"the pattern has {parse_regex(self.pattern).groups} groups"))
        return found


class RegexSplit(OpBase):
    """Part ``index`` of the string split on ``pattern``."""

    op: Literal["regex_split"] = "regex_split"
    pattern: str = Field(min_length=1)
    index: int = Field(ge=0, le=999)

    def problems(self, limits: Limits) -> list[tuple[str, str]]:
        found = _regex_problems(self.pattern, limits)
        if not found:
            regex = parse_regex(self.pattern)
            if regex.groups:
                found.append(("pattern", "a split pattern may not capture; use (?:...) groups"))
            if regex.nullable:
                found.append(("pattern", "a split pattern must not match the empty string"))
        return found


class Concat(OpBase):
    """Join a multi-column value into one string."""

    op: Literal["concat"] = "concat"
    separator: str = Field(default="", max_length=100)
    skip_nulls: bool = True

    elementwise: ClassVar[bool] = False

    def output(self, value: Value) -> Value:
        if len(value) < 2:
            raise TypeFlowError("concat joins several columns; the pipeline has one here")
        for dtype in value:
            if dtype.kind != "string":
                raise TypeFlowError(f"concat needs string columns, got {dtype}")
        return (STRING,)
