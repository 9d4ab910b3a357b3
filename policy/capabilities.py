"""The §3 capability matrix as code: what a mode may do, and the one road from rows to samples.

Stage code never hands row values onward itself: it asks ``masked_sample`` for them, which refuses
in ``metadata_only`` (POLICY_BLOCK), caps rows and bytes, and masks before returning anything.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from core.contract import Mode, SampleCaps
from core.errors import PolicyBlock
from policy.contract_check import check_sample_caps
from policy.manifest import Capability, PolicyManifest
from policy.pii.detect import ColumnPlan, detect_table
from policy.pii.mask import Masker, mask_table

__all__ = ["MaskedSample", "capable", "masked_sample", "require_capability"]


def capable(manifest: PolicyManifest, mode: Mode, capability: Capability) -> bool:
    """Whether ``mode`` may use ``capability`` under ``manifest`` (§3)."""
    return bool(getattr(manifest.capabilities[capability], mode))


def require_capability(manifest: PolicyManifest, mode: Mode, capability: Capability) -> None:
    """Raise POLICY_BLOCK unless ``mode`` may use ``capability``."""
    if not capable(manifest, mode, capability):
        raise PolicyBlock(
            f"{mode} runs may not use {capability.replace('_', ' ')} "
            f"(§3; policy {manifest.version})",
            field="mode",
        )


@dataclass(frozen=True)
class MaskedSample:
    """Rows that may leave the stage: capped, masked, with the per-column plans (no raw value)."""

    columns: dict[str, list[str | None]]
    plans: dict[str, ColumnPlan]
    rows: int
    rows_available: int
    masked_cells: int


def _row_bytes(columns: Mapping[str, Sequence[str | None]], row: int) -> int:
    return sum(len((v[row] or "").encode()) for v in columns.values())


def masked_sample(
    manifest: PolicyManifest,
    *,
    mode: Mode,
    table: Mapping[str, Sequence[str | None]],
    caps: SampleCaps,
    key: bytes,
    domains: Mapping[str, str] | None = None,
) -> MaskedSample:
    """The first rows of ``table`` within ``caps``, masked by the manifest's operators.

    The caps count the rows as read from the source; masking may make a sample slightly
    larger or smaller than ``bytes_max`` (a pseudonym is 20 to 30 characters).

    Raises:
        PolicyBlock: in ``metadata_only`` (no row leaves a metadata-only run), or when the caps
            exceed the policy's.
    """
    require_capability(manifest, mode, "row_samples")
    check_sample_caps(manifest, caps)
    available = len(next(iter(table.values()), []))
    rows, used = 0, 0
    while rows < min(available, caps.rows_max):
        size = _row_bytes(table, rows)
        if used + size > caps.bytes_max:
            break
        used += size
        rows += 1
    capped = {name: list(values[:rows]) for name, values in table.items()}
    findings = detect_table(capped, detection=manifest.pii.detection, domains=domains)
    masked = mask_table(capped, findings, Masker(manifest.pii.operators, key))
    return MaskedSample(masked, findings.plans, rows, available, findings.count())
