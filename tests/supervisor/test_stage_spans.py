"""A run through the graph leaves a span per stage and gate, each carrying the run id."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import StatusCode

from core.db import Database
from policy.manifest import current_manifest
from supervisor.graph import GraphContext, start_run
from supervisor.runs import create_run
from tests.conftest import LENIENT_PROFILE

EXAMPLE = Path(__file__).parents[2] / "examples" / "bank_transactions" / "contract.yaml"


def test_a_held_run_leaves_stage_and_gate_spans_with_its_run_id(
    db: Database, lenient_profile: str, sqlite_target: str, span_exporter: InMemorySpanExporter
) -> None:
    doc: dict[str, Any] = yaml.safe_load(EXAMPLE.read_text())
    doc["threshold_profile_id"] = LENIENT_PROFILE
    doc["rhs"]["schema_ref"] = str(EXAMPLE.parent / doc["rhs"]["schema_ref"])
    doc["rhs"]["location"] = sqlite_target
    doc["human_confirm_required"] = True  # the run stops at the first gate
    run_id = create_run(db, doc).run.run_id
    ctx = GraphContext(db=db, manifest=current_manifest(), pii_key=b"k" * 32, base=EXAMPLE.parent)
    state = start_run(ctx, run_id)
    assert state["status"] == "held" and state["held"]["stage"] == "ingest"
    spans = {s.name: s for s in span_exporter.get_finished_spans()}
    stage, gate = spans["stage.ingest"], spans["gate.ingest"]
    for s in (stage, gate):
        assert s.attributes is not None
        assert s.attributes["conduit.run_id"] == run_id
        assert s.attributes["conduit.stage"] == "ingest"
    assert stage.status.status_code is StatusCode.UNSET
    # a hold pauses the run: the gate's span says so, and is not an error
    assert gate.attributes is not None and gate.attributes["conduit.decision"] == "hold"
    assert gate.status.status_code is StatusCode.UNSET
    assert "stage.domains" not in spans
