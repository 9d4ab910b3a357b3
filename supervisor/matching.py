"""``conduit match``: every (source column, target column) pair of a source and a target, ranked.

The source is a file (CSV, TSV, Parquet) or a read-only SQL URL; the target is a schema YAML
(GOLDEN_FORMAT.md's ``rhs_schema.yaml``) or a data file whose header and inferred types stand
for its schema. Both sides go through what a run would do: Ingest's catalog and masked Sample
Pack, Domain Assignments against the bundled Domain Catalog, then Mapping's pair scores
(:func:`specialists.mapping.rank_matches`). Nothing is stored: no run, no ledger event.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

from core.contract import parse_contract, tool_contract
from core.errors import ContractError
from core.target_schema import TargetSchema, load_target_schema, parse_target_schema

__all__ = ["match_columns"]

_SQL = ("postgresql", "postgres", "mysql", "mariadb", "sqlite", "duckdb")


def _contract(location: str, mode: str) -> dict[str, Any]:
    sql = location.split(":", 1)[0].split("+", 1)[0] in _SQL or location.startswith("env:")
    return tool_contract(
        mode=mode,
        lhs_type="sql" if sql else "file",
        lhs_location=location,
        actor="conduit.match",
        tags=["match"],
    )


_TYPE_OF = {
    "integer": "integer",
    "float": "float",
    "boolean": "boolean",
    "date": "date",
    "timestamp": "timestamp",
    "string": "string",
}


def _schema_of_file(path: Path, bodies: tuple[dict[str, Any], Any]) -> TargetSchema:
    table = bodies[0]["tables"][0]["table"]
    columns = [
        {
            "name": c["source_name"],
            "type": c["type"]
            if c["type"].startswith("decimal")
            else _TYPE_OF.get(c["type"], "string"),
        }
        for c in table["columns"]
    ]
    return parse_target_schema({"table": path.stem, "columns": columns}, source=path.name)


def match_columns(
    lhs: str, rhs: str, *, top_k: int | None = None, mode: str = "data_mode"
) -> list[dict[str, Any]]:
    """Every pair of ``lhs``'s columns and ``rhs``'s target columns, best first (``top_k``:
    each target's best k), as ``{"source", "target", "score", "name", "domain", "type"}``."""
    from core.profiles import bundled_profiles
    from policy.manifest import current_manifest
    from specialists.domains.catalog import load_catalog
    from specialists.domains.run import DomainSettings, domain_assignments
    from specialists.ingest.run import source_bodies
    from specialists.mapping.columns import source_columns, target_specs
    from specialists.mapping.match import rank_matches

    if top_k is not None and top_k < 1:
        raise ContractError("--top-k must be 1 or more", field="top_k")
    manifest, key = current_manifest(), secrets.token_bytes(32)
    cwd = Path.cwd()
    contract = parse_contract(_contract(lhs, mode))
    catalog_body, sample_body = source_bodies(contract, manifest, key, cwd, dict(os.environ))
    rhs_path = Path(rhs)
    if rhs_path.suffix.lower() in (".yaml", ".yml"):
        target = load_target_schema(rhs_path)
    else:
        if not rhs_path.is_file():
            raise ContractError(f"no target schema or file {rhs}", field="rhs")
        rhs_contract = parse_contract(_contract(str(rhs_path.resolve()), "metadata_only"))
        target = _schema_of_file(rhs_path, source_bodies(rhs_contract, manifest, key, cwd))
    profile = next(p for p in bundled_profiles() if p.profile_id == "tp_default_v2")
    assignments = domain_assignments(
        catalog_body, sample_body, target, contract.mode, load_catalog(), DomainSettings.of(profile)
    )
    sources = source_columns(catalog_body, sample_body, assignments)
    pairs = rank_matches(
        target_specs(target, assignments), sources, table=target.table, top_k=top_k
    )
    return [{"target": p.target, **p.as_dict()} for p in pairs]
