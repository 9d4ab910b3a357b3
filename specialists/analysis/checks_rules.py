"""data_mode cross-field rules.

Both fail when more than ``mapping.near_match_window`` of the rows they compare break the rule,
and warn below that.

- ``date_order``: a pair of date/timestamp targets named like ``*start*``/``*end*``,
  ``*from*``/``*to*`` or ``*begin*``/``*end*`` (the same name otherwise) has start <= end on every
  row where both are set.
- ``debit_credit_exclusive``: a row carries a debit or a credit, not both. Checked on output
  columns that hold debits and credits (by domain or name), and on the sources of a column that
  composes a debit and a credit (the signed amount would be ambiguous). 0 counts as empty.
"""

from __future__ import annotations

from typing import Any

from specialists.analysis.checks_data import Sample
from specialists.analysis.model import Anomaly, Check, Fix, Status, anomaly, check
from specialists.analysis.plan import PlanColumn, name_tokens
from specialists.analysis.stats import parse_number

__all__ = ["ORDER_WORDS", "date_order_checks", "debit_credit_checks", "order_pairs"]

Findings = tuple[list[Check], list[Anomaly]]
ORDER_WORDS = (("start", "end"), ("from", "to"), ("begin", "end"))
_EXAMPLES = 5


def order_pairs(names: list[str]) -> list[tuple[str, str]]:
    """Pairs ``(start, end)`` among ``names`` whose tokens differ only by an order word.

    Example:
        >>> order_pairs(["start_date", "end_date", "valid_from", "valid_to", "amount"])
        [('start_date', 'end_date'), ('valid_from', 'valid_to')]
    """
    by_tokens = {tuple(name_tokens(n)): n for n in names}
    pairs = []
    for name in names:
        tokens = name_tokens(name)
        for first, second in ORDER_WORDS:
            if first not in tokens:
                continue
            partner = tuple(second if t == first else t for t in tokens)
            if partner in by_tokens and (name, by_tokens[partner]) not in pairs:
                pairs.append((name, by_tokens[partner]))
    return pairs


def _status(bad: int, compared: int, window: float) -> Status:
    if not bad:
        return "pass"
    return "fail" if bad / compared > window else "warn"


def date_order_checks(sample: Sample) -> Findings:
    window = sample.profile.mapping.near_match_window
    dates = [
        c.target
        for c in sample.produced()
        if c.family in ("date", "timestamp") and sample.output[c.target].dtype.is_temporal()
    ]
    checks, anomalies = [], []
    for start, end in order_pairs(dates):
        a, b = sample.output[start], sample.output[end]
        both = a.is_not_null() & b.is_not_null()
        wrong = both & (a > b)
        bad, compared = int(wrong.sum()), int(both.sum())
        share = round(bad / compared, 4) if compared else 0.0
        status = _status(bad, compared, window)
        pair = f"{start},{end}"
        checks.append(check("date_order", pair, status, share, window))
        if status == "pass":
            continue
        rows = sample.output.filter(wrong).select(start, end).head(_EXAMPLES).rows()
        anomalies.append(
            anomaly(
                "start_after_end",
                pair,
                status,
                f"{start!r} is after {end!r} on {bad} of {compared} rows",
                Fix(
                    kind="review_pipeline",
                    detail=f"check that {start!r} and {end!r} parse with the same day/month "
                    "order, and that the mapping has not swapped them",
                    columns=[start, end],
                ),
                violations=bad,
                compared=compared,
                examples=[{start: str(x), end: str(y)} for x, y in rows],
            )
        )
    return checks, anomalies


def _role(c: PlanColumn, index: int | None = None) -> str | None:
    domain = c.target_domain if index is None else c.source_domains[index]
    name = c.target if index is None else c.sources[index]
    for role in ("debit", "credit"):
        if domain == f"finance.{role}" or role in name_tokens(name):
            return role
    return None


def _set(values: list[Any]) -> list[bool]:
    out = []
    for v in values:
        number = parse_number(str(v)) if v is not None else None
        out.append(v is not None and str(v).strip() != "" and number != 0)
    return out


def debit_credit_checks(sample: Sample) -> Findings:
    pairs: list[tuple[str, list[Any], list[Any], str]] = []
    roles = {_role(c): c.target for c in sample.produced() if _role(c)}
    if "debit" in roles and "credit" in roles:
        d, k = roles["debit"], roles["credit"]
        pairs.append((f"{d},{k}", sample.output[d].to_list(), sample.output[k].to_list(), "output"))
    for c in sample.produced():
        found = {_role(c, i): s for i, s in enumerate(c.sources) if s in sample.source.columns}
        if "debit" in found and "credit" in found:
            d, k = found["debit"], found["credit"]
            pairs.append(
                (c.target, sample.source[d].to_list(), sample.source[k].to_list(), "source")
            )
    window = sample.profile.mapping.near_match_window
    checks, anomalies = [], []
    for column, debits, credits, side in pairs:
        both = [x and y for x, y in zip(_set(debits), _set(credits), strict=True)]
        bad = sum(both)
        status = _status(bad, len(both), window)
        checks.append(check("debit_credit_exclusive", column, status, bad, 0, side=side))
        if status == "pass":
            continue
        examples = [
            {"debit": str(x), "credit": str(y)}
            for x, y, b in zip(debits, credits, both, strict=True)
            if b
        ][:_EXAMPLES]
        anomalies.append(
            anomaly(
                "debit_and_credit",
                column,
                status,
                f"{bad} of {len(both)} rows carry both a debit and a credit ({side})",
                Fix(
                    kind="review_source",
                    detail="decide the rule for rows with both (net them with safe_math sub, "
                    "nulls: zero) or quarantine those rows",
                    dsl=[{"op": "safe_math", "operator": "sub", "nulls": "zero", "scale": 2}],
                ),
                rows=bad,
                side=side,
                examples=examples,
            )
        )
    return checks, anomalies
