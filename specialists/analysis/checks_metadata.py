"""metadata_only checks (§13): logical consistency, domain coverage, transform feasibility.

They read the Mapping Plan and the target schema only, so they run in both modes.

- ``key_mapped`` (fail): a key column of the target has no source.
- ``source_fanout`` (warn): one source feeds two targets atomically whose domains differ.
- ``type_feasibility`` (fail, or warn when lossy): a single-source column whose source domain's
  value type cannot become the target type (a date into a decimal).
- ``domain_coverage`` (warn below 1.0): the share of target columns mapped and accepted.
- ``source_usage`` (warn): source columns are unused while a target column is unmapped.
- ``transform_feasibility`` (warn): the feasible strategies per target column; the plan's
  strategy is not one of them.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence

from specialists.analysis.model import Anomaly, Check, Fix, Status, anomaly, check
from specialists.analysis.plan import PlanColumn, domain_value_type

__all__ = ["FEASIBLE_TYPES", "LOSSY_TYPES", "feasible_strategies", "metadata_checks"]

Findings = tuple[list[Check], list[Anomaly]]
_NUMERIC = {"integer", "decimal", "float"}
#: source value type -> target types it converts to without loss.
FEASIBLE_TYPES: dict[str, set[str]] = {
    "string": {"string"},
    "integer": {"integer", "decimal", "float", "string"},
    "decimal": {"decimal", "float", "string"},
    "float": {"float", "decimal", "string"},
    "date": {"date", "timestamp", "string"},
    "timestamp": {"timestamp", "string"},
    "boolean": {"boolean", "integer", "string"},
}
#: ... and those it converts to with a loss (rounding, truncation, or only for some values).
LOSSY_TYPES: dict[str, set[str]] = {
    "string": {"integer", "boolean"},
    "decimal": {"integer"},
    "float": {"integer"},
    "timestamp": {"date"},
}
_COMPOSITE = ("full_name", "postal_address", "monetary_value")
_LEVEL_STATUS: dict[str, Status] = {"feasible": "pass", "lossy": "warn", "infeasible": "fail"}


def metadata_checks(
    columns: Sequence[PlanColumn],
    source_columns: Sequence[str] | None,
    domain_types: Mapping[str, str] | None = None,
) -> Findings:
    """Run the metadata_only checks over the plan's columns."""
    checks: list[Check] = []
    anomalies: list[Anomaly] = []
    for run in (_key_mapped, _fanout):
        more_checks, more_anomalies = run(columns)
        checks += more_checks
        anomalies += more_anomalies
    type_checks, type_anomalies = _type_feasibility(columns, domain_types)
    checks += type_checks
    anomalies += type_anomalies
    for run_with_sources in (_coverage, _source_usage):
        more_checks, more_anomalies = run_with_sources(columns, source_columns)
        checks += more_checks
        anomalies += more_anomalies
    infeasible_types = {a["column"] for a in type_anomalies}
    more_checks, more_anomalies = _feasibility(columns, domain_types, infeasible_types)
    return checks + more_checks, anomalies + more_anomalies


def _key_mapped(columns: Sequence[PlanColumn]) -> Findings:
    checks, anomalies = [], []
    for c in (c for c in columns if c.key):
        if c.mapped:
            checks.append(check("key_mapped", c.target, "pass", True, True))
            continue
        checks.append(check("key_mapped", c.target, "fail", False, True))
        anomalies.append(
            anomaly(
                "unmapped_key",
                c.target,
                "fail",
                f"key column {c.target!r} has no source: rows could not be told apart",
                Fix(
                    kind="map_column",
                    detail=f"map a source column to {c.target!r} (Mapping staging), or choose "
                    "another key in the target schema",
                ),
                decision=c.decision,
                sources=list(c.sources),
            )
        )
    return checks, anomalies


def _fanout(columns: Sequence[PlanColumn]) -> Findings:
    feeds: dict[str, list[PlanColumn]] = defaultdict(list)
    for c in columns:
        if c.mapped and c.strategy == "atomic" and len(c.sources) == 1:
            feeds[c.sources[0]].append(c)
    checks, anomalies = [], []
    for source, targets in sorted(feeds.items()):
        domains = sorted({t.target_domain for t in targets})
        if len(targets) < 2 or len(domains) < 2:
            continue
        names = [t.target for t in targets]
        checks.append(check("source_fanout", source, "warn", len(targets), 1, targets=names))
        anomalies.append(
            anomaly(
                "source_fanout",
                names[0],
                "warn",
                f"source {source!r} feeds {', '.join(names)} unchanged, but their domains "
                f"differ ({', '.join(domains)}): at most one can be right",
                Fix(
                    kind="remap",
                    detail=f"keep {source!r} on the target whose domain it holds, map another "
                    "source to the others or decompose it",
                    columns=names,
                ),
                source=source,
                target_domains=domains,
            )
        )
    return checks, anomalies


def _type_level(source_type: str | None, target_family: str) -> str:
    if source_type is None or target_family in FEASIBLE_TYPES.get(source_type, set()):
        return "feasible"
    if target_family in LOSSY_TYPES.get(source_type, set()):
        return "lossy"
    return "infeasible"


def _type_feasibility(
    columns: Sequence[PlanColumn], domain_types: Mapping[str, str] | None
) -> Findings:
    checks, anomalies = [], []
    for c in columns:
        if not c.mapped or len(c.sources) != 1 or c.strategy in ("compose", "decompose"):
            continue
        source_type = domain_value_type(c.source_domains[0], domain_types)
        level = _type_level(source_type, c.family)
        status = _LEVEL_STATUS[level]
        pair = f"{source_type or 'unknown'} -> {c.family}"
        checks.append(check("type_feasibility", c.target, status, pair, "feasible"))
        if level == "feasible":
            continue
        anomalies.append(
            anomaly(
                f"type_{level}",
                c.target,
                "fail" if level == "infeasible" else "warn",
                f"{c.sources[0]!r} holds {c.source_domains[0]} ({source_type}); the target "
                f"{c.target!r} is {c.type}: the conversion is {level}",
                Fix(
                    kind="remap" if level == "infeasible" else "review_pipeline",
                    detail=f"map a source of a {c.family} domain to {c.target!r}"
                    if level == "infeasible"
                    else f"check that every value of {c.sources[0]!r} converts to {c.type}",
                ),
                source=c.sources[0],
                source_domain=c.source_domains[0],
                source_type=source_type,
                target_type=c.type,
            )
        )
    return checks, anomalies


def _coverage(columns: Sequence[PlanColumn], source_columns: Sequence[str] | None) -> Findings:
    del source_columns
    accepted = [c.target for c in columns if c.mapped and c.decision == "accept"]
    share = round(len(accepted) / len(columns), 4) if columns else 0.0
    others = [c.target for c in columns if c.target not in accepted]
    status: Status = "pass" if share >= 1.0 else "warn"
    checks = [check("domain_coverage", None, status, share, 1.0, not_accepted=others)]
    if status == "pass":
        return checks, []
    held = [c.target for c in columns if c.mapped and c.decision != "accept"]
    unmapped = [c.target for c in columns if not c.mapped]
    return checks, [
        anomaly(
            "incomplete_coverage",
            None,
            "warn",
            f"{len(accepted)} of {len(columns)} target columns are mapped and accepted",
            Fix(
                kind="review_mapping",
                detail="confirm the held mappings and map or drop the unmapped columns",
                columns=others,
            ),
            held=held,
            unmapped=unmapped,
        )
    ]


def _source_usage(columns: Sequence[PlanColumn], source_columns: Sequence[str] | None) -> Findings:
    used = {s for c in columns if c.mapped for s in c.sources}
    if source_columns is None:
        return [check("source_usage", None, "pass", None, None, used=sorted(used))], []
    unused = [s for s in source_columns if s not in used]
    share = round(1 - len(unused) / len(source_columns), 4) if source_columns else 1.0
    unmapped = [c.target for c in columns if not c.mapped]
    status: Status = "warn" if unused and unmapped else "pass"
    checks = [check("source_usage", None, status, share, None, unused=unused)]
    if status == "pass":
        return checks, []
    return checks, [
        anomaly(
            "unused_sources",
            None,
            "warn",
            f"{len(unmapped)} target columns are unmapped while {len(unused)} source columns "
            "are unused",
            Fix(
                kind="map_column",
                detail=f"look for {', '.join(unmapped)} among {', '.join(unused)}",
                columns=unmapped,
            ),
            unused_sources=unused,
            unmapped_targets=unmapped,
        )
    ]


def feasible_strategies(
    column: PlanColumn,
    domain_types: Mapping[str, str] | None = None,
    *,
    shared_source: bool = False,
) -> list[str]:
    """The strategies that can produce ``column`` from its sources, by types and domains.

    Example:
        >>> c = PlanColumn("amount", "decimal(14,2)", False, ("Debit", "Credit"), "compose",
        ...                ("finance.debit", "finance.credit"))
        >>> feasible_strategies(c)
        ['compose']
        >>> c = PlanColumn("amount", "decimal(14,2)", False, ("Cents",), "unit",
        ...                ("money.amount_minor",))
        >>> feasible_strategies(c)
        ['type_alignment', 'unit']
    """
    if not column.sources:
        return []
    if len(column.sources) > 1:
        return ["compose"]
    domain = column.source_domains[0]
    source_type = domain_value_type(domain, domain_types)
    level = _type_level(source_type, column.family)
    found = []
    if source_type in (None, column.family):
        found.append("atomic")
    if level != "infeasible":
        found.append("type_alignment")  # sources are read as text: parsing is an alignment
    splittable = source_type in (None, "string", "timestamp")
    if splittable and (shared_source or domain.endswith(_COMPOSITE) or source_type == "timestamp"):
        found.append("decompose")
    if column.family in _NUMERIC and (source_type is None or source_type in _NUMERIC):
        found.append("unit")
    return found


def _feasibility(
    columns: Sequence[PlanColumn],
    domain_types: Mapping[str, str] | None,
    already: set[str | None],
) -> Findings:
    uses: dict[str, int] = defaultdict(int)
    for c in columns:
        for s in c.sources:
            uses[s] += 1
    checks, anomalies = [], []
    for c in columns:
        shared = bool(c.sources) and uses[c.sources[0]] > 1
        feasible = feasible_strategies(c, domain_types, shared_source=shared)
        ok = not c.mapped or c.strategy in feasible or c.target in already
        checks.append(
            check(
                "transform_feasibility",
                c.target,
                "pass" if ok else "warn",
                c.strategy,
                feasible,
                feasible=feasible,
            )
        )
        if not ok:
            anomalies.append(
                anomaly(
                    "strategy_infeasible",
                    c.target,
                    "warn",
                    f"{c.target!r} is planned as {c.strategy}, which its sources do not "
                    f"support (feasible: {', '.join(feasible) or 'none'})",
                    Fix(
                        kind="review_mapping",
                        detail=f"use one of {', '.join(feasible) or 'no strategy: remap'}",
                    ),
                    sources=list(c.sources),
                    source_domains=list(c.source_domains),
                    feasible=feasible,
                )
            )
    return checks, anomalies
