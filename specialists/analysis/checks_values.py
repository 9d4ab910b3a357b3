"""data_mode value sanity: money units, dates in the future, distribution shift.

- ``unit_scale`` (fail): a money column looks like cents written where units are expected:
  every value whole and the median at least :data:`CENTS_RATIO` times the median of the other
  money columns, or a source header/domain says minor units while the pipeline never divides by
  100. The fix stages ``safe_math div 100`` (or ``unit_convert`` from ``<CUR>.minor``).
- ``future_dates`` (fail above ``mapping.near_match_window`` of the values, else warn): dates
  later than ``today`` by more than :data:`FUTURE_TOLERANCE_DAYS` (columns that may lie ahead,
  like due dates, get :data:`EXPECTED_FUTURE_DAYS`). The usual cause is a day-first source read
  month-first: the fix stages the pipeline's ``date_parse`` with day and month swapped.
- ``distribution_shift`` (warn): PSI above :data:`PSI_MAX` or KS above its 5% critical value
  between the parsed source numbers and the output, for columns copied or type-aligned from one
  source (a pipeline with ``safe_math``/``unit_convert`` changes the scale on purpose and is
  skipped). Needs :data:`MIN_VALUES` numbers on each side.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

import polars as pl

from specialists.analysis.checks_data import Sample
from specialists.analysis.model import Anomaly, Check, Fix, Status, anomaly, check
from specialists.analysis.plan import PlanColumn, is_money, name_tokens, pipeline_ops
from specialists.analysis.stats import ks_critical, ks_statistic, median, parse_number, psi

__all__ = [
    "CENTS_RATIO",
    "EXPECTED_FUTURE_DAYS",
    "FUTURE_TOLERANCE_DAYS",
    "MIN_VALUES",
    "PSI_MAX",
    "distribution_checks",
    "future_date_checks",
    "unit_checks",
]

Findings = tuple[list[Check], list[Anomaly]]
CENTS_RATIO = 100.0
FUTURE_TOLERANCE_DAYS = 1
EXPECTED_FUTURE_DAYS = 3660
PSI_MAX = 0.25
MIN_VALUES = 10
_MINOR_WORDS = {"cents", "cent", "minor", "pennies", "penny", "centavos", "centimes"}
_AHEAD_WORDS = {"due", "expiry", "expires", "expiration", "maturity", "renewal", "scheduled"}
_NUMERIC = ("integer", "decimal", "float")
_EXAMPLES = 5


def _money_like(c: PlanColumn) -> bool:
    if c.family not in _NUMERIC:
        return False
    domains = (c.target_domain, *c.source_domains)
    return c.family == "decimal" or any(is_money(d) for d in domains)


def _numbers(output: pl.DataFrame, name: str) -> list[float]:
    numbers = output[name].cast(pl.Float64, strict=False).drop_nulls()
    return [float(v) for v in numbers.to_list()]


def _divides_by_100(c: PlanColumn) -> bool:
    for op in pipeline_ops(c.pipeline):
        if op.get("op") == "unit_convert" and str(op.get("from_unit", "")).endswith(".minor"):
            return True
        if op.get("op") == "safe_math" and op.get("operand") is not None:
            try:
                operand = Decimal(str(op["operand"]))
            except InvalidOperation:
                continue
            if (op.get("operator"), operand) in (("div", 100), ("mul", Decimal("0.01"))):
                return True
    return False


def _says_minor(c: PlanColumn) -> bool:
    words = {t for s in c.sources for t in name_tokens(s)}
    return bool(words & _MINOR_WORDS) or "money.amount_minor" in c.source_domains


def unit_checks(sample: Sample) -> Findings:
    money = [c for c in sample.produced() if _money_like(c)]
    values = {c.target: _numbers(sample.output, c.target) for c in money}
    checks, anomalies = [], []
    for c in money:
        mine = values[c.target]
        others = [abs(v) for t, vs in values.items() if t != c.target for v in vs]
        whole = bool(mine) and all(v == int(v) for v in mine)
        ratio = None
        if mine and others and median(others) > 0:
            ratio = round(median([abs(v) for v in mine]) / median(others), 2)
        by_scale = whole and ratio is not None and ratio >= CENTS_RATIO
        by_name = (
            _says_minor(c)
            and c.target_domain != "money.amount_minor"
            and c.family != "integer"
            and not _divides_by_100(c)
        )
        status: Status = "fail" if by_scale or by_name else "pass"
        checks.append(check("unit_scale", c.target, status, ratio, CENTS_RATIO))
        if status == "pass":
            continue
        why = []
        if by_scale:
            why.append(f"every value is whole and the median is {ratio}x the other amounts'")
        if by_name:
            why.append("the source is in minor units and the pipeline never divides by 100")
        anomalies.append(
            anomaly(
                "cents_as_dollars",
                c.target,
                "fail",
                f"{c.target!r} looks like cents written as units: {'; '.join(why)}",
                Fix(
                    kind="unit_convert",
                    detail="divide by 100 at the end of the pipeline (or unit_convert from "
                    "<CUR>.minor to <CUR>, e.g. USD.minor to USD)",
                    dsl=[
                        {
                            "op": "safe_math",
                            "operator": "div",
                            "operand": "100",
                            "scale": c.scale or 2,
                        }
                    ],
                ),
                median_ratio=ratio,
                all_whole=whole,
                source_says_minor=_says_minor(c),
                pipeline_divides=_divides_by_100(c),
                examples=[str(v) for v in sample.output[c.target].drop_nulls().head(_EXAMPLES)],
            )
        )
    return checks, anomalies


def _swapped(formats: list[str]) -> list[str]:
    return [f.replace("%d", "\0").replace("%m", "%d").replace("\0", "%m") for f in formats]


def _date_fix(c: PlanColumn) -> Fix:
    parse = next((op for op in pipeline_ops(c.pipeline) if op.get("op") == "date_parse"), None)
    fix = Fix(
        kind="date_format",
        detail=f"check the day-first vs month-first parse format of {c.target!r}",
    )
    if parse is not None:
        formats = [str(f) for f in parse.get("formats", [])]
        fix["detail"] += f": the pipeline reads {formats}; try {_swapped(formats)}"
        fix["dsl"] = [
            {"op": "date_parse", "formats": _swapped(formats), "to": parse.get("to", "date")}
        ]
    return fix


def future_date_checks(sample: Sample) -> Findings:
    window = sample.profile.mapping.near_match_window
    checks, anomalies = [], []
    for c in sample.produced():
        if c.family not in ("date", "timestamp") or not sample.output[c.target].dtype.is_temporal():
            continue
        ahead = bool(set(name_tokens(c.target)) & _AHEAD_WORDS) or c.target_domain.endswith(
            "due_date"
        )
        days = EXPECTED_FUTURE_DAYS if ahead else FUTURE_TOLERANCE_DAYS
        limit = sample.today + timedelta(days=days)
        as_date = sample.output[c.target].cast(pl.Date)
        future = as_date > limit
        count, seen = int(future.sum()), as_date.drop_nulls().len()
        share = round(count / seen, 4) if seen else 0.0
        status: Status = "fail" if share > window else "warn" if count else "pass"
        checks.append(check("future_dates", c.target, status, share, window, tolerance_days=days))
        if status == "pass":
            continue
        examples = _row_examples(sample, c, future)
        anomalies.append(
            anomaly(
                "future_dates",
                c.target,
                status,
                f"{count} of {seen} dates in {c.target!r} are after {limit.isoformat()}",
                _date_fix(c),
                future=count,
                values=seen,
                today=sample.today.isoformat(),
                tolerance_days=days,
                examples=examples,
            )
        )
    return checks, anomalies


def _row_examples(sample: Sample, c: PlanColumn, rows: pl.Series) -> list[dict[str, Any]]:
    present = [s for s in c.sources if s in sample.source.columns]
    picked_out = sample.output.filter(rows)[c.target].head(_EXAMPLES).to_list()
    picked = sample.source.filter(rows).head(_EXAMPLES)
    return [
        {"output": str(out), "source": {s: str(picked[s][i]) for s in present}}
        for i, out in enumerate(picked_out)
    ]


def _comparable(c: PlanColumn) -> bool:
    scaled = any(op.get("op") in ("safe_math", "unit_convert") for op in pipeline_ops(c.pipeline))
    return (
        c.family in _NUMERIC
        and len(c.sources) == 1
        and c.strategy in ("atomic", "type_alignment")
        and not scaled
    )


def distribution_checks(sample: Sample) -> Findings:
    checks, anomalies = [], []
    for c in sample.produced():
        if not _comparable(c) or c.sources[0] not in sample.source.columns:
            continue
        parsed = [parse_number(v) for v in sample.source[c.sources[0]].cast(pl.Utf8).to_list()]
        before = [v for v in parsed if v is not None]
        after = _numbers(sample.output, c.target)
        if len(before) < MIN_VALUES or len(after) < MIN_VALUES:
            continue
        index, d = psi(before, after), ks_statistic(before, after)
        critical = round(ks_critical(len(before), len(after)), 4)
        status: Status = "warn" if index > PSI_MAX or d > critical else "pass"
        checks.append(
            check(
                "distribution_shift",
                c.target,
                status,
                {"psi": index, "ks": d},
                {"psi": PSI_MAX, "ks": critical},
            )
        )
        if status == "pass":
            continue
        anomalies.append(
            anomaly(
                "distribution_shift",
                c.target,
                "warn",
                f"{c.target!r} changed distribution in the transform (PSI {index:.3f}, KS {d:.3f})",
                Fix(
                    kind="review_pipeline",
                    detail=f"compare {c.sources[0]!r} before and after in the diff viewer: "
                    "decimal separators, scale and casts are the usual causes",
                ),
                psi=index,
                ks=d,
                ks_critical=critical,
                source_median=median(before),
                output_median=median(after),
            )
        )
    return checks, anomalies
