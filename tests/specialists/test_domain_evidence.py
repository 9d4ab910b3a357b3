"""Column evidence: header tokens, unit cues, regex hits and value sketches, by mode."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from typing import NoReturn, overload

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.contract import Mode
from specialists.domains.catalog import load_catalog
from specialists.domains.evidence import (
    ABBREVIATIONS,
    MAX_HEADER,
    MAX_VALUE,
    MAX_VALUES,
    ColumnEvidence,
    column_evidence,
    header_tokens,
    header_words,
    regex_hits,
    unit_cues,
    value_sketch,
)

CATALOG = load_catalog()
REGEXES = {d.id: d.regex for d in CATALOG.domains if d.regex is not None}


class Untouchable(Sequence[str | None]):
    """A sample that fails the test if anything reads it."""

    def __len__(self) -> NoReturn:
        raise AssertionError("the values were read")

    @overload
    def __getitem__(self, index: int) -> str | None: ...
    @overload
    def __getitem__(self, index: slice) -> Sequence[str | None]: ...
    def __getitem__(self, index: int | slice) -> NoReturn:
        raise AssertionError("the values were read")

    def __iter__(self) -> Iterator[str | None]:
        raise AssertionError("the values were read")

    def __bool__(self) -> NoReturn:
        raise AssertionError("the values were read")


# --- header tokens ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "words"),
    [
        ("postedDate", ("posted", "date")),
        ("PostedDate", ("posted", "date")),
        ("POSTED_DT", ("posted", "dt")),
        ("posted-dt", ("posted", "dt")),
        ("posted.dt", ("posted", "dt")),
        ("Amt (USD)", ("amt", "usd")),
        ("txnID2", ("txn", "id", "2")),
        ("IDNumber", ("id", "number")),
        ("addr1Line", ("addr", "1", "line")),
        ("Straße", ("strasse",)),
        ("Buchungsdatum", ("buchungsdatum",)),
        ("Geb.-Datum", ("geb", "datum")),
        ("Date de naissance", ("date", "de", "naissance")),
        ("Numéro_de_Téléphone", ("numero", "de", "telephone")),
        ("Fecha de contabilización", ("fecha", "de", "contabilizacion")),
        ("ＡＭＴ", ("amt",)),  # full-width letters: NFKC
        ("  weird   spacing ", ("weird", "spacing")),
        ("", ()),
    ],
)
def test_header_words_split_every_boundary_and_normalise(
    header: str, words: tuple[str, ...]
) -> None:
    assert header_words(header) == words


@pytest.mark.parametrize(
    ("header", "tokens"),
    [
        ("POSTED_DT", ("posted", "date")),
        ("Amt (USD)", ("amount", "usd")),
        ("txnID2", ("transaction", "id", "2")),
        ("trx_no", ("transaction", "number")),
        ("cust_acct_nbr", ("customer", "account", "number")),
        ("qty", ("quantity",)),
        ("inv_num", ("invoice", "number")),
        ("chk_no", ("check", "number")),
        ("ChqNbr", ("check", "number")),
        ("item_desc", ("item", "description")),
        ("DOB", ("birth", "date")),
        ("zip", ("postal", "code")),
        ("ph", ("phone",)),
        ("Tel", ("phone",)),
        ("fname", ("first", "name")),
        ("lname", ("last", "name")),
        ("bill_addr", ("bill", "address")),
        ("Inv #", ("invoice", "number")),
        ("vendor_id", ("vendor", "id")),
        ("gl_code", ("gl", "code")),
        ("cc_num", ("cc", "number")),  # cc is card or cost center: kept
        ("st", ("st",)),  # street or state: kept
    ],
)
def test_header_tokens_expand_abbreviations(header: str, tokens: tuple[str, ...]) -> None:
    assert header_tokens(header) == tokens


def test_abbreviation_table_is_in_alias_key_form_and_expands_to_words() -> None:
    for short, words in ABBREVIATIONS.items():
        assert header_words(short) == (short,), short
        assert words and all(header_words(w) == (w,) for w in words), short
        assert short not in words  # an expansion never expands again into itself


@given(st.text(max_size=300))
def test_header_tokens_never_fail_and_are_normalised(header: str) -> None:
    tokens = header_tokens(header)
    assert all(t and t == t.casefold() and " " not in t for t in tokens)
    assert header_tokens(header) == tokens


# --- unit cues -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "units"),
    [
        ("amount_cents", ("cents",)),
        ("amt_usd", ("USD",)),
        ("Amt (USD)", ("USD",)),
        ("Betrag (€)", ("EUR",)),
        ("Price $", ("$",)),
        ("weight_lbs", ("lb",)),
        ("WeightKg", ("kg",)),
        ("Gewicht (kg)", ("kg",)),
        ("Discount %", ("%",)),
        ("disc_pct", ("%",)),
        ("spread_bps", ("bp",)),
        ("Area (m²)", ("m²",)),
        ("area_sq_ft", ("sq ft",)),
        ("length_m", ("m",)),
        ("volume_l", ("l",)),
        ("temp_c", ("°C",)),
        ("temp_f", ("°F",)),
        ("Temperatur (°C)", ("°C",)),
        ("qty_ea", ("ea",)),
        # a short word is a unit only beside a word of its kind
        ("amount_c", ()),
        ("flag_f", ()),
        ("Amount in USD", ("USD",)),
        ("ac_no", ()),
        ("posting_date", ()),
    ],
)
def test_unit_cues_from_headers(header: str, units: tuple[str, ...]) -> None:
    cues = unit_cues(header, None)
    assert cues.units == units
    assert all(c.source == "header" and c.share is None for c in cues.cues)
    assert cues.value_share is None


@pytest.mark.parametrize(
    ("header", "scale"),
    [("revenue_in_thousands", 1000), ("Sales (000s)", 1000), ("Umsatz in Mio", 1_000_000)],
)
def test_unit_cues_read_the_scale_of_a_header(header: str, scale: int) -> None:
    assert unit_cues(header, None).scale == scale
    assert unit_cues("revenue", None).scale is None


@pytest.mark.parametrize(
    ("value", "unit", "kind"),
    [
        ("USD 12.00", "USD", "currency"),
        ("1.234,56 EUR", "EUR", "currency"),
        ("$1,200", "$", "currency"),
        ("€ 45,00", "EUR", "currency"),
        ("(250.00) USD", "USD", "currency"),
        ("12.5 kg", "kg", "mass"),
        ("12.5kg", "kg", "mass"),
        ("3.75 lbs", "lb", "mass"),
        ("45%", "%", "percent"),
        ("7.25 %", "%", "percent"),
        ("850 sq ft", "sq ft", "area"),
        ("72.5 m²", "m²", "area"),
        ("12 fl oz", "fl oz", "volume"),
        ("250mL", "ml", "volume"),
        ("-18°C", "°C", "temperature"),
        ("98.6F", "°F", "temperature"),
        ("6 pcs", "pcs", "count"),
        ("1,80 m", "m", "length"),
    ],
)
def test_unit_cues_from_values(value: str, unit: str, kind: str) -> None:
    cues = unit_cues("value", [value])
    assert [(c.unit, c.kind, c.source, c.share) for c in cues.cues] == [(unit, kind, "values", 1.0)]
    assert cues.value_share == 1.0


@pytest.mark.parametrize(
    "value", ["12 apples", "2024-03-15", "INV-1001", "kg", "USD", "ABC 12", "12.5", "alice"]
)
def test_values_without_a_unit_carry_none(value: str) -> None:
    assert unit_cues("value", [value]).units == ()


def test_unit_share_counts_non_null_values_and_ranks_by_share() -> None:
    cues = unit_cues("weight", ["1 kg", "2 kg", "3 lb", "4", None, "", "  "])
    assert [(c.unit, c.share) for c in cues.cues] == [("kg", 0.5), ("lb", 0.25)]
    assert cues.value_share == 0.75
    assert unit_cues("weight", []).value_share == 0.0


def test_unit_cues_use_the_catalog_unit_vocabulary() -> None:
    vocabulary = {u for d in CATALOG.domains for u in d.units}
    samples = ["1 kg", "1 lbs", "1 sqft", "1 m2", "1 mL", "1 L", "1 m3", "1 C", "1 F", "1 K"]
    samples += ["1 pc", "1 bps", "1%", "1 ea", "1 fl oz", "1 ft³", "1 ha", "1 mi"]
    for value in samples:
        (cue,) = unit_cues("x", [value]).cues
        assert cue.unit in vocabulary, value
    assert {c.unit for c in unit_cues("temp_c weight_lbs area_sqm", None).cues} <= vocabulary


# --- regex hits ------------------------------------------------------------------------------


@pytest.mark.parametrize("domain", [d for d in CATALOG.domains if d.regex], ids=lambda d: d.id)
def test_each_domain_examples_hit_its_own_regex(domain: object) -> None:
    from specialists.domains.catalog import Domain

    assert isinstance(domain, Domain)
    hits = regex_hits(REGEXES, list(domain.examples))
    assert hits[domain.id] == 1.0


#: Free text by design: its regex takes any one line.
FREE_TEXT = {"finance.memo"}


def test_junk_hits_no_regex() -> None:
    junk = ["\x00\x01\x02", "~~~~ ~~~~", "§§§", "<<<>>>"]
    hits = regex_hits(REGEXES, junk)
    assert set(hits) == set(REGEXES)
    shaped = {k: v for k, v in hits.items() if k not in FREE_TEXT}
    assert all(share == 0.0 for share in shaped.values()), {k: v for k, v in shaped.items() if v}
    assert regex_hits(REGEXES, ["line one\nline two"])["finance.memo"] == 0.0


def test_regex_hits_share_over_non_null_values() -> None:
    zip5 = {"d.zip": r"^\d{5}$", "d.none": None}
    assert regex_hits(zip5, ["94105", " 10001 ", "n/a", None, ""]) == {"d.zip": 0.666667}
    assert regex_hits(zip5, [None, "", " "]) == {}
    assert regex_hits(zip5, []) == {}


def test_a_value_past_the_bound_is_a_miss_without_matching() -> None:
    long_digits = "1" * (MAX_VALUE + 1)
    hits = regex_hits({"d.digits": r"^\d+$"}, [long_digits, "12"])
    assert hits == {"d.digits": 0.5}


# --- value sketch ----------------------------------------------------------------------------


def test_metadata_only_has_no_sketch_and_reads_no_value() -> None:
    assert value_sketch(Untouchable(), "metadata_only") is None


def test_sketch_profiles_lengths_characters_distinct_numbers_and_nulls() -> None:
    values = ["$1,200.00", "(35.50)", "1.234,56", "250.00-", "n/a", "n/a", None, ""]
    sketch = value_sketch(values, "data_mode")
    assert sketch is not None
    assert sketch.count == 8
    assert sketch.null_share == 0.25
    assert sketch.distinct_ratio == round(5 / 6, 6)
    assert sketch.length is not None
    assert (sketch.length.min, sketch.length.max, sketch.length.p50) == (3, 9, 7)
    assert sketch.numeric is not None
    assert (sketch.numeric.min, sketch.numeric.max) == (-250.0, 1234.56)
    assert sketch.numeric.share == round(4 / 6, 6)
    chars = sketch.chars
    assert chars is not None
    total = chars.digit + chars.letter + chars.space + chars.punct + chars.other
    assert total == pytest.approx(1.0, abs=1e-5)
    assert chars.letter > 0 and chars.digit > chars.punct > 0 and chars.space == 0


@pytest.mark.parametrize(
    ("value", "number"),
    [
        ("1,250", 1250.0),
        ("1.234.567", 1234567.0),
        ("1.234", 1.234),  # one dot group: a decimal, as in an exchange rate
        ("0,75", 0.75),
        ("1'234.50", 1234.5),
        ("1 234,56", 1234.56),
        ("EUR 5", 5.0),
        ("-0.75", -0.75),
        ("+5.5", 5.5),
    ],
)
def test_sketch_reads_numbers_in_export_formats(value: str, number: float) -> None:
    sketch = value_sketch([value], "data_mode")
    assert sketch is not None and sketch.numeric is not None
    assert sketch.numeric.min == sketch.numeric.max == number


@pytest.mark.parametrize("value", ["nan", "inf", "1e5", "2024-03-15", "1.2.3", "-", "12 kg"])
def test_sketch_does_not_read_non_numbers_as_numbers(value: str) -> None:
    sketch = value_sketch([value], "data_mode")
    assert sketch is not None and sketch.numeric is None


def test_empty_sample_gives_an_empty_sketch() -> None:
    sketch = value_sketch([], "data_mode")
    assert sketch is not None
    assert (sketch.count, sketch.null_share, sketch.distinct_ratio) == (0, 0.0, 0.0)
    assert (sketch.length, sketch.chars, sketch.numeric) == (None, None, None)
    nulls = value_sketch([None, None], "data_mode")
    assert nulls is not None and nulls.null_share == 1.0 and nulls.length is None


# --- column evidence -------------------------------------------------------------------------


def test_metadata_only_evidence_never_touches_values() -> None:
    ev = column_evidence("weight_kg", Untouchable(), "metadata_only", CATALOG)
    assert ev.regex_hits is None and ev.sketch is None
    assert ev.tokens == ("weight", "kg") and ev.units.units == ("kg",)
    assert ev.units.value_share is None
    assert column_evidence("weight_kg", None, "metadata_only", CATALOG) == ev


def test_data_mode_evidence_bundles_everything() -> None:
    ev = column_evidence("posting_dt", ["2024-03-15", "3/15/2024", None], "data_mode", CATALOG)
    assert ev.mode == "data_mode" and ev.catalog_version == CATALOG.version
    assert ev.words == ("posting", "dt") and ev.tokens == ("posting", "date")
    assert ev.regex_hits is not None and set(ev.regex_hits) == set(REGEXES)
    assert ev.regex_hits["temporal.date"] == 1.0
    assert ev.regex_hits["contact.email"] == 0.0
    assert ev.sketch is not None and ev.sketch.null_share == round(1 / 3, 6)
    none = column_evidence("posting_dt", None, "data_mode", CATALOG)
    assert none.regex_hits == {} and none.sketch is not None and none.sketch.count == 0


@pytest.mark.parametrize("mode", ["metadata_only", "data_mode"])
def test_evidence_is_deterministic_and_round_trips_as_json(mode: Mode) -> None:
    values = ["USD 12.00", "$1,200", "45%", None, "Ünïcödé ✓", "12.5 kg"]
    first = column_evidence("Amt (USD)", list(values), mode, CATALOG)
    second = column_evidence("Amt (USD)", list(reversed(values))[::-1], mode, CATALOG)
    assert first.to_json() == second.to_json()
    assert ColumnEvidence.model_validate_json(first.to_json()) == first
    floats = _floats(json.loads(first.to_json()))
    assert all(round(f, 6) == f for f in floats)


def _floats(data: object) -> list[float]:
    if isinstance(data, float):
        return [data]
    if isinstance(data, dict):
        return [f for v in data.values() for f in _floats(v)]
    if isinstance(data, list):
        return [f for v in data for f in _floats(v)]
    return []


# --- hostile inputs --------------------------------------------------------------------------


def test_a_huge_header_counts_to_its_bound() -> None:
    header = "amountDue_" * 1000  # 10,000 characters
    ev = column_evidence(header, None, "metadata_only", CATALOG)
    assert len(ev.name) == MAX_HEADER
    assert len(ev.tokens) <= MAX_HEADER
    assert header_tokens(header) == header_tokens(header[:MAX_HEADER])


def test_a_huge_value_is_profiled_by_its_length_and_bounded_prefix() -> None:
    huge = "a" * 1_000_000
    ev = column_evidence("memo", [huge, "ok"], "data_mode", CATALOG)
    assert ev.regex_hits is not None
    assert ev.regex_hits["finance.memo"] <= 0.5  # the huge value is a miss, unmatched
    assert ev.sketch is not None and ev.sketch.length is not None
    assert ev.sketch.length.max == 1_000_000
    assert ev.sketch.chars is not None and ev.sketch.chars.letter == 1.0
    assert unit_cues("memo", [huge]).units == ()


def test_control_characters_and_none_are_handled() -> None:
    header = "\x00amt\x07\u200b_\x1bdt\r\n"
    assert header_tokens(header) == ("amount", "date")
    values = ["\x00\x01", None, "\x1b[0m", "12\x00kg", "\ud800"]
    ev = column_evidence(header, values, "data_mode", CATALOG)
    assert ev.sketch is not None and ev.sketch.chars is not None
    assert ev.sketch.chars.other > 0
    ev.to_json()


def test_a_long_sample_counts_to_its_bound() -> None:
    values = ["1 kg"] * (MAX_VALUES * 3)
    sketch = value_sketch(values, "data_mode")
    assert sketch is not None and sketch.count == MAX_VALUES
    assert unit_cues("w", values).cues[0].share == 1.0


@given(st.lists(st.one_of(st.none(), st.text(max_size=40)), max_size=30))
def test_any_sample_gives_evidence(values: list[str | None]) -> None:
    ev = column_evidence("col", values, "data_mode", CATALOG)
    assert ev.sketch is not None and ev.sketch.count == len(values)
    assert ev.regex_hits is not None and all(0.0 <= s <= 1.0 for s in ev.regex_hits.values())
    assert 0.0 <= ev.sketch.null_share <= 1.0
    assert ColumnEvidence.model_validate_json(ev.to_json()) == ev
