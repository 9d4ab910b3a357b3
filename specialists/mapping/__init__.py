"""Work: Mapping (§12), a Transform DSL pipeline per target column, decided on the sample.

The step (:func:`plan_mapping`) reads the run's Catalog, Sample Pack and Domain Assignments and
stores a Mapping Plan v1; :func:`mapping_plan` is the same as a pure function of artifact bodies;
:func:`transform` is the executor the eval and Migration run the accepted pipelines with;
:func:`rank_matches` ranks every source-target pair (``conduit match``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from core.lazy import lazy_exports

_EXPORTS = {
    "MappingOutcome": "run",
    "plan_mapping": "run",
    "dsl_limits": "run",
    "MappingSettings": "plan",
    "mapping_plan": "plan",
    "plan_pipelines": "plan",
    "transform": "execute",
    "PairScore": "match",
    "rank_matches": "match",
    "SourceColumn": "columns",
    "TargetSpec": "columns",
    "source_columns": "columns",
    "target_specs": "columns",
}
__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)

if TYPE_CHECKING:
    from specialists.mapping.columns import SourceColumn, TargetSpec, source_columns, target_specs
    from specialists.mapping.execute import transform
    from specialists.mapping.match import PairScore, rank_matches
    from specialists.mapping.plan import MappingSettings, mapping_plan, plan_pipelines
    from specialists.mapping.run import MappingOutcome, dsl_limits, plan_mapping
