"""The source as deterministic chunks, and what one chunk becomes: target rows, a hash, quarantine.

**Chunking.** The source rows are ordered by the source columns the target key is made from
(a stable sort, so rows with equal keys keep their file order), then cut every ``batch_size``
rows: chunk ``i`` is rows ``[i * batch_size, (i + 1) * batch_size)`` of that order. The same
source and batch size always give the same chunks, each a key range, whichever worker computes
them. (Ordering by key rather than by a hash of it: Polars documents its row hash as stable only
within one version, and a chunk must mean the same rows to every worker, before and after an
upgrade.)

**A chunk** (:func:`process_chunk`) runs the accepted pipelines (``specialists.mapping.transform``,
the executor the golden eval measures), then sets aside as quarantine every row where

- a pipeline gave NULL for present inputs: ``DATE_UNPARSEABLE``, ``NUMBER_OVERFLOW`` (a number
  that does not fit the target's precision), ``NUMBER_UNPARSEABLE``, ``BOOLEAN_UNPARSEABLE`` or
  ``TRANSFORM_FAILED``;
- a key column is NULL (``KEY_NULL``) or the key occurs twice in the chunk (``KEY_DUPLICATE``,
  every occurrence: which one is right is a person's call).

The content hash (§37) is SHA-256 over the kept rows, in chunk order, rendered as the CSV that
COPY reads: keys and every selected column after the transform.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from core.errors import DeterministicFailure

if TYPE_CHECKING:
    import polars as pl

    from core.target_schema import TargetSchema
    from dsl.pipeline import Pipeline
    from specialists.migration.spec import MigrationSpec

__all__ = [
    "ChunkOutcome",
    "ChunkResult",
    "QuarantineRow",
    "chunk_count",
    "chunk_rows",
    "key_text",
    "process_chunk",
    "quarantine_records",
    "source_frame",
    "spec_pipelines",
    "spec_schema",
]

Masker = Callable[[dict[str, list[str | None]]], dict[str, list[str | None]]]

_NUMERIC = re.compile(r"^\s*[-+(]?\s*[$€£¥]?\s*[-+]?[\d.,' ]*\d[\d.,' ]*\s*[)]?\s*$")
_CACHE: dict[str, pl.DataFrame] = {}
_CACHE_LOCK = threading.Lock()


@dataclass(frozen=True)
class QuarantineRow:
    """One §37 quarantine record before it is stored: ``key`` is the JSON array of the row's
    source key values (how a release finds the row again), ``ordinal`` tells rows with the same
    key apart."""

    key: str
    ordinal: int
    reasons: list[str]
    before: dict[str, str | None]
    after: dict[str, str | None]
    diff: dict[str, Any]


@dataclass
class ChunkResult:
    good: pl.DataFrame
    content_hash: str
    rows_in: int
    quarantined: list[QuarantineRow] = field(default_factory=list)
    sums: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class ChunkOutcome:
    """What staging one chunk found, whichever strategy computed it: the checkpoint's figures."""

    content_hash: str
    rows_in: int
    rows_out: int
    quarantined: list[QuarantineRow]
    sums: dict[str, str]
    noop: bool


def spec_schema(spec: MigrationSpec) -> TargetSchema:
    from core.target_schema import parse_target_schema

    return parse_target_schema({"table": spec.target_table, "columns": spec.columns})


def spec_pipelines(spec: MigrationSpec) -> dict[str, Pipeline]:
    from dsl.pipeline import validate_pipeline

    return {name: validate_pipeline(doc) for name, doc in spec.pipelines.items()}


def _key_inputs(spec: MigrationSpec) -> list[str]:
    return list(dict.fromkeys(spec.key_strategy["source_columns"]))


def _read(spec: MigrationSpec) -> pl.DataFrame:
    from specialists.ingest.run import standard_frame, standard_sql_frame

    source = spec.source
    if source.type == "sql":
        return standard_sql_frame(source.location, source.table, source.standardization)
    path = Path(source.location)
    if not path.exists():
        raise DeterministicFailure(f"the source file {path} is gone")
    if spec.kind == "migrate" and source.sha256:
        digest = hashlib.sha256()
        with path.open("rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                digest.update(block)
        if digest.hexdigest() != source.sha256:
            raise DeterministicFailure(
                f"the source file {path.name} changed since Ingest read it: its mapping was "
                "planned on other data; start a new run (or release quarantined rows after a fix)"
            )
    return standard_frame(path, source.standardization)


def source_frame(spec: MigrationSpec) -> pl.DataFrame:
    """The whole source in chunk order (cached per process and migration); for a release, only
    the rows whose source key is in ``spec.only_keys``."""
    import polars as pl

    with _CACHE_LOCK:
        cached = _CACHE.get(spec.migration_id)
        if cached is not None:
            return cached
        frame = _read(spec)
        keys = _key_inputs(spec)
        missing = [k for k in keys if k not in frame.columns]
        if missing:
            raise DeterministicFailure(f"the source has no column {', '.join(missing)}")
        frame = frame.sort(keys, maintain_order=True, nulls_last=True)
        if spec.only_keys is not None:
            wanted = pl.Series(spec.only_keys, dtype=pl.Utf8)
            frame = frame.filter(_key_json(keys).is_in(wanted))
        _CACHE.clear()  # one migration at a time per process: the source may be large
        _CACHE[spec.migration_id] = frame
        return frame


def _key_json(keys: Sequence[str]) -> pl.Expr:
    """The JSON array of the source key values of each row (``key_text`` in Polars)."""
    import polars as pl

    parts = [
        pl.when(pl.col(k).is_null())
        .then(pl.lit("null"))
        .otherwise(pl.col(k).cast(pl.Utf8).map_elements(json.dumps, return_dtype=pl.Utf8))
        for k in keys
    ]
    return pl.concat_str([pl.lit("["), pl.concat_str(parts, separator=", "), pl.lit("]")])


def key_text(values: Sequence[Any]) -> str:
    """A key as the JSON array quarantine records and releases use.

    >>> key_text(["A-1", None])
    '["A-1", null]'
    """
    return json.dumps([None if v is None else str(v) for v in values])


def chunk_count(rows: int, batch_size: int) -> int:
    """How many chunks ``rows`` source rows make (at least one, so an empty source migrates).

    >>> chunk_count(0, 10), chunk_count(10, 10), chunk_count(11, 10)
    (1, 1, 2)
    """
    return max(1, -(-rows // batch_size))


def chunk_rows(frame: pl.DataFrame, chunk_id: int, batch_size: int) -> pl.DataFrame:
    return frame.slice(chunk_id * batch_size, batch_size)


def _reason(family: str, raw: str | None) -> str:
    if family in ("date", "timestamp"):
        return "DATE_UNPARSEABLE"
    if family in ("decimal", "integer", "float"):
        return (
            "NUMBER_OVERFLOW" if raw is not None and _NUMERIC.match(raw) else "NUMBER_UNPARSEABLE"
        )
    if family == "boolean":
        return "BOOLEAN_UNPARSEABLE"
    return "TRANSFORM_FAILED"


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def process_chunk(
    rows: pl.DataFrame,
    spec: MigrationSpec,
    schema: TargetSchema,
    pipelines: Mapping[str, Pipeline],
    mask: Masker,
    edges: Sequence[str] = (),
) -> ChunkResult:
    """The target rows of one chunk, their content hash, and its quarantine (module docstring).

    ``edges``: source keys (``key_text``) that also occur in the neighbouring chunk; their rows
    are duplicates this chunk cannot see alone."""
    import polars as pl

    from specialists.mapping.execute import inputs_present, transform
    from specialists.migration.targets.postgres import render_csv

    out = transform(rows, pipelines, schema)
    families = {c.name: c.family for c in schema.columns}
    failed = {
        name: (out[name].is_null() & rows.select(inputs_present(p)).to_series())
        for name, p in pipelines.items()
    }
    keys = list(schema.keys)
    key_null = out.select(pl.any_horizontal([pl.col(k).is_null() for k in keys])).to_series()
    dup = out.select(pl.struct(keys).is_duplicated()).to_series() & ~key_null
    if edges:
        inputs = _key_inputs(spec)
        raw = [key_text(r) for r in rows.select(inputs).iter_rows()]
        dup = dup | pl.Series([k in set(edges) for k in raw])
    bad = key_null | dup
    for mask_ in failed.values():
        bad = bad | mask_
    good = out.filter(~bad)
    sums = {c: str(good[c].sum()) for c in spec.money_columns if c in good.columns}
    result = ChunkResult(
        good=good,
        content_hash=hashlib.sha256(render_csv(good)).hexdigest(),
        rows_in=rows.height,
        sums=sums,
    )
    if bad.any():
        result.quarantined = quarantine_records(
            rows.filter(bad),
            out.filter(bad),
            spec,
            pipelines,
            families,
            mask,
            {n: m.filter(bad) for n, m in failed.items()},
            key_null.filter(bad),
            dup.filter(bad),
        )
    return result


def quarantine_records(
    source: pl.DataFrame,
    out: pl.DataFrame,
    spec: MigrationSpec,
    pipelines: Mapping[str, Pipeline],
    families: Mapping[str, str],
    mask: Masker,
    failed: Mapping[str, pl.Series],
    key_null: pl.Series,
    dup: pl.Series,
) -> list[QuarantineRow]:
    used = list(dict.fromkeys(i.name for p in pipelines.values() for i in p.inputs))
    before_raw = {c: [_text(v) for v in source[c].to_list()] for c in used}
    after_raw = {c: [_text(v) for v in out[c].to_list()] for c in out.columns}
    before, after = mask(before_raw), mask(after_raw)
    key_cols = _key_inputs(spec)
    seen: dict[str, int] = {}
    found = []
    for i in range(source.height):
        key = key_text([source[k][i] for k in key_cols])
        ordinal = seen.get(key, 0)
        seen[key] = ordinal + 1
        reasons, diff = [], {}
        if key_null[i]:
            reasons.append("KEY_NULL")
        if dup[i]:
            reasons.append("KEY_DUPLICATE")
        for name, m in failed.items():
            if m[i]:
                inputs = [x.name for x in pipelines[name].inputs]
                code = _reason(families[name], before_raw[inputs[0]][i])
                reasons.append(code)
                diff[name] = {
                    "reason": code,
                    "inputs": {x: before[x][i] for x in inputs},
                    "after": None,
                }
        found.append(
            QuarantineRow(
                key=key,
                ordinal=ordinal,
                reasons=sorted(set(reasons)),
                before={c: before[c][i] for c in used},
                after={c: after[c][i] for c in out.columns},
                diff=diff,
            )
        )
    return found


def money_total(sums: Sequence[Mapping[str, str]], column: str) -> Decimal:
    return sum(
        (Decimal(s[column]) for s in sums if s.get(column) not in (None, "None")), Decimal(0)
    )
