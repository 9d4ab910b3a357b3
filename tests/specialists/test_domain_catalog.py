"""The Domain Catalog v1: its data holds together, and a broken catalog fails with a named place."""

from __future__ import annotations

import re
import shutil
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from core.errors import ContractError, NotFoundError
from specialists.domains.catalog import (
    BUNDLED,
    Domain,
    alias_key,
    catalog_hash,
    load_catalog,
    parse_catalog,
)
from specialists.domains.patterns import regex_problem

CATALOG = load_catalog()

REQUIRED = {
    "person": ["given_name", "family_name", "full_name", "birth_date"],
    "contact": ["email", "phone", "url"],
    "address": ["street", "city", "postal_code", "region", "country", "country_code"],
    "identifier": [
        "uuid",
        "ssn",
        "tax_id",
        "ein",
        "vat_id",
        "iban",
        "routing_number",
        "bank_account_number",
        "card_number",
    ],
    "money": ["amount", "currency_code", "amount_minor", "signed_amount"],
    "temporal": ["date", "timestamp", "year", "month", "fiscal_period"],
    "quantity": ["mass", "length", "volume", "temperature", "percent"],
    "finance": [
        "gl_account_code",
        "gl_account_name",
        "transaction_id",
        "posting_date",
        "debit",
        "credit",
        "vendor_name",
        "invoice_number",
        "check_number",
        "mcc",
        "property_id",
        "unit_id",
        "tenant_name",
        "tenant_id",
        "memo",
    ],
}
UNITS = {
    "quantity.mass": {"kg", "lb", "lbs", "g", "oz"},
    "quantity.length": {"m", "cm", "ft", "in"},
    "quantity.volume": {"l", "ml", "gal"},
    "quantity.temperature": {"C", "F", "K"},
}


def _domain_ids() -> list[str]:
    return list(CATALOG.ids)


def _data() -> dict[str, Any]:
    data = yaml.safe_load(BUNDLED.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def _entry(data: dict[str, Any], domain_id: str) -> dict[str, Any]:
    entry = next(d for d in data["domains"] if d["id"] == domain_id)
    assert isinstance(entry, dict)
    return entry


# --- the bundled catalog ------------------------------------------------------------------------


def test_the_catalog_has_every_required_domain() -> None:
    assert CATALOG.version == "1.0.0"
    assert len(CATALOG.domains) >= 60
    missing = [
        f"{group}.{name}"
        for group, names in REQUIRED.items()
        for name in names
        if f"{group}.{name}" not in CATALOG.ids
    ]
    assert missing == []
    assert {d.group for d in CATALOG.domains} >= set(REQUIRED)


def test_composites_name_their_parts() -> None:
    assert CATALOG.get("person.full_name").parts == ("person.given_name", "person.family_name")
    assert CATALOG.get("money.signed_amount").parts == ("finance.debit", "finance.credit")
    assert CATALOG.get("temporal.timestamp").parts == ("temporal.date", "temporal.time")
    composites = [d for d in CATALOG.domains if d.kind == "composite"]
    assert len(composites) >= 4
    for domain in composites:
        assert all(part in CATALOG.ids for part in domain.parts)


def test_an_unknown_domain_is_not_found() -> None:
    with pytest.raises(NotFoundError, match="no domain 'finance.nothing'"):
        CATALOG.get("finance.nothing")


@pytest.mark.parametrize("domain_id", _domain_ids())
def test_every_example_matches_its_own_regex_and_only_it(domain_id: str) -> None:
    domain = CATALOG.get(domain_id)
    assert domain.regex is not None
    assert regex_problem(domain.regex) is None
    assert 10 <= len(domain.examples) <= 20
    for example in domain.examples:
        assert re.fullmatch(domain.regex, example), example
    assert not domain.matches(""), "an empty cell is no value of any domain"


@pytest.mark.parametrize("domain_id", _domain_ids())
def test_every_regex_fails_fast_on_a_long_near_miss(domain_id: str) -> None:
    pattern = re.compile(CATALOG.get(domain_id).regex or "^$")
    for near_miss in ("1" * 5000 + "\n", "1," * 2500 + "x", "a " * 2500 + "\n", "Aa-" * 2000):
        start = time.perf_counter()
        pattern.fullmatch(near_miss)
        assert time.perf_counter() - start < 0.5


def test_no_alias_key_names_two_domains_and_none_is_its_own_negative() -> None:
    owners = Counter(alias_key(a) for d in CATALOG.domains for a in d.aliases)
    assert [key for key, n in owners.items() if n > 1] == []
    for domain in CATALOG.domains:
        keys = {alias_key(a) for a in domain.aliases}
        assert keys.isdisjoint(alias_key(n) for n in domain.negatives), domain.id


def test_the_abbreviations_people_use_resolve_to_one_domain() -> None:
    owner = {alias_key(a): d.id for d in CATALOG.domains for a in d.aliases}
    assert owner["amt"] == "money.amount"
    assert owner["qty"] == "quantity.count"
    assert owner[alias_key("post_dt")] == "finance.posting_date"
    assert owner[alias_key("Inv #")] == "finance.invoice_number"
    assert owner[alias_key("Chk #")] == "finance.check_number"
    assert owner[alias_key("txn_dt")] == "finance.transaction_date"
    assert owner[alias_key("cust_nbr")] == "finance.customer_id"
    assert owner[alias_key("street_addr")] == "address.street"
    assert owner[alias_key("GL Acct")] == "finance.gl_account_code"
    assert owner["desc"] == "finance.memo"
    assert owner[alias_key("Fecha de contabilización")] == "finance.posting_date"
    assert owner[alias_key("Buchungsdatum")] == "finance.posting_date"
    assert owner[alias_key("montant")] == "money.amount"


def test_quantities_list_their_units() -> None:
    for domain_id, units in UNITS.items():
        assert units <= set(CATALOG.get(domain_id).units), domain_id


def _luhn_valid(number: str) -> bool:
    digits = [int(c) for c in number if c.isdigit()]
    total = 0
    for i, digit in enumerate(reversed(digits)):
        if i % 2:
            digit = digit * 2 - 9 if digit > 4 else digit * 2
        total += digit
    return total % 10 == 0


def _iban_valid(iban: str) -> bool:
    compact = iban.replace(" ", "")
    rotated = compact[4:] + compact[:4]
    return int("".join(str(int(c, 36)) for c in rotated)) % 97 == 1


def _aba_valid(number: str) -> bool:
    weights = (3, 7, 1) * 3
    return sum(w * int(d) for w, d in zip(weights, number, strict=True)) % 10 == 0


def test_check_digit_helpers_know_a_bad_number() -> None:
    assert _luhn_valid("4111111111111111") and not _luhn_valid("4111111111111112")
    assert _iban_valid("DE89370400440532013000") and not _iban_valid("DE88370400440532013000")
    assert _aba_valid("021000021") and not _aba_valid("021000022")


@pytest.mark.parametrize(
    ("domain_id", "valid"),
    [
        ("identifier.card_number", _luhn_valid),
        ("identifier.iban", _iban_valid),
        ("identifier.routing_number", _aba_valid),
    ],
)
def test_check_digits_of_the_examples_are_valid(domain_id: str, valid: Any) -> None:
    bad = [e for e in CATALOG.get(domain_id).examples if not valid(e)]
    assert bad == []


def test_examples_are_synthetic() -> None:
    for example in CATALOG.get("contact.email").examples:
        assert example.split("@")[1].split(".")[-2] == "example", example
    for example in CATALOG.get("identifier.ssn").examples:
        assert example.startswith("9"), example
    us_phones = [e for e in CATALOG.get("contact.phone").examples if "555" in e]
    assert us_phones and all(re.search(r"555\D?01\d\d", e) for e in us_phones)


# --- hash and loading ---------------------------------------------------------------------------


def test_loading_is_cached_and_the_hash_is_stable(tmp_path: Path) -> None:
    assert load_catalog() is CATALOG
    copy = tmp_path / "catalog.yaml"
    shutil.copyfile(BUNDLED, copy)
    again = load_catalog(copy)
    assert again is not CATALOG
    assert len(catalog_hash(CATALOG)) == 64
    assert catalog_hash(again) == catalog_hash(CATALOG)


def test_the_hash_changes_with_the_content(tmp_path: Path) -> None:
    data = _data()
    _entry(data, "finance.memo")["aliases"].append("Freitext")
    changed = tmp_path / "catalog.yaml"
    changed.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    assert catalog_hash(load_catalog(changed)) != catalog_hash(CATALOG)


def test_an_unreadable_file_is_a_contract_error(tmp_path: Path) -> None:
    with pytest.raises(ContractError, match="cannot read domain catalog"):
        load_catalog(tmp_path / "missing.yaml")
    with pytest.raises(ContractError, match="not valid YAML"):
        parse_catalog("domains: [")


# --- a malformed catalog names the domain and the field ----------------------------------------


def _break(change: Any) -> ContractError:
    data = _data()
    change(data)
    with pytest.raises(ContractError) as caught:
        parse_catalog(yaml.safe_dump(data, allow_unicode=True))
    return caught.value


def _duplicate_id(data: dict[str, Any]) -> None:
    _entry(data, "contact.url")["id"] = "contact.email"


def _bad_regex(data: dict[str, Any]) -> None:
    _entry(data, "finance.mcc")["regex"] = r"^(\d{4}$"


def _catastrophic_regex(data: dict[str, Any]) -> None:
    entry = _entry(data, "finance.check_number")
    entry["regex"] = r"^(\d+)+$"


def _unanchored_regex(data: dict[str, Any]) -> None:
    _entry(data, "finance.check_number")["regex"] = "(a+)+$"


def _unknown_part(data: dict[str, Any]) -> None:
    _entry(data, "money.signed_amount")["parts"] = ["finance.debit", "finance.nothing"]


def _missing_field(data: dict[str, Any]) -> None:
    del _entry(data, "quantity.mass")["description"]


def _example_off_regex(data: dict[str, Any]) -> None:
    _entry(data, "money.currency_code")["examples"].append("usd")


def _alias_of_two(data: dict[str, Any]) -> None:
    _entry(data, "finance.memo")["aliases"].append("AMT")


def _too_few_examples(data: dict[str, Any]) -> None:
    entry = _entry(data, "temporal.year")
    entry["examples"] = entry["examples"][:3]


@pytest.mark.parametrize(
    ("change", "domain_id", "field", "why"),
    [
        (_duplicate_id, "contact.email", "id", "given to two domains"),
        (_bad_regex, "finance.mcc", "regex", "does not compile"),
        (_catastrophic_regex, "finance.check_number", "regex", "catastrophic backtracking"),
        (_unanchored_regex, "finance.check_number", "regex", "not anchored"),
        (_unknown_part, "money.signed_amount", "parts", "finance.nothing"),
        (_missing_field, "quantity.mass", "description", "Field required"),
        (_example_off_regex, "money.currency_code", "examples", "'usd'"),
        (_alias_of_two, "finance.memo", "aliases", "already an alias of 'money.amount'"),
        (_too_few_examples, "temporal.year", "examples", "at least 10"),
    ],
)
def test_a_malformed_catalog_names_domain_and_field(
    change: Any, domain_id: str, field: str, why: str
) -> None:
    error = _break(change)
    message = str(error)
    assert f"domain {domain_id!r}, field {field!r}" in message
    assert why in message
    assert error.field == f"domains[{domain_id}].{field}"
    assert error.code == "DETERMINISTIC_FAILURE"


def test_a_composite_needs_two_parts_and_an_atomic_none() -> None:
    def one_part(data: dict[str, Any]) -> None:
        _entry(data, "person.full_name")["parts"] = ["person.given_name"]

    def atomic_with_parts(data: dict[str, Any]) -> None:
        _entry(data, "person.given_name")["parts"] = ["person.family_name"]

    assert "at least two parts" in str(_break(one_part))
    assert "an atomic domain has no parts" in str(_break(atomic_with_parts))


# --- the regex dialect --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "pattern",
    [
        r"^(a+)+$",
        r"^(a*)*b$",
        r"^(?:a|a)*$",
        r"^(?:a|ab)+$",
        r"^(?:[a-z]+\s?)+$",
        r"^(?:\d+,?)*$",
        r"^(?P<n>\w+)*$",
        r"^(?:(?:a+)b?)+$",
    ],
)
def test_nested_repeats_are_refused(pattern: str) -> None:
    problem = regex_problem(pattern)
    assert problem is not None and "catastrophic backtracking" in problem


@pytest.mark.parametrize(
    "pattern",
    [
        r"^[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}$",
        r"^\d{1,3}(?:,\d{3})*$",
        r"^(?:\d[ -]?){11,18}\d$",
        r"^(?:[a-z]+)?$",
        r"^(?:19|20)\d{2}$",
    ],
)
def test_separated_or_bounded_repeats_are_allowed(pattern: str) -> None:
    assert regex_problem(pattern) is None


@given(st.text(alphabet="()[]{}|*+?^$\\.,:-a1P<>=!", max_size=24))
def test_regex_problem_judges_any_text_and_passes_only_what_compiles(pattern: str) -> None:
    problem = regex_problem(pattern)
    if problem is None:
        re.compile(pattern)
        assert pattern.startswith("^") and pattern.endswith("$")


def test_a_domain_is_a_frozen_value() -> None:
    domain = CATALOG.get("finance.mcc")
    assert isinstance(domain, Domain) and domain.group == "finance"
    with pytest.raises(ValueError):
        domain.id = "finance.other"  # type: ignore[misc]
