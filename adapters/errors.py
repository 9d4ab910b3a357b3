"""Every provider failure, mapped to one §31 code in one table.

Providers disagree on how they say the same thing (Anthropic reports an empty balance as a 400,
Ollama has no quota, overload is 503 at OpenAI and 529 at Anthropic), so the mapping reads the
status and the body, never an SDK's exception class. Vendor and transport exceptions stop here.

| what the provider says | code |
|---|---|
| 429, or a body saying the quota or credit is gone | QUOTA_EXHAUSTED |
| 429 otherwise | RATE_LIMIT (``Retry-After`` honoured) |
| 408, 504, or no answer before the lane's deadline | TIMEOUT |
| 503, 529, a body saying overloaded; connection refused | PROVIDER_UNHEALTHY |
| 500, 502, a connection reset, a 200 whose body is not the protocol | TRANSIENT_ERROR |
| the prompt is longer than the model's context | DETERMINISTIC_FAILURE (context_too_long) |
| any other 4xx (bad request, authentication) | DETERMINISTIC_FAILURE |
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from core.errors import (
    ConduitError,
    DeterministicFailure,
    ErrorCode,
    ProviderUnhealthy,
    QuotaExhausted,
    RateLimited,
    TimeoutFailure,
    TransientError,
)

__all__ = ["Failure", "classify_response", "classify_transport", "to_error"]

_QUOTA = re.compile(r"insufficient_quota|exceeded your current quota|credit balance|quota", re.I)
_CONTEXT = re.compile(
    r"context_length_exceeded|maximum context length|prompt is too long|exceeds the context length"
    r"|context window",
    re.I,
)
_OVERLOADED = re.compile(r"overloaded|server busy|capacity", re.I)


@dataclass(frozen=True)
class Failure:
    """A failed call, classified."""

    code: ErrorCode
    message: str
    retry_after_s: float | None = None
    context_too_long: bool = False
    status: int | None = None


def _retry_after(value: str | None) -> float | None:
    if value is None:
        return None
    try:
        seconds = float(value.strip())
    except ValueError:
        return None  # an HTTP date: ignore, back off instead
    return seconds if 0 <= seconds <= 3600 else None


def classify_response(status: int, body: str, retry_after: str | None) -> Failure:
    """The §31 code of an HTTP answer that is not a success.

    >>> classify_response(429, '{"error":{"code":"insufficient_quota"}}', None).code
    'QUOTA_EXHAUSTED'
    >>> classify_response(429, "{}", "2").retry_after_s
    2.0
    >>> classify_response(400, "prompt is too long: 210000 tokens", None).context_too_long
    True
    """
    text = body[:2000]
    if status == 429:
        if _QUOTA.search(text):
            return Failure("QUOTA_EXHAUSTED", f"quota exhausted ({status})", status=status)
        return Failure("RATE_LIMIT", "rate limited (429)", _retry_after(retry_after), status=status)
    if status in (400, 403) and _QUOTA.search(text) and "credit" in text.lower():
        return Failure("QUOTA_EXHAUSTED", f"credit exhausted ({status})", status=status)
    if status in (400, 413, 422) and _CONTEXT.search(text):
        return Failure(
            "DETERMINISTIC_FAILURE", "prompt longer than the model's context", None, True, status
        )
    if status in (408, 504):
        return Failure("TIMEOUT", f"provider timed out ({status})", status=status)
    if status in (503, 529) or (status >= 500 and _OVERLOADED.search(text)):
        return Failure("PROVIDER_UNHEALTHY", f"provider overloaded ({status})", status=status)
    if status >= 500:
        return Failure("TRANSIENT_ERROR", f"provider error ({status})", status=status)
    return Failure(
        "DETERMINISTIC_FAILURE", f"request refused ({status}): {text[:200]}", status=status
    )


def classify_transport(error: Exception) -> Failure:
    """The §31 code of a call that got no HTTP answer (httpx exceptions)."""
    import httpx

    if isinstance(error, httpx.TimeoutException):
        return Failure("TIMEOUT", f"no answer before the deadline ({type(error).__name__})")
    if isinstance(error, httpx.ConnectError):
        return Failure("PROVIDER_UNHEALTHY", f"cannot connect: {error}")
    return Failure("TRANSIENT_ERROR", f"connection failed: {type(error).__name__}: {error}")


_CLASSES: dict[ErrorCode, type[ConduitError]] = {
    "RATE_LIMIT": RateLimited,
    "QUOTA_EXHAUSTED": QuotaExhausted,
    "TIMEOUT": TimeoutFailure,
    "PROVIDER_UNHEALTHY": ProviderUnhealthy,
    "TRANSIENT_ERROR": TransientError,
    "DETERMINISTIC_FAILURE": DeterministicFailure,
}


def to_error(failure: Failure, *, provider: str, model: str) -> ConduitError:
    """The ConduitError a caller sees for ``failure``."""
    return _CLASSES[failure.code](f"{provider}/{model}: {failure.message}", field="provider")
