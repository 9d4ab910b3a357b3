"""Spans and JSON logs that carry the run: OpenTelemetry tracing and one JSON object per log line.

A request, a stage, a gate and a model call each run inside :func:`span`; :func:`bind_run` puts
the run id in a context variable for the duration, so every span opened and every line logged
inside carries ``run_id`` (spans as ``conduit.run_id``) without passing it down. Log lines carry
the ids of the current span as well, so a log line leads to its trace.

Processes call :func:`configure_logging` and :func:`configure_tracing` once, at the edge (CLI,
HTTP app, worker). Library code only opens spans, through the global tracer provider, which is a
no-op until one is installed. OpenTelemetry is imported lazily: importing this module is free.
"""

from __future__ import annotations

import contextvars
import datetime as dt
import json
import logging
import os
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from opentelemetry.trace import Span, Tracer

__all__ = [
    "JsonFormatter",
    "bind_run",
    "configure_logging",
    "configure_tracing",
    "current_run_id",
    "set_error",
    "span",
    "tracer",
]

AttributeValue = str | bool | int | float

_RUN_ID: contextvars.ContextVar[str | None] = contextvars.ContextVar("conduit_run_id", default=None)
_LOCK = threading.Lock()
#: Environment variables that already decide whether LangSmith traces (any one of them).
_LANGSMITH_SWITCHES = (
    "LANGSMITH_TRACING",
    "LANGSMITH_TRACING_V2",
    "LANGCHAIN_TRACING",
    "LANGCHAIN_TRACING_V2",
)


def tracer() -> Tracer:
    """The ``conduit`` tracer of the global provider (a no-op until one is installed)."""
    from opentelemetry import trace

    return trace.get_tracer("conduit")


def current_run_id() -> str | None:
    """The run id bound by the innermost :func:`bind_run`, or None outside any run."""
    return _RUN_ID.get()


@contextmanager
def bind_run(run_id: str | None) -> Iterator[None]:
    """Make ``run_id`` the current run for the body (spans and log lines inside carry it)."""
    token = _RUN_ID.set(run_id)
    try:
        yield
    finally:
        _RUN_ID.reset(token)


@contextmanager
def span(name: str, **attributes: AttributeValue | None) -> Iterator[Span]:
    """Run the body inside a new current span ``name``; yields the span.

    An attribute key without a dot is namespaced: ``run_id=`` becomes ``conduit.run_id``; a
    dotted key (``**{"gen_ai.system": ...}``) is kept as it is. None values are dropped, and
    ``conduit.run_id`` comes from :func:`bind_run` unless given. When the body raises, the
    exception is recorded on the span, its status set to error, and the exception re-raised.
    """
    from opentelemetry.trace import Status, StatusCode

    attrs = {
        key if "." in key else f"conduit.{key}": value
        for key, value in attributes.items()
        if value is not None
    }
    run_id = current_run_id()
    if run_id is not None:
        attrs.setdefault("conduit.run_id", run_id)
    with tracer().start_as_current_span(
        name, attributes=attrs, record_exception=False, set_status_on_exception=False
    ) as current:
        try:
            yield current
        except BaseException as e:
            current.record_exception(e)
            current.set_status(Status(StatusCode.ERROR, f"{type(e).__name__}: {e}"[:500]))
            code = getattr(e, "code", None)  # a ConduitError's §31 code
            if isinstance(code, str):
                current.set_attribute("conduit.error_code", code)
            raise


def set_error(current: Span, description: str) -> None:
    """Mark ``current`` failed without an exception (a provider's error reply, a failed step)."""
    from opentelemetry.trace import Status, StatusCode

    current.set_status(Status(StatusCode.ERROR, description[:500]))


class JsonFormatter(logging.Formatter):
    """One JSON object per line: ts (ISO 8601, UTC), level, logger, message, run_id, and, when a
    span is current, trace_id (32 hex) and span_id (16 hex); exc_info as text when present.

    ``run_id`` is the record's own ``run_id`` attribute (``extra={"run_id": ...}``) when it has
    one, else the run bound by :func:`bind_run`, else null.
    """

    def format(self, record: logging.LogRecord) -> str:
        from opentelemetry import trace

        ts = dt.datetime.fromtimestamp(record.created, dt.UTC)
        payload: dict[str, object] = {
            "ts": ts.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "run_id": getattr(record, "run_id", None) or current_run_id(),
        }
        context = trace.get_current_span().get_span_context()
        if context.is_valid:
            payload["trace_id"] = trace.format_trace_id(context.trace_id)
            payload["span_id"] = trace.format_span_id(context.span_id)
        if record.exc_info:
            payload["exc_info"] = self.formatException(record.exc_info)
        if record.stack_info:
            payload["stack_info"] = self.formatStack(record.stack_info)
        return json.dumps(payload, default=str, ensure_ascii=False)


class _ConduitHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """The root handler :func:`configure_logging` installs (found again by its class)."""


def configure_logging(level: str | int = "INFO", json_logs: bool = True) -> logging.Handler:
    """Log to stderr from the root logger, as JSON lines (or plain text); returns the handler.

    Idempotent: a second call reconfigures the handler the first one installed.
    """
    root = logging.getLogger()
    with _LOCK:
        handler = next((h for h in root.handlers if isinstance(h, _ConduitHandler)), None)
        if handler is None:
            handler = _ConduitHandler(sys.stderr)
            root.addHandler(handler)
        plain = logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
        handler.setFormatter(JsonFormatter() if json_logs else plain)
        root.setLevel(level.upper() if isinstance(level, str) else level)
    return handler


def configure_tracing() -> bool:
    """Install an SDK tracer provider for the process unless one is set; True if it did.

    Spans are exported to the console (batched) only when ``OTEL_TRACES_EXPORTER=console``;
    otherwise they are created and dropped. To export elsewhere (OTLP to a collector), set a
    provider with its exporter (``trace.set_tracer_provider``) before calling this: an existing
    provider is kept as it is. The service name is ``conduit`` unless ``OTEL_SERVICE_NAME`` says.

    LangSmith: when ``LANGSMITH_API_KEY`` (or ``LANGCHAIN_API_KEY``) is set and no tracing switch
    is (``LANGSMITH_TRACING``, ``LANGCHAIN_TRACING_V2``, ...), ``LANGSMITH_TRACING=true`` is set,
    so LangGraph traces each run to LangSmith (``langsmith`` comes with ``langgraph``). Call this
    before the first graph runs: langsmith caches what it read from the environment.
    """
    env = os.environ
    if (env.get("LANGSMITH_API_KEY") or env.get("LANGCHAIN_API_KEY")) and not any(
        name in env for name in _LANGSMITH_SWITCHES
    ):
        env["LANGSMITH_TRACING"] = "true"
    from opentelemetry import trace

    with _LOCK:
        if not isinstance(trace.get_tracer_provider(), trace.ProxyTracerProvider):
            return False
        from opentelemetry.sdk.resources import Resource
        from opentelemetry.sdk.trace import TracerProvider

        service = env.get("OTEL_SERVICE_NAME") or "conduit"
        provider = TracerProvider(resource=Resource.create({"service.name": service}))
        if env.get("OTEL_TRACES_EXPORTER", "").strip().lower() == "console":
            from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter

            provider.add_span_processor(BatchSpanProcessor(ConsoleSpanExporter()))
        trace.set_tracer_provider(provider)
        return True
