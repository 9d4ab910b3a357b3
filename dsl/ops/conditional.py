"""``select_when`` (§35, planned for v1.1): a non-Turing conditional, behind a feature flag.

``{"op": "select_when", "regex": PATTERN, "then": [ops], "otherwise": [ops]}`` applies ``then``
to values the pattern matches (see ``dsl.regex``) and ``otherwise`` (default: no ops) to the
rest; NULL never matches. Branches hold v1 ops only (no nesting, so no loops), act on one
column, and must end with the same type. The op is refused unless the pipeline is validated
with ``features={"select_when"}``; it is not in ``ALL_OPS``, the frozen v1 whitelist.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, ClassVar, Literal, Union

from pydantic import Field

from dsl.ops.base import Limits, OpBase, TypeFlowError, Value
from dsl.ops.v1 import OP_CLASSES
from dsl.regex import RegexError, parse_regex

__all__ = ["SelectWhen", "FEATURE"]

FEATURE = "select_when"

if TYPE_CHECKING:
    BranchOp = OpBase
else:  # branches take v1 ops only: no nesting
    BranchOp = Annotated[Union[OP_CLASSES], Field(discriminator="op")]  # noqa: UP007


class SelectWhen(OpBase):
    op: Literal["select_when"] = "select_when"
    regex: str = Field(min_length=1)
    then: list[BranchOp] = Field(min_length=1, max_length=16)
    otherwise: list[BranchOp] = Field(default_factory=list, max_length=16)

    elementwise: ClassVar[bool] = False

    def branch(self, ops: list[OpBase], value: Value, name: str) -> Value:
        for i, op in enumerate(ops):
            try:
                value = op.output(value)
            except TypeFlowError as e:
                raise TypeFlowError(f"{name}[{i}]: {e}", f"{name}/{i}/{e.field}") from None
        return value

    def output(self, value: Value) -> Value:
        if len(value) != 1:
            raise TypeFlowError("select_when acts on one column")
        if value[0].kind != "string":
            raise TypeFlowError(f"select_when tests a string, got {value[0]}")
        then = self.branch(self.then, value, "then")
        otherwise = self.branch(self.otherwise, value, "otherwise")
        if then != otherwise:
            raise TypeFlowError(
                f"then ends as {then[0]} and otherwise as {otherwise[0]}; both must agree",
                "otherwise",
            )
        return then

    def problems(self, limits: Limits) -> list[tuple[str, str]]:
        found: list[tuple[str, str]] = []
        try:
            parse_regex(self.regex, max_length=limits.max_regex_length)
        except RegexError as e:
            found.append(("regex", str(e)))
        for name, ops in (("then", self.then), ("otherwise", self.otherwise)):
            for i, op in enumerate(ops):
                found += [(f"{name}/{i}/{arg}", msg) for arg, msg in op.problems(limits)]
        return found
