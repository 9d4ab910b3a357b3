"""Pipeline validation: every rejection is DSL_REJECT, located by op index, JSON pointer and the
output column (dsl/pipeline.py); valid pipelines round-trip and hash stably."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from core.errors import DslReject
from dsl.errors import DslError, DslErrors
from dsl.ops import ALL_OPS, Limits
from dsl.pipeline import validate_pipeline

OUT = "customer_name"
TRIM = {"op": "trim"}


def _doc(*ops: dict[str, Any], inputs: list[Any] | None = None, **extra: Any) -> dict[str, Any]:
    return {"inputs": inputs or ["src"], "output": OUT, "ops": list(ops), **extra}


def _extract(pattern: str, group: int = 0) -> dict[str, Any]:
    return {"op": "regex_extract", "pattern": pattern, "group": group}


def _mapping(n: int) -> dict[str, Any]:
    return {"op": "map_dict", "mapping": {f"k{i}": f"v{i}" for i in range(n)}}


INT = [{"name": "n", "type": "integer"}]
DATE = [{"name": "d", "type": "date"}]
BAD_PATTERNS = {
    "backreference": r"(\w+)\1",
    "lookahead": "a(?=b)",
    "negative_lookahead": "a(?!b)",
    "lookbehind": "(?<=a)b",
    "negative_lookbehind": "(?<!a)b",
    "lazy_quantifier": "a+?b",
    "possessive_quantifier": "a++b",
    "named_group_python": "(?P<x>a)",
    "named_group": "(?<x>a)",
    "inline_flag": "(?i)abc",
    "ambiguous_alternation": "(a|ab)",
    "ambiguous_optional_after_star": "x*(xy)?",
    "nested_repeat": "(a+)+$",
    "nullable_alternative": "(|a)b",
    "nullable_repeat": "(a?)*",
    "word_boundary": r"\bword",
    "posix_class": "[[:alpha:]]",
    "anchor_in_the_middle": "a^b",
    "range_outside_blocks": "[!-/]",
    "repeat_above_1000": "a{1001}",
}

# (id, document, limits, pointer); the op index is the one in the pointer (None for others).
REJECTIONS: list[tuple[str, dict[str, Any], Limits | None, str]] = [
    *[(name, _doc(TRIM, _extract(p)), None, "/ops/1/pattern") for name, p in BAD_PATTERNS.items()],
    ("unknown_op", _doc(TRIM, {"op": "frobnicate"}), None, "/ops/1/op"),
    ("case_to_not_a_string", _doc(TRIM, {"op": "case", "to": 42}), None, "/ops/1/to"),
    ("trim_side_middle", _doc(TRIM, {"op": "trim", "side": "middle"}), None, "/ops/1/side"),
    ("unknown_argument", _doc(TRIM, {"op": "trim", "chars": " "}), None, "/ops/1/chars"),
    ("map_dict_over_default_limit", _doc(TRIM, _mapping(Limits().max_map_dict_entries + 1)), None,
     "/ops/1/mapping"),
    ("map_dict_over_custom_limit", _doc(TRIM, _mapping(4)), Limits(max_map_dict_entries=3),
     "/ops/1/mapping"),
    ("map_dict_default_and_keep_unmapped",
     _doc({"op": "map_dict", "mapping": {"a": "b"}, "default": "x", "keep_unmapped": True}), None,
     "/ops/0/default"),
    ("too_many_ops", _doc(TRIM, TRIM, TRIM), Limits(max_ops_per_pipeline=2), "/ops"),
    ("split_with_capturing_group", _doc(TRIM, {"op": "regex_split", "pattern": "(,)", "index": 0}),
     None, "/ops/1/pattern"),
    ("split_on_nullable_pattern", _doc(TRIM, {"op": "regex_split", "pattern": ",*", "index": 0}),
     None, "/ops/1/pattern"),
    ("extract_group_beyond_pattern", _doc(TRIM, _extract("(a)(b)", 3)), None, "/ops/1/group"),
    ("date_format_on_string", _doc({"op": "date_format", "format": "%Y"}), None, "/ops/0/op"),
    ("safe_math_on_string", _doc({"op": "safe_math", "operator": "add", "operand": "1"}), None,
     "/ops/0/op"),
    ("safe_math_one_column_without_operand",
     _doc({"op": "safe_math", "operator": "add"}, inputs=INT), None, "/ops/0/operand"),
    ("concat_one_column", _doc({"op": "concat"}), None, "/ops/0/op"),
    ("ends_with_two_columns", _doc(TRIM, inputs=["a", "b"]), None, "/ops"),
    ("float_to_string", _doc({"op": "type_cast", "to": "string"},
                             inputs=[{"name": "x", "type": "float"}]), None, "/ops/0/to"),
    ("unsupported_dsl_version", _doc(TRIM, dsl_version="2.0.0"), None, "/dsl_version"),
    ("unknown_to_unit",
     _doc({"op": "unit_convert", "from_unit": "lb", "to_unit": "furlong"}, inputs=INT), None,
     "/ops/0/to_unit"),
    ("unknown_from_unit",
     _doc({"op": "unit_convert", "from_unit": "furlong", "to_unit": "m"}, inputs=INT), None,
     "/ops/0/from_unit"),
    ("different_currencies",
     _doc({"op": "unit_convert", "from_unit": "USD.minor", "to_unit": "EUR"}, inputs=INT), None,
     "/ops/0/to_unit"),
    ("different_dimensions",
     _doc({"op": "unit_convert", "from_unit": "kg", "to_unit": "m"}, inputs=INT), None,
     "/ops/0/to_unit"),
    ("date_parse_unknown_token", _doc(TRIM, {"op": "date_parse", "formats": ["%e/%m/%Y"]}), None,
     "/ops/1/formats/0"),
    ("date_parse_format_without_year",
     _doc(TRIM, {"op": "date_parse", "formats": ["%Y-%m-%d", "%d/%m"]}), None, "/ops/1/formats/1"),
    ("date_parse_time_tokens_to_date",
     _doc({"op": "date_parse", "formats": ["%Y-%m-%d %H"]}), None, "/ops/0/formats/0"),
    ("date_format_month_name", _doc({"op": "date_format", "format": "%d %b %Y"}, inputs=DATE),
     None, "/ops/0/format"),
]  # fmt: skip


def _op_index(pointer: str) -> int | None:
    parts = pointer.split("/")
    return int(parts[2]) if len(parts) > 3 and parts[1] == "ops" else None


@pytest.mark.parametrize(
    ("doc", "limits", "pointer"), [r[1:] for r in REJECTIONS], ids=[r[0] for r in REJECTIONS]
)
def test_rejection_is_located(doc: dict[str, Any], limits: Limits | None, pointer: str) -> None:
    with pytest.raises(DslError) as caught:
        validate_pipeline(doc, limits=limits)
    err = caught.value
    assert isinstance(err, DslReject)
    assert err.code == "DSL_REJECT"
    assert (err.op_index, err.pointer, err.column) == (_op_index(pointer), pointer, OUT)


@pytest.mark.parametrize(
    ("doc", "limits"),
    [
        (_doc(TRIM, _mapping(3)), Limits(max_map_dict_entries=3)),
        (_doc(TRIM, _mapping(Limits().max_map_dict_entries)), None),
        (_doc(TRIM, TRIM), Limits(max_ops_per_pipeline=2)),
        (_doc(TRIM, _extract("(a)(b)", 2)), None),
        (_doc({"op": "regex_split", "pattern": ",+", "index": 3}), None),
        (_doc({"op": "unit_convert", "from_unit": "USD.minor", "to_unit": "USD"}, inputs=INT),
         None),
        (_doc(_extract("^[0-9]{0,1000}$")), None),
    ],
    ids=["map_dict_at_limit", "map_dict_at_default_limit", "ops_at_limit", "last_group",
         "split", "currency_minor_to_major", "repeat_up_to_1000"],
)  # fmt: skip
def test_at_the_limit_is_accepted(doc: dict[str, Any], limits: Limits | None) -> None:
    assert validate_pipeline(doc, limits=limits).output == OUT


def test_collect_reports_every_problem_in_op_order() -> None:
    doc = _doc(
        TRIM,
        _extract("a(?=b)"),
        _mapping(4),
        {"op": "date_parse", "formats": ["%e.%m.%Y"]},
    )
    limits = Limits(max_map_dict_entries=3)
    with pytest.raises(DslErrors) as caught:
        validate_pipeline(doc, limits=limits, collect=True)
    assert caught.value.code == "DSL_REJECT"
    found = [(i.op_index, i.pointer, i.column) for i in caught.value.issues]
    assert found == [
        (1, "/ops/1/pattern", OUT),
        (2, "/ops/2/mapping", OUT),
        (3, "/ops/3/formats/0", OUT),
    ]
    with pytest.raises(DslError) as first:
        validate_pipeline(doc, limits=limits)
    assert first.value.pointer == "/ops/1/pattern"


VALID = {
    "strings": _doc(TRIM, {"op": "case", "to": "lower"}, _extract("^([a-z]+)", 1)),
    "ledger": _doc(
        {"op": "type_cast", "to": "decimal(12,2)"},
        {"op": "safe_math", "operator": "sub", "nulls": "zero"},
        inputs=["debit", "credit"],
    ),
    "dates": _doc({"op": "date_parse", "formats": ["%d/%m/%Y", "%m/%d/%Y"]}),
    "units": _doc(
        {"op": "unit_convert", "from_unit": "lb", "to_unit": "kg", "scale": 3},
        {"op": "safe_math", "operator": "mul", "operand": "1.5"},
        inputs=INT,
    ),
}
# (pipeline, op index, argument, another value)
CHANGES = [
    ("strings", 1, "to", "upper"),
    ("strings", 2, "group", 0),
    ("ledger", 1, "nulls", "propagate"),
    ("dates", 0, "formats", ["%m/%d/%Y", "%d/%m/%Y"]),
    ("units", 1, "operand", "1.25"),
    ("units", 0, "scale", 4),
]


@pytest.mark.parametrize("name", sorted(VALID))
def test_valid_pipeline_round_trips_with_a_stable_hash(name: str) -> None:
    pipeline = validate_pipeline(VALID[name])
    again = validate_pipeline(pipeline.model_dump())
    assert again == pipeline
    assert validate_pipeline(pipeline.model_dump(mode="json")) == pipeline
    assert validate_pipeline(pipeline) == pipeline
    assert again.hash == pipeline.hash == validate_pipeline(copy.deepcopy(VALID[name])).hash


@pytest.mark.parametrize(("name", "index", "argument", "value"), CHANGES)
def test_hash_changes_with_an_argument(name: str, index: int, argument: str, value: Any) -> None:
    changed = copy.deepcopy(VALID[name])
    changed["ops"][index][argument] = value
    assert validate_pipeline(changed).hash != validate_pipeline(VALID[name]).hash


def test_all_ops_are_the_twelve_of_section_11() -> None:
    assert ALL_OPS == (
        "trim",
        "case",
        "collapse_whitespace",
        "regex_extract",
        "regex_split",
        "concat",
        "map_dict",
        "unit_convert",
        "date_parse",
        "date_format",
        "type_cast",
        "safe_math",
    )
