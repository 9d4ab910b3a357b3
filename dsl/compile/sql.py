"""Compile a pipeline to a SQL expression (an ``sqlglot.exp`` tree) for one dialect.

``TRANSFORMS`` maps each op class to the function that compiles it; a test asserts every op has
an entry. Each function takes the op, the current value (one expression per column) and the
dialect, and returns the new value. Identifiers are always quoted; nothing is pasted as text.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any

from sqlglot import exp

from dsl.compile.dialects import DIALECTS, Dialect, DialectName, fn, lit, num, op2
from dsl.compile.shapes import (
    BOOL_FALSE,
    BOOL_TRUE,
    DECIMAL_FRACTION_DIGITS,
    INT64_MAX,
    INT64_MIN,
    ISO_FORMATS,
    WHITESPACE,
    date_shape,
    decimal_shape,
    float_shape,
    integer_shape,
    largest,
)
from dsl.errors import NotExpressible
from dsl.ops import (
    Case,
    CollapseWhitespace,
    Concat,
    DateFormat,
    DateParse,
    MapDict,
    OpBase,
    RegexExtract,
    RegexSplit,
    SafeMath,
    SelectWhen,
    Trim,
    TypeCast,
    UnitConvert,
)
from dsl.ops.cast import NumberFormat
from dsl.ops.numeric import decimal_of, literal_type
from dsl.ops.temporal import tokenize
from dsl.pipeline import Pipeline, value_types
from dsl.regex import parse_regex
from dsl.types import DType
from dsl.units import conversion

__all__ = ["TRANSFORMS", "compile_sql", "compile_sql_steps", "select_sql"]

Values = list[exp.Expr]
Transform = Callable[[Any, Values, list[DType], Dialect], Values]

_LOWER = "abcdefghijklmnopqrstuvwxyz"
_UPPER = _LOWER.upper()
_COLLAPSE = parse_regex(r"\s+")  # \s is the DSL whitespace: ASCII only


def _each(values: Values, f: Callable[[exp.Expr], exp.Expr]) -> Values:
    return [f(v) for v in values]


def _case(when: exp.Expr, then: exp.Expr, default: exp.Expr | None = None) -> exp.Expr:
    return exp.Case(ifs=[exp.If(this=when, true=then)], default=default)


def _is_null(v: exp.Expr) -> exp.Expr:
    return exp.Is(this=v, expression=exp.Null())


def _trim(op: Trim, values: Values, types: list[DType], d: Dialect) -> Values:
    return _each(values, lambda v: d.trim(v, WHITESPACE, op.side, "trim"))


def _letter_case(op: Case, values: Values, types: list[DType], d: Dialect) -> Values:
    return _each(values, lambda v: d.ascii_case(v, op.to))


def _collapse(op: CollapseWhitespace, values: Values, types: list[DType], d: Dialect) -> Values:
    return _each(
        values, lambda v: d.replace_all(v, _COLLAPSE, " ", "collapse_whitespace", internal=True)
    )


def _extract(op: RegexExtract, values: Values, types: list[DType], d: Dialect) -> Values:
    regex = parse_regex(op.pattern)
    return _each(values, lambda v: d.extract(v, regex, op.group, "regex_extract"))


def _split(op: RegexSplit, values: Values, types: list[DType], d: Dialect) -> Values:
    regex = parse_regex(op.pattern)
    return _each(values, lambda v: d.split_part(v, regex, op.index, "regex_split"))


def _concat(op: Concat, values: Values, types: list[DType], d: Dialect) -> Values:
    sep = lit(op.separator)
    if not op.skip_nulls:
        parts: Values = []
        for v in values:
            parts += [sep, v] if parts else [v]
        return [d.concat(parts)]
    # Skip NULL columns: each column brings its separator; the first separator is cut off.
    pieces = [exp.Coalesce(this=d.concat([sep, v]), expressions=[lit("")]) for v in values]
    joined = d.concat(pieces)
    cut = fn("substr", joined, num(len(op.separator) + 1)) if op.separator else joined
    all_null = exp.and_(*[_is_null(v) for v in values])
    return [_case(all_null, exp.Null(), cut)]


def _map_dict(op: MapDict, values: Values, types: list[DType], d: Dialect) -> Values:
    def one(v: exp.Expr) -> exp.Expr:
        ifs = [exp.If(this=d.equals_exactly(v, k), true=lit(val)) for k, val in op.mapping.items()]
        default: exp.Expr = (
            v if op.keep_unmapped else (lit(op.default) if op.default is not None else exp.Null())
        )
        return _case(_is_null(v), exp.Null(), exp.Case(ifs=ifs, default=default))

    return _each(values, one)


def _decimal_lit(value: Decimal) -> exp.Expr:
    t = literal_type(value)
    return exp.Cast(
        this=num(format(value, "f")), to=exp.DataType.build(f"DECIMAL({t.precision}, {t.scale})")
    )


def _fits(rounded: exp.Expr, precision: int, scale: int, d: Dialect) -> exp.Expr:
    """Whether a value already rounded to ``scale`` fits ``decimal(precision, scale)``: its
    integer part has at most ``precision - scale`` digits. Comparing integer parts never makes
    an engine narrow the value to the literal's type (DuckDB would, and raise on overflow).
    Where the cast itself gives NULL on overflow the check is left to it."""
    if d.cast_nulls_overflow:
        return exp.true()
    whole = (
        fn("TRUNCATE", exp.Abs(this=rounded), num(0))
        if d.name == "mysql"
        else fn("trunc", exp.Abs(this=rounded))
    )
    nines = int(largest(precision - scale, 0)) if precision > scale else 0
    return op2(exp.LTE, whole, _decimal_lit(Decimal(nines)))


def _round_checked(value: exp.Expr, target: DType, d: Dialect, op: str) -> exp.Expr:
    """ROUND half away from zero to the target's scale; NULL if it does not fit the target."""
    rounded = exp.Round(this=value, decimals=num(target.scale))
    fits = _fits(rounded, target.precision, target.scale, d)
    return _case(fits, d.cast(rounded, d.decimal_type(target.precision, target.scale, op)))


def _as_decimal(v: exp.Expr, dtype: DType, d: Dialect, op: str) -> exp.Expr:
    if dtype.kind == "integer":
        return d.cast(v, d.decimal_type(19, 0, op))
    return v


def _unit_convert(op: UnitConvert, values: Values, types: list[DType], d: Dialect) -> Values:
    c = conversion(op.from_unit, op.to_unit)
    factor = literal_type(c.a)
    out = []
    for v, t in zip(values, types, strict=True):
        x_type = decimal_of(t)
        x = d.widen(
            _as_decimal(v, t, d, "unit_convert"),
            x_type.precision,
            x_type.scale,
            factor.precision,
            "unit_convert",
        )
        x = op2(exp.Mul, x, _decimal_lit(c.a))
        if c.b:
            x = op2(exp.Add, x, _decimal_lit(c.b))
        out.append(_round_checked(x, op.result(t), d, "unit_convert"))
    return out


def _safe_math(op: SafeMath, values: Values, types: list[DType], d: Dialect) -> Values:
    operands = [_as_decimal(v, t, d, "safe_math") for v, t in zip(values, types, strict=True)]
    kinds = [decimal_of(t) for t in types]
    if op.operand is not None:
        operands.append(_decimal_lit(op.operand))
        kinds.append(literal_type(op.operand))
    if op.operator == "mul":
        operands[0] = d.widen(
            operands[0], kinds[0].precision, kinds[0].scale, kinds[1].precision, "safe_math"
        )
    if op.nulls == "zero":
        operands = [exp.Coalesce(this=v, expressions=[num(0)]) for v in operands]
    a, b = operands
    target = op.output(tuple(types))[0]
    if op.operator == "div":
        k = op.max_scale(types)
        a = d.widen(a, kinds[0].precision, kinds[0].scale, k + 1, "safe_math")
        b = d.widen(b, kinds[1].precision, kinds[1].scale, k + 1, "safe_math")
        return [_divide(a, b, target, k, d)]
    node = {"add": exp.Add, "sub": exp.Sub, "mul": exp.Mul}[op.operator]
    return [_round_checked(node(this=a, expression=b), target, d, "safe_math")]


def _divide(a: exp.Expr, b: exp.Expr, target: DType, k: int, d: Dialect) -> exp.Expr:
    """a / b rounded half away from zero at the target scale, exactly: scaled integers.

    With A = a * 10^k and B = b * 10^k (k the larger scale of the two, so both are integers), the
    quotient scaled by 10^scale is N / D with N = |A| * 10^scale and D = |B|, rounded as
    floor((2N + D) / 2D); the sign is applied afterwards. Division by zero gives NULL.
    """
    scale = target.scale
    d.need("exact division needs 128-bit integers", d.name in ("postgres", "duckdb"), "safe_math")
    big = "HUGEINT" if d.name == "duckdb" else "NUMERIC(76, 0)"
    scale_k = _decimal_lit(Decimal(10) ** k)

    def scaled(v: exp.Expr) -> exp.Expr:
        return d.cast(exp.Abs(this=op2(exp.Mul, v, scale_k)), big)

    n = op2(exp.Mul, scaled(a), d.cast(num(10**scale), big))
    den = scaled(b)
    two = d.cast(num(2), big)
    numerator = op2(exp.Add, op2(exp.Mul, two, n), den)
    if d.name == "postgres":  # div() truncates; both operands are non-negative, so it floors
        q = fn("div", numerator, op2(exp.Mul, two, den))
    else:
        q = op2(exp.IntDiv, numerator, op2(exp.Mul, two, den))
    sign = op2(exp.Mul, fn("sign", a), fn("sign", b))
    # Multiply by 10^-scale (exact) rather than divide: engines give division their own scale.
    value = op2(
        exp.Mul,
        d.cast(op2(exp.Mul, q, sign), d.decimal_type(38, 0, "safe_math")),
        _decimal_lit(Decimal(1).scaleb(-scale)),
    )
    zero = op2(exp.EQ, b, num(0))
    return _case(
        op2(exp.Or, zero, _is_null(b)), exp.Null(), _round_checked(value, target, d, "safe_math")
    )


# ---- dates --------------------------------------------------------------------------------


def _int(v: exp.Expr, d: Dialect) -> exp.Expr:
    """A date field as a 32-bit integer (PostgreSQL's make_date takes nothing wider)."""
    return d.cast(v, "INT")


def _between(v: exp.Expr, low: int, high: exp.Expr | int) -> exp.Expr:
    top = num(high) if isinstance(high, int) else high
    return exp.and_(op2(exp.GTE, v, num(low)), op2(exp.LTE, v, top))


def _days_in_month(y: exp.Expr, m: exp.Expr) -> exp.Expr:
    def mod(a: exp.Expr, n: int) -> exp.Expr:
        return op2(exp.Mod, a, num(n))

    leap = exp.and_(
        op2(exp.EQ, mod(y, 4), num(0)),
        exp.or_(op2(exp.NEQ, mod(y, 100), num(0)), op2(exp.EQ, mod(y, 400), num(0))),
    )
    return exp.Case(
        ifs=[
            exp.If(
                this=exp.In(this=m, expressions=[num(x) for x in (1, 3, 5, 7, 8, 10, 12)]),
                true=num(31),
            ),
            exp.If(this=exp.In(this=m, expressions=[num(x) for x in (4, 6, 9, 11)]), true=num(30)),
            exp.If(this=leap, true=num(29)),
        ],
        default=num(28),
    )


def _parse_one(
    v: exp.Expr, fmt: str, to: str, d: Dialect, *, fixed_width: bool = False
) -> exp.Expr:
    """One format: a matching string is rewritten by one regex to ``Y|m|d|H|M|S``; the fields
    are read back with split_part (no further regex work), checked as a calendar date, and the
    date is built from them. Hours, minutes and seconds were range-checked by the shape."""
    shape = date_shape(fmt, fixed_width=fixed_width)
    native = d.native_date_parse(v, shape.regex, fmt, to)
    if native is not None:
        return native
    hit = d.matches(v, shape.regex, "date_parse", internal=True)
    rewritten = d.replace_all(v, shape.regex, shape.template(), "date_parse", internal=True)
    canonical = _case(hit, rewritten)
    bound = _bind_once(canonical, d)
    if bound is not None:
        name, wrap = bound
        canonical = exp.column(name, quoted=True)
    field = [_int(d.split_literal(canonical, "|", k + 1), d) for k in range(6)]
    y, m, day = field[0], field[1], field[2]
    if shape.two_digit_year:
        y = _case(op2(exp.LTE, y, num(68)), op2(exp.Add, y, num(2000)), op2(exp.Add, y, num(1900)))
    valid = exp.and_(
        _between(y, 1, 9999), _between(m, 1, 12), _between(day, 1, _days_in_month(y, m))
    )
    # Guarded values: engines may evaluate make_date before CASE filters the row.
    safe = [_case(valid, part, num(1)) for part in (y, m, day, *field[3:])]
    built = (
        d.make_date(safe[0], safe[1], safe[2], "date_parse")
        if to == "date"
        else d.make_timestamp(safe, "date_parse")
    )
    parsed = _case(valid, built)
    return parsed if bound is None else wrap(parsed)


_BOUND = "__conduit_canonical"


def _bind_once(value: exp.Expr, d: Dialect) -> tuple[str, Callable[[exp.Expr], exp.Expr]] | None:
    """On PostgreSQL, ``value`` computed once for an expression that reads it many times:
    ``(SELECT <expr> FROM (SELECT <value> AS c OFFSET 0) b)``, the expression reading ``c``.
    A date format reads its rewritten string in every field and every calendar check (over
    ninety regex evaluations per value when pasted; two when bound). ``OFFSET 0`` keeps the
    planner from pasting it back. Other engines get the pasted form (None)."""
    if d.name != "postgres":
        return None

    def wrap(expression: exp.Expr) -> exp.Expr:
        inner = exp.select(exp.alias_(value, _BOUND, quoted=True)).offset(0)
        query = exp.select(expression).from_(exp.alias_(exp.Subquery(this=inner), "b"))
        return exp.Subquery(this=query)

    return _BOUND, wrap


def _date_parse(op: DateParse, values: Values, types: list[DType], d: Dialect) -> Values:
    def one(v: exp.Expr) -> exp.Expr:
        parsed = [_parse_one(v, fmt, op.to, d) for fmt in op.formats]
        return (
            parsed[0] if len(parsed) == 1 else exp.Coalesce(this=parsed[0], expressions=parsed[1:])
        )

    return _each(values, one)


_PARTS = {"Y": ("YEAR", 4), "y": ("YEAR", 2), "m": ("MONTH", 2), "d": ("DAY", 2)}
_PARTS.update({"H": ("HOUR", 2), "M": ("MINUTE", 2), "S": ("SECOND", 2)})


def _date_format(op: DateFormat, values: Values, types: list[DType], d: Dialect) -> Values:
    def one(v: exp.Expr) -> exp.Expr:
        parts: Values = []
        for kind, text in tokenize(op.format):
            if kind == "literal":
                parts.append(lit(text))
                continue
            unit, width = _PARTS[text]
            value = d.date_part(unit, v)
            if text == "y":
                value = op2(exp.Mod, value, num(100))
            parts.append(d.lpad(d.cast(value, d.text()), width))
        return d.concat(parts) if len(parts) > 1 else parts[0]

    return _each(values, one)


# ---- casts --------------------------------------------------------------------------------


def _cast_from_string(v: exp.Expr, target: DType, d: Dialect) -> exp.Expr:
    op = "type_cast"
    if target.kind == "string":
        return v
    if target.kind == "integer":
        # Up to 19 digits by shape; the 64-bit range on the exact number (PostgreSQL would raise
        # on overflow, MariaDB would wrap).
        exact = d.cast(v, d.decimal_type(19, 0, op) if d.has_decimal else "REAL")
        in_range = exp.Between(this=exact, low=num(INT64_MIN), high=num(INT64_MAX))
        shape = d.matches(v, integer_shape(), op, internal=True)
        return _case(shape, _case(in_range, d.cast(v, d.integer_type())))
    if target.kind == "float":
        return _case(d.matches(v, float_shape(), op, internal=True), d.cast(v, "DOUBLE"))
    if target.kind == "decimal":
        shape = d.matches(v, decimal_shape(), op, internal=True)
        if d.exact_decimal_cast:
            return _case(shape, d.cast(v, d.decimal_type(target.precision, target.scale, op)))
        exact = d.cast(v, d.decimal_type(38, DECIMAL_FRACTION_DIGITS, op))
        return _case(shape, _to_decimal(exact, target, d))
    if target.kind == "boolean":
        low = d.translate(v, _UPPER, _LOWER)
        return exp.Case(
            ifs=[
                exp.If(this=d.in_exactly(low, BOOL_TRUE), true=exp.true()),
                exp.If(this=d.in_exactly(low, BOOL_FALSE), true=exp.false()),
            ]
        )
    iso = [_parse_one(v, f, target.kind, d, fixed_width=True) for f in ISO_FORMATS[target.kind]]
    return iso[0] if len(iso) == 1 else exp.Coalesce(this=iso[0], expressions=iso[1:])


def _to_decimal(v: exp.Expr, target: DType, d: Dialect) -> exp.Expr:
    rounded = exp.Round(this=v, decimals=num(target.scale))
    fits = _fits(rounded, target.precision, target.scale, d)
    return _case(fits, d.cast(rounded, d.decimal_type(target.precision, target.scale, "type_cast")))


def _cast_one(v: exp.Expr, source: DType, target: DType, d: Dialect) -> exp.Expr:
    if source.kind == "string":
        return _cast_from_string(v, target, d)
    if target.kind == "string":
        if source.kind == "boolean":
            return _case(_is_null(v), exp.Null(), _case(v, lit("true"), lit("false")))
        return d.cast(v, d.text())
    if target.kind == "decimal":
        return _to_decimal(_as_decimal(v, source, d, "type_cast"), target, d)
    if target.kind == "integer":
        if source.kind == "integer":
            return v
        rounded = exp.Round(this=v, decimals=num(0))
        fits = exp.Between(this=rounded, low=num(INT64_MIN), high=num(INT64_MAX))
        return _case(fits, d.cast(rounded, d.integer_type()))
    if target.kind == "float":
        return d.cast(v, "DOUBLE")
    return d.cast(v, "TIMESTAMP" if target.kind == "timestamp" else "DATE")


def _number_text(v: exp.Expr, fmt: NumberFormat, d: Dialect) -> exp.Expr:
    """Rewrite a formatted number to the plain shape (see dsl.ops.cast), with literal
    replacements only: they mean the same on every engine."""
    out = v
    # exp.Length counts characters everywhere (CHAR_LENGTH on MariaDB, whose LENGTH is bytes).
    if fmt.parentheses:
        wrapped = exp.and_(
            op2(exp.EQ, fn("substr", v, num(1), num(1)), lit("(")),
            op2(exp.EQ, fn("substr", v, exp.Length(this=v), num(1)), lit(")")),
            op2(exp.GTE, exp.Length(this=v), num(2)),
        )
        inner = fn("substr", v, num(2), op2(exp.Sub, exp.Length(this=v), num(2)))
        out = _case(wrapped, d.concat([lit("-"), inner]), v)
    for symbol in sorted(fmt.currency, key=len, reverse=True):
        out = fn("replace", out, lit(symbol), lit(""))
    if fmt.thousands:
        out = fn("replace", out, lit(fmt.thousands), lit(""))
    if fmt.decimal == ",":
        out = fn("replace", out, lit(","), lit("."))
    return d.trim(out, WHITESPACE, "both", "type_cast")


def _type_cast(op: TypeCast, values: Values, types: list[DType], d: Dialect) -> Values:
    if op.number_format is not None:
        values = [_number_text(v, op.number_format, d) for v in values]
    return [_cast_one(v, t, op.target, d) for v, t in zip(values, types, strict=True)]


def _select_when(op: SelectWhen, values: Values, types: list[DType], d: Dialect) -> Values:
    def run(ops: list[OpBase]) -> exp.Expr:
        branch, branch_types = values, types
        for inner in ops:
            branch = TRANSFORMS[type(inner)](inner, branch, branch_types, d)
            branch_types = list(inner.output(tuple(branch_types)))
        return branch[0]

    hit = d.matches(values[0], parse_regex(op.regex), "select_when")
    return [exp.Case(ifs=[exp.If(this=hit, true=run(op.then))], default=run(op.otherwise))]


TRANSFORMS: dict[type[OpBase], Transform] = {
    Trim: _trim,
    Case: _letter_case,
    CollapseWhitespace: _collapse,
    RegexExtract: _extract,
    RegexSplit: _split,
    Concat: _concat,
    MapDict: _map_dict,
    UnitConvert: _unit_convert,
    DateParse: _date_parse,
    DateFormat: _date_format,
    TypeCast: _type_cast,
    SafeMath: _safe_math,
    SelectWhen: _select_when,
}

_NEEDS_STANDARD_ONLY: tuple[type[OpBase], ...] = (Trim, Case, Concat, MapDict)


def compile_sql(pipeline: Pipeline, dialect: DialectName) -> exp.Expr:
    """The pipeline's output as one SQL expression over its quoted input columns.

    Raises:
        NotExpressible: an op has no exact form in ``dialect`` (run the pipeline in Polars).
    """
    d = DIALECTS[dialect]
    flow = value_types(pipeline)
    values: Values = [exp.column(i.name, quoted=True) for i in pipeline.inputs]
    for i, op in enumerate(pipeline.ops):
        if not d.executed and not isinstance(op, _NEEDS_STANDARD_ONLY):
            raise NotExpressible(op.tag(), dialect, "not verified on a real engine")
        if not d.has_decimal and any(t.kind == "decimal" for t in (*flow[i], *flow[i + 1])):
            raise NotExpressible(op.tag(), dialect, "it has no exact decimal type")
        values = TRANSFORMS[type(op)](op, values, list(flow[i]), d)
    if len(values) != 1:
        raise ValueError("a validated pipeline ends with one column")
    return values[0]


def compile_sql_steps(
    pipeline: Pipeline,
    dialect: DialectName,
    inputs: Sequence[exp.Expr],
    name: Callable[[int, int], str],
) -> list[list[exp.Expr]]:
    """The pipeline as one list of expressions per op: op ``k``'s expressions read the columns
    ``name(k - 1, j)`` (op 0 reads ``inputs``), and the last op's single expression is the
    output. Evaluated as one query level per op, each op's value is computed once per row;
    :func:`compile_sql`'s single expression pastes each op's value into the next op wherever it
    is read, which multiplies the work by every op (the ELT executor runs the steps).

    Raises:
        NotExpressible: as :func:`compile_sql`.
    """
    d = DIALECTS[dialect]
    flow = value_types(pipeline)
    values: Values = list(inputs)
    steps: list[list[exp.Expr]] = []
    for i, op in enumerate(pipeline.ops):
        if not d.executed and not isinstance(op, _NEEDS_STANDARD_ONLY):
            raise NotExpressible(op.tag(), dialect, "not verified on a real engine")
        if not d.has_decimal and any(t.kind == "decimal" for t in (*flow[i], *flow[i + 1])):
            raise NotExpressible(op.tag(), dialect, "it has no exact decimal type")
        step = TRANSFORMS[type(op)](op, values, list(flow[i]), d)
        steps.append(step)
        values = [exp.column(name(i, j), quoted=True) for j in range(len(step))]
    if steps and len(steps[-1]) != 1:
        raise ValueError("a validated pipeline ends with one column")
    return steps


def select_sql(pipeline: Pipeline, dialect: DialectName, table: str) -> str:
    """``SELECT <pipeline> AS "<output>" FROM "<table>"`` as text, for previews and execution."""
    expression = compile_sql(pipeline, dialect)
    select = exp.select(exp.alias_(expression, pipeline.output, quoted=True)).from_(
        exp.Table(this=exp.to_identifier(table, quoted=True))
    )
    return select.sql(dialect=dialect)
