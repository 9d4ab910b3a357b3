"""The frozen v1 op classes (§11), in the spec's order: the one list everything derives from."""

from __future__ import annotations

from dsl.ops.base import OpBase
from dsl.ops.cast import TypeCast
from dsl.ops.mapping import MapDict
from dsl.ops.numeric import SafeMath, UnitConvert
from dsl.ops.string import Case, CollapseWhitespace, Concat, RegexExtract, RegexSplit, Trim
from dsl.ops.temporal import DateFormat, DateParse

__all__ = ["OP_CLASSES"]

OP_CLASSES: tuple[type[OpBase], ...] = (
    Trim,
    Case,
    CollapseWhitespace,
    RegexExtract,
    RegexSplit,
    Concat,
    MapDict,
    UnitConvert,
    DateParse,
    DateFormat,
    TypeCast,
    SafeMath,
)
