"""Compile a pipeline to a Polars expression (ETL), with exactly the semantics of the SQL one.

``TRANSFORMS`` maps each op class to its compiler, like ``dsl.compile.sql``. Polars evaluates
every branch of ``when/then``, so guarded conversions use non-strict casts and safe stand-in
values, and the guard then turns the row to NULL.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import polars as pl

from dsl.compile.shapes import (
    BOOL_FALSE,
    BOOL_TRUE,
    DECIMAL_FRACTION_DIGITS,
    ISO_FORMATS,
    WHITESPACE,
    date_shape,
    decimal_shape,
    float_shape,
    integer_shape,
)
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
from dsl.ops.temporal import tokenize
from dsl.pipeline import Pipeline, value_types
from dsl.regex import Regex, emit, parse_regex
from dsl.types import DType
from dsl.units import conversion

__all__ = ["TRANSFORMS", "compile_polars"]

Exprs = list[pl.Expr]
Transform = Callable[[Any, Exprs, list[DType]], Exprs]

_LOWER = list("abcdefghijklmnopqrstuvwxyz")
_UPPER = [c.upper() for c in _LOWER]


def _rx(regex: Regex) -> str:
    return emit(regex, "rust")


def _matches(v: pl.Expr, regex: Regex) -> pl.Expr:
    return v.str.contains(_rx(regex))


def _extract(v: pl.Expr, regex: Regex, group: int) -> pl.Expr:
    if regex.participates(group):  # then NULL from Polars means exactly "no match"
        return v.str.extract(_rx(regex), group)
    got = v.str.extract(_rx(regex), group).fill_null("")
    return pl.when(_matches(v, regex)).then(got).otherwise(None)


def _trim(op: Trim, values: Exprs, types: list[DType]) -> Exprs:
    strip = {"both": "strip_chars", "left": "strip_chars_start", "right": "strip_chars_end"}
    return [getattr(v.str, strip[op.side])(WHITESPACE) for v in values]


def _ascii_case(to: str) -> Any:
    src, dst = (_LOWER, _UPPER) if to == "upper" else (_UPPER, _LOWER)

    def apply(s: pl.Series) -> pl.Series:
        native = s.str.to_uppercase() if to == "upper" else s.str.to_lowercase()
        ascii_only = s.str.len_bytes() == s.str.len_chars()
        if ascii_only.all(ignore_nulls=True):  # native mapping is exact on ASCII
            return native
        mapped = s.str.replace_many(src, dst)
        return pl.select(pl.when(ascii_only).then(native).otherwise(mapped)).to_series()

    return apply


def _letter_case(op: Case, values: Exprs, types: list[DType]) -> Exprs:
    """ASCII-only case mapping; batches without non-ASCII text take Polars' native mapping,
    which is the same there and several times faster than a character-by-character map."""
    fn = _ascii_case(op.to)
    return [v.map_batches(fn, return_dtype=pl.String, is_elementwise=True) for v in values]


def _collapse(op: CollapseWhitespace, values: Exprs, types: list[DType]) -> Exprs:
    pattern = _rx(parse_regex(r"\s+"))  # \s is the DSL whitespace: ASCII only
    return [v.str.replace_all(pattern, " ") for v in values]


def _regex_extract(op: RegexExtract, values: Exprs, types: list[DType]) -> Exprs:
    regex = parse_regex(op.pattern)
    return [_extract(v, regex, op.group) for v in values]


def _split(op: RegexSplit, values: Exprs, types: list[DType]) -> Exprs:
    pattern = _rx(parse_regex(op.pattern))
    return [
        v.str.split(pattern, literal=False).list.get(op.index, null_on_oob=True) for v in values
    ]


def _concat(op: Concat, values: Exprs, types: list[DType]) -> Exprs:
    joined = pl.concat_str(values, separator=op.separator, ignore_nulls=op.skip_nulls)
    if op.skip_nulls:
        all_null = pl.all_horizontal([v.is_null() for v in values])
        joined = pl.when(all_null).then(None).otherwise(joined)
    return [joined]


def _map_dict(op: MapDict, values: Exprs, types: list[DType]) -> Exprs:
    out = []
    for v in values:
        if op.keep_unmapped:
            mapped = v.replace(op.mapping)
        else:
            mapped = v.replace_strict(op.mapping, default=op.default, return_dtype=pl.String)
        out.append(pl.when(v.is_null()).then(None).otherwise(mapped))
    return out


def _dec_lit(value: Decimal) -> pl.Expr:
    text = format(value, "f")
    scale = len(text.split(".")[1]) if "." in text else 0
    return pl.lit(Decimal(text), dtype=pl.Decimal(38, scale))


def _scale_of(value: Decimal) -> int:
    text = format(value, "f")
    return len(text.split(".")[1]) if "." in text else 0


def _times(a: pl.Expr, a_scale: int, b: pl.Expr, b_scale: int) -> pl.Expr:
    """Exact decimal product. Polars rounds a product to the larger operand scale (12.345 *
    -0.005 gives -0.062), so the left operand first takes the scale of the exact product."""
    return a.cast(pl.Decimal(38, a_scale + b_scale), strict=False) * b


def _as_decimal(v: pl.Expr, dtype: DType) -> pl.Expr:
    if dtype.kind == "integer":
        return v.cast(pl.Decimal(38, 0))
    return v


def _round_checked(v: pl.Expr, target: DType) -> pl.Expr:
    # A non-strict cast is NULL on overflow: the check SQL needs comes free here.
    rounded = v.round(target.scale, mode="half_away_from_zero")
    return rounded.cast(pl.Decimal(target.precision, target.scale), strict=False)


def _unit_convert(op: UnitConvert, values: Exprs, types: list[DType]) -> Exprs:
    c = conversion(op.from_unit, op.to_unit)
    out = []
    for v, t in zip(values, types, strict=True):
        x = _times(_as_decimal(v, t), t.scale, _dec_lit(c.a), _scale_of(c.a))
        if c.b:
            x = x + _dec_lit(c.b)
        out.append(_round_checked(x, op.result(t)))
    return out


def _safe_math(op: SafeMath, values: Exprs, types: list[DType]) -> Exprs:
    operands = [_as_decimal(v, t) for v, t in zip(values, types, strict=True)]
    scales = [t.scale for t in types]
    if op.operand is not None:
        operands.append(_dec_lit(op.operand))
        scales.append(_scale_of(op.operand))
    if op.nulls == "zero":
        operands = [v.fill_null(0) for v in operands]
    a, b = operands
    target = op.output(tuple(types))[0]
    if op.operator == "add":
        return [_round_checked(a + b, target)]
    if op.operator == "sub":
        return [_round_checked(a - b, target)]
    if op.operator == "mul":
        return [_round_checked(_times(a, scales[0], b, scales[1]), target)]
    # Division, exactly as in dsl.compile.sql: scaled integers, rounded half away from zero.
    k = op.max_scale(types)
    big = pl.Int128

    def scaled(v: pl.Expr, v_scale: int) -> pl.Expr:
        return _times(v, v_scale, _dec_lit(Decimal(10) ** k), 0).abs().cast(big, strict=False)

    n = scaled(a, scales[0]) * pl.lit(10**op.scale, dtype=big)
    den = scaled(b, scales[1])
    q = (2 * n + den) // (2 * den)
    sign = a.sign().cast(big) * b.sign().cast(big)
    # Polars' decimal division keeps the left operand's scale: multiply by 10^-scale instead.
    value = (q * sign).cast(pl.Decimal(38, 0), strict=False) * _dec_lit(
        Decimal(1).scaleb(-op.scale)
    )
    zero = (b == 0) | b.is_null()
    return [pl.when(zero).then(None).otherwise(_round_checked(value, target))]


def _parse_one(v: pl.Expr, fmt: str, to: str, *, fixed_width: bool = False) -> pl.Expr:
    """One format: the shape regex (a fast, capture-free check) decides which strings are
    candidates; Polars then parses the original string with the same format, whose tokens are
    chrono's, and refuses impossible dates such as 02/30. The shape has already fixed every
    field's width and the range of hours, minutes and seconds; Polars' own %y pivot
    (69 -> 2069) and its year 0 are corrected here."""
    shape = date_shape(fmt, fixed_width=fixed_width)
    has_time = any(k in shape.fields for k in ("H", "M", "S"))
    if has_time:
        parsed = v.str.strptime(pl.Datetime("us"), fmt, strict=False)
    else:
        parsed = v.str.strptime(pl.Date, fmt, strict=False)
    if shape.two_digit_year:  # 69-99 are 1969-1999; 19yy and 20yy agree on leap days for yy >= 69
        parsed = (
            pl.when(parsed.dt.year() >= 2069).then(parsed.dt.offset_by("-100y")).otherwise(parsed)
        )
    if to == "timestamp" and not has_time:
        parsed = parsed.cast(pl.Datetime("us"))
    elif to == "date" and has_time:
        parsed = parsed.dt.date()
    ok = v.str.contains(_rx(shape.regex)) & (parsed.dt.year() >= 1)
    return pl.when(ok).then(parsed).otherwise(None)


def _date_parse(op: DateParse, values: Exprs, types: list[DType]) -> Exprs:
    return [pl.coalesce([_parse_one(v, fmt, op.to) for fmt in op.formats]) for v in values]


def _date_format(op: DateFormat, values: Exprs, types: list[DType]) -> Exprs:
    out = []
    for v in values:
        parts = []
        for kind, text in tokenize(op.format):
            if kind == "literal":
                parts.append(pl.lit(text))
                continue
            getter = {"Y": v.dt.year, "y": v.dt.year, "m": v.dt.month, "d": v.dt.day}
            getter.update({"H": v.dt.hour, "M": v.dt.minute, "S": v.dt.second})
            value = getter[text]()
            if text == "y":
                value = value % 100
            width = 4 if text == "Y" else 2
            parts.append(value.cast(pl.String).str.zfill(width))
        out.append(pl.concat_str(parts) if len(parts) > 1 else parts[0])
    return out


def _to_decimal(v: pl.Expr, target: DType) -> pl.Expr:
    rounded = v.round(target.scale, mode="half_away_from_zero")
    return rounded.cast(pl.Decimal(target.precision, target.scale), strict=False)


def _from_string(v: pl.Expr, target: DType) -> pl.Expr:
    if target.kind == "string":
        return v
    if target.kind == "integer":
        return pl.when(_matches(v, integer_shape())).then(v.cast(pl.Int64, strict=False))
    if target.kind == "float":
        return pl.when(_matches(v, float_shape())).then(v.cast(pl.Float64, strict=False))
    if target.kind == "decimal":
        exact = v.cast(pl.Decimal(38, DECIMAL_FRACTION_DIGITS), strict=False)
        return pl.when(_matches(v, decimal_shape())).then(_to_decimal(exact, target))
    if target.kind == "boolean":
        low = v.str.replace_many(_UPPER, _LOWER)
        return pl.when(low.is_in(BOOL_TRUE)).then(True).when(low.is_in(BOOL_FALSE)).then(False)
    iso = [_parse_one(v, fmt, target.kind, fixed_width=True) for fmt in ISO_FORMATS[target.kind]]
    return pl.coalesce(iso)


def _cast_one(v: pl.Expr, source: DType, target: DType) -> pl.Expr:
    if source.kind == "string":
        return _from_string(v, target)
    if target.kind == "string":
        if source.kind == "boolean":
            return pl.when(v).then(pl.lit("true")).when(~v).then(pl.lit("false"))
        return v.cast(pl.String)
    if target.kind == "decimal":
        return _to_decimal(_as_decimal(v, source), target)
    if target.kind == "integer":
        if source.kind == "integer":
            return v
        # A non-strict cast is NULL outside the 64-bit range.
        return v.round(0, mode="half_away_from_zero").cast(pl.Int64, strict=False)
    if target.kind == "float":
        return v.cast(pl.Float64)
    return v.cast(pl.Datetime("us") if target.kind == "timestamp" else pl.Date)


def _number_text(v: pl.Expr, fmt: NumberFormat) -> pl.Expr:
    """As in dsl.compile.sql: literal replacements only."""
    out = v
    if fmt.parentheses:
        wrapped = v.str.starts_with("(") & v.str.ends_with(")") & (v.str.len_chars() >= 2)
        inner = v.str.slice(1, v.str.len_chars() - 2)
        out = pl.when(wrapped).then(pl.lit("-") + inner).otherwise(v)
    for symbol in sorted(fmt.currency, key=len, reverse=True):
        out = out.str.replace_all(symbol, "", literal=True)
    if fmt.thousands:
        out = out.str.replace_all(fmt.thousands, "", literal=True)
    if fmt.decimal == ",":
        out = out.str.replace_all(",", ".", literal=True)
    return out.str.strip_chars(WHITESPACE)


def _type_cast(op: TypeCast, values: Exprs, types: list[DType]) -> Exprs:
    if op.number_format is not None:
        values = [_number_text(v, op.number_format) for v in values]
    return [_cast_one(v, t, op.target) for v, t in zip(values, types, strict=True)]


def _select_when(op: SelectWhen, values: Exprs, types: list[DType]) -> Exprs:
    def run(ops: list[OpBase]) -> pl.Expr:
        branch, branch_types = values, types
        for inner in ops:
            branch = TRANSFORMS[type(inner)](inner, branch, branch_types)
            branch_types = list(inner.output(tuple(branch_types)))
        return branch[0]

    hit = _matches(values[0], parse_regex(op.regex)).fill_null(False)
    return [pl.when(hit).then(run(op.then)).otherwise(run(op.otherwise))]


TRANSFORMS: dict[type[OpBase], Transform] = {
    Trim: _trim,
    Case: _letter_case,
    CollapseWhitespace: _collapse,
    RegexExtract: _regex_extract,
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


def compile_polars(pipeline: Pipeline) -> pl.Expr:
    """The pipeline's output as one Polars expression, aliased to the output column."""
    flow = value_types(pipeline)
    values: Exprs = [pl.col(i.name) for i in pipeline.inputs]
    for i, op in enumerate(pipeline.ops):
        values = TRANSFORMS[type(op)](op, values, list(flow[i]))
    if len(values) != 1:
        raise ValueError("a validated pipeline ends with one column")
    expr: pl.Expr = values[0].alias(pipeline.output)
    return expr
