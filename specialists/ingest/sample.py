"""The Sample Pack of one table: a deterministic, stratified, capped and masked sample.

Rows are ordered by SHA-256 of (seed, the row's key, or its position when there is no key), so
the same data and seed give the same sample on any machine, and another seed another sample.
With a date column the sample is stratified: months take turns, each in hash order, so a year of
data is not sampled from its busiest month only. The rows then go through the Policy Engine
(``masked_sample``): capped by ``rows_max`` and ``bytes_max`` and masked before anything is
stored; in ``metadata_only`` there is no Sample Pack (POLICY_BLOCK).
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict

from core.contract import Mode, SampleCaps
from policy.capabilities import masked_sample
from policy.manifest import PolicyManifest
from specialists.ingest.catalog import CatalogTable

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
    strategy: str  # "key:<column>", "date:<column>" or "rows"
    rows: int
    rows_available: int
    masked_cells: int
    columns: dict[str, list[str | None]]
    masking: dict[str, ColumnMasking]


def _rank(seed: int, token: str) -> bytes:
    return hashlib.sha256(f"{seed}\x1f{token}".encode()).digest()


def sample_order(frame: pl.DataFrame, catalog: CatalogTable, seed: int) -> tuple[list[int], str]:
    """Row positions in sampling order, and the strategy that ordered them."""
    key = next((c.name for c in catalog.columns if c.unique), None)
    tokens = (
        [str(v) for v in frame.get_column(key).to_list()]
        if key
        else [str(i) for i in range(frame.height)]
    )
    order = sorted(range(frame.height), key=lambda i: _rank(seed, tokens[i]))
    date = next((c.name for c in catalog.columns if c.type in ("date", "timestamp")), None)
    if date is None:
        return order, f"key:{key}" if key else "rows"
    values = frame.get_column(date).to_list()
    strata: dict[str, list[int]] = defaultdict(list)
    for i in order:
        v = values[i]
        strata[_month(v) if v else ""].append(i)
    turns: list[int] = []
    queues = [strata[k] for k in sorted(strata)]
    depth = max((len(q) for q in queues), default=0)
    for n in range(depth):
        turns.extend(q[n] for q in queues if n < len(q))
    return turns, f"date:{date}"


def _month(value: str) -> str:
    v = value.strip()
    if len(v) >= 7 and v[4] == "-":
        return v[:7]  # ISO
    parts = v.split(" ")[0].split("/")
    return f"{parts[-1]}-{parts[0].zfill(2)}" if len(parts) == 3 else v


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
    order, strategy = sample_order(frame, catalog, seed)
    chosen = order[: caps.rows_max]
    picked = frame[chosen] if chosen else frame.head(0)
    table = {c: picked.get_column(c).to_list() for c in picked.columns}
    sample = masked_sample(manifest, mode=mode, table=table, caps=caps, key=key)
    return SamplePack(
        table=catalog.name,
        seed=seed,
        strategy=strategy,
        rows=sample.rows,
        rows_available=frame.height,
        masked_cells=sample.masked_cells,
        columns=sample.columns,
        masking={
            c: ColumnMasking(mode=p.mode, entity=p.entity, evidence=p.evidence)
            for c, p in sample.plans.items()
        },
    )
