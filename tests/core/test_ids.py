"""ULIDs: 48-bit millisecond timestamp + 80 bits, Crockford base32, sortable by time."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.ids import is_ulid, ulid, ulid_for_key

CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
FORMAT = re.compile(r"\A[0-7][0-9A-HJKMNP-TV-Z]{25}\Z")
MAX_MS = 2**48 - 1
timestamps = st.integers(min_value=0, max_value=MAX_MS)


def decode(value: str) -> int:
    number = 0
    for char in value:
        number = number * 32 + CROCKFORD.index(char)
    return number


def test_new_ulid_has_the_canonical_format_and_is_fresh() -> None:
    ids = {ulid() for _ in range(100)}
    assert len(ids) == 100
    assert all(FORMAT.match(i) and is_ulid(i) for i in ids)


@given(ms=timestamps, rand=st.binary(min_size=10, max_size=10))
@settings(max_examples=200, database=None)
def test_ulid_encodes_timestamp_then_randomness(ms: int, rand: bytes) -> None:
    value = ulid(timestamp_ms=ms, randomness=rand)
    assert FORMAT.match(value)
    assert decode(value) == (ms << 80) | int.from_bytes(rand, "big")


def test_known_values() -> None:
    assert ulid(timestamp_ms=0, randomness=bytes(10)) == "0" * 26
    assert ulid(timestamp_ms=MAX_MS, randomness=b"\xff" * 10) == "7" + "Z" * 25
    assert ulid(timestamp_ms=1, randomness=bytes(10)) == "0000000001" + "0" * 16


@given(a=timestamps, b=timestamps, ra=st.binary(min_size=10, max_size=10))
@settings(max_examples=200, database=None)
def test_lexicographic_order_follows_timestamp_order(a: int, b: int, ra: bytes) -> None:
    # Whatever the random part, an earlier millisecond sorts first.
    first = ulid(timestamp_ms=a, randomness=ra)
    second = ulid(timestamp_ms=b, randomness=b"\xff" * 10 if a < b else bytes(10))
    if a < b:
        assert first < second
    elif a > b:
        assert first > second


def test_ulid_for_key_is_a_function_of_key_and_timestamp() -> None:
    one = ulid_for_key("order-42", timestamp_ms=1_700_000_000_000)
    assert one == ulid_for_key("order-42", timestamp_ms=1_700_000_000_000)
    assert is_ulid(one)
    assert decode(one) >> 80 == 1_700_000_000_000
    assert one != ulid_for_key("order-43", timestamp_ms=1_700_000_000_000)
    later = ulid_for_key("order-42", timestamp_ms=1_700_000_000_001)
    assert later != one
    assert later[10:] == one[10:]  # same key, same random part
    assert later > one


@given(keys=st.lists(st.text(), min_size=2, max_size=2, unique=True), ms=timestamps)
@settings(max_examples=200, database=None)
def test_ulid_for_key_differs_between_keys(keys: list[str], ms: int) -> None:
    assert ulid_for_key(keys[0], timestamp_ms=ms) != ulid_for_key(keys[1], timestamp_ms=ms)


@pytest.mark.parametrize(
    "value",
    [
        "01j9zq8x3m4n5p6q7r8s9t0v1w",
        "01J9ZQ8X3M4N5P6Q7R8S9T0V1w",
        "01J9ZQ8X3M4N5P6Q7R8S9T0VIW",
        "01J9ZQ8X3M4N5P6Q7R8S9T0VLW",
        "01J9ZQ8X3M4N5P6Q7R8S9T0VOW",
        "01J9ZQ8X3M4N5P6Q7R8S9T0VUW",
        "81J9ZQ8X3M4N5P6Q7R8S9T0V1W",
        "01J9ZQ8X3M4N5P6Q7R8S9T0V1",
        "01J9ZQ8X3M4N5P6Q7R8S9T0V1WX",
        "01J9ZQ8X3M4N5P6Q7R8S9T0V1W\n",
        " 01J9ZQ8X3M4N5P6Q7R8S9T0V1W",
        "01J9ZQ8X3M4N5P6Q7R8S9T0V-W",
        "",
    ],
)
def test_is_ulid_rejects_non_canonical_values(value: str) -> None:
    assert not is_ulid(value)


def test_is_ulid_accepts_canonical_values() -> None:
    assert is_ulid("01J9ZQ8X3M4N5P6Q7R8S9T0V1W")
    assert is_ulid("7ZZZZZZZZZZZZZZZZZZZZZZZZZ")


@pytest.mark.parametrize("ms", [-1, 2**48, 2**60])
def test_out_of_range_timestamp_raises(ms: int) -> None:
    with pytest.raises(ValueError, match="out of range"):
        ulid(timestamp_ms=ms)
    with pytest.raises(ValueError, match="out of range"):
        ulid_for_key("k", timestamp_ms=ms)


@pytest.mark.parametrize("size", [0, 9, 11])
def test_randomness_must_be_ten_bytes(size: int) -> None:
    with pytest.raises(ValueError, match="10 bytes"):
        ulid(timestamp_ms=0, randomness=bytes(size))
