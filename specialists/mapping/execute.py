"""Running pipelines: on the Sample Pack to decide, and over a whole table to produce the target.

:func:`transform` is the executor: a Standard Schema frame in, one column per target column
out, the accepted pipelines compiled to Polars expressions. The golden eval's cell accuracy runs
it over the whole source, and Migration's ETL path runs the same function chunk by chunk, so the
figures the eval reports are the figures a migration gets.

:func:`sample_result` executes one pipeline on the sample and measures it (§12):

- ``success_rate``: of the rows where every input is present and unmasked, the share the
  pipeline converted (a non-NULL output). Rows with a missing input are not failures of the
  pipeline: they are NULL in the target and the Analysis stage judges the null rate. Masked
  values (``MASKED``) say nothing of the real ones; a column masked whole is decided on its
  catalog type, as in a dry run.
- ``near_match_rate``: of the rows the pipeline failed, the share another candidate reading
  (another date order, another number format) converts: a fix is at hand.
- constraint checks: the output type, key columns present and unique on the sample.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from core.target_schema import TargetColumn, TargetSchema
from dsl.errors import DslError
from dsl.ops import Limits
from dsl.pipeline import Pipeline, output_type, validate_pipeline

if TYPE_CHECKING:
    import polars as pl

    from specialists.mapping.columns import SourceColumn

#: What the Policy Engine left of a masked value: ``<EMAIL_ADDRESS>``, ``(***) ***-**34``, or a
#: pseudonym like ``PERSON_Q2ZDTRZ5FMSE``. A pipeline cannot be judged on such a value.
MASKED = r"<[A-Z_]+>|\*\*\*|\b[A-Z][A-Z_]+_[A-Z0-9]{12}\b"

__all__ = [
    "MASKED",
    "SampleResult",
    "best_candidate",
    "inputs_present",
    "sample_frame",
    "sample_result",
    "transform",
]


@dataclass(frozen=True)
class SampleResult:
    pipeline: Pipeline
    rows: int
    present: int  # rows the pipeline can be judged on (see _present)
    converted: int
    success_rate: float | None  # None: no row to judge it on
    near_match_rate: float
    type_ok: bool
    unique: bool | None  # for key targets
    examples: tuple[dict[str, Any], ...]
    failures: tuple[tuple[str | None, ...], ...]  # masked inputs of failed rows (a few)
    masked: int = 0  # rows left out because an input was masked

    def as_dict(self) -> dict[str, Any]:
        return {
            "rows": self.rows,
            "present": self.present,
            "converted": self.converted,
            "success_rate": None if self.success_rate is None else round(self.success_rate, 4),
            "masked": self.masked,
            "near_match_rate": round(self.near_match_rate, 4),
            "type_ok": self.type_ok,
            "unique": self.unique,
        }


def sample_frame(columns: Sequence[SourceColumn]) -> pl.DataFrame:
    """The Sample Pack as a frame of text columns named by their Standard Schema names."""
    import polars as pl

    return pl.DataFrame({c.name: pl.Series(c.name, list(c.values), dtype=pl.Utf8) for c in columns})


def checked(doc: Mapping[str, Any] | Pipeline, limits: Limits | None = None) -> Pipeline:
    """Validate a pipeline against the DSL and the Policy Manifest's limits (DSL_REJECT)."""
    return validate_pipeline(doc, limits=limits)


def combines_missing(pipeline: Pipeline) -> bool:
    """Whether the pipeline reads a missing input as a value (``concat`` skipping NULLs,
    ``safe_math`` with ``nulls: zero``): then one present input is enough to judge a row."""
    return any(
        (getattr(op, "op", "") == "concat" and getattr(op, "skip_nulls", False))
        or (getattr(op, "op", "") == "safe_math" and getattr(op, "nulls", "") == "zero")
        for op in pipeline.ops
    )


def _present(pipeline: Pipeline) -> pl.Expr:
    import polars as pl

    each = [pl.col(i.name).is_not_null() for i in pipeline.inputs]
    if combines_missing(pipeline):
        return pl.any_horizontal(each) & ~_masked(pipeline)
    return pl.all_horizontal(each) & ~_masked(pipeline)


def inputs_present(pipeline: Pipeline) -> pl.Expr:
    """True where the row has the inputs the pipeline needs (all of them; one, for a pipeline
    that reads a missing input as a value): a NULL output there is a failed transform."""
    import polars as pl

    each = [pl.col(i.name).is_not_null() for i in pipeline.inputs]
    return pl.any_horizontal(each) if combines_missing(pipeline) else pl.all_horizontal(each)


def _masked(pipeline: Pipeline) -> pl.Expr:
    import polars as pl

    return pl.any_horizontal(
        [pl.col(i.name).str.contains(MASKED).fill_null(False) for i in pipeline.inputs]
    )


def _display(value: Any) -> Any:
    return value if value is None or isinstance(value, (str, int, bool)) else str(value)


def sample_result(
    pipeline: Pipeline,
    frame: pl.DataFrame,
    target: TargetColumn,
    *,
    alternatives: Sequence[Pipeline] = (),
) -> SampleResult:
    """Execute ``pipeline`` on the sample ``frame`` and measure it (see the module docstring)."""
    import polars as pl

    from dsl.compile.polars import compile_polars

    out = compile_polars(pipeline).alias("__out")
    inputs = [i.name for i in pipeline.inputs]
    done = frame.select(
        *[pl.col(i) for i in dict.fromkeys(inputs)],
        out,
        _present(pipeline).alias("__present"),
        _masked(pipeline).alias("__masked"),
    )
    present = done.filter(pl.col("__present"))
    failed = present.filter(pl.col("__out").is_null())
    near = 0
    if failed.height and alternatives:
        rescued = pl.lit(False)
        for alt in alternatives:
            rescued = rescued | compile_polars(alt).is_not_null()
        near = int(failed.select(rescued.sum()).item())
    converted = present.height - failed.height
    unique = None
    if target.key:  # over every unmasked row: a NULL key is no key
        values = done.filter(~pl.col("__masked")).get_column("__out")
        unique = values.null_count() == 0 and values.n_unique() == values.len()
    examples = tuple(
        {"in": [_display(row[i]) for i in inputs], "out": _display(row["__out"])}
        for row in present.filter(pl.col("__out").is_not_null()).head(3).iter_rows(named=True)
    )
    failures = tuple(tuple(row[i] for i in inputs) for row in failed.head(3).iter_rows(named=True))
    return SampleResult(
        pipeline=pipeline,
        rows=frame.height,
        present=present.height,
        converted=converted,
        success_rate=converted / present.height if present.height else None,
        near_match_rate=near / failed.height if failed.height else 0.0,
        type_ok=str(output_type(pipeline)) == target.type,
        unique=unique,
        examples=examples,
        failures=failures,
        masked=int(done.get_column("__masked").sum()),
    )


def best_candidate(
    docs: Sequence[Mapping[str, Any]],
    frame: pl.DataFrame | None,
    target: TargetColumn,
    limits: Limits | None = None,
) -> SampleResult | Pipeline | None:
    """The candidate that converts the most sample values (the first on ties), measured; with
    no sample, the first valid candidate; None when no candidate is valid DSL."""
    valid: list[Pipeline] = []
    for doc in docs:
        try:
            valid.append(checked(doc, limits))
        except DslError:
            continue
    if not valid:
        return None
    if frame is None or frame.height == 0:
        return valid[0]

    from dsl.compile.polars import compile_polars

    # One pass over the sample counts every candidate's judged and converted rows; only the
    # winner is then measured in full.
    counts = frame.select(
        [
            expr
            for i, p in enumerate(valid)
            for expr in (
                _present(p).sum().alias(f"present{i}"),
                (_present(p) & compile_polars(p).is_not_null()).sum().alias(f"converted{i}"),
            )
        ]
    ).row(0, named=True)
    best = max(range(len(valid)), key=lambda i: (counts[f"converted{i}"], -i))
    if counts[f"present{best}"] == 0:  # nothing to judge on: the first reading, as a dry run
        best = 0
    others = [p for i, p in enumerate(valid) if i != best]
    return sample_result(valid[best], frame, target, alternatives=others)


def transform(
    frame: pl.DataFrame, pipelines: Mapping[str, Pipeline], target: TargetSchema
) -> pl.DataFrame:
    """The target table of ``frame``: every target column in schema order, from its pipeline,
    or NULL when it has none (unmapped or not accepted)."""
    import polars as pl

    from dsl.compile.polars import compile_polars

    exprs = [
        compile_polars(pipelines[c.name]).alias(c.name)
        if c.name in pipelines
        else pl.lit(None, dtype=pl.Utf8).alias(c.name)
        for c in target.columns
    ]
    return frame.select(exprs)
