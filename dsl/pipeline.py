"""Pipelines: an ordered list of ops from one or more input columns to one output column.

A pipeline is plain JSON (``model_dump``/``model_validate``), content-hashed, and tagged with the
``dsl_version`` it was written for. With several inputs the value is a tuple of columns until an
op combines them (``concat``, or ``safe_math`` on two columns); ops before that apply to each
column. At the end the value must be a single column.

``validate_pipeline`` turns any JSON-like document into a checked :class:`Pipeline`, or raises
DSL_REJECT naming the op index, the JSON pointer of the bad argument and the output column; with
``collect=True`` it reports every problem at once.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from core.canonical import content_hash
from dsl.errors import DslError, DslErrors, DslIssue
from dsl.ops import ALL_OPS, FLAGGED_OPS, AnyOp, Limits, TypeFlowError, Value
from dsl.types import STRING, DType, parse_type
from dsl.version import DSL_VERSION, supports

__all__ = ["Input", "Pipeline", "validate_pipeline", "value_types"]


class Input(BaseModel):
    """An input column and its type (``string`` unless the catalog says otherwise)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1, max_length=256)
    type: str = "string"

    @field_validator("type")
    @classmethod
    def _known(cls, value: str) -> str:
        return str(parse_type(value))


class Pipeline(BaseModel):
    """A checked pipeline. Build it with :func:`validate_pipeline`."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    dsl_version: str = DSL_VERSION
    inputs: list[Input] = Field(min_length=1)
    output: str = Field(min_length=1, max_length=256)
    ops: list[AnyOp] = Field(default_factory=list)

    @field_validator("inputs", mode="before")
    @classmethod
    def _names(cls, value: Any) -> Any:
        if isinstance(value, list):
            return [{"name": v} if isinstance(v, str) else v for v in value]
        return value

    @property
    def hash(self) -> str:
        """SHA-256 of the canonical JSON of the pipeline."""
        return content_hash(self.model_dump(mode="python"))


def value_types(pipeline: Pipeline) -> list[Value]:
    """The value type before the first op and after each op."""
    value: Value = tuple(parse_type(i.type) for i in pipeline.inputs)
    flow = [value]
    for op in pipeline.ops:
        value = op.output(value)
        flow.append(value)
    return flow


def _pointer(loc: tuple[int | str, ...]) -> str:
    return "/" + "/".join(str(p).replace("~", "~0").replace("/", "~1") for p in loc)


def _structure_issues(e: ValidationError, column: str | None) -> list[DslIssue]:
    issues = []
    for error in e.errors(include_url=False):
        loc = tuple(error["loc"])
        op_index = loc[1] if len(loc) > 1 and loc[0] == "ops" and isinstance(loc[1], int) else None
        # pydantic puts the discriminator tag after each list index; a JSON pointer has none
        tags = set(ALL_OPS) | set(FLAGGED_OPS)
        loc = tuple(
            p for i, p in enumerate(loc) if not (p in tags and i and isinstance(loc[i - 1], int))
        )
        message = error["msg"]
        if error["type"] == "union_tag_invalid":
            tag = (error.get("ctx") or {}).get("tag", "?")
            message = f"unknown op {tag!r}; the DSL has {', '.join(ALL_OPS)}"
            loc = (*loc, "op")
        elif error["type"] == "union_tag_not_found":
            message = "an op needs an 'op' key"
        issues.append(DslIssue(message, _pointer(loc), op_index, column))
    return issues


def _semantic_issues(
    pipeline: Pipeline, limits: Limits, features: frozenset[str]
) -> list[DslIssue]:
    column = pipeline.output
    issues: list[DslIssue] = []
    for i, op in enumerate(pipeline.ops):
        for flag, cls in FLAGGED_OPS.items():
            if isinstance(op, cls) and flag not in features:
                issues.append(
                    DslIssue(
                        f"{op.tag()} is behind the feature flag {flag!r} (§35, planned for "
                        f"v1.1); it is off unless the pipeline is validated with it",
                        f"/ops/{i}/op",
                        i,
                        column,
                    )
                )
    if not supports(pipeline.dsl_version):
        issues.append(
            DslIssue(
                f"dsl_version {pipeline.dsl_version} is not supported by DSL {DSL_VERSION}",
                "/dsl_version",
                column=column,
            )
        )
    count = sum(
        1 + len(getattr(op, "then", ())) + len(getattr(op, "otherwise", ())) for op in pipeline.ops
    )
    if count > limits.max_ops_per_pipeline:
        issues.append(
            DslIssue(
                f"{count} ops; the policy allows {limits.max_ops_per_pipeline}",
                "/ops",
                column=column,
            )
        )
    if len(pipeline.inputs) > limits.max_inputs_per_pipeline:
        issues.append(
            DslIssue(f"more than {limits.max_inputs_per_pipeline} inputs", "/inputs", None, column)
        )
    for i, op in enumerate(pipeline.ops):
        for argument, message in op.problems(limits):
            issues.append(DslIssue(message, f"/ops/{i}/{argument}", i, column))
    if not issues:
        issues += _type_issues(pipeline)
    return issues


def _type_issues(pipeline: Pipeline) -> list[DslIssue]:
    value: Value = tuple(parse_type(i.type) for i in pipeline.inputs)
    for i, op in enumerate(pipeline.ops):
        try:
            value = op.output(value)
        except TypeFlowError as e:
            return [DslIssue(str(e), f"/ops/{i}/{e.field}", i, pipeline.output)]
    if len(value) != 1:
        return [
            DslIssue(
                f"the pipeline ends with {len(value)} columns; combine them (concat, safe_math)",
                "/ops",
                None,
                pipeline.output,
            )
        ]
    return []


def validate_pipeline(
    doc: object,
    *,
    limits: Limits | None = None,
    collect: bool = False,
    features: frozenset[str] = frozenset(),
) -> Pipeline:
    """Check a pipeline document; return the pipeline or raise DSL_REJECT.

    Args:
        doc: the pipeline as JSON-like data (or a :class:`Pipeline` to re-check).
        limits: size limits from the Policy Manifest (defaults: manifest 0.1.0).
        collect: report every problem (DslErrors) instead of the first (DslError).
        features: feature flags that enable ops beyond v1 (``select_when``); none by default.
    """
    limits = limits or Limits()
    if isinstance(doc, Pipeline):
        doc = doc.model_dump(mode="python")
    column = doc.get("output") if isinstance(doc, dict) else None
    column = column if isinstance(column, str) else None
    try:
        pipeline = Pipeline.model_validate(doc)
    except ValidationError as e:
        issues = _structure_issues(e, column)
    else:
        issues = _semantic_issues(pipeline, limits, features)
        if not issues:
            return pipeline
    if collect and len(issues) > 1:
        raise DslErrors(issues)
    raise DslError(issues[0])


def output_type(pipeline: Pipeline) -> DType:
    """The type of the pipeline's output column."""
    last = value_types(pipeline)[-1]
    return last[0] if last else STRING
