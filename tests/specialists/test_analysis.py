"""The Analysis specialist (§13): each seeded defect is flagged with a recommended fix."""

from __future__ import annotations

import ast
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import polars as pl
import pytest

from core.errors import ContractError
from core.profiles import ThresholdProfile, bundled_profiles
from core.target_schema import TargetSchema, parse_target_schema
from dsl.pipeline import validate_pipeline
from specialists.analysis import ANALYSIS_CHECKS, analysis_report, ks_statistic, psi
from tests.conftest import ROOT

TODAY = date(2026, 3, 1)
ROWS = 40


def _profile() -> ThresholdProfile:
    return next(p for p in bundled_profiles() if p.profile_id == "tp_default_v2")


def _target() -> TargetSchema:
    return parse_target_schema(
        {
            "table": "bank_transaction",
            "columns": [
                {"name": "txn_id", "type": "string", "key": True},
                {"name": "posted_on", "type": "date"},
                {"name": "amount", "type": "decimal(14,2)"},
                {"name": "fee", "type": "decimal(10,2)"},
                {"name": "memo", "type": "string"},
                {"name": "start_date", "type": "date"},
                {"name": "end_date", "type": "date"},
            ],
        }
    )


def _column(target: str, type_: str, sources: list[str], domains: list[str], **kw: Any) -> Any:
    return {
        "target": target,
        "type": type_,
        "key": target == "txn_id",
        "sources": sources,
        "strategy": kw.get("strategy", "atomic"),
        "source_domains": domains,
        "target_domain": kw.get("target_domain", domains[0] if domains else "unknown"),
        "pipeline": kw.get("pipeline"),
        "confidence": 0.95,
        "decision": kw.get("decision", "accept"),
        "rationale": "test",
        "sample": None,
    }


def _date_pipeline(source: str, target: str, fmt: str) -> dict[str, Any]:
    ops = [{"op": "date_parse", "formats": [fmt], "to": "date"}]
    return {"inputs": [source], "output": target, "ops": ops}


def _plan(mode: str = "data_mode") -> dict[str, Any]:
    net = {"op": "safe_math", "operator": "sub", "nulls": "zero", "scale": 2}
    return {
        "version": 1,
        "mode": mode,
        "source_table": "transactions",
        "target": {"table": "bank_transaction", "keys": ["txn_id"]},
        "columns": [
            _column("txn_id", "string", ["Txn ID"], ["finance.transaction_id"]),
            _column(
                "posted_on",
                "date",
                ["Date"],
                ["finance.transaction_date"],
                strategy="type_alignment",
                pipeline=_date_pipeline("Date", "posted_on", "%d/%m/%Y"),
            ),
            _column(
                "amount",
                "decimal(14,2)",
                ["Debit", "Credit"],
                ["finance.debit", "finance.credit"],
                strategy="compose",
                target_domain="money.signed_amount",
                pipeline={"inputs": ["Debit", "Credit"], "output": "amount", "ops": [net]},
            ),
            _column("fee", "decimal(10,2)", ["Fee"], ["money.amount"], strategy="type_alignment"),
            _column("memo", "string", ["Memo"], ["finance.memo"]),
            _column("start_date", "date", ["Start"], ["temporal.date"], strategy="type_alignment"),
            _column("end_date", "date", ["End"], ["temporal.date"], strategy="type_alignment"),
        ],
    }


def _frames() -> tuple[pl.DataFrame, pl.DataFrame]:
    """A clean sample: 40 distinct transactions in January and February 2026."""
    posted = [date(2026, 1, 1) + timedelta(days=i) for i in range(ROWS)]
    amounts = [Decimal(f"{100 + 7 * i}.{i % 100:02d}") for i in range(ROWS)]
    debit = [str(-a) if i % 2 else "" for i, a in enumerate(amounts)]
    credit = ["" if i % 2 else str(a) for i, a in enumerate(amounts)]
    fees = [Decimal(f"{1 + i % 5}.{(25 * i) % 100:02d}") for i in range(ROWS)]
    starts = [date(2026, 1, 1 + i % 28) for i in range(ROWS)]
    ends = [s + timedelta(days=30) for s in starts]
    source = pl.DataFrame(
        {
            "Txn ID": [f"T{i:04d}" for i in range(ROWS)],
            "Date": [d.strftime("%d/%m/%Y") for d in posted],
            "Debit": debit,
            "Credit": credit,
            "Fee": [str(f) for f in fees],
            "Memo": [f"payment {i}" for i in range(ROWS)],
            "Start": [d.strftime("%d/%m/%Y") for d in starts],
            "End": [d.strftime("%d/%m/%Y") for d in ends],
        }
    )
    signed = [-a if i % 2 else a for i, a in enumerate(amounts)]
    output = pl.DataFrame(
        {
            "txn_id": source["Txn ID"],
            "posted_on": posted,
            "amount": pl.Series(signed, dtype=pl.Decimal(14, 2)),
            "fee": pl.Series(fees, dtype=pl.Decimal(10, 2)),
            "memo": source["Memo"],
            "start_date": starts,
            "end_date": ends,
        }
    )
    return source, output


def _report(
    source: pl.DataFrame, output: pl.DataFrame, plan: dict[str, Any] | None = None
) -> dict[str, Any]:
    return analysis_report(
        plan or _plan(), _target(), _profile(), source=source, output=output, today=TODAY
    )


def _only(report: dict[str, Any], code: str) -> dict[str, Any]:
    found = [a for a in report["anomalies"] if a["code"] == code]
    assert len(found) == 1, [a["code"] for a in report["anomalies"]]
    return dict(found[0])


def _check(report: dict[str, Any], name: str, column: str | None) -> dict[str, Any]:
    found = [c for c in report["checks"] if c["check"] == name and c["column"] == column]
    assert len(found) == 1, found
    return dict(found[0])


def _set(frame: pl.DataFrame, column: str, rows: list[int], values: list[Any]) -> pl.DataFrame:
    series = frame[column].to_list()
    for row, value in zip(rows, values, strict=True):
        series[row] = value
    return frame.with_columns(pl.Series(column, series, dtype=frame[column].dtype))


def test_clean_sample_flags_nothing() -> None:
    report = _report(*_frames())
    assert report["version"] == 1 and report["mode"] == "data_mode"
    assert [a["code"] for a in report["anomalies"]] == []
    assert report["metrics"] == {
        "checks": len(report["checks"]),
        "anomalies": 0,
        "fails": 0,
        "warns": 0,
        "coverage": 1.0,
        "null_rate_max_seen": 0.0,
        "dup_key_rate": 0.0,
    }
    assert {c["check"] for c in report["checks"]} == set(ANALYSIS_CHECKS) - {"source_fanout"}
    assert _check(report, "distribution_shift", "fee")["value"] == {"psi": 0.0, "ks": 0.0}
    assert report["threshold_suggestions"] == []


def test_null_rate_over_threshold_splits_sparse_source_from_transform_failures() -> None:
    source, output = _frames()
    empty_rows, bad_rows = [0, 1, 2, 3, 4, 5], [10, 11, 12]
    source = _set(
        source,
        "Fee",
        empty_rows + bad_rows,
        ["", " ", None, "", "n/a", ""] + ["1,5O", "two", "1.2.3"],
    )
    output = _set(output, "fee", empty_rows + bad_rows, [None] * 9)

    report = _report(source, output)

    check = _check(report, "null_rate", "fee")
    assert (check["status"], check["value"], check["threshold"]) == ("fail", 0.225, 0.02)
    found = _only(report, "null_rate")
    assert found["severity"] == "fail"
    assert found["evidence"]["source_empty"] == 6
    assert found["evidence"]["transform_failed"] == 3
    assert found["evidence"]["failing_examples"] == ["1,5O", "two", "1.2.3"]
    assert found["recommended_fix"]["kind"] == "fix_pipeline"
    assert "fails on 3 values" in found["recommended_fix"]["detail"]
    assert report["metrics"]["null_rate_max_seen"] == 0.225
    suggestion = report["threshold_suggestions"]
    assert [(s["field"], s["column"], s["suggested"]) for s in suggestion] == [
        ("analysis.null_rate_max", "fee", 0.15)
    ]

    # Only sparse: the fix is the threshold or a nullable column, not the pipeline.
    sparse_source = _set(source, "Fee", bad_rows, ["", "", ""])
    found = _only(_report(sparse_source, output), "null_rate")
    assert found["evidence"]["transform_failed"] == 0
    assert found["recommended_fix"]["kind"] == "relax_threshold_or_nullable"


def test_duplicate_keys_suggest_a_composite_key() -> None:
    source, output = _frames()
    source = _set(source, "Txn ID", [6, 7], ["T0005", "T0005"])
    output = _set(output, "txn_id", [6, 7], ["T0005", "T0005"])

    report = _report(source, output)

    check = _check(report, "duplicate_keys", "txn_id")
    assert (check["status"], check["value"]) == ("fail", 0.05)
    found = _only(report, "duplicate_keys")
    assert found["evidence"]["duplicate_rows"] == 2
    assert found["evidence"]["examples"] == [{"key": ["T0005"], "rows": 3}]
    assert found["recommended_fix"]["kind"] == "composite_key"
    assert found["recommended_fix"]["columns"] == ["txn_id", "posted_on"]
    assert report["metrics"]["dup_key_rate"] == 0.05


def test_duplicate_keys_without_a_composite_key_suggest_deduplication() -> None:
    source, output = _frames()
    output = pl.concat([output.head(5), output.head(5)]).sort("txn_id")
    source = pl.concat([source.head(5), source.head(5)]).sort("Txn ID")
    found = _only(_report(source, output), "duplicate_keys")
    assert found["recommended_fix"]["kind"] == "deduplicate"
    assert found["evidence"]["duplicate_rows"] == 5


def test_cents_written_as_dollars_by_scale() -> None:
    source, output = _frames()
    cents = [Decimal(150 * (1 + i % 9) * 100) for i in range(ROWS)]
    source = source.with_columns(pl.Series("Fee", [str(int(c)) for c in cents]))
    output = output.with_columns(pl.Series("fee", cents, dtype=pl.Decimal(10, 2)))

    report = _report(source, output)

    found = _only(report, "cents_as_dollars")
    assert found["severity"] == "fail" and found["column"] == "fee"
    assert found["evidence"]["all_whole"] is True
    assert found["evidence"]["median_ratio"] >= 100
    fix = found["recommended_fix"]
    assert fix["kind"] == "unit_convert"
    assert fix["dsl"] == [{"op": "safe_math", "operator": "div", "operand": "100", "scale": 2}]
    staged = {"inputs": [{"name": "Fee", "type": "integer"}], "output": "fee", "ops": fix["dsl"]}
    assert validate_pipeline(staged).ops[0].model_dump()["operator"] == "div"
    assert _check(report, "unit_scale", "amount")["status"] == "pass"


def test_cents_by_header_without_a_division() -> None:
    source, output = _frames()
    plan = _plan()
    fee = plan["columns"][3]
    fee["sources"], fee["source_domains"] = ["FeeCents"], ["money.amount_minor"]
    source = source.rename({"Fee": "FeeCents"})
    found = _only(_report(source, output, plan), "cents_as_dollars")
    assert found["evidence"]["source_says_minor"] is True
    assert found["evidence"]["pipeline_divides"] is False

    fee["pipeline"] = {
        "inputs": [{"name": "FeeCents", "type": "integer"}],
        "output": "fee",
        "ops": [{"op": "unit_convert", "from_unit": "USD.minor", "to_unit": "USD", "scale": 2}],
    }
    assert [a["code"] for a in _report(source, output, plan)["anomalies"]] == []


def test_future_dates_suggest_the_swapped_parse_format() -> None:
    source, output = _frames()
    plan = _plan()
    plan["columns"][1]["pipeline"] = _date_pipeline("Date", "posted_on", "%m/%d/%Y")
    misread = [date(2026, 10 + i % 3, 5 + i) for i in range(10)]
    output = _set(output, "posted_on", list(range(10)), misread)

    report = _report(source, output, plan)

    check = _check(report, "future_dates", "posted_on")
    assert (check["status"], check["value"], check["threshold"]) == ("fail", 0.25, 0.03)
    found = _only(report, "future_dates")
    assert found["evidence"]["future"] == 10
    assert found["evidence"]["examples"][0] == {
        "output": "2026-10-05",
        "source": {"Date": "01/01/2026"},
    }
    fix = found["recommended_fix"]
    assert fix["kind"] == "date_format"
    assert fix["dsl"] == [{"op": "date_parse", "formats": ["%d/%m/%Y"], "to": "date"}]
    validate_pipeline({"inputs": ["Date"], "output": "posted_on", "ops": fix["dsl"]})


def test_one_future_date_within_the_window_is_a_warning() -> None:
    source, output = _frames()
    output = _set(output, "posted_on", [0], [TODAY + timedelta(days=9)])
    found = _only(_report(source, output), "future_dates")
    assert found["severity"] == "warn"
    assert _only(_report(source, output), "future_dates")["evidence"]["future"] == 1


def test_start_after_end_is_flagged() -> None:
    source, output = _frames()
    rows = [3, 4, 5, 6, 7]
    swapped_start = [output["end_date"][r] for r in rows]
    swapped_end = [output["start_date"][r] for r in rows]
    output = _set(_set(output, "start_date", rows, swapped_start), "end_date", rows, swapped_end)

    report = _report(source, output)

    check = _check(report, "date_order", "start_date,end_date")
    assert (check["status"], check["value"]) == ("fail", 0.125)
    found = _only(report, "start_after_end")
    assert found["evidence"]["violations"] == 5
    assert found["recommended_fix"]["columns"] == ["start_date", "end_date"]


def test_debit_and_credit_on_one_row_are_flagged() -> None:
    source, output = _frames()
    source = _set(source, "Debit", [0, 2, 4], ["-10.00", "-20.00", "-30.00"])
    found = _only(_report(source, output), "debit_and_credit")
    assert (found["column"], found["severity"], found["evidence"]["rows"]) == ("amount", "fail", 3)
    assert found["evidence"]["side"] == "source"
    assert found["recommended_fix"]["kind"] == "review_source"
    inputs = [{"name": n, "type": "decimal(14,2)"} for n in ("Debit", "Credit")]
    staged = {"inputs": inputs, "output": "amount", "ops": found["recommended_fix"]["dsl"]}
    assert validate_pipeline(staged).ops[0].model_dump()["nulls"] == "zero"


def test_distribution_shift_is_a_warning() -> None:
    source, output = _frames()
    tenth = [Decimal(str(v)) / 10 for v in output["fee"].to_list()]
    output = output.with_columns(pl.Series("fee", tenth, dtype=pl.Decimal(10, 2)))
    report = _report(source, output)
    check = _check(report, "distribution_shift", "fee")
    assert check["status"] == "warn"
    assert check["value"]["psi"] > 0.25 and check["value"]["ks"] > check["threshold"]["ks"]
    found = _only(report, "distribution_shift")
    assert found["recommended_fix"]["kind"] == "review_pipeline"


def test_psi_and_ks_are_zero_on_identical_samples_and_grow_with_a_shift() -> None:
    base = [float(i % 37) + (i % 7) / 10 for i in range(400)]
    assert psi(base, list(base)) == 0.0
    assert ks_statistic(base, list(base)) == 0.0
    small, large = [v + 3 for v in base], [v + 20 for v in base]
    assert 0 < psi(base, small) < psi(base, large)
    assert 0 < ks_statistic(base, small) < ks_statistic(base, large)
    assert ks_statistic(base, [v + 100 for v in base]) == 1.0


def test_metadata_only_checks_the_plan_alone() -> None:
    plan = _plan("metadata_only")
    key = plan["columns"][0]
    key.update(sources=[], source_domains=[], strategy="none", decision="unmapped")
    fee = plan["columns"][3]
    fee.update(sources=["Date"], source_domains=["temporal.date"], strategy="atomic")

    report = analysis_report(plan, _target(), _profile())

    assert report["mode"] == "metadata_only"
    assert {c["check"] for c in report["checks"]} <= set(ANALYSIS_CHECKS[:6])
    unmapped = _only(report, "unmapped_key")
    assert (unmapped["column"], unmapped["severity"]) == ("txn_id", "fail")
    assert unmapped["recommended_fix"]["kind"] == "map_column"
    infeasible = _only(report, "type_infeasible")
    assert infeasible["column"] == "fee" and infeasible["recommended_fix"]["kind"] == "remap"
    feasible = {
        c["column"]: c["detail"]["feasible"]
        for c in report["checks"]
        if c["check"] == "transform_feasibility"
    }
    assert feasible == {
        "txn_id": [],
        "posted_on": ["atomic", "type_alignment"],
        "amount": ["compose"],
        "fee": [],
        "memo": ["atomic", "type_alignment"],
        "start_date": ["atomic", "type_alignment"],
        "end_date": ["atomic", "type_alignment"],
    }
    assert _check(report, "domain_coverage", None)["value"] == round(6 / 7, 4)
    assert report["metrics"]["fails"] == 2
    assert report["metrics"]["warns"] == 1  # coverage below 1.0
    assert report["metrics"]["null_rate_max_seen"] is None


def test_one_source_feeding_two_domains_is_flagged() -> None:
    plan = _plan("metadata_only")
    plan["columns"][4].update(
        sources=["Txn ID"], source_domains=["finance.transaction_id"], target_domain="finance.memo"
    )
    found = _only(analysis_report(plan, _target(), _profile()), "source_fanout")
    assert found["evidence"]["source"] == "Txn ID"
    assert found["recommended_fix"]["columns"] == ["txn_id", "memo"]


def test_every_check_that_does_not_pass_has_one_anomaly() -> None:
    source, output = _frames()
    source = _set(source, "Debit", [0], ["-1.00"])
    output = _set(output, "fee", [1, 2], [None, None])
    report = _report(source, output)
    not_passing = [c for c in report["checks"] if c["status"] != "pass"]
    assert sorted(c["status"] for c in not_passing) == sorted(
        a["severity"] for a in report["anomalies"]
    )
    assert report["metrics"]["fails"] == 1 and report["metrics"]["warns"] == 1


def test_data_mode_needs_both_frames_row_for_row() -> None:
    source, output = _frames()
    with pytest.raises(ContractError, match="needs the source sample"):
        analysis_report(_plan(), _target(), _profile(), output=output)
    with pytest.raises(ContractError, match="row for row"):
        analysis_report(_plan(), _target(), _profile(), source=source.head(3), output=output)


def test_all_is_the_package_namespace() -> None:
    import specialists.analysis as package

    assert package.__all__ == sorted(package.__all__)
    assert all(getattr(package, name) is not None for name in package.__all__)
    assert set(ANALYSIS_CHECKS) >= {"null_rate", "duplicate_keys", "unit_scale", "future_dates"}


def test_the_package_imports_no_other_specialist() -> None:
    wrong = []
    for path in sorted((ROOT / "specialists" / "analysis").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            for name in names:
                if name.startswith(("supervisor", "api")) or (
                    name.startswith("specialists.") and not name.startswith("specialists.analysis")
                ):
                    wrong.append(f"{path.name}: {name}")
    assert wrong == []


def test_untyped_output_and_missing_sources_do_not_break_the_checks() -> None:
    source, output = _frames()
    output = output.with_columns(pl.col("posted_on").cast(pl.Utf8), pl.col("fee").cast(pl.Utf8))
    source = source.drop("Start")
    output = _set(output, "start_date", [0], [None])
    report = _report(source, output)
    assert "future_dates" not in {
        c["check"] for c in report["checks"] if c["column"] == "posted_on"
    }
    assert [a["code"] for a in report["anomalies"]] == ["null_rate"]
    assert _only(report, "null_rate")["evidence"]["source_empty"] == 0
