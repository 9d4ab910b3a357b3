"""The Transform DSL version this build compiles (§11, §27). Runs pin it in their contract."""

from __future__ import annotations

DSL_VERSION = "1.0.0"


def supports(version: str) -> bool:
    """True when a pipeline written for DSL ``version`` runs unchanged on this build.

    Example:
        >>> supports("1.0.0"), supports("2.0.0")
        (True, False)
    """
    major, minor, _ = (int(part) for part in version.split("-")[0].split(".")[:3])
    ours_major, ours_minor, _ = (int(part) for part in DSL_VERSION.split("."))
    return major == ours_major and minor <= ours_minor
