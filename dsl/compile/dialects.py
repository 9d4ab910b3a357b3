"""SQL dialects as tables of primitives, each an ``sqlglot.exp`` tree with the DSL's meaning.

sqlglot's own nodes for regexes and dates transpile to functions some engines lack
(``REGEXP_EXTRACT`` on PostgreSQL, ``REGEXP_LIKE`` on MariaDB, ``DATE_FROM_PARTS``...), so those
primitives are spelled here per engine as named function calls; everything else is a plain
sqlglot node. A primitive an engine cannot do exactly raises NotExpressible.

Executed in tests: PostgreSQL, DuckDB, MariaDB (``mysql``), SQLite. Snowflake and BigQuery get
only the ops whose SQL is the standard one (trim, case, concat, map_dict); they are generated,
never executed here, and every other op raises NotExpressible for them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from sqlglot import exp

from dsl.errors import NotExpressible
from dsl.regex import Flavor, Regex, emit

__all__ = ["Dialect", "DIALECTS", "DialectName", "fn", "lit", "num", "op2"]

DialectName = Literal["postgres", "duckdb", "mysql", "sqlite", "snowflake", "bigquery"]


def fn(name: str, *args: exp.Expr) -> exp.Expr:
    """A function call spelled exactly ``name``."""
    return exp.Anonymous(this=name, expressions=list(args))


def lit(text: str) -> exp.Expr:
    return exp.Literal.string(text)


def num(value: int | str) -> exp.Expr:
    return exp.Literal.number(value)


def op2(node: type[exp.Binary], a: exp.Expr, b: exp.Expr) -> exp.Expr:
    """A binary node with its operands parenthesized where needed: sqlglot prints trees as they
    are built and adds no parentheses of its own."""

    def wrap(e: exp.Expr) -> exp.Expr:
        return exp.Paren(this=e) if isinstance(e, (exp.Binary, exp.Connector, exp.Not)) else e

    return node(this=wrap(a), expression=wrap(b))


@dataclass(frozen=True)
class Dialect:
    """What one SQL engine needs to express the DSL."""

    name: DialectName
    flavor: Flavor | None  # regex flavour; None: no regex support
    has_decimal: bool = True
    executed: bool = True  # run by the tests on a real engine

    def need(self, what: str, ok: bool, op: str) -> None:
        if not ok:
            raise NotExpressible(op, self.name, what)

    def pattern(self, regex: Regex, op: str, *, internal: bool = False) -> exp.Expr:
        """``regex`` as a string literal in this engine's flavour.

        MariaDB's PCRE2 searches by trying every start position with a backtracking matcher:
        an unanchored pattern that runs long and then fails (``a+$`` on a megabyte of ``a``) is
        quadratic. So user patterns must start with ``^`` there; the compilers' own patterns
        (``internal``) fail or succeed at their first character and stay linear.
        """
        self.need("it has no regular expressions", self.flavor is not None, op)
        assert self.flavor is not None
        if self.name == "mysql" and not internal:
            self.need(
                "PCRE2 search is quadratic on unanchored patterns; anchor the pattern with ^",
                regex.anchored_start,
                op,
            )
        return lit(emit(regex, self.flavor))

    # ---- regexes ---------------------------------------------------------------------------

    def matches(self, s: exp.Expr, regex: Regex, op: str, *, internal: bool = False) -> exp.Expr:
        """TRUE when ``regex`` matches somewhere in ``s`` (NULL for NULL)."""
        p = self.pattern(regex, op, internal=internal)
        if self.name == "postgres":
            return fn("regexp_like", s, p)
        if self.name == "duckdb":
            return fn("regexp_matches", s, p)
        if self.name == "mysql":
            return op2(exp.GT, fn("REGEXP_INSTR", s, p), num(0))
        raise NotExpressible(op, self.name, "regex matching is not verified on this engine")

    def extract(
        self, s: exp.Expr, regex: Regex, group: int, op: str, *, internal: bool = False
    ) -> exp.Expr:
        """Group ``group`` of the leftmost match; NULL without a match; '' for a group that
        took no part."""
        p = self.pattern(regex, op, internal=internal)
        hit = self.matches(s, regex, op, internal=internal)
        if self.name == "postgres":
            if group == 0:
                got: exp.Expr = fn("regexp_substr", s, p)
            else:
                sub = fn("regexp_substr", s, p, num(1), num(1), lit(""), num(group))
                got = exp.Coalesce(this=sub, expressions=[lit("")])
        elif self.name == "duckdb":
            got = fn("regexp_extract", s, p, num(group))
        else:  # mysql: REGEXP_SUBSTR has no group argument; rewrite the whole string instead
            assert self.flavor is not None
            if group == 0:
                got = fn("REGEXP_SUBSTR", s, p)
            else:
                self.need("groups above 9", group <= 9, op)
                whole = _around(regex, self.flavor)
                got = fn("REGEXP_REPLACE", s, lit(whole), lit(f"\\{group}"))
        return exp.Case(ifs=[exp.If(this=hit, true=got)])

    def replace_all(
        self, s: exp.Expr, regex: Regex, replacement: str, op: str, *, internal: bool = False
    ) -> exp.Expr:
        p = self.pattern(regex, op, internal=internal)
        if self.name in ("postgres", "duckdb"):
            return fn("regexp_replace", s, p, lit(replacement), lit("g"))
        if self.name == "mysql":
            return fn("REGEXP_REPLACE", s, p, lit(replacement))
        raise NotExpressible(op, self.name, "regex replacement is not verified on this engine")

    def split_part(self, s: exp.Expr, regex: Regex, index: int, op: str) -> exp.Expr:
        p = self.pattern(regex, op)
        if self.name == "postgres":
            array = exp.Paren(this=fn("regexp_split_to_array", s, p))
            return exp.Bracket(this=array, expressions=[num(index)])
        if self.name == "duckdb":
            return fn("list_extract", fn("string_split_regex", s, p), num(index + 1))
        raise NotExpressible(op, self.name, "no regex split function")

    # ---- strings ---------------------------------------------------------------------------

    def trim(self, s: exp.Expr, chars: str, side: str, op: str) -> exp.Expr:
        if self.name == "mysql":
            # Only ^-anchored patterns (linear in PCRE2): the right end is trimmed reversed.
            leading = lit("(?-i)^[" + "".join(_pcre_char(c) for c in chars) + "]+")
            out = s
            if side in ("both", "left"):
                out = fn("REGEXP_REPLACE", out, leading, lit(""))
            if side in ("both", "right"):
                out = fn("REVERSE", fn("REGEXP_REPLACE", fn("REVERSE", out), leading, lit("")))
            return out
        name = {"both": "btrim" if self.name == "postgres" else "trim", "left": "ltrim"}
        name["right"] = "rtrim"
        if self.name in ("snowflake", "bigquery") and side == "both":
            name["both"] = "trim"
        return fn(name[side], s, lit(chars))

    def split_literal(self, s: exp.Expr, sep: str, k: int) -> exp.Expr:
        """Field ``k`` (1-based) of ``s`` split on the literal ``sep``."""
        if self.name == "mysql":
            head = fn("SUBSTRING_INDEX", s, lit(sep), num(k))
            return fn("SUBSTRING_INDEX", head, lit(sep), num(-1))
        self.need("no split_part", self.name in ("postgres", "duckdb"), "date_parse")
        return fn("split_part", s, lit(sep), num(k))

    def ascii_case(self, s: exp.Expr, to: str) -> exp.Expr:
        """ASCII-only upper or lower case. Where the engine's own mapping is fast, strings that
        are pure ASCII (as many bytes as characters) take it, since it is exact there; the
        others go through TRANSLATE. CASE evaluates only the branch a row needs."""
        lower = "abcdefghijklmnopqrstuvwxyz"
        src, dst = (lower, lower.upper()) if to == "upper" else (lower.upper(), lower)
        mapped = self.translate(s, src, dst)
        if self.name not in ("postgres", "duckdb"):
            return mapped
        size = ("strlen", "length") if self.name == "duckdb" else ("octet_length", "char_length")
        ascii_only = op2(exp.EQ, fn(size[0], s), fn(size[1], s))
        native = fn("upper" if to == "upper" else "lower", self.bytewise(s))
        return exp.Case(ifs=[exp.If(this=ascii_only, true=native)], default=mapped)

    def native_date_parse(self, s: exp.Expr, shape: Regex, fmt: str, to: str) -> exp.Expr | None:
        """DuckDB's strptime reads strings of the format's shape exactly as the DSL defines
        (impossible dates are NULL, %y pivots at 69); year 0 (1 BC there) is filtered out.
        Other engines' parsers are lenient: they take the generic path (None)."""
        if self.name != "duckdb":
            return None
        parsed = fn("try_strptime", s, lit(fmt))
        first = exp.Cast(this=lit("0001-01-01"), to=exp.DataType.build("TIMESTAMP"))
        ok = exp.and_(
            self.matches(s, shape, "date_parse", internal=True), op2(exp.GTE, parsed, first)
        )
        value = exp.Cast(
            this=parsed, to=exp.DataType.build("DATE" if to == "date" else "TIMESTAMP")
        )
        return exp.Case(ifs=[exp.If(this=ok, true=value)])

    @property
    def exact_decimal_cast(self) -> bool:
        """Whether casting a decimal string to ``decimal(p,s)`` rounds half away from zero on
        all its digits and gives NULL on overflow, as the DSL defines (DuckDB's TRY_CAST)."""
        return self.name == "duckdb"

    @property
    def cast_nulls_overflow(self) -> bool:
        """Whether ``cast`` gives NULL (not an error or a wrapped value) on overflow."""
        return self.name == "duckdb"  # TRY_CAST

    def translate(self, s: exp.Expr, source: str, target: str) -> exp.Expr:
        if self.name == "mysql":  # no TRANSLATE; REPLACE is case-sensitive whatever the collation
            out = s
            for a, b in zip(source, target, strict=True):
                out = fn("REPLACE", out, lit(a), lit(b))
            return out
        if self.name == "sqlite":  # SQLite's upper()/lower() map ASCII letters only
            return fn("upper" if source.islower() else "lower", s)
        return fn("translate", s, lit(source), lit(target))

    def concat(self, parts: Sequence[exp.Expr]) -> exp.Expr:
        """Concatenation that is NULL when any part is NULL."""
        if self.name == "mysql":
            return fn("CONCAT", *parts)
        out = parts[0]
        for part in parts[1:]:
            out = exp.DPipe(this=out, expression=part, safe=True)
        return out

    def equals_exactly(self, s: exp.Expr, value: str) -> exp.Expr:
        """Byte-for-byte equality (MariaDB's default collations ignore case and accents)."""
        if self.name == "mysql":
            binary = exp.DataType.build("BINARY", dialect="mysql")
            return op2(exp.EQ, exp.Cast(this=s, to=binary), exp.Cast(this=lit(value), to=binary))
        return op2(exp.EQ, self.bytewise(s), lit(value))

    def bytewise(self, s: exp.Expr) -> exp.Expr:
        """On PostgreSQL, ``s`` under the C collation: a column's own collation (an ICU
        Turkish one, a non-deterministic one) would change case mapping and equality."""
        if self.name != "postgres":
            return s
        return exp.Collate(this=s, expression=exp.Column(this=exp.to_identifier("C", quoted=True)))

    def in_exactly(self, s: exp.Expr, values: Sequence[str]) -> exp.Expr:
        """``s`` equals one of ``values`` byte for byte (see ``equals_exactly``)."""
        if self.name == "mysql":
            binary = exp.DataType.build("BINARY", dialect="mysql")
            return exp.In(
                this=exp.Cast(this=s, to=binary),
                expressions=[exp.Cast(this=lit(v), to=binary) for v in values],
            )
        return exp.In(this=self.bytewise(s), expressions=[lit(v) for v in values])

    def lpad(self, s: exp.Expr, width: int) -> exp.Expr:
        self.need("no lpad", self.name != "sqlite", "date_format")
        return fn("lpad", s, num(width), lit("0"))

    # ---- types -----------------------------------------------------------------------------

    def cast(self, value: exp.Expr, sql_type: str) -> exp.Expr:
        to = exp.DataType.build(sql_type)
        if self.name == "duckdb":  # DuckDB may fold a guarded CAST of a constant and raise
            return exp.TryCast(this=value, to=to)
        return exp.Cast(this=value, to=to)

    def widen(
        self, v: exp.Expr, precision: int, scale: int, other_precision: int, op: str
    ) -> exp.Expr:
        """Make ``v`` (a decimal of ``precision, scale``) safe to multiply by a decimal of
        ``other_precision`` digits. DuckDB multiplies in the physical width of its inputs and
        raises on overflow, so it gets the full 38 digits; other engines need nothing."""
        if self.name != "duckdb":
            return v
        self.need("the product needs more than 38 digits", precision + other_precision <= 38, op)
        return self.cast(v, f"DECIMAL({38 - other_precision}, {scale})")

    def text(self) -> str:
        return {"mysql": "CHAR", "duckdb": "VARCHAR"}.get(self.name, "TEXT")

    def decimal_type(self, precision: int, scale: int, op: str) -> str:
        self.need("it has no exact decimal type", self.has_decimal, op)
        return f"DECIMAL({precision}, {scale})"

    def integer_type(self) -> str:
        return "BIGINT"  # sqlglot writes SIGNED for MariaDB

    def make_date(self, y: exp.Expr, m: exp.Expr, d: exp.Expr, op: str) -> exp.Expr:
        if self.name in ("postgres", "duckdb"):
            return fn("make_date", y, m, d)
        if self.name == "mysql":
            text = fn(
                "CONCAT",
                fn("LPAD", y, num(4), lit("0")),
                lit("-"),
                fn("LPAD", m, num(2), lit("0")),
                lit("-"),
                fn("LPAD", d, num(2), lit("0")),
            )
            return exp.Cast(this=text, to=exp.DataType.build("DATE"))
        raise NotExpressible(op, self.name, "dates are not verified on this engine")

    def make_timestamp(self, parts: list[exp.Expr], op: str) -> exp.Expr:
        y, m, d, hh, mi, ss = parts
        if self.name in ("postgres", "duckdb"):
            seconds = exp.Cast(this=ss, to=exp.DataType.build("DOUBLE"))
            return fn("make_timestamp", y, m, d, hh, mi, seconds)
        if self.name == "mysql":
            pieces: list[exp.Expr] = []
            for value, width, sep in ((y, 4, "-"), (m, 2, "-"), (d, 2, " "), (hh, 2, ":")):
                pieces += [fn("LPAD", value, num(width), lit("0")), lit(sep)]
            pieces += [fn("LPAD", mi, num(2), lit("0")), lit(":"), fn("LPAD", ss, num(2), lit("0"))]
            return exp.Cast(this=fn("CONCAT", *pieces), to=exp.DataType.build("DATETIME"))
        raise NotExpressible(op, self.name, "timestamps are not verified on this engine")

    def date_part(self, unit: str, value: exp.Expr) -> exp.Expr:
        extracted: exp.Expr = exp.Extract(this=exp.var(unit), expression=value)
        if unit == "SECOND":  # PostgreSQL's has the fraction (59.7): whole seconds, not rounded
            extracted = exp.Floor(this=extracted)
        return exp.Cast(this=extracted, to=exp.DataType.build(self.integer_type()))


def _pcre_char(c: str) -> str:
    return {"\t": "\\t", "\n": "\\n", "\r": "\\r", "\v": "\\x{b}", "\f": "\\x{c}"}.get(c, c)


def _around(regex: Regex, flavor: Flavor) -> str:
    """``regex`` inside a pattern that matches the whole string, so that REGEXP_REPLACE with a
    group reference returns that group of the leftmost match."""
    inner = emit(regex, flavor)
    prefix = "(?s-i)"
    body = inner.removeprefix(prefix)
    lead = "" if regex.anchored_start else ".*?"
    tail = "" if regex.anchored_end else ".*\\z"
    return f"{prefix}^{lead}(?:{body.removeprefix('^')}){tail}"


DIALECTS: dict[DialectName, Dialect] = {
    d.name: d
    for d in (
        Dialect("postgres", "postgres"),
        Dialect("duckdb", "re2"),
        Dialect("mysql", "pcre2"),
        Dialect("sqlite", None, has_decimal=False),
        Dialect("snowflake", None, executed=False),
        Dialect("bigquery", None, executed=False),
    )
}
