"""The Sample Pack of one table: a deterministic, stratified, capped and masked sample.

Rows are ordered by a seeded hash of the row's key (or its position when there is no key), so the
same data and seed give the same sample, and another seed another sample.
With a date column the sample is stratified: months take turns, each in hash order, so a year of
data is not sampled from its busiest month only. The rows then go through the Policy Engine
(``masked_sample``): capped by ``rows_max`` and ``bytes_max`` and masked before anything is
stored; in ``metadata_only`` there is no Sample Pack (POLICY_BLOCK).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict

from core.contract import Mode, SampleCaps
from policy.capabilities import masked_sample
from policy.manifest import PolicyManifest
from specialists.ingest.catalog import CatalogTable
from specialists.ingest.shim import apply_plan, standardization_plan

if TYPE_CHECKING:
    import polars as pl

__all__ = ["SamplePack", "sample_order", "sample_pack"]


class ColumnMasking(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    mode: str
    entity: str | None
    evidence: str


class SamplePack(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    table: str
    seed: int
    sampler: str  # what ordered the rows: "polars <version> hash"
    strategy: str  # "key:<column>", "date:<column>" or "rows"
    rows: int
    rows_available: int
    masked_cells: int
    standardization: str  # hash of the shim's plan applied to the rows (in the Catalog)
    kept_as_text: dict[str, int]  # values the plan could not convert, kept as trimmed text
    columns: dict[str, list[str | None]]
    masking: dict[str, ColumnMasking]


def sample_order(
    frame: pl.DataFrame, catalog: CatalogTable, seed: int, limit: int | None = None
) -> tuple[list[int], str]:
    """Row positions in sampling order, and the strategy that ordered them.

    The order is Polars' seeded hash of the key (or of the row position), vectorised: stable for
    a given Polars version, which the Sample Pack records. With a date column, months take
    turns: the first row of every month in hash order, then the second, and so on.
    """
    import polars as pl

    key = next((c.name for c in catalog.columns if c.unique), None)
    token = pl.col(key) if key else pl.int_range(pl.len()).cast(pl.Utf8)
    date = next((c for c in catalog.columns if c.type in ("date", "timestamp")), None)
    ranked = frame.select(
        pl.int_range(pl.len()).alias("_row"),
        token.hash(seed=seed % (2**63)).alias("_h"),
        (_month_expr(date.name, _iso_first(date.shapes)) if date else pl.lit("")).alias("_stratum"),
    )
    strategy = f"date:{date.name}" if date else (f"key:{key}" if key else "rows")
    if limit is not None:
        # Only the first `limit` rows of each stratum can be taken: keep those, then interleave.
        ranked = _first_per_stratum(ranked, limit)
    ordered = ranked.with_columns(
        pl.col("_h").rank("ordinal").over("_stratum").alias("_turn")
    ).sort(["_turn", "_stratum", "_h"])
    rows = ordered.get_column("_row")
    return (rows if limit is None else rows.head(limit)).to_list(), strategy


def _bottom_k(ranked: pl.DataFrame, limit: int) -> pl.DataFrame:
    import polars as pl

    # One struct, so each row keeps its own hash (two separate bottom_k lists need not come
    # out in the same order).
    return (
        ranked.group_by("_stratum")
        .agg(pl.struct("_row", "_h").bottom_k_by("_h", limit).alias("_pick"))
        .explode("_pick")
        .unnest("_pick")
    )


def _first_per_stratum(ranked: pl.DataFrame, limit: int) -> pl.DataFrame:
    """Each stratum's ``limit`` rows of smallest hash (all its rows when it has fewer).

    Exactly what a ``bottom_k`` per group gives, but on a large table the groups are formed
    from the rows below a hash threshold that leaves about 4 x ``limit`` rows per stratum
    (hashes are uniform): a stratum with at least ``limit`` rows below it, or with all its rows
    below it, has its answer there; any other stratum (a small one) is taken from all its rows.
    """
    import polars as pl

    if ranked.height <= 50 * limit:
        return _bottom_k(ranked, limit)
    sizes = ranked.group_by("_stratum").len("_n")
    share = 4 * limit * sizes.height / ranked.height
    if share >= 0.5:
        return _bottom_k(ranked, limit)
    below = ranked.filter(pl.col("_h") < pl.lit(int(share * 2**64), dtype=pl.UInt64))
    found = sizes.join(below.group_by("_stratum").len("_k"), on="_stratum", how="left")
    done = found.filter((pl.col("_k") >= limit) | (pl.col("_k") == pl.col("_n")))
    rest = found.filter(~pl.col("_stratum").is_in(done.get_column("_stratum").implode()))
    parts = [_bottom_k(below.join(done.select("_stratum"), on="_stratum"), limit)]
    if rest.height:
        parts.append(_bottom_k(ranked.join(rest.select("_stratum"), on="_stratum"), limit))
    return pl.concat(parts)


def _iso_first(shapes: list[tuple[str, int]]) -> bool:
    """Whether the column's most common shape is an ISO date (``9{4}-9{2}-9{2}...``)."""
    return bool(shapes) and shapes[0][0].startswith("9{4}-9{2}")


def _month_expr(column: str, iso: bool) -> pl.Expr:
    """``YYYY-MM`` of the column's dates: ISO (``iso``, cut from the text: no regex over every
    row) or US (``MM/DD/YYYY``); any other value is its own stratum."""
    import polars as pl

    if iso:
        v = pl.col(column)
        return (
            pl.when(v.str.slice(4, 1) == "-")
            .then(v.str.slice(0, 7))
            .otherwise(v.str.strip_chars())
            .fill_null("")
        )
    v = pl.col(column).str.strip_chars()
    us = (
        v.str.extract(r"^(\d{1,2})/\d{1,2}/(\d{4})", 2)
        + "-"
        + v.str.extract(r"^(\d{1,2})/", 1).str.zfill(2)
    )
    return (
        pl.when(v.str.contains(r"^\d{4}-\d{2}"))
        .then(v.str.slice(0, 7))
        .otherwise(pl.coalesce(us, v))
        .fill_null("")
    )


def sample_pack(
    manifest: PolicyManifest,
    *,
    mode: Mode,
    frame: pl.DataFrame,
    catalog: CatalogTable,
    caps: SampleCaps,
    seed: int,
    key: bytes,
) -> SamplePack:
    """The masked Sample Pack of ``frame`` (POLICY_BLOCK in ``metadata_only``)."""
    chosen, strategy = sample_order(frame, catalog, seed, caps.rows_max)
    picked = frame[chosen] if chosen else frame.head(0)
    plan = standardization_plan(catalog)
    picked, kept = apply_plan(picked, plan)  # the Standard Schema's text forms, before masking
    table = {c: picked.get_column(c).to_list() for c in picked.columns}
    sample = masked_sample(manifest, mode=mode, table=table, caps=caps, key=key)
    import polars as pl

    return SamplePack(
        table=catalog.name,
        seed=seed,
        sampler=f"polars {pl.__version__} hash",
        strategy=strategy,
        rows=sample.rows,
        rows_available=frame.height,
        masked_cells=sample.masked_cells,
        standardization=plan["hash"],
        kept_as_text=kept,
        columns=sample.columns,
        masking={
            c: ColumnMasking(mode=p.mode, entity=p.entity, evidence=p.evidence)
            for c, p in sample.plans.items()
        },
    )
