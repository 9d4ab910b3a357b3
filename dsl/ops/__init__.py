"""The v1 ops (§11, frozen): one module per family. ``ALL_OPS`` is derived from the classes."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Union

from pydantic import Field

from dsl.ops.base import Limits, OpBase, TypeFlowError, Value
from dsl.ops.cast import TypeCast
from dsl.ops.mapping import MapDict
from dsl.ops.numeric import SafeMath, UnitConvert
from dsl.ops.string import Case, CollapseWhitespace, Concat, RegexExtract, RegexSplit, Trim
from dsl.ops.temporal import DateFormat, DateParse

__all__ = [
    "ALL_OPS",
    "OP_CLASSES",
    "Op",
    "OpBase",
    "Limits",
    "TypeFlowError",
    "Value",
    "Trim",
    "Case",
    "CollapseWhitespace",
    "RegexExtract",
    "RegexSplit",
    "Concat",
    "MapDict",
    "UnitConvert",
    "DateParse",
    "DateFormat",
    "TypeCast",
    "SafeMath",
]

#: The op classes, in the order of §11.
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
#: The whitelist of op names, derived from the classes.
ALL_OPS: tuple[str, ...] = tuple(cls.tag() for cls in OP_CLASSES)

if TYPE_CHECKING:
    Op = OpBase
else:  # the discriminated union of every op class, for parsing pipelines
    Op = Annotated[Union[OP_CLASSES], Field(discriminator="op")]  # noqa: UP007
