"""The Mapping Plan v1 of a run: per target column its sources, pipeline, confidence, decision.

For every target column the plan

1. scores every source column (:mod:`specialists.mapping.match`) and asks the compose and
   decompose rules (:mod:`specialists.mapping.compose`) for a proposal;
2. assigns single sources greedily, best pair first, each source to one target (compose and
   decompose proposals reuse sources freely), and keeps a proposal when it scores above the
   target's best single source;
3. writes the candidate pipelines of the chosen reading (:mod:`specialists.mapping.pipelines`),
   validates them against the DSL and the Policy Manifest's limits, and in ``data_mode``
   executes them on the masked Sample Pack (:mod:`specialists.mapping.execute`);
4. decides: ``accept`` when the score reaches ``accept_score`` and, in data_mode, the sample
   success rate reaches the profile's ``mapping.accept_rate_min`` with the target type (key
   uniqueness on the sample is measured and reported; duplicate keys are the Analysis gate's,
   on ``analysis.dup_key_rate_max``); ``hold`` when the score is lower, or the success rate
   falls short by no more than ``mapping.near_match_window``; ``fix`` when it falls short by
   more (the pipeline must change); ``unmapped`` when no source scores ``floor`` or more. A
   target with no source is reported, never invented. ``metadata_only`` decides on scores
   alone (a dry run: pipelines are validated and compiled, not executed).

Compiled previews (PostgreSQL, DuckDB, MySQL, SQLite and Polars) are stored with each pipeline.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from core.contract import Mode
from core.profiles import ThresholdProfile
from core.target_schema import TargetSchema
from dsl.ops import Limits
from dsl.pipeline import Pipeline, output_type, validate_pipeline
from specialists.mapping.columns import SourceColumn, TargetSpec, source_columns, target_specs
from specialists.mapping.compose import Proposal, compose_proposals
from specialists.mapping.execute import SampleResult, best_candidate, sample_frame
from specialists.mapping.match import W_TYPE, PairScore, score_pair
from specialists.mapping.names import concepts
from specialists.mapping.pipelines import atomic_candidates

if TYPE_CHECKING:
    import polars as pl

    from specialists.mapping.propose import ModelAccess

__all__ = ["MappingSettings", "mapping_plan", "plan_pipelines"]

ACCEPT_SCORE = 0.5
FLOOR = 0.3
#: A pair under ``accept_score`` is still accepted when it scores at least ``CLEAR_SCORE`` and
#: leads the target's runner-up source by ``CLEAR_MARGIN``: an unambiguous best match.
CLEAR_SCORE = 0.4
CLEAR_MARGIN = 0.15


@dataclass(frozen=True)
class MappingSettings:
    accept_rate_min: float
    near_match_window: float
    accept_score: float = ACCEPT_SCORE
    floor: float = FLOOR

    @classmethod
    def of(cls, profile: ThresholdProfile) -> MappingSettings:
        return cls(profile.mapping.accept_rate_min, profile.mapping.near_match_window)


@dataclass(frozen=True)
class _Choice:
    target: TargetSpec
    sources: tuple[SourceColumn, ...]
    strategy: str
    docs: tuple[dict[str, Any], ...]
    score: float
    rationale: str
    type_fit: float | None = None
    margin: float = 0.0  # over the target's runner-up source


def _strategy(pipeline: Pipeline) -> str:
    ops = {str(getattr(op, "op", "")) for op in pipeline.ops}
    if ops & {"unit_convert", "safe_math"}:
        return "unit"
    if ops - {"trim"}:
        return "type_alignment"
    return "atomic"


#: Types distinctive enough that "the only one in, the only one out" is evidence.
_DISTINCT_TYPES = ("date", "timestamp", "boolean")
ONLY_OF_TYPE_BONUS = 0.25
ONLY_OF_TYPE_EVIDENCE = 0.3  # the name or domain score the pair needs besides its type


def _only_of_its_type(
    targets: Sequence[TargetSpec],
    sources: Sequence[SourceColumn],
    ranked: dict[str, list[PairScore]],
) -> None:
    """Raise the pair of the only target and the only source of a distinctive type (the one date
    in, the one date out) by ``ONLY_OF_TYPE_BONUS``, and re-sort."""
    for family in _DISTINCT_TYPES:
        ts = [t for t in targets if t.family == family]
        ss = [s for s in sources if s.family == family]
        if len(ts) != 1 or len(ss) != 1:
            continue
        pairs = ranked[ts[0].name]
        for i, p in enumerate(pairs):
            # Evidence beside the type is still needed: Date of Birth is no signup date.
            if p.source == ss[0].header and max(p.name, p.domain or 0.0) >= ONLY_OF_TYPE_EVIDENCE:
                pairs[i] = replace(p, score=min(1.0, p.score + ONLY_OF_TYPE_BONUS))
        pairs.sort(key=lambda p: -p.score)


def _margin(ranked: Sequence[PairScore], pair: PairScore) -> float:
    others = [p.score for p in ranked if p.source != pair.source]
    return pair.score - (max(others) if others else 0.0)


def _assign(
    targets: Sequence[TargetSpec],
    sources: Sequence[SourceColumn],
    proposals: Mapping[str, Proposal],
    settings: MappingSettings,
    context: frozenset[str],
) -> tuple[dict[str, _Choice], dict[str, list[PairScore]]]:
    by_header = {s.header: s for s in sources}
    ranked = {
        t.name: sorted((score_pair(t, s, context) for s in sources), key=lambda p: -p.score)
        for t in targets
    }
    _only_of_its_type(targets, sources, ranked)
    chosen: dict[str, _Choice] = {}
    for t in targets:
        p = proposals.get(t.name)
        best = ranked[t.name][0] if ranked[t.name] else None
        # A proposal wins over a better single source only when that source is one of its
        # parts: then the proposal is the fuller reading of it.
        if p is not None and (
            best is None or p.score >= best.score or best.source in {s.header for s in p.sources}
        ):
            chosen[t.name] = _Choice(t, p.sources, p.strategy, p.docs, p.score, p.rationale)
    # A column split into parts (decompose) is taken; one joined into a whole (compose) is not:
    # ``First Name`` feeds ``first_name`` as well as ``full_name``.
    used = {s.header for c in chosen.values() if c.strategy == "decompose" for s in c.sources}
    spec = {t.name: t for t in targets}
    pairs = sorted(
        (p for name, ps in ranked.items() if name not in chosen for p in ps),
        key=lambda p: (-p.score, p.target),
    )
    for pair in pairs:
        if pair.target in chosen or pair.source in used or pair.score < settings.floor:
            continue
        source = by_header[pair.source]
        t = spec[pair.target]
        domain = "n/a" if pair.domain is None else f"{pair.domain:.2f}"
        chosen[pair.target] = _Choice(
            t,
            (source,),
            "atomic",
            tuple(atomic_candidates(t.column, source)),
            pair.score,
            f"best single source (name {pair.name:.2f}, domain {domain}, type {pair.type:.1f})",
            pair.type,
            _margin(ranked[pair.target], pair),
        )
        used.add(pair.source)
    return chosen, ranked


def _decide(
    choice: _Choice,
    result: SampleResult | Pipeline,
    target: TargetSpec,
    settings: MappingSettings,
    mode: Mode,
) -> tuple[str, str]:
    pipeline = result.pipeline if isinstance(result, SampleResult) else result
    if str(output_type(pipeline)) != target.column.type:
        return "fix", f"the pipeline ends in {output_type(pipeline)}, not {target.column.type}"
    clear = choice.score >= CLEAR_SCORE and choice.margin >= CLEAR_MARGIN
    if choice.score < settings.accept_score and not clear:
        return "hold", f"score {choice.score:.2f} under {settings.accept_score}: a person confirms"
    if isinstance(result, SampleResult) and result.success_rate is None:
        if result.masked:  # every sample value was masked: judged like a dry run
            return "accept", "the sample is masked here: decided on names, domains and types"
        return "hold", "no sample row has a value to judge the pipeline on"
    if not isinstance(result, SampleResult):
        return (
            "accept",
            "dry run: the pipeline validates and compiles"
            if mode == "metadata_only"
            else "no sample rows",
        )
    rate = result.success_rate
    assert rate is not None  # a SampleResult without one returned above
    gap = settings.accept_rate_min - rate
    if gap <= 0:
        return "accept", f"{rate:.0%} of sample values converted"
    if gap <= settings.near_match_window:
        return "hold", f"{rate:.0%} converted: near the {settings.accept_rate_min:.0%} bar"
    return "fix", f"only {rate:.0%} of sample values converted"


def _previews(pipeline: Pipeline) -> dict[str, str]:
    from dsl.compile import previews

    return previews(pipeline)


def _column(
    t: TargetSpec,
    choice: _Choice | None,
    ranked: Sequence[PairScore],
    frame: pl.DataFrame | None,
    settings: MappingSettings,
    mode: Mode,
    limits: Limits | None,
) -> dict[str, Any]:
    base: dict[str, Any] = {
        "target": t.name,
        "type": t.column.type,
        "key": t.column.key,
        "target_domain": t.domain,
        "alternatives": [p.as_dict() for p in ranked[:3]],
    }
    if choice is None:
        best = ranked[0] if ranked else None
        why = (
            f"no source fits (best score {best.score if best else 0.0:.2f}, under {settings.floor})"
            if best is None or best.score < settings.floor
            else f"its best source {best.source!r} ({best.score:.2f}) fits another target better"
        )
        return base | {
            "sources": [],
            "source_domains": [],
            "strategy": "none",
            "pipeline": None,
            "confidence": 0.0,
            "decision": "unmapped",
            "rationale": why,
            "sample": None,
            "examples": [],
            "previews": {},
        }
    result = best_candidate(choice.docs, frame, t.column, limits)
    common = {
        "sources": [s.header for s in choice.sources],
        "source_columns": [s.name for s in choice.sources],
        "source_domains": [s.domain for s in choice.sources],
        "confidence": round(choice.score, 4),
    }
    if result is None:
        return (
            base
            | common
            | {
                "strategy": choice.strategy,
                "pipeline": None,
                "decision": "fix",
                "rationale": f"{choice.rationale}; no candidate pipeline is valid DSL",
                "sample": None,
                "examples": [],
                "previews": {},
            }
        )
    pipeline = result.pipeline if isinstance(result, SampleResult) else result
    if (
        isinstance(result, SampleResult)
        and result.success_rate is not None
        and choice.strategy == "atomic"
        and choice.type_fit == 0.5
    ):
        # A text source's type fit was a guess (0.5) until the sample said how much converts.
        choice = replace(choice, score=choice.score + W_TYPE * (result.success_rate - 0.5))
        common["confidence"] = round(choice.score, 4)
    strategy = choice.strategy
    if strategy == "atomic":
        strategy = _strategy(pipeline)
    decision, why = _decide(choice, result, t, settings, mode)
    sample = result.as_dict() if isinstance(result, SampleResult) else None
    return (
        base
        | common
        | {
            "strategy": strategy,
            "pipeline": pipeline.model_dump(mode="json"),
            "pipeline_hash": pipeline.hash,
            "decision": decision,
            "rationale": f"{choice.rationale}; {why}",
            "sample": sample,
            "examples": list(result.examples) if isinstance(result, SampleResult) else [],
            "previews": _previews(pipeline),
        }
    )


def mapping_plan(
    catalog_body: Mapping[str, Any],
    sample_body: Mapping[str, Any] | None,
    assignments_body: Mapping[str, Any] | None,
    target: TargetSchema,
    mode: Mode,
    settings: MappingSettings,
    *,
    limits: Limits | None = None,
    model: ModelAccess | None = None,
) -> dict[str, Any]:
    """The Mapping Plan v1 body (see the module docstring); with ``model``, the target columns
    left in doubt are also proposed by a model (:mod:`specialists.mapping.propose`)."""
    sources = source_columns(
        catalog_body, sample_body if mode == "data_mode" else None, assignments_body
    )
    targets = target_specs(target, assignments_body)
    sources = _best_table(sources, targets, concepts(target.table))
    frame = sample_frame(sources) if mode == "data_mode" and sample_body else None
    chosen, ranked = _assign(
        targets, sources, compose_proposals(targets, sources), settings, concepts(target.table)
    )
    columns = [
        _column(t, chosen.get(t.name), ranked[t.name], frame, settings, mode, limits)
        for t in targets
    ]
    model_record = None
    if model is not None:
        columns, model_record = _with_model(
            model,
            columns,
            targets,
            sources,
            ranked,
            frame,
            settings,
            mode,
            limits,
        )
    decisions = [c["decision"] for c in columns]
    tables = {s.table for s in sources}
    return {
        "version": 1,
        "mode": mode,
        "source_table": sorted(tables)[0] if tables else None,
        "target": {"table": target.table, "keys": list(target.keys)},
        "settings": {
            "accept_rate_min": settings.accept_rate_min,
            "near_match_window": settings.near_match_window,
            "accept_score": settings.accept_score,
            "floor": settings.floor,
        },
        "summary": {
            "columns": len(columns),
            "accepted": decisions.count("accept"),
            "held": decisions.count("hold"),
            "fix": decisions.count("fix"),
            "unmapped": decisions.count("unmapped"),
        },
        "columns": columns,
        "model": model_record,
    }


def _best_table(
    sources: list[SourceColumn], targets: Sequence[TargetSpec], context: frozenset[str]
) -> list[SourceColumn]:
    """The columns of the one source table the target is mapped from: with several (a SQL
    database), the table whose columns fit the target's best (sum of each target column's best
    pair score)."""
    tables: dict[str, list[SourceColumn]] = {}
    for s in sources:
        tables.setdefault(s.table, []).append(s)
    if len(tables) <= 1:
        return sources

    def fit(columns: list[SourceColumn]) -> float:
        return sum(max(score_pair(t, s, context).score for s in columns) for t in targets)

    return max(tables.values(), key=fit)


_IN_DOUBT = ("hold", "fix", "unmapped")


def _proposal_choice(
    proposal: Any, target: TargetSpec, by_name: Mapping[str, SourceColumn], limits: Limits | None
) -> tuple[_Choice | None, str | None]:
    """The model's proposal as a choice, or why it is refused (before any execution)."""
    from dsl.errors import DslError
    from specialists.mapping.propose import MODEL_CONFIDENCE_CAP

    missing = [s for s in proposal.sources if s not in by_name]
    if missing:
        return None, f"unknown source columns {missing}"
    if not proposal.sources or proposal.pipeline is None:
        return None, "no source proposed"
    try:
        pipeline = validate_pipeline(proposal.pipeline, limits=limits)
    except DslError as e:
        return None, f"{e.code}: {e.message}"
    if [i.name for i in pipeline.inputs] != list(proposal.sources):
        return None, "the pipeline's inputs are not the proposed sources"
    if pipeline.output != target.name:
        return None, f"the pipeline writes {pipeline.output!r}, not {target.name!r}"
    score = min(float(proposal.confidence), MODEL_CONFIDENCE_CAP)
    why = f"proposed by a model: {proposal.rationale or 'no rationale given'}"
    sources = tuple(by_name[s] for s in proposal.sources)
    doc = pipeline.model_dump(mode="json")
    return _Choice(target, sources, "model", (doc,), score, why), None


def _with_model(
    access: ModelAccess,
    columns: list[dict[str, Any]],
    targets: Sequence[TargetSpec],
    sources: Sequence[SourceColumn],
    ranked: Mapping[str, list[PairScore]],
    frame: pl.DataFrame | None,
    settings: MappingSettings,
    mode: Mode,
    limits: Limits | None,
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Ask the model about the columns in doubt; keep a proposal where it is accepted (or, for
    an unmapped column, held for a person); record the call and every refusal."""
    from core.errors import ConduitError
    from specialists.mapping.propose import ask_model

    doubt = [t for t, c in zip(targets, columns, strict=True) if c["decision"] in _IN_DOUBT]
    record: dict[str, Any] = {"asked": [t.name for t in doubt], "calls": [], "refused": []}
    if not doubt:
        return columns, record
    try:
        proposals, call = ask_model(access, doubt, sources)
    except ConduitError as e:  # the deterministic plan stands; the ledger has the call's event
        record["error"] = {"code": e.code, "message": e.message}
        return columns, record
    record["calls"].append(call)
    by_name = {s.name: s for s in sources}
    index = {c["target"]: i for i, c in enumerate(columns)}
    spec = {t.name: t for t in doubt}
    kept = []
    for proposal in proposals:
        if proposal.target not in spec:
            record["refused"].append({"target": proposal.target, "why": "not a column in doubt"})
            continue
        target = spec[proposal.target]
        choice, why = _proposal_choice(proposal, target, by_name, limits)
        if choice is None:
            record["refused"].append({"target": target.name, "why": why})
            continue
        new = _column(
            target,
            choice,
            ranked[target.name],
            frame,
            settings,
            mode,
            limits,
        )
        old = columns[index[target.name]]
        better = new["decision"] == "accept" or (
            old["decision"] == "unmapped" and new["decision"] == "hold"
        )
        if better:
            columns[index[target.name]] = new | {"proposed_by": call["model"]}
            kept.append(target.name)
        else:
            record["refused"].append(
                {"target": target.name, "why": f"{new['decision']}: {new['rationale']}"}
            )
    record["kept"] = kept
    return columns, record


def plan_pipelines(plan: Mapping[str, Any], *, accepted_only: bool = True) -> dict[str, Pipeline]:
    """The pipelines of a Mapping Plan body by target column (accepted ones by default)."""
    return {
        c["target"]: validate_pipeline(c["pipeline"])
        for c in plan["columns"]
        if c.get("pipeline") and (c["decision"] == "accept" or not accepted_only)
    }
