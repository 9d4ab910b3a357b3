"""The §31 error taxonomy: the CODES table and the exception tree."""

from __future__ import annotations

import inspect

import pytest

import core.errors as errors_module
from core.errors import CODES, ConduitError, ErrorCode, NotFoundError

# §31, written from the spec: code -> (class, retry, fallback).
SPEC_31: dict[ErrorCode, tuple[str, str, str]] = {
    "POLICY_BLOCK": ("deterministic", "no", "no"),
    "DSL_REJECT": ("deterministic", "no", "no"),
    "PROVIDER_UNHEALTHY": ("transient", "yes", "yes"),
    "RATE_LIMIT": ("transient", "backoff", "yes"),
    "TIMEOUT": ("transient", "yes", "yes"),
    "QUOTA_EXHAUSTED": ("transient", "delay", "yes"),
    "TRANSIENT_ERROR": ("transient", "yes", "yes"),
    "DETERMINISTIC_FAILURE": ("deterministic", "no", "no"),
    "QUARANTINE_REQUIRED": ("deterministic", "no", "n/a"),
}

# Every concrete exception class of core.errors and the code it must carry.
CLASS_CODES: dict[str, ErrorCode] = {
    "DeterministicFailure": "DETERMINISTIC_FAILURE",
    "ContractError": "DETERMINISTIC_FAILURE",
    "NotFoundError": "DETERMINISTIC_FAILURE",
    "IntegrityError": "DETERMINISTIC_FAILURE",
    "PolicyBlock": "POLICY_BLOCK",
    "DslReject": "DSL_REJECT",
    "QuarantineRequired": "QUARANTINE_REQUIRED",
    "ProviderUnhealthy": "PROVIDER_UNHEALTHY",
    "RateLimited": "RATE_LIMIT",
    "TimeoutFailure": "TIMEOUT",
    "QuotaExhausted": "QUOTA_EXHAUSTED",
    "TransientError": "TRANSIENT_ERROR",
}
ABSTRACT_BASES = {"ConduitError", "TransientFailure"}


def error_classes() -> dict[str, type[ConduitError]]:
    return {
        name: cls
        for name, cls in inspect.getmembers(errors_module, inspect.isclass)
        if issubclass(cls, ConduitError) and cls.__module__ == errors_module.__name__
    }


def test_codes_table_has_exactly_the_nine_spec_codes() -> None:
    assert set(CODES) == set(SPEC_31)
    assert len(CODES) == 9


@pytest.mark.parametrize(("code", "row"), sorted(SPEC_31.items()))
def test_codes_row_matches_spec(code: ErrorCode, row: tuple[str, str, str]) -> None:
    info = CODES[code]
    assert info.code == code
    assert (info.error_class, info.retry, info.fallback) == row
    assert info.retryable is (row[1] != "no")
    assert info.retryable is (row[0] == "transient")


def test_exit_codes_are_unique_and_clear_of_success_crash_and_usage() -> None:
    exits = [info.exit_code for info in CODES.values()]
    assert len(set(exits)) == len(exits)
    assert not set(exits) & {0, 1, 2}
    assert all(0 < e < 126 for e in exits)


def test_every_exception_class_is_accounted_for() -> None:
    assert set(error_classes()) == set(CLASS_CODES) | ABSTRACT_BASES


@pytest.mark.parametrize(("name", "code"), sorted(CLASS_CODES.items()))
def test_exception_class_carries_its_code(name: str, code: ErrorCode) -> None:
    cls = error_classes()[name]
    error = cls("something went wrong", field="lhs.location")
    assert error.code == code
    assert error.info is CODES[code]
    assert error.error_class == SPEC_31[code][0]
    assert error.retryable is (SPEC_31[code][1] != "no")
    assert error.exit_code == CODES[code].exit_code
    assert error.field == "lhs.location"
    assert error.message == str(error) == "something went wrong"
    assert error.one_line() == f"{code}: something went wrong"
    if SPEC_31[code][0] == "transient":
        assert issubclass(cls, errors_module.TransientFailure)
    else:
        assert not issubclass(cls, errors_module.TransientFailure)


@pytest.mark.parametrize(
    ("name", "status"),
    [("NotFoundError", 404), ("ContractError", 400), ("PolicyBlock", 403), ("RateLimited", 429)],
)
def test_http_status(name: str, status: int) -> None:
    assert error_classes()[name]("x").http_status == status


def test_not_found_keeps_its_code_but_reports_404() -> None:
    error = NotFoundError("no run 01J9ZQ8X3M4N5P6Q7R8S9T0V1W")
    assert error.code == "DETERMINISTIC_FAILURE"
    assert error.http_status == 404
    assert error.exit_code == CODES["DETERMINISTIC_FAILURE"].exit_code
    assert error.field is None
