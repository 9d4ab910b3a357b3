"""Canonical JSON: the one byte form every hash is computed over (rules in core/canonical.py)."""

from __future__ import annotations

import datetime as dt
import enum
import hashlib
import json
import random
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.canonical import canonical_json, content_hash, to_canonical_value
from core.errors import ConduitError

PLUS_2 = dt.timezone(dt.timedelta(hours=2))
MINUS_5 = dt.timezone(dt.timedelta(hours=-5, minutes=-30))

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda children: (
        st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=8), children, max_size=5)
    ),
    max_leaves=30,
)


def shuffle_keys(value: Any, rnd: random.Random) -> Any:
    if isinstance(value, dict):
        keys = list(value)
        rnd.shuffle(keys)
        return {k: shuffle_keys(value[k], rnd) for k in keys}
    if isinstance(value, list):
        return [shuffle_keys(item, rnd) for item in value]
    return value


def test_keys_sorted_by_code_point_at_every_level_without_white_space() -> None:
    value = {"b": 1, "a": {"é": [1, 2], "Z": None, "aa": True}, "B": "x y"}
    assert canonical_json(value) == '{"B":"x y","a":{"Z":null,"aa":true,"é":[1,2]},"b":1}'.encode()


def test_non_ascii_is_kept_as_utf8_and_only_required_escapes_are_used() -> None:
    out = canonical_json({"name": 'Zoë 日本 🙂 "q"\n'})
    assert out == '{"name":"Zoë 日本 🙂 \\"q\\"\\n"}'.encode()
    assert b"\\u" not in out


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (Decimal("1.50"), b'"1.50"'),
        (Decimal("1E+3"), b'"1000"'),
        (Decimal("-2.5"), b'"-2.5"'),
        (Decimal("1.2E-7"), b'"0.00000012"'),
        (Decimal("12345678901234567890.123456"), b'"12345678901234567890.123456"'),
        (-0.0, b"0.0"),
        (0.1, b"0.1"),
        (1e16, b"1e+16"),
        (2**70, b"1180591620717411303424"),
        (True, b"true"),
        (None, b"null"),
        ((1, "a"), b'[1,"a"]'),
        (dt.date(2024, 2, 29), b'"2024-02-29"'),
        (dt.datetime(2024, 3, 1, 1, 30, tzinfo=PLUS_2), b'"2024-02-29T23:30:00.000000Z"'),
        (dt.datetime(2024, 1, 1, 12, tzinfo=MINUS_5), b'"2024-01-01T17:30:00.000000Z"'),
        (dt.datetime(2024, 5, 6, 7, 8, 9, 123456, dt.UTC), b'"2024-05-06T07:08:09.123456Z"'),
        (dt.datetime(999, 1, 2, 3, 4, 5, tzinfo=dt.UTC), b'"0999-01-02T03:04:05.000000Z"'),
    ],
    ids=lambda v: None if isinstance(v, bytes) else repr(v),
)
def test_scalar_forms(value: object, expected: bytes) -> None:
    assert canonical_json(value) == expected


def test_negative_zero_and_zero_hash_the_same() -> None:
    assert content_hash({"a": -0.0}) == content_hash({"a": 0.0})


def test_decimal_scale_is_part_of_the_value() -> None:
    assert content_hash(Decimal("1.5")) != content_hash(Decimal("1.50"))


def test_enums_tuples_and_models_become_plain_json() -> None:
    class Colour(enum.Enum):
        RED = "red"

    from pydantic import BaseModel

    class Point(BaseModel):
        y: int
        x: Decimal

    value = {"c": Colour.RED, "t": (1, 2), "p": Point(y=2, x=Decimal("1.0"))}
    assert to_canonical_value(value) == {"c": "red", "t": [1, 2], "p": {"y": 2, "x": "1.0"}}
    assert canonical_json(value) == b'{"c":"red","p":{"x":"1.0","y":2},"t":[1,2]}'


def test_content_hash_is_sha256_of_the_canonical_bytes() -> None:
    value = {"k": [1, "é", None]}
    assert content_hash(value) == hashlib.sha256(canonical_json(value)).hexdigest()
    assert content_hash({}) == hashlib.sha256(b"{}").hexdigest()


@pytest.mark.parametrize(
    ("value", "path"),
    [
        ({"a": {"b": dt.datetime(2024, 1, 1, 12)}}, "/a/b"),
        ({"x": [1, float("nan")]}, "/x/1"),
        ({"x": float("inf")}, "/x"),
        ({"x": [float("-inf")]}, "/x/0"),
        ({"d": Decimal("NaN")}, "/d"),
        ({"d": Decimal("-Infinity")}, "/d"),
        ({"s": {1, 2}}, "/s"),
        ({"b": [b"raw"]}, "/b/0"),
        ({"b": bytearray(b"raw")}, "/b"),
        ({"m": {1: "x"}}, "/m"),
        ({"m": {("a", "b"): "x"}}, "/m"),
        ({"o": object()}, "/o"),
    ],
    ids=[
        "naive-datetime",
        "nan",
        "inf",
        "minus-inf",
        "decimal-nan",
        "decimal-inf",
        "set",
        "bytes",
        "bytearray",
        "int-key",
        "tuple-key",
        "object",
    ],
)
def test_values_without_a_canonical_form_are_refused_naming_the_path(
    value: object, path: str
) -> None:
    with pytest.raises(ConduitError) as info:
        canonical_json(value)
    assert info.value.code == "DETERMINISTIC_FAILURE"
    assert info.value.field == path
    assert info.value.message.startswith(f"{path}: ")


def test_lone_surrogate_string_is_refused_as_deterministic_failure() -> None:
    # "strings: UTF-8": a lone surrogate has no UTF-8 form, so it has no canonical form either.
    with pytest.raises(ConduitError) as info:
        canonical_json({"t": "\ud800"})
    assert info.value.code == "DETERMINISTIC_FAILURE"


@given(value=json_values)
@settings(max_examples=300, database=None, deadline=None)
def test_canonical_json_is_a_fixed_point_of_a_json_round_trip(value: Any) -> None:
    once = canonical_json(value)
    assert canonical_json(json.loads(once)) == once
    assert json.loads(once) == to_canonical_value(value)


@given(value=json_values, rnd=st.randoms(use_true_random=False))
@settings(max_examples=300, database=None, deadline=None)
def test_dict_key_order_does_not_change_the_output(value: Any, rnd: random.Random) -> None:
    assert canonical_json(shuffle_keys(value, rnd)) == canonical_json(value)
