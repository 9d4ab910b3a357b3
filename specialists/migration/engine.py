"""Migration's engine: stage every chunk exactly once, validate, then promote atomically (§14, §37).

```
prepare target -> chunks (pending) -> workers: claim (lease) -> transform -> quarantine -> stage
               -> validate (row_count, checksum, fk_check, money reconciliation) -> promote
```

Every step is safe to repeat, which is what makes a SIGKILL anywhere harmless: a chunk is
computed again identically (the source and the pipelines are fixed), its quarantine records are
replaced by the same ones, and its rows are staged only if the target has no marker for it
(:mod:`specialists.migration.targets.base`). Validation and promotion run under an advisory lock,
so of two processes driving the same migration one promotes and the other reads the outcome.

A chunk whose content hash equals the hash the table's latest promotion recorded for it is a
**no-op**: nothing is staged, and its checkpoint says so. A second migration of unchanged data
therefore stages nothing and promotes nothing.
"""

from __future__ import annotations

import os
import socket
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from core.errors import ConduitError, DeterministicFailure, QuarantineRequired
from specialists.migration import store
from specialists.migration.chunks import (
    ChunkOutcome,
    chunk_count,
    chunk_rows,
    key_text,
    process_chunk,
    source_frame,
    spec_pipelines,
    spec_schema,
)
from specialists.migration.targets import open_target
from specialists.migration.targets.base import Fault, Target, no_fault

if TYPE_CHECKING:
    from core.db import Database
    from policy.manifest import PolicyManifest
    from specialists.migration.spec import MigrationSpec

__all__ = [
    "EngineContext",
    "finish_migration",
    "migrate_chunk",
    "promote_migration",
    "run_chunks",
    "start_chunks",
    "work",
]

#: Who may see and release quarantined rows (§32: Operator and above).
QUARANTINE_ROLE = "operator"
#: Reconciliation tolerance of money columns (relative).
MONEY_TOLERANCE = Decimal("0.001")

Progress = Callable[[dict[str, Any]], None]


def _no_progress(_: dict[str, Any]) -> None:
    return None


@dataclass(frozen=True)
class EngineContext:
    db: Database
    manifest: PolicyManifest
    pii_key: bytes
    fault: Fault = no_fault
    progress: Progress = _no_progress
    #: Chunk-level hooks for tests (``"chunk.after_stage"``); production passes none.
    hooks: Mapping[str, Callable[[], None]] = field(default_factory=dict)


def _masker(
    ctx: EngineContext,
) -> Callable[[dict[str, list[str | None]]], dict[str, list[str | None]]]:
    from policy.pii.detect import detect_table
    from policy.pii.mask import Masker, mask_table

    masker = Masker(ctx.manifest.pii.operators, ctx.pii_key)

    def mask(columns: dict[str, list[str | None]]) -> dict[str, list[str | None]]:
        found = detect_table(columns, detection=ctx.manifest.pii.detection)
        return mask_table(columns, found, masker)

    return mask


def owner_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident() % 100000}"


def start_chunks(ctx: EngineContext, spec: MigrationSpec) -> int:
    """Prepare the target and store the Migration Run with its pending chunks; the chunk count."""
    target = open_target(spec.target_location)
    try:
        target.prepare(spec.table())
        if spec.strategy == "elt":
            from specialists.migration.elt import elt_chunk_count

            chunks = elt_chunk_count(target, spec)
        else:
            chunks = chunk_count(source_frame(spec).height, spec.batch_size)
    finally:
        target.close()
    store.create_migration(ctx.db, spec, chunks)
    return chunks


def migrate_chunk(
    ctx: EngineContext,
    spec: MigrationSpec,
    chunk_id: int,
    target: Target,
    promoted: Mapping[int, str],
) -> dict[str, Any]:
    """Compute, quarantine and stage one chunk; returns its checkpoint fields."""
    started = time.perf_counter()
    if spec.strategy == "elt":
        from specialists.migration.elt import stage_chunk_elt

        done = stage_chunk_elt(spec, chunk_id, target, promoted, _masker(ctx))
    else:
        done = _stage_chunk_etl(ctx, spec, chunk_id, target, promoted)
    store.put_quarantine(ctx.db, spec, chunk_id, done.quarantined, QUARANTINE_ROLE)
    if hook := ctx.hooks.get("chunk.after_stage"):
        hook()
    fields: dict[str, Any] = {
        "status": "noop" if done.noop else "staged",
        "content_hash": done.content_hash,
        "rows_in": done.rows_in,
        "rows_out": done.rows_out,
        "quarantined": len(done.quarantined),
        "validations": {
            "rows": done.rows_in == done.rows_out + len(done.quarantined),
            "sums": done.sums,
        },
        "seconds": round(time.perf_counter() - started, 4),
    }
    store.finish_chunk(ctx.db, spec.migration_id, chunk_id, **fields)
    return fields | {"chunk_id": chunk_id}


def _stage_chunk_etl(
    ctx: EngineContext,
    spec: MigrationSpec,
    chunk_id: int,
    target: Target,
    promoted: Mapping[int, str],
) -> ChunkOutcome:
    """The chunk's rows transformed in Polars here, then COPYed with their marker."""
    frame = source_frame(spec)
    rows = chunk_rows(frame, chunk_id, spec.batch_size)
    result = process_chunk(
        rows,
        spec,
        spec_schema(spec),
        spec_pipelines(spec),
        _masker(ctx),
        edges=_edges(frame, spec, chunk_id),
    )
    noop = spec.kind == "migrate" and promoted.get(chunk_id) == result.content_hash
    if not noop:
        target.stage_chunk(spec.table(), chunk_id, result.content_hash, result.good)
    return ChunkOutcome(
        result.content_hash,
        result.rows_in,
        result.good.height,
        result.quarantined,
        result.sums,
        noop,
    )


def _edges(frame: Any, spec: MigrationSpec, chunk_id: int) -> list[str]:
    """Source keys that continue across this chunk's first or last row (duplicates a chunk
    cannot see alone): the keys of the neighbouring rows, when they equal this chunk's ends."""
    keys = list(dict.fromkeys(spec.key_strategy["source_columns"]))
    start, end = chunk_id * spec.batch_size, min((chunk_id + 1) * spec.batch_size, frame.height)
    if start >= end:
        return []

    def key(i: int) -> str:
        return key_text([frame[k][i] for k in keys])

    found = []
    if start > 0 and key(start - 1) == key(start):
        found.append(key(start))
    if end < frame.height and key(end) == key(end - 1):
        found.append(key(end - 1))
    return found


def work(ctx: EngineContext, spec: MigrationSpec, *, poll_s: float = 0.2) -> int:
    """Claim and migrate chunks until none is pending; the chunks this worker did.

    Chunks held by another live worker are waited for (it may die, and its lease with it)."""
    done = 0
    target = open_target(spec.target_location)
    promoted = trusted_promotion(target, spec) if spec.kind == "migrate" else {}
    try:
        with store.leased(ctx.db, spec.migration_id, owner_name()) as lease:
            while True:
                chunk_id = lease.claim()
                if chunk_id is None:
                    if not _pending(ctx.db, spec.migration_id):
                        return done
                    time.sleep(poll_s)
                    continue
                try:
                    migrate_chunk(ctx, spec, chunk_id, target, promoted)
                    done += 1
                except DeterministicFailure as e:
                    store.finish_chunk(
                        ctx.db,
                        spec.migration_id,
                        chunk_id,
                        status="failed",
                        content_hash="0" * 64,
                        rows_in=0,
                        rows_out=0,
                        quarantined=0,
                        validations={"error": e.code, "message": e.message},
                        seconds=0.0,
                    )
                finally:
                    lease.release(chunk_id)
                _report(ctx, spec)
    finally:
        target.close()


#: The registry entry that holds the rows the latest promotion left covered by its chunks.
ROWS_ENTRY = -1


def trusted_promotion(target: Target, spec: MigrationSpec) -> dict[int, str]:
    """The latest promotion's chunk hashes, if the final table still holds at least the rows
    they cover; empty otherwise (the table was dropped, truncated or pruned outside Conduit:
    then no chunk may count as a no-op, and everything is staged again)."""
    promoted = target.promoted_chunks(spec.target_table)
    recorded = promoted.pop(ROWS_ENTRY, None)
    if not promoted or recorded is None or not recorded.startswith("rows:"):
        return {}
    if target.final_rows(spec.target_table) < int(recorded.removeprefix("rows:")):
        return {}
    return promoted


def _pending(db: Database, migration_id: str) -> int:
    return sum(1 for c in store.checkpoints(db, migration_id) if c["status"] == "pending")


def _report(ctx: EngineContext, spec: MigrationSpec) -> None:
    if ctx.progress is _no_progress:
        return
    ctx.progress(progress_of(store.checkpoints(ctx.db, spec.migration_id)))


def progress_of(cps: list[dict[str, Any]]) -> dict[str, Any]:
    """Chunks and rows done, rows per second and the ETA, from the checkpoints."""
    finished = [c for c in cps if c["status"] != "pending"]
    rows = sum(int(c["row_count_in"] or 0) for c in finished)
    starts = [c["started_at"] for c in cps if c["started_at"]]
    ends = [c["finished_at"] for c in finished if c["finished_at"]]
    rate = None
    if starts and ends:
        span = (max(ends) - min(starts)).total_seconds()
        rate = rows / span if span > 0 else None
    left = len(cps) - len(finished)
    avg_rows = rows / len(finished) if finished else 0
    eta = left * avg_rows / rate if rate else None
    return {
        "chunks": len(cps),
        "done": len(finished),
        "rows": rows,
        "rows_per_s": round(rate, 1) if rate else None,
        "eta_s": round(eta, 1) if eta is not None else None,
    }


def run_chunks(ctx: EngineContext, spec: MigrationSpec, workers: int = 2) -> None:
    """Migrate every pending chunk with ``workers`` threads in this process."""
    errors: list[BaseException] = []

    def one() -> None:
        try:
            work(ctx, spec)
        except BaseException as e:  # noqa: BLE001 - reported below, after the other threads
            errors.append(e)

    threads = [threading.Thread(target=one, name=f"migrate-{i}") for i in range(max(1, workers))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise errors[0]


# -- validation and promotion ----------------------------------------------------------------


class _Lock:
    """The migration's validate-and-promote lock: a session advisory lock, released before the
    connection goes back to the pool (the pool does not release advisory locks)."""

    def __init__(self, db: Database, migration_id: str) -> None:
        from sqlalchemy import text

        self._key = {"k": "promote:" + migration_id}
        self._conn = db.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        self._conn.execute(text("SELECT pg_advisory_lock(hashtext(:k))"), self._key)

    def close(self) -> None:
        from sqlalchemy import text

        try:
            self._conn.execute(text("SELECT pg_advisory_unlock(hashtext(:k))"), self._key)
        finally:
            self._conn.close()


def _lock(db: Database, migration_id: str) -> _Lock:
    return _Lock(db, migration_id)


def finish_migration(ctx: EngineContext, spec: MigrationSpec) -> dict[str, Any]:
    """Validate the staged migration (once; later calls return the stored outcome)."""
    conn = _lock(ctx.db, spec.migration_id)
    try:
        row = store.migration_row(ctx.db, spec.migration_id)
        if row["status"] != "running":
            return dict(row["outcome"])
        outcome = _validate(ctx, spec)
        status = "validated" if outcome["valid"] else "failed"
        store.set_status(ctx.db, spec.migration_id, status, outcome)
        return outcome
    finally:
        conn.close()


def _validate(ctx: EngineContext, spec: MigrationSpec) -> dict[str, Any]:
    cps = store.checkpoints(ctx.db, spec.migration_id)
    failed = [c for c in cps if c["status"] in ("failed", "pending")]
    table = spec.table()
    target = open_target(spec.target_location)
    try:
        checks: dict[str, Any] = {}
        removed: dict[str, Decimal] = {}
        if "fk_check" in spec.validation_checks:
            fk_quarantined, removed = _fk_check(ctx, spec, target)
            checks["fk_check"] = {"ok": True, "quarantined": fk_quarantined}
            cps = store.checkpoints(ctx.db, spec.migration_id)
        staged = [c for c in cps if c["status"] == "staged"]
        markers = target.staged_chunks(table)
        expected_rows = sum(int(c["row_count_out"]) for c in staged)
        if "row_count" in spec.validation_checks:
            in_target = target.staged_rows(table)
            balanced = all(
                int(c["row_count_in"]) == int(c["row_count_out"]) + int(c["quarantined"])
                for c in cps
                if c["status"] in ("staged", "noop")
            )
            checks["row_count"] = {
                "ok": in_target == expected_rows and balanced,
                "staged": in_target,
                "expected": expected_rows,
                "source": sum(int(c["row_count_in"] or 0) for c in cps),
            }
        if "checksum" in spec.validation_checks:
            wrong = [
                c["chunk_id"]
                for c in staged
                if c["chunk_id"] not in markers
                or markers[c["chunk_id"]].content_hash != c["content_hash"]
            ]
            checks["checksum"] = {"ok": not wrong, "mismatched_chunks": wrong}
        checks["money"] = _reconcile(spec, target, staged, removed)
        checks["chunks_failed"] = {"ok": not failed, "chunks": [c["chunk_id"] for c in failed]}
    finally:
        target.close()
    from core.canonical import content_hash

    return {
        "valid": all(v["ok"] for v in checks.values()),
        "validations": checks,
        "checksum": content_hash([c["content_hash"] for c in cps]),
        "rows": {
            "source": sum(int(c["row_count_in"] or 0) for c in cps),
            "staged": expected_rows,
            "noop": sum(int(c["row_count_out"] or 0) for c in cps if c["status"] == "noop"),
            "quarantined": sum(int(c["quarantined"] or 0) for c in cps),
        },
        "chunks": {
            s: sum(1 for c in cps if c["status"] == s)
            for s in ("staged", "noop", "failed", "pending")
        },
    }


def _reconcile(
    spec: MigrationSpec,
    target: Target,
    staged: list[dict[str, Any]],
    removed: dict[str, Decimal],
) -> dict[str, Any]:
    """Each money column's total in the target against the total the pipelines computed from
    the source rows, within 0.1%; ``removed`` holds the totals of rows the foreign-key check
    took out of staging after their chunks were checkpointed."""
    ours = {
        c: sum(
            (
                Decimal(s["validations"]["sums"][c])
                for s in staged
                if s["validations"].get("sums", {}).get(c) not in (None, "None")
            ),
            Decimal(0),
        )
        - removed.get(c, Decimal(0))
        for c in spec.money_columns
    }
    theirs = (
        target.staged_sums(spec.table(), spec.money_columns)
        if staged
        else {c: Decimal(0) for c in ours}
    )
    columns = {}
    for c, total in ours.items():
        off = abs(theirs[c] - total)
        ok = off <= MONEY_TOLERANCE * max(abs(total), Decimal(1))
        columns[c] = {"source": str(total), "target": str(theirs[c]), "ok": ok}
    return {"ok": all(v["ok"] for v in columns.values()), "columns": columns}


def _fk_check(
    ctx: EngineContext, spec: MigrationSpec, target: Target
) -> tuple[int, dict[str, Decimal]]:
    """Quarantine staged rows that break a foreign key of the final table: how many, and the
    totals of their money columns (which the chunks' checkpoints still count)."""
    import polars as pl

    from specialists.mapping.execute import transform
    from specialists.migration.chunks import QuarantineRow

    table = spec.table()
    violations = target.fk_violations(table)
    if not violations:
        return 0, {}
    frame = source_frame(spec)
    schema, pipelines = spec_schema(spec), spec_pipelines(spec)
    keys = list(schema.keys)
    key_pipes = {k: pipelines[k] for k in keys}
    out_keys = transform(frame, key_pipes, schema).select(keys)
    wanted: dict[str, list[str]] = {}
    for key, what in violations:
        wanted.setdefault(key_text(key), []).append(what)
    texts = out_keys.select(pl.concat_list([pl.col(k).cast(pl.Utf8) for k in keys]).alias("k"))[
        "k"
    ].to_list()
    positions = [i for i, k in enumerate(texts) if key_text(k) in wanted]
    src_keys = list(dict.fromkeys(spec.key_strategy["source_columns"]))
    used = list(dict.fromkeys(i.name for p in pipelines.values() for i in p.inputs))
    rows = frame[positions]
    after_frame = transform(rows, pipelines, schema)
    mask = _masker(ctx)
    before = mask({c: [None if v is None else str(v) for v in rows[c].to_list()] for c in used})
    after = mask(
        {
            c: [None if v is None else str(v) for v in after_frame[c].to_list()]
            for c in after_frame.columns
        }
    )
    by_chunk: dict[int, list[QuarantineRow]] = {}
    for n, position in enumerate(positions):
        target_key = key_text(texts[position])
        by_chunk.setdefault(position // spec.batch_size, []).append(
            QuarantineRow(
                key=key_text([rows[k][n] for k in src_keys]),
                ordinal=0,
                reasons=["FK_VIOLATION"],
                before={c: before[c][n] for c in used},
                after={c: after[c][n] for c in after_frame.columns},
                diff={"foreign_keys": wanted[target_key]},
            )
        )
    target.remove_staged(table, [k for k, _ in violations])
    for chunk_id, found in by_chunk.items():
        store.add_quarantine(ctx.db, spec, chunk_id, found, QUARANTINE_ROLE)
    removed = {
        c: Decimal(str(after_frame[c].sum()))
        for c in spec.money_columns
        if c in after_frame.columns and after_frame[c].null_count() < after_frame.height
    }
    return len(positions), removed


def promote_migration(ctx: EngineContext, spec: MigrationSpec) -> dict[str, Any]:
    """Promote a validated migration (once; later calls return the stored outcome).

    Raises:
        QuarantineRequired: the migration did not pass validation.
    """
    conn = _lock(ctx.db, spec.migration_id)
    try:
        row = store.migration_row(ctx.db, spec.migration_id)
        outcome = dict(row["outcome"])
        if row["status"] in ("promoted", "noop"):
            return outcome
        if row["status"] != "validated":
            raise QuarantineRequired(
                f"migration {spec.migration_id} is {row['status']}, not validated: "
                + "; ".join(k for k, v in (outcome.get("validations") or {}).items() if not v["ok"])
            )
        cps = store.checkpoints(ctx.db, spec.migration_id)
        chunks = {int(c["chunk_id"]): str(c["content_hash"]) for c in cps}
        covered = sum(int(c["row_count_out"] or 0) for c in cps)
        target = open_target(spec.target_location)
        try:
            table = spec.table()
            if not any(c["status"] == "staged" for c in cps):
                target.drop_staging(table)
                outcome |= {"promotion": {"mode": "noop", "rows": 0, "changed": 0}}
                store.set_status(ctx.db, spec.migration_id, "noop", outcome)
                return outcome
            if spec.kind == "release":
                # A release adds rows to chunks of the original migration, whose recorded hashes
                # then no longer match a fresh computation of them: keep the record as it is.
                chunks = target.promoted_chunks(spec.target_table)
            else:
                chunks[ROWS_ENTRY] = f"rows:{covered}"
            started = time.perf_counter()
            done = target.promote(table, chunks, ctx.fault)
            target.drop_staging(table)
        finally:
            target.close()
        outcome |= {
            "promotion": {
                "mode": done.mode,
                "rows": done.rows,
                "changed": done.changed,
                "seconds": round(time.perf_counter() - started, 3),
            }
        }
        store.set_status(ctx.db, spec.migration_id, "promoted", outcome)
        return outcome
    except ConduitError:
        raise
    finally:
        conn.close()


def new_migration_id(run_id: str, attempt: int) -> str:
    """``<run_id>.m<attempt>`` (``uuid`` only when there is no run, for benchmarks)."""
    return f"{run_id or uuid.uuid4().hex}.m{attempt}"
