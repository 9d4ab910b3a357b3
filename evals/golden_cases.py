"""Golden-set cases (GOLDEN_FORMAT.md): finding, reading, and the Run Contract of each.

A folder is a case when it holds ``case.yaml``. Unknown keys are ignored; a malformed case is a
``CaseError`` for that case only, so the other cases still run.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from core.contract import tool_contract
from core.errors import ContractError
from core.target_schema import TargetSchema, load_target_schema

__all__ = ["GOLDEN", "HOLDOUT", "Case", "case_contract", "find_cases", "load_case"]

#: The project's golden set (tuned on) and holdout set (never tuned on).
GOLDEN = Path(__file__).parent / "golden"
HOLDOUT = Path(__file__).parent / "holdout"
_MODES = ("metadata_only", "data_mode")


@dataclass(frozen=True)
class Case:
    name: str
    folder: Path
    mode: str
    lhs: dict[str, Any]  # {type: file, location} or {type: sql, location, table}
    target: TargetSchema
    rhs_location: Path
    mappings: dict[str, list[str]]
    domains: dict[str, str] = field(default_factory=dict)  # source column -> domain id | unknown


def find_cases(root: Path) -> list[Path]:
    """Every case folder under ``root`` (``root`` itself when it is one), sorted, absolute."""
    root = root.resolve()
    if (root / "case.yaml").is_file():
        return [root]
    return sorted(p.parent for p in root.rglob("case.yaml"))


def _yaml(path: Path) -> Any:
    import yaml

    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ContractError(f"{path.name} is missing", field=path.name) from None
    except (yaml.YAMLError, UnicodeDecodeError) as e:
        raise ContractError(f"{path.name} is not valid YAML: {e}", field=path.name) from None


def _mappings(doc: dict[Any, Any]) -> dict[str, list[str]]:
    """``expected.yaml``'s mappings: every value a list of source column names (or empty)."""
    out = {}
    for target, sources in doc.items():
        if sources is None:
            sources = []
        if not isinstance(sources, list) or not all(isinstance(s, str) for s in sources):
            raise ContractError(
                f"expected.yaml: mappings.{target} must be a list of source column names",
                field=f"mappings.{target}",
            )
        out[str(target)] = list(sources)
    return out


def load_case(folder: Path) -> Case:
    """Read one case folder; a ContractError names what is wrong with it."""
    folder = folder.resolve()
    doc = _yaml(folder / "case.yaml")
    if not isinstance(doc, dict):
        raise ContractError("case.yaml must be a mapping", field="case.yaml")
    mode = doc.get("mode", "data_mode")
    if mode not in _MODES:
        raise ContractError(f"case.yaml: mode must be one of {_MODES}", field="mode")
    lhs = doc.get("lhs")
    if (
        not isinstance(lhs, dict)
        or lhs.get("type") not in ("file", "sql")
        or not lhs.get("location")
    ):
        raise ContractError("case.yaml: lhs needs type file|sql and a location", field="lhs")
    rhs = doc.get("rhs") or {"location": "rhs_schema.yaml"}
    rhs_location = folder / str(rhs.get("location", "rhs_schema.yaml"))
    expected = _yaml(folder / "expected.yaml")
    if not isinstance(expected, dict) or not isinstance(expected.get("mappings"), dict):
        raise ContractError("expected.yaml needs a mappings block", field="expected.yaml")
    domains = expected.get("domains") or {}
    if not isinstance(domains, dict):
        raise ContractError("expected.yaml: domains must map columns to ids", field="domains")
    return Case(
        name=str(doc.get("name") or folder.name),
        folder=folder,
        mode=mode,
        lhs=dict(lhs),
        target=load_target_schema(rhs_location),
        rhs_location=rhs_location,
        mappings=_mappings(expected["mappings"]),
        domains={str(k): str(v) for k, v in domains.items()},
    )


def case_contract(
    case: Case,
    *,
    mode: str | None = None,
    target_url: str | None = None,
    routing_profile: str = "quality_first",
) -> dict[str, Any]:
    """The Run Contract of a case: the default threshold profile, no model, nothing
    auto-accepted. Paths are absolute, so the contract runs from any folder."""
    lhs_location = str(case.lhs["location"])
    if case.lhs["type"] == "file" and not Path(lhs_location).is_absolute():
        lhs_location = str(case.folder / lhs_location)
    return tool_contract(
        mode=mode or case.mode,
        lhs_type=str(case.lhs["type"]),
        lhs_location=lhs_location,
        rhs_location=target_url or "sqlite:///:memory:",
        schema_ref=str(case.rhs_location),
        actor="conduit.eval",
        tags=["eval", case.name[:60]],
        routing_profile=routing_profile,
    )
