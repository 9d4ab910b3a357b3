"""Spans carry the run, errors are recorded on them, and JSON log lines lead to their trace."""

from __future__ import annotations

import io
import json
import logging
import os
from collections.abc import Iterator

import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import StatusCode

from core.errors import ContractError
from core.observability import (
    JsonFormatter,
    bind_run,
    configure_logging,
    configure_tracing,
    current_run_id,
    span,
)


def _only(exporter: InMemorySpanExporter, name: str) -> trace.Span:
    found = [s for s in exporter.get_finished_spans() if s.name == name]
    assert len(found) == 1, [s.name for s in exporter.get_finished_spans()]
    return found[0]  # type: ignore[return-value]


def test_a_span_carries_its_attributes_and_the_bound_run(
    span_exporter: InMemorySpanExporter,
) -> None:
    assert current_run_id() is None
    with bind_run("run-1"):
        assert current_run_id() == "run-1"
        with span("work", provider="openai", model=None, tokens=3, **{"gen_ai.system": "x"}):
            pass
        with span("mine", run_id="run-2"):  # given wins over the bound run
            pass
    assert current_run_id() is None
    with span("outside"):
        pass
    work = _only(span_exporter, "work").attributes
    assert dict(work or {}) == {
        "conduit.provider": "openai",
        "conduit.tokens": 3,
        "gen_ai.system": "x",
        "conduit.run_id": "run-1",
    }
    assert (_only(span_exporter, "mine").attributes or {})["conduit.run_id"] == "run-2"
    assert "conduit.run_id" not in (_only(span_exporter, "outside").attributes or {})


def test_a_span_is_the_parent_of_spans_inside(span_exporter: InMemorySpanExporter) -> None:
    with span("outer"), span("inner"):
        pass
    outer, inner = _only(span_exporter, "outer"), _only(span_exporter, "inner")
    assert inner.parent is not None  # type: ignore[attr-defined]
    assert inner.parent.span_id == outer.get_span_context().span_id  # type: ignore[attr-defined]


def test_an_exception_is_recorded_and_raised_again(span_exporter: InMemorySpanExporter) -> None:
    with pytest.raises(ContractError), span("boom"):
        raise ContractError("bad contract", field="mode")
    with span("fine"):
        pass
    boom = _only(span_exporter, "boom")
    assert boom.status.status_code is StatusCode.ERROR  # type: ignore[attr-defined]
    [event] = boom.events  # type: ignore[attr-defined]
    assert event.name == "exception"
    assert event.attributes["exception.type"] == "core.errors.ContractError"
    assert "bad contract" in event.attributes["exception.message"]
    assert (boom.attributes or {})["conduit.error_code"] == "DETERMINISTIC_FAILURE"
    fine = _only(span_exporter, "fine")
    assert fine.status.status_code is StatusCode.UNSET  # type: ignore[attr-defined]


def _logger() -> tuple[logging.Logger, io.StringIO]:
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("conduit.test.json")
    logger.handlers[:] = [handler]
    logger.propagate = False
    logger.setLevel(logging.DEBUG)
    return logger, out


def _lines(out: io.StringIO) -> list[dict[str, object]]:
    return [json.loads(line) for line in out.getvalue().splitlines()]


def test_json_logs_carry_the_run_and_the_current_span(
    span_exporter: InMemorySpanExporter,
) -> None:
    logger, out = _logger()
    with bind_run("run-7"), span("stage.ingest") as current:
        logger.info("read %d rows", 60)
        ids = current.get_span_context()
    logger.warning("no run here")
    logger.info("given", extra={"run_id": "run-9"})
    inside, outside, given = _lines(out)
    assert inside["message"] == "read 60 rows" and inside["level"] == "INFO"
    assert inside["logger"] == "conduit.test.json" and inside["run_id"] == "run-7"
    assert inside["trace_id"] == trace.format_trace_id(ids.trace_id)
    assert inside["span_id"] == trace.format_span_id(ids.span_id)
    assert len(str(inside["trace_id"])) == 32 and len(str(inside["span_id"])) == 16
    assert str(inside["ts"]).endswith("Z") and "T" in str(inside["ts"])
    assert outside["run_id"] is None and "trace_id" not in outside and "span_id" not in outside
    assert given["run_id"] == "run-9"


def test_json_logs_carry_the_traceback() -> None:
    logger, out = _logger()
    try:
        raise RuntimeError("provider down")
    except RuntimeError:
        logger.exception("call failed")
    [line] = _lines(out)
    assert line["message"] == "call failed" and line["level"] == "ERROR"
    assert "RuntimeError: provider down" in str(line["exc_info"])
    assert "Traceback" in str(line["exc_info"])


@pytest.fixture
def _root_logger() -> Iterator[logging.Logger]:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield root
    root.handlers[:] = handlers
    root.setLevel(level)


def test_configure_logging_is_idempotent(_root_logger: logging.Logger) -> None:
    before = len(_root_logger.handlers)
    first = configure_logging("debug")
    second = configure_logging("INFO")
    assert first is second and len(_root_logger.handlers) == before + 1
    assert isinstance(second.formatter, JsonFormatter) and _root_logger.level == logging.INFO
    plain = configure_logging(json_logs=False)
    assert plain is first and not isinstance(plain.formatter, JsonFormatter)
    assert len(_root_logger.handlers) == before + 1


def test_configure_tracing_keeps_a_provider_already_set(
    span_exporter: InMemorySpanExporter,
) -> None:
    provider = trace.get_tracer_provider()
    assert configure_tracing() is False
    assert trace.get_tracer_provider() is provider
    with span("still-exported"):
        pass
    _only(span_exporter, "still-exported")


_SWITCHES = (
    "LANGSMITH_TRACING",
    "LANGSMITH_TRACING_V2",
    "LANGCHAIN_TRACING",
    "LANGCHAIN_TRACING_V2",
)


@pytest.fixture
def _no_langsmith(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """The LangSmith variables unset, and restored (or removed again) after the test."""
    for name in (*_SWITCHES, "LANGSMITH_API_KEY", "LANGCHAIN_API_KEY"):
        monkeypatch.setenv(name, "")  # records the original, so teardown restores it
        monkeypatch.delenv(name)
    return monkeypatch


def test_a_langsmith_key_turns_langsmith_tracing_on(_no_langsmith: pytest.MonkeyPatch) -> None:
    configure_tracing()
    assert "LANGSMITH_TRACING" not in os.environ  # no key, no tracing
    _no_langsmith.setenv("LANGCHAIN_API_KEY", "lsv2-test")
    configure_tracing()
    assert os.environ["LANGSMITH_TRACING"] == "true"


def test_an_explicit_langsmith_switch_is_respected(_no_langsmith: pytest.MonkeyPatch) -> None:
    _no_langsmith.setenv("LANGSMITH_API_KEY", "lsv2-test")
    _no_langsmith.setenv("LANGCHAIN_TRACING_V2", "false")
    configure_tracing()
    assert "LANGSMITH_TRACING" not in os.environ
