"""Stage gates: what the supervisor decides after a stage, from its outputs and the run's rules.

A gate is a pure function of what the stage produced (its metrics, never its rows), the Run
Contract and the Threshold Profile. It returns a :class:`GateOutcome`: one of the §30 decisions
and the reasons for it, in words a person can check.

- ``accept``: the run goes on to the next stage;
- ``hold``: a person must look (the run pauses at the gate until ``conduit runs resume``);
- ``retry``: the stage failed with a transient error (§31) and has retries left;
- ``escalate``: transient failures used up the retries: a person decides (fix = run it again);
- ``reject``: the stage failed with a deterministic error; the run is marked failed;
- ``fix``: only a person gives it (run the stage again after fixing its inputs).

``human_confirm_required`` turns an ``accept`` into a ``hold`` for confirmation: the contract asks
a person to confirm every gate. The decisions a person may give at a held gate are
``accept``, ``reject`` and ``fix`` (``accept`` is refused where the stage produced nothing).

The ingest gate holds when the source has no rows (nothing to migrate), when rows were ragged
(padded on reading: a person confirms the reading), or when the stage ran past its wall-time
budget (``budget_caps.<stage>.wall_time_s``).

The domains gate holds when more than the profile's ``domaining.borderline_share_max`` of the
source columns are borderline (each of those waits for a person or a model) and the run has no
target schema; with one, borderline domains are deferred to Mapping (§10: borderline columns
get discovery and staged deltas, not a stopped run): a borderline domain lowers the score of
every mapping that reads the column, and Mapping holds exactly the target columns it leaves in
doubt. It holds on the wall-time budget like every stage.

The analysis gate holds when any check fails (null rate over ``analysis.null_rate_max``,
duplicate keys over ``analysis.dup_key_rate_max``, cents written as dollars, future dates, an
unmapped key...): each failure comes with a recommended fix for a person to apply. Warnings are
reported and do not hold.

The mapping gate holds when any target column's mapping is held or needs a fix (each waits for
a person), or a key column of the target has no accepted mapping; target columns with no source
are reported, and do not hold the run.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from core.contract import RunContract, StageName
from core.profiles import ThresholdProfile

__all__ = [
    "HUMAN_DECISIONS",
    "MAX_RETRIES",
    "Failure",
    "GateOutcome",
    "decide",
    "domains_gate",
    "ingest_gate",
]

GateDecision = Literal["accept", "hold", "fix", "reject", "retry", "escalate"]
#: What a person may answer at a held gate.
HUMAN_DECISIONS = ("accept", "reject", "fix")
#: Transient failures of one stage retried before a person is asked.
MAX_RETRIES = 2


@dataclass(frozen=True)
class Failure:
    """A stage's failure as the gate sees it: the §31 code, its class and the message."""

    code: str
    transient: bool
    message: str
    field: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "transient": self.transient,
            "message": self.message,
            "field": self.field,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Failure:
        return cls(
            code=str(data["code"]),
            transient=bool(data["transient"]),
            message=str(data["message"]),
            field=data.get("field"),
        )


@dataclass(frozen=True)
class GateOutcome:
    """A gate's decision, why, and whether a person must answer before the run goes on."""

    decision: GateDecision
    reasons: tuple[str, ...] = field(default_factory=tuple)

    @property
    def waits_for_a_person(self) -> bool:
        return self.decision in ("hold", "escalate")


def ingest_gate(
    metrics: Mapping[str, Any], contract: RunContract, profile: ThresholdProfile
) -> GateOutcome:
    """The ingest gate's rules on the stage's metrics (see the module docstring).

    Example:
        >>> from core.contract import parse_contract
        >>> from core.profiles import bundled_profiles
        >>> c = parse_contract(_EXAMPLE)
        >>> p = bundled_profiles()[0]
        >>> ingest_gate({"rows": 60, "ragged_rows": 0, "seconds": 0.4}, c, p)
        GateOutcome(decision='accept', reasons=('60 rows read',))
        >>> ingest_gate({"rows": 0, "ragged_rows": 0, "seconds": 0.1}, c, p).decision
        'hold'
    """
    del profile  # no ingest field in §29; the rules are the contract's and the data's
    rows = int(metrics.get("rows", 0))
    ragged = int(metrics.get("ragged_rows", 0))
    seconds = float(metrics.get("seconds", 0.0))
    holds = []
    if rows == 0:
        holds.append("the source has no rows")
    if ragged:
        holds.append(f"{ragged} ragged rows were padded on reading")
    holds += _over_budget("ingest", seconds, contract)
    if holds:
        return GateOutcome("hold", tuple(holds))
    return GateOutcome("accept", (f"{rows} rows read",))


def _over_budget(stage: StageName, seconds: float, contract: RunContract) -> list[str]:
    budget = contract.budget_caps.get(stage)
    if budget is not None and seconds > budget.wall_time_s:
        return [f"{stage} took {seconds:.0f} s, over its {budget.wall_time_s} s budget"]
    return []


def domains_gate(
    metrics: Mapping[str, Any], contract: RunContract, profile: ThresholdProfile
) -> GateOutcome:
    """The domains gate's rules (see the module docstring).

    Example:
        >>> from core.contract import parse_contract
        >>> from core.profiles import bundled_profiles
        >>> c, p = parse_contract(_EXAMPLE), bundled_profiles()[0]
        >>> m = {"columns": 10, "high": 8, "borderline": 1, "low": 1, "seconds": 0.1}
        >>> domains_gate(m, c, p).reasons
        ('8 of 10 columns assigned, 1 borderline, 1 unknown',)
        >>> domains_gate(m | {"high": 5, "borderline": 4}, c, p).decision
        'hold'
        >>> domains_gate(m | {"high": 5, "borderline": 4, "target_columns": 6}, c, p).reasons[1]
        '4 borderline columns deferred to Mapping, which holds the target columns left in doubt'
    """
    from specialists.domains.run import DomainSettings

    columns = int(metrics.get("columns", 0))
    high, borderline = int(metrics.get("high", 0)), int(metrics.get("borderline", 0))
    low = int(metrics.get("low", 0))
    limit = DomainSettings.of(profile).borderline_share_max
    summary = f"{high} of {columns} columns assigned, {borderline} borderline, {low} unknown"
    holds, notes = [], []
    deferred = int(metrics.get("target_columns", 0)) > 0
    if columns and borderline / columns > limit and deferred:
        notes.append(
            f"{borderline} borderline columns deferred to Mapping, which holds the target "
            "columns left in doubt"
        )
    elif columns and borderline / columns > limit:
        holds.append(
            f"{borderline} of {columns} columns are borderline, over the profile's "
            f"{limit:.0%}: a person confirms their domains"
        )
    holds += _over_budget("domains", float(metrics.get("seconds", 0.0)), contract)
    if holds:
        return GateOutcome("hold", (summary, *holds))
    return GateOutcome("accept", (summary, *notes))


def mapping_gate(
    metrics: Mapping[str, Any], contract: RunContract, profile: ThresholdProfile
) -> GateOutcome:
    """The mapping gate's rules (see the module docstring).

    Example:
        >>> from core.contract import parse_contract
        >>> from core.profiles import bundled_profiles
        >>> c, p = parse_contract(_EXAMPLE), bundled_profiles()[0]
        >>> m = {"columns": 5, "accepted": 4, "held": 0, "fix": 0, "unmapped": 1,
        ...      "keys_accepted": True, "seconds": 0.1}
        >>> mapping_gate(m, c, p).reasons
        ('4 of 5 target columns accepted, 0 held, 0 to fix, 1 without a source',)
        >>> mapping_gate(m | {"held": 1, "accepted": 3}, c, p).decision
        'hold'
    """
    columns, accepted = int(metrics.get("columns", 0)), int(metrics.get("accepted", 0))
    held, fix = int(metrics.get("held", 0)), int(metrics.get("fix", 0))
    unmapped = int(metrics.get("unmapped", 0))
    summary = (
        f"{accepted} of {columns} target columns accepted, {held} held, {fix} to fix, "
        f"{unmapped} without a source"
    )
    holds = []
    if held:
        holds.append(f"{held} mappings are in doubt: a person confirms or fixes them")
    if fix:
        holds.append(f"{fix} pipelines convert too few sample values: a person fixes them")
    if not metrics.get("keys_accepted", True):
        holds.append("a key column of the target has no accepted mapping")
    if columns and not accepted:
        holds.append("no target column has an accepted mapping")
    holds += _over_budget("mapping", float(metrics.get("seconds", 0.0)), contract)
    if holds:
        return GateOutcome("hold", (summary, *holds))
    return GateOutcome("accept", (summary,))


def analysis_gate(
    metrics: Mapping[str, Any], contract: RunContract, profile: ThresholdProfile
) -> GateOutcome:
    """The analysis gate's rules (see the module docstring).

    Example:
        >>> from core.contract import parse_contract
        >>> from core.profiles import bundled_profiles
        >>> c, p = parse_contract(_EXAMPLE), bundled_profiles()[0]
        >>> m = {"checks": 12, "fails": 0, "warns": 2, "seconds": 0.1}
        >>> analysis_gate(m, c, p).reasons
        ('12 checks: 0 failed, 2 warnings',)
        >>> analysis_gate(m | {"fails": 1}, c, p).decision
        'hold'
    """
    checks, fails = int(metrics.get("checks", 0)), int(metrics.get("fails", 0))
    warns = int(metrics.get("warns", 0))
    summary = f"{checks} checks: {fails} failed, {warns} warnings"
    holds = []
    if fails:
        holds.append(f"{fails} checks failed: a person applies the recommended fixes or accepts")
    holds += _over_budget("analysis", float(metrics.get("seconds", 0.0)), contract)
    if holds:
        return GateOutcome("hold", (summary, *holds))
    return GateOutcome("accept", (summary,))


def migration_gate(
    metrics: Mapping[str, Any], contract: RunContract, profile: ThresholdProfile
) -> GateOutcome:
    """The migration gate: hold when a validation failed (a person looks before anything is
    promoted); quarantined rows do not hold it (the rest promotes; they are released after a
    fix). An accept promotes (``human_confirm_required`` first asks a person).

    Example:
        >>> from core.contract import parse_contract
        >>> from core.profiles import bundled_profiles
        >>> c, p = parse_contract(_EXAMPLE), bundled_profiles()[0]
        >>> m = {"valid": True, "staged": 9, "noop": 0, "quarantined": 1, "failed": [],
        ...      "seconds": 0.1}
        >>> migration_gate(m, c, p).reasons
        ('9 rows staged, 0 unchanged (no-op), 1 quarantined',)
        >>> migration_gate(m | {"valid": False, "failed": ["row_count"]}, c, p).decision
        'hold'
    """
    summary = (
        f"{int(metrics.get('staged', 0))} rows staged, {int(metrics.get('noop', 0))} unchanged "
        f"(no-op), {int(metrics.get('quarantined', 0))} quarantined"
    )
    holds = []
    if not metrics.get("valid", False):
        failed = ", ".join(metrics.get("failed") or []) or "validation"
        holds.append(f"{failed} failed: nothing is promoted until a person looks")
    holds += _over_budget("migration", float(metrics.get("seconds", 0.0)), contract)
    if holds:
        return GateOutcome("hold", (summary, *holds))
    return GateOutcome("accept", (summary,))


def decide(
    rule: GateOutcome | None,
    *,
    failure: Failure | None,
    attempt: int,
    confirm: bool,
) -> GateOutcome:
    """Combine a stage's rule outcome (None when it failed) with failures, retries and the
    contract's ``human_confirm_required``.

    Example:
        >>> decide(GateOutcome("accept", ("ok",)), failure=None, attempt=0, confirm=True)
        GateOutcome(decision='hold', reasons=('ok', 'human_confirm_required: a person confirms'))
        >>> f = Failure("TIMEOUT", True, "slow")
        >>> decide(None, failure=f, attempt=0, confirm=False).decision
        'retry'
        >>> decide(None, failure=f, attempt=MAX_RETRIES, confirm=False).decision
        'escalate'
        >>> decide(None, failure=Failure("POLICY_BLOCK", False, "no"), attempt=0, confirm=False)
        GateOutcome(decision='reject', reasons=('POLICY_BLOCK: no',))
    """
    if failure is not None:
        why = f"{failure.code}: {failure.message}"
        if not failure.transient:
            return GateOutcome("reject", (why,))
        if attempt < MAX_RETRIES:
            return GateOutcome("retry", (why, f"retry {attempt + 1} of {MAX_RETRIES}"))
        return GateOutcome("escalate", (why, f"{MAX_RETRIES} retries used: a person decides"))
    assert rule is not None
    if rule.decision == "accept" and confirm:
        return GateOutcome("hold", (*rule.reasons, "human_confirm_required: a person confirms"))
    return rule


_EXAMPLE = {
    "roadmap_version": "1.1.0",
    "mode": "metadata_only",
    "lhs": {"source": {"type": "file"}, "location": "a.csv"},
    "rhs": {"source": {"type": "file"}, "location": "b.yaml"},
    "pii_policy": {"mask_before_send": True, "local_only_override": False},
    "budget_caps": {"ingest": {"tokens": 0, "usd": "0", "wall_time_s": 60}},
    "routing_profile": "quality_first",
    "threshold_profile_id": "tp_default_v1",
    "dsl_version": "1.0.0",
    "cache_scope": {"run": True, "tab": None, "filters": {}},
    "human_confirm_required": False,
    "rbac_actor": {"user_id": "ana", "role": "analyst"},
}
