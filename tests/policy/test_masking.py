"""Masking operators and table masking, as properties over open-ended values (hypothesis)."""

from __future__ import annotations

import random
import re
from typing import get_args

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from policy.manifest import Entity, current_manifest
from policy.pii.detect import detect_table
from policy.pii.mask import Masker, mask_table, partial, pseudonym, redact

ENTITIES: list[Entity] = list(get_args(Entity))
TOKEN = re.compile(r"^[A-Z_]+_[A-Z2-7]{12}$")
PROPERTY = settings(max_examples=200, deadline=None, database=None)

keys = st.binary(min_size=32, max_size=32)
entities = st.sampled_from(ENTITIES)
# Names and emails as they come in Western tables: Latin-1 letters, digits, a little punctuation.
words = st.text(
    alphabet=st.characters(codec="latin-1", categories=["L", "Nd"]), min_size=1, max_size=12
)
spaces = st.text(alphabet=" \t\u00a0", min_size=1, max_size=3)
digit_groups = st.lists(st.text(alphabet="0123456789", min_size=1, max_size=4), min_size=1)
separators = st.text(alphabet=" -.()/+", max_size=2)
Table = dict[str, list[str | None]]


def _table(columns: Table) -> Table:
    findings = detect_table(columns, detection=current_manifest().pii.detection)
    return mask_table(columns, findings, Masker(current_manifest().pii.operators, b"k" * 32))


@PROPERTY
@given(keys, keys, entities, entities, st.text(max_size=60))
def test_pseudonym_is_a_keyed_token(
    key: bytes, other_key: bytes, entity: Entity, other_entity: Entity, value: str
) -> None:
    token = pseudonym(key, entity, value)
    assert TOKEN.match(token) and token.startswith(f"{entity}_")
    assert pseudonym(key, entity, value) == token
    if other_key != key:
        assert pseudonym(other_key, entity, value) != token
    if other_entity != entity:
        assert pseudonym(key, other_entity, value)[-12:] != token[-12:]


@PROPERTY
@given(
    keys,
    st.sampled_from(["PERSON", "EMAIL_ADDRESS"]),
    st.lists(words, min_size=1, max_size=4),
    st.data(),
)
def test_pseudonym_ignores_case_and_spacing_of_names_and_emails(
    key: bytes, entity: Entity, parts: list[str], data: st.DataObject
) -> None:
    value = " ".join(parts)
    gaps = [data.draw(spaces) for _ in range(len(parts) + 1)]
    spaced = gaps[0] + "".join(p + g for p, g in zip(parts, gaps[1:], strict=True))
    token = pseudonym(key, entity, value)
    for variant in (value.upper(), value.lower(), value.swapcase(), spaced, spaced.upper()):
        assert pseudonym(key, entity, variant) == token, variant


@PROPERTY
@given(keys, st.sampled_from(["PHONE_NUMBER", "CREDIT_CARD"]), digit_groups, st.data())
def test_pseudonym_ignores_separators_of_numbers(
    key: bytes, entity: Entity, groups: list[str], data: st.DataObject
) -> None:
    joined = "".join(data.draw(separators) + g for g in groups) + data.draw(separators)
    assert pseudonym(key, entity, joined) == pseudonym(key, entity, "".join(groups))


def test_pseudonym_ignores_case_of_turkish_names() -> None:
    key = b"k" * 32
    for value in ("Işık Yılmaz", "Aydın"):
        assert pseudonym(key, "PERSON", value) == pseudonym(key, "PERSON", value.upper())


@PROPERTY
@given(entities, st.text(max_size=80))
@example("CREDIT_CARD", "4111 1111 1111 1111")
@example("PHONE_NUMBER", "(415) 555-0134")
def test_partial_keeps_shape_and_reveals_little(entity: Entity, value: str) -> None:
    masked = partial(entity, value)
    assert len(masked) == len(value)
    alnum = sum(c.isalnum() for c in value)
    revealed = 0
    for original, out in zip(value, masked, strict=True):
        if not original.isalnum():
            assert out == original
        elif out == original:
            revealed += 1
        else:
            assert out == "*"
    assert revealed <= 4 and 4 * revealed <= alnum


@PROPERTY
@given(entities, st.text(max_size=80))
def test_redact_names_only_the_entity(entity: Entity, value: str) -> None:
    assert redact(entity, value) == f"<{entity}>"


amounts = st.builds(
    lambda cents, style: style.format(cents / 100, abs(cents) / 100),
    st.integers(min_value=-(10**8), max_value=10**8),
    st.sampled_from(["{0:.2f}", "{0:,.2f}", "({1:,.2f})"]),
)
dates = st.builds(
    lambda d, style: d.strftime(style),
    st.dates(),
    st.sampled_from(["%Y-%m-%d", "%m/%d/%Y", "%d %b %Y"]),
)
currencies = st.sampled_from(["USD", "EUR", "GBP", "JPY"])


@PROPERTY
@given(st.lists(st.tuples(amounts, dates, currencies), min_size=1, max_size=12), st.data())
def test_mask_table_is_identity_without_pii(
    rows: list[tuple[str, str, str]], data: st.DataObject
) -> None:
    table: Table = {"amount": [], "posted_on": [], "currency": []}
    for row in rows:
        for column, value in zip(table, row, strict=True):
            table[column].append(None if data.draw(st.booleans(), label="null") else value)
    assert _table(table) == table


# No "xx" here: values holding it are the subject of test_values_holding_xx_are_masked.
emails = st.builds(
    lambda local, n, domain: f"{local}{n}@{domain}",
    st.from_regex(r"[a-wyz]{1,10}(\.[a-wyz]{1,10})?", fullmatch=True),
    st.integers(min_value=0, max_value=99),
    st.sampled_from(["example.com", "contoso.com", "mail.fabrikam.net"]),
)


@PROPERTY
@given(st.lists(emails, min_size=1, max_size=8, unique=True), st.randoms(use_true_random=False))
def test_masked_emails_still_join(addresses: list[str], rnd: random.Random) -> None:
    orders: Table = {"order_id": [f"SO-{i}" for i in range(len(addresses))], "email": []}
    orders["email"] = [*addresses]
    shuffled = rnd.sample(addresses, len(addresses))
    crm: Table = {
        "customer_email": [f"  {a.upper()} " for a in shuffled] + [None],
        "segment": ["retail"] * len(addresses) + [None],
    }
    left, right = _table(orders), _table(crm)
    assert left["order_id"] == orders["order_id"] and right["segment"] == crm["segment"]
    assert right["customer_email"][-1] is None
    by_token = dict(zip(left["email"], addresses, strict=True))
    assert len(by_token) == len(addresses) and not set(by_token) & set(addresses)
    for token, address in zip(right["customer_email"][:-1], shuffled, strict=True):
        assert by_token[token] == address


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("email", "maxx.power@example.com"),
        ("email", "FOXX.J@EXAMPLE.COM"),
        ("first_name", "Maxx"),
        ("first_name", "Lexxi"),
    ],
)
def test_values_holding_xx_are_masked(column: str, value: str) -> None:
    """A real value that happens to contain ``xx`` is not an upstream mask like ``XXX-XX-1234``."""
    others = {"email": ["jane@example.com", "li.wu@contoso.com"], "first_name": ["Jane", "Li"]}
    masked = _table({column: [value, *others[column]]})[column]
    assert value not in masked
    assert all(v is not None and TOKEN.match(v) for v in masked)
