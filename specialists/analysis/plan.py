"""The Mapping Plan v1 body as the checks read it: one :class:`PlanColumn` per target column.

The plan arrives as plain JSON (the specialists exchange artifacts, not objects), so it is read
leniently: a missing optional field takes its neutral value. Target types and keys come from the
target schema when the plan leaves them out.

A domain's value type comes from ``domain_types`` (domain id -> value type, the Domain Catalog's
``value_type``) when the caller passes it; otherwise from :func:`domain_value_type`'s small table
of the catalog's conventions, because this package may not import the Domains specialist.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from core.target_schema import TargetSchema

__all__ = [
    "PlanColumn",
    "domain_value_type",
    "is_money",
    "name_tokens",
    "pipeline_ops",
    "plan_columns",
]

_MONEY_DOMAINS = {"finance.debit", "finance.credit", "finance.balance", "finance.tax_amount"}
_INTEGER_DOMAINS = {"money.amount_minor", "temporal.year", "temporal.month", "quantity.count"}
_STRING_DOMAINS = {"money.currency_code", "temporal.time", "temporal.fiscal_period"}


@dataclass(frozen=True)
class PlanColumn:
    """One target column of the plan, with the target schema's type and key flag."""

    target: str
    type: str
    key: bool
    sources: tuple[str, ...] = ()
    strategy: str = "none"
    source_domains: tuple[str, ...] = ()
    target_domain: str = "unknown"
    pipeline: Mapping[str, Any] | None = None
    decision: str = "unmapped"
    confidence: float = 0.0
    sample: Mapping[str, Any] | None = field(default=None, compare=False)
    #: The sample holds only masked values of its sources: the data checks leave it out.
    masked_sample: bool = False

    @property
    def family(self) -> str:
        """The target type without parameters (``decimal`` for ``decimal(14,2)``)."""
        return self.type.split("(")[0].strip().lower()

    @property
    def scale(self) -> int:
        match = re.search(r",\s*(\d+)\s*\)", self.type)
        return int(match.group(1)) if match else 0

    @property
    def mapped(self) -> bool:
        return bool(self.sources) and self.decision != "unmapped" and self.strategy != "none"


def plan_columns(plan: Mapping[str, Any], target: TargetSchema) -> list[PlanColumn]:
    """Every target column, in the target schema's order, as the plan maps it.

    A target column the plan does not list is unmapped; a plan column the target schema does not
    have is dropped (the mapping gate reports it).
    """
    listed = {str(c.get("target")): c for c in plan.get("columns", []) if isinstance(c, Mapping)}
    keys = set((plan.get("target") or {}).get("keys") or target.keys)
    columns = []
    for column in target.columns:
        doc = listed.get(column.name, {})
        sources = tuple(str(s) for s in doc.get("sources") or ())
        domains = tuple(str(d) for d in doc.get("source_domains") or ())
        columns.append(
            PlanColumn(
                target=column.name,
                type=str(doc.get("type") or column.type),
                key=column.name in keys,
                sources=sources,
                strategy=str(doc.get("strategy") or ("none" if not sources else "atomic")),
                source_domains=domains + ("unknown",) * (len(sources) - len(domains)),
                target_domain=str(doc.get("target_domain") or "unknown"),
                pipeline=doc.get("pipeline"),
                decision=str(doc.get("decision") or ("unmapped" if not sources else "hold")),
                confidence=float(doc.get("confidence") or 0.0),
                sample=doc.get("sample"),
                masked_sample=bool(doc.get("masked_sample")),
            )
        )
    return columns


def domain_value_type(domain: str, domain_types: Mapping[str, str] | None = None) -> str | None:
    """The value type a domain's values have, or None for ``unknown``.

    Example:
        >>> domain_value_type("money.amount_minor"), domain_value_type("finance.invoice_date")
        ('integer', 'date')
        >>> domain_value_type("person.full_name"), domain_value_type("unknown")
        ('string', None)
    """
    if domain_types and domain in domain_types:
        return domain_types[domain]
    if domain in ("", "unknown"):
        return None
    if domain in _INTEGER_DOMAINS:
        return "integer"
    if domain in _STRING_DOMAINS:
        return "string"
    if domain == "temporal.timestamp":
        return "timestamp"
    if domain == "temporal.date" or domain.endswith("_date"):
        return "date"
    if domain.startswith(("money.", "quantity.")) or domain in _MONEY_DOMAINS:
        return "decimal"
    return "string"


def is_money(domain: str) -> bool:
    """Whether a domain holds an amount of money (major or minor units).

    Example:
        >>> is_money("finance.debit"), is_money("money.currency_code"), is_money("unknown")
        (True, False, False)
    """
    if domain in ("money.currency_code", "money.exchange_rate"):
        return False
    return domain.startswith("money.") or domain in _MONEY_DOMAINS


def name_tokens(name: str) -> list[str]:
    """Lower-case word tokens of a header: snake, kebab, spaces and camelCase split.

    Example:
        >>> name_tokens("AmountCents"), name_tokens("valid_from-Date")
        (['amount', 'cents'], ['valid', 'from', 'date'])
    """
    spaced = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", name)
    return [t for t in re.split(r"[^a-z0-9]+", spaced.lower()) if t]


def pipeline_ops(pipeline: Mapping[str, Any] | None) -> Sequence[Mapping[str, Any]]:
    """The ops of a pipeline's JSON (empty for no pipeline)."""
    if not pipeline:
        return ()
    ops = pipeline.get("ops") or ()
    return [op for op in ops if isinstance(op, Mapping)]
