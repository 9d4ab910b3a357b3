"""The v1 ops (§11, frozen): one module per family. ``ALL_OPS`` is derived from the classes."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Union

from pydantic import Field

from dsl.ops.base import Limits, OpBase, TypeFlowError, Value
from dsl.ops.cast import TypeCast
from dsl.ops.conditional import FEATURE, SelectWhen
from dsl.ops.mapping import MapDict
from dsl.ops.numeric import SafeMath, UnitConvert
from dsl.ops.string import Case, CollapseWhitespace, Concat, RegexExtract, RegexSplit, Trim
from dsl.ops.temporal import DateFormat, DateParse
from dsl.ops.v1 import OP_CLASSES

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
    "SelectWhen",
    "FLAGGED_OPS",
    "AnyOp",
]

#: The whitelist of op names, derived from the classes.
ALL_OPS: tuple[str, ...] = tuple(cls.tag() for cls in OP_CLASSES)

#: Ops beyond v1, by the feature flag that enables each (§35).
FLAGGED_OPS: dict[str, type[OpBase]] = {FEATURE: SelectWhen}

if TYPE_CHECKING:
    Op = OpBase
    AnyOp = OpBase
else:  # discriminated unions of the op classes, for parsing pipelines
    Op = Annotated[Union[OP_CLASSES], Field(discriminator="op")]  # noqa: UP007
    AnyOp = Annotated[Union[OP_CLASSES + tuple(FLAGGED_OPS.values())], Field(discriminator="op")]  # noqa: UP007
