r"""The DSL regex subset (dsl/regex.py): what is accepted, how it is emitted per flavour, what is
refused and where. Emitted forms follow the module docstring: \d \w \s are ASCII classes, ``.``
matches newlines ((?s) except on PostgreSQL, where it is the default), PCRE2 gets (?s-i) and
``\z`` for ``$``, non-printable characters are ``\uXXXX`` on PostgreSQL and ``\x{..}`` elsewhere."""

from __future__ import annotations

import re
import string

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dsl.regex import MAX_REPEAT, Flavor, RegexError, emit, parse_regex

FLAVORS: tuple[Flavor, ...] = ("rust", "re2", "postgres", "pcre2")
PREFIX = {"rust": "(?s)", "re2": "(?s)", "postgres": "", "pcre2": "(?s-i)"}

# (pattern, body as emitted for every flavour when anchors and prefix are set aside)
SAME_BODY = [
    (r"\d+", "[0-9]+"),
    (r"\D", "[^0-9]"),
    (r"\w+", "[0-9A-Z_a-z]+"),
    (r"\W", "[^0-9A-Z_a-z]"),
    (r"\S", r"[^\t\n{vt}{ff}\r ]"),
    (".", "."),
    (r"a\.b\*", r"a\.b\*"),
    ("(?:ab)+c", "(?:ab)+c"),
    ("(a|b)c", "(a|b)c"),
    ("[^a-c]", "[^a-c]"),
    ("[a-cx0-3]", "[0-3a-cx]"),
    ("x{2,5}", "x{2,5}"),
    ("x{3}", "x{3}"),
    ("x{2,}", "x{2,}"),
    (f"x{{0,{MAX_REPEAT}}}", f"x{{0,{MAX_REPEAT}}}"),
    ("é+ß", "é+ß"),
    (r"[\]\-]", r"[\-\]]"),
    (r"\t\n\r", r"\t\n\r"),
    ("a\tb", r"a\tb"),
]
VT = {"postgres": r"\u000b", "rust": r"\x{b}", "re2": r"\x{b}", "pcre2": r"\x{b}"}
FF = {"postgres": r"\u000c", "rust": r"\x{c}", "re2": r"\x{c}", "pcre2": r"\x{c}"}


@pytest.mark.parametrize("flavor", FLAVORS)
@pytest.mark.parametrize(("pattern", "body"), SAME_BODY, ids=[p for p, _ in SAME_BODY])
def test_emitted_body(pattern: str, body: str, flavor: Flavor) -> None:
    expected = body.replace("{vt}", VT[flavor]).replace("{ff}", FF[flavor])
    assert emit(parse_regex(pattern), flavor) == PREFIX[flavor] + expected


@pytest.mark.parametrize(
    ("pattern", "flavor", "emitted"),
    [
        (r"^\d+$", "rust", r"(?s)^[0-9]+$"),
        (r"^\d+$", "re2", r"(?s)^[0-9]+$"),
        (r"^\d+$", "postgres", r"^[0-9]+$"),
        (r"^\d+$", "pcre2", r"(?s-i)^[0-9]+\z"),
        ("^a|b$", "pcre2", r"(?s-i)^(?:a|b)\z"),
        ("^a|b$", "postgres", "^(?:a|b)$"),
        ("a|b", "rust", "(?s)a|b"),
        (r"a\$", "pcre2", r"(?s-i)a\$"),
        (r"\s", "postgres", r"[\t\n\u000b\u000c\r ]"),
        (r"\s", "rust", r"(?s)[\t\n\x{b}\x{c}\r ]"),
        (r"\s", "pcre2", r"(?s-i)[\t\n\x{b}\x{c}\r ]"),
        ("a\x0bb", "postgres", r"a\u000bb"),
        ("a\x0bb", "rust", r"(?s)a\x{b}b"),
        ("a\x0bb", "re2", r"(?s)a\x{b}b"),
        ("a\x0bb", "pcre2", r"(?s-i)a\x{b}b"),
        ("\x0bA", "postgres", r"\u000bA"),
        ("\u00a0", "postgres", r"\u00a0"),
        ("\u00a0", "rust", r"(?s)\x{a0}"),
    ],
)
def test_emitted_pattern(pattern: str, flavor: Flavor, emitted: str) -> None:
    assert emit(parse_regex(pattern), flavor) == emitted


@pytest.mark.parametrize(
    ("pattern", "groups", "nullable", "anchored"),
    [
        ("(a)(?:b)(c)", 2, False, (False, False)),
        ("a*", 0, True, (False, False)),
        ("^a+$", 0, False, (True, True)),
        (r"^([0-9]{4})-([0-9]{2})", 2, False, (True, False)),
        (r"^\s*(\S+)\s+(\S+)\s*$", 2, False, (True, True)),
        (r"a\$", 0, False, (False, False)),
        ("(ab?)", 1, False, (False, False)),
    ],
)
def test_parsed_facts(
    pattern: str, groups: int, nullable: bool, anchored: tuple[bool, bool]
) -> None:
    regex = parse_regex(pattern)
    assert (regex.groups, regex.nullable) == (groups, nullable)
    assert (regex.anchored_start, regex.anchored_end) == anchored


REFUSED = [
    "[!-/]", "[a-Z]", "[0-z]", "[α-ω]", "[A-z]",
    f"a{{{MAX_REPEAT + 1}}}", f"a{{0,{MAX_REPEAT + 1}}}", f"a{{{MAX_REPEAT + 1},}}", "a{2,1}",
    r"(\w+)\1", "a(?=b)", "a(?!b)", "(?<=a)b", "(?<!a)b", "(?P<n>a)", "(?<n>a)", "(?i)abc",
    "a*?", "a+?", "a??", "a{2}?", "a++", "a*+",
    r"\b", r"\B", r"\A", r"\z", r"\Z", r"\p{L}", r"\x41", r"\101", "[[:alpha:]]",
    "a^b", "a$b", "(a|ab)", "x*(xy)?", "(a+)+$", "(|a)b", "(a?)*", "a|", "(a*)+",
    "", "(a", "a)", "[a", "[]", "*a", "a**", "\\",
]  # fmt: skip


@pytest.mark.parametrize("pattern", REFUSED)
def test_refused(pattern: str) -> None:
    with pytest.raises(RegexError):
        parse_regex(pattern)


def test_length_limit() -> None:
    parse_regex("a" * 1000)
    with pytest.raises(RegexError):
        parse_regex("a" * 1001)
    with pytest.raises(RegexError):
        parse_regex("abcd", max_length=3)


@pytest.mark.parametrize(
    ("pattern", "position"),
    [
        ("ab(?=c)", 2),
        ("a*?", 2),
        (r"(a)\1", 3),
        ("abc)", 3),
        (r"xy\b", 2),
        ("a{1001}", 1),
        ("(?i)a", 0),
        ("^ab)", 3),
        ("^a(?=b)", 2),
        (r"^ab\1", 3),
    ],
)
def test_error_position_is_the_offset_in_the_pattern(pattern: str, position: int) -> None:
    with pytest.raises(RegexError) as caught:
        parse_regex(pattern)
    assert caught.value.position == position
    assert f"offset {position}" in str(caught.value)


_BRACED = re.compile(r"\\x\{([0-9a-f]+)\}")
TOKENS = [
    "a", "b", "x", "0", "9", ".", "(", ")", "(?:", "|", "*", "+", "?", "{2}", "{1,3}", "[", "]",
    "^", "$", "-", r"\d", r"\w", r"\s", r"\S", "[a-z]", "[^0-9]", r"\.", "\\",
]  # fmt: skip
ALPHABET = string.ascii_letters + string.digits + string.punctuation


@settings(max_examples=200, database=None, deadline=None)
@given(
    st.one_of(
        st.text(alphabet=ALPHABET, max_size=24),
        st.lists(st.sampled_from(TOKENS), max_size=12).map("".join),
    )
)
def test_accepted_patterns_emit_valid_syntax(pattern: str) -> None:
    """Syntax sanity only: the Rust form compiles with Python's re (after translating Rust's
    braced \\x{..} escape, which Python spells \\U........)."""
    try:
        regex = parse_regex(pattern)
    except RegexError as e:
        assert 0 <= e.position <= len(pattern)
        return
    rust = emit(regex, "rust")
    assert rust.startswith("(?s)")
    body = _BRACED.sub(lambda m: f"\\U{int(m[1], 16):08x}", rust.removeprefix("(?s)"))
    re.compile(body)
