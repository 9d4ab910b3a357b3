"""Kernel: settings, the control-plane database and its migrations, the §31 error taxonomy,
ids, canonical JSON, the Run Contract and Threshold Profiles, spans and JSON logs. Imports
nothing of the project."""

from __future__ import annotations

from typing import TYPE_CHECKING

from core.lazy import lazy_exports

_EXPORTS = {
    "CODES": "errors",
    "CodeInfo": "errors",
    "ConduitError": "errors",
    "ContractError": "errors",
    "DeterministicFailure": "errors",
    "DslReject": "errors",
    "ErrorCode": "errors",
    "IntegrityError": "errors",
    "NotFoundError": "errors",
    "PolicyBlock": "errors",
    "QuarantineRequired": "errors",
    "TransientFailure": "errors",
    "TransientError": "errors",
    "ulid": "ids",
    "ulid_for_key": "ids",
    "is_ulid": "ids",
    "canonical_json": "canonical",
    "content_hash": "canonical",
    "sha256_hex": "canonical",
    "Settings": "settings",
    "Database": "db",
    "open_database": "db",
    "RunContract": "contract",
    "IMMUTABLE_FIELDS": "contract",
    "contract_hash": "contract",
    "contract_document": "contract",
    "parse_contract": "contract",
    "load_contract_file": "contract",
    "ThresholdProfile": "profiles",
    "bundled_profiles": "profiles",
    "profile_hash": "profiles",
    "JsonFormatter": "observability",
    "bind_run": "observability",
    "configure_logging": "observability",
    "configure_tracing": "observability",
    "current_run_id": "observability",
    "set_error": "observability",
    "span": "observability",
    "tracer": "observability",
}
__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)

if TYPE_CHECKING:
    from core.canonical import canonical_json, content_hash, sha256_hex
    from core.contract import (
        IMMUTABLE_FIELDS,
        RunContract,
        contract_document,
        contract_hash,
        load_contract_file,
        parse_contract,
    )
    from core.db import Database, open_database
    from core.errors import (
        CODES,
        CodeInfo,
        ConduitError,
        ContractError,
        DeterministicFailure,
        DslReject,
        ErrorCode,
        IntegrityError,
        NotFoundError,
        PolicyBlock,
        QuarantineRequired,
        TransientError,
        TransientFailure,
    )
    from core.ids import is_ulid, ulid, ulid_for_key
    from core.observability import (
        JsonFormatter,
        bind_run,
        configure_logging,
        configure_tracing,
        current_run_id,
        set_error,
        span,
        tracer,
    )
    from core.profiles import ThresholdProfile, bundled_profiles, profile_hash
    from core.settings import Settings
