"""The error taxonomy of §31: one exception tree, one table of codes.

Every failure Conduit reports carries one §31 code. The code fixes the failure's class
(transient or deterministic), whether a retry can help, whether a fallback may be tried, and how
the faces of the product report it (CLI exit code, HTTP status). Those facts live in one table,
``CODES``; nothing else in the project restates them.

    ConduitError                       base: code, error_class, retry, fallback, message, field
    ├── DeterministicFailure           DETERMINISTIC_FAILURE: bad input or contract
    │   ├── ContractError              a Run Contract key is missing, wrong or changed
    │   ├── NotFoundError              a run, artifact or profile that does not exist
    │   └── IntegrityError             stored data no longer matches its hash
    ├── PolicyBlock                    POLICY_BLOCK: policy, PII or RBAC forbids it
    ├── DslReject                      DSL_REJECT: an out-of-policy Transform DSL op
    ├── QuarantineRequired             QUARANTINE_REQUIRED: migration validation failed
    └── TransientFailure               base of the retryable codes
        ├── ProviderUnhealthy          PROVIDER_UNHEALTHY
        ├── RateLimited                RATE_LIMIT
        ├── TimeoutFailure             TIMEOUT
        ├── QuotaExhausted             QUOTA_EXHAUSTED
        └── TransientError             TRANSIENT_ERROR (generic 5xx, store unreachable)

Control-flow signals (a gate that holds, an escalation) are not errors and are not in this tree.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Literal

ErrorCode = Literal[
    "POLICY_BLOCK",
    "DSL_REJECT",
    "PROVIDER_UNHEALTHY",
    "RATE_LIMIT",
    "TIMEOUT",
    "QUOTA_EXHAUSTED",
    "TRANSIENT_ERROR",
    "DETERMINISTIC_FAILURE",
    "QUARANTINE_REQUIRED",
]
ErrorClass = Literal["transient", "deterministic"]
Retry = Literal["no", "yes", "backoff", "delay"]
Fallback = Literal["no", "yes", "n/a"]


@dataclass(frozen=True)
class CodeInfo:
    """One row of the §31 table, plus how each face reports it."""

    code: ErrorCode
    error_class: ErrorClass
    retry: Retry
    fallback: Fallback
    exit_code: int
    http_status: int

    @property
    def retryable(self) -> bool:
        return self.retry != "no"


# §31, row for row. Exit codes start at 10 so they never collide with 1 (crash) or 2 (usage).
CODES: dict[ErrorCode, CodeInfo] = {
    info.code: info
    for info in (
        CodeInfo("POLICY_BLOCK", "deterministic", "no", "no", 10, 403),
        CodeInfo("DSL_REJECT", "deterministic", "no", "no", 11, 422),
        CodeInfo("PROVIDER_UNHEALTHY", "transient", "yes", "yes", 12, 503),
        CodeInfo("RATE_LIMIT", "transient", "backoff", "yes", 13, 429),
        CodeInfo("TIMEOUT", "transient", "yes", "yes", 14, 504),
        CodeInfo("QUOTA_EXHAUSTED", "transient", "delay", "yes", 15, 429),
        CodeInfo("TRANSIENT_ERROR", "transient", "yes", "yes", 16, 502),
        CodeInfo("DETERMINISTIC_FAILURE", "deterministic", "no", "no", 17, 400),
        CodeInfo("QUARANTINE_REQUIRED", "deterministic", "no", "n/a", 18, 409),
    )
}


class ConduitError(Exception):
    """Base of every error Conduit raises on purpose.

    Args:
        message: what went wrong and, where the caller can act, what to do about it.
        field: the input field at fault (a contract key, a JSON pointer), if any.
    """

    code: ClassVar[ErrorCode] = "DETERMINISTIC_FAILURE"
    #: A subclass may report a more precise HTTP status than its code's default (e.g. 404).
    http_status_override: ClassVar[int | None] = None

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field

    @property
    def info(self) -> CodeInfo:
        return CODES[self.code]

    @property
    def error_class(self) -> ErrorClass:
        return self.info.error_class

    @property
    def retryable(self) -> bool:
        return self.info.retryable

    @property
    def exit_code(self) -> int:
        return self.info.exit_code

    @property
    def http_status(self) -> int:
        return self.http_status_override or self.info.http_status

    def one_line(self) -> str:
        """The form the CLI prints: ``CODE: message``."""
        return f"{self.code}: {self.message}"


class DeterministicFailure(ConduitError):
    code: ClassVar[ErrorCode] = "DETERMINISTIC_FAILURE"


class ContractError(DeterministicFailure):
    """A Run Contract is invalid, or changes what may not change within a run."""


class NotFoundError(DeterministicFailure):
    http_status_override = 404


class IntegrityError(DeterministicFailure):
    """Stored data no longer matches its content hash or hash chain."""

    http_status_override = 500


class PolicyBlock(ConduitError):
    code: ClassVar[ErrorCode] = "POLICY_BLOCK"


class DslReject(ConduitError):
    code: ClassVar[ErrorCode] = "DSL_REJECT"


class QuarantineRequired(ConduitError):
    code: ClassVar[ErrorCode] = "QUARANTINE_REQUIRED"


class TransientFailure(ConduitError):
    code: ClassVar[ErrorCode] = "TRANSIENT_ERROR"


class ProviderUnhealthy(TransientFailure):
    code: ClassVar[ErrorCode] = "PROVIDER_UNHEALTHY"


class RateLimited(TransientFailure):
    code: ClassVar[ErrorCode] = "RATE_LIMIT"


class TimeoutFailure(TransientFailure):
    code: ClassVar[ErrorCode] = "TIMEOUT"


class QuotaExhausted(TransientFailure):
    code: ClassVar[ErrorCode] = "QUOTA_EXHAUSTED"


class TransientError(TransientFailure):
    code: ClassVar[ErrorCode] = "TRANSIENT_ERROR"


def error_for(code: str, message: str, *, field: str | None = None) -> ConduitError:
    """The error of a stored §31 code (a failure recorded in a run's state), to raise again.

    >>> error_for("TIMEOUT", "slow").one_line(), error_for("POLICY_BLOCK", "no").exit_code
    ('TIMEOUT: slow', 10)
    """
    classes: tuple[type[ConduitError], ...] = (
        DeterministicFailure,
        PolicyBlock,
        DslReject,
        QuarantineRequired,
        ProviderUnhealthy,
        RateLimited,
        TimeoutFailure,
        QuotaExhausted,
        TransientError,
    )
    by_code: dict[str, type[ConduitError]] = {cls.code: cls for cls in classes}
    return by_code.get(code, DeterministicFailure)(message, field=field)
