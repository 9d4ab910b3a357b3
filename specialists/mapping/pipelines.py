"""Candidate Transform DSL pipelines for one target column, one per way of reading the source.

Pipelines read Standard Schema columns: the text Ingest's shim left (ISO dates for the dates it
recognised, ``1234.50`` for the decimals it read, trimmed strings), so most type alignments are
one cast. Where a source can be read several ways (a day-first or month-first date, a decimal
comma, a currency sign) every reading is a candidate; sample execution picks the one that
converts the most values (:func:`specialists.mapping.execute.best_candidate`), and without a
sample the column's shapes pick it.

Unit normalization: a source header naming a unit other than the target's (``NET_WT_LBS`` to
``net_weight_kg``, ``MAX_TEMP_F`` to ``temp_max_c``) gets ``unit_convert``; minor units (cents)
are divided by 100 and headers in thousands (``Salary (000s)``, ``Salary K``) multiplied by 1000.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from core.target_schema import TargetColumn
from dsl.units import UNITS
from specialists.mapping.columns import SourceColumn
from specialists.mapping.names import concepts, unit_words

__all__ = [
    "Doc",
    "atomic_candidates",
    "concat_pipeline",
    "difference_pipeline",
    "extract_pipeline",
    "signed_by_flag_pipeline",
    "sum_pipeline",
]

Doc = dict[str, Any]

_DATE_FORMATS: tuple[tuple[str, ...], ...] = (
    ("%Y-%m-%d",),
    ("%m/%d/%Y",),
    ("%d/%m/%Y",),
    ("%d.%m.%Y",),
    ("%Y%m%d",),
    ("%Y/%m/%d",),
    ("%d-%m-%Y",),
    ("%m-%d-%Y",),
    ("%m/%d/%y",),
    ("%d/%m/%y",),
)
_TIMESTAMP_FORMATS: tuple[tuple[str, ...], ...] = (
    (
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%dT%H:%M:%SZ",
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%d %H:%M",
    ),
    ("%m/%d/%Y %H:%M:%S", "%m/%d/%Y %H:%M"),
    ("%d/%m/%Y %H:%M:%S", "%d/%m/%Y %H:%M"),
    ("%d.%m.%Y %H:%M:%S", "%d.%m.%Y %H:%M"),
)
_CURRENCY = ["$", "US$", "USD", "\u20ac", "EUR", "\u00a3", "GBP"]
_NUMBER_FORMATS: tuple[dict[str, Any] | None, ...] = (
    None,
    {"thousands": ",", "decimal": ".", "currency": _CURRENCY, "parentheses": True},
    {"thousands": ".", "decimal": ",", "currency": _CURRENCY, "parentheses": True},
    {"thousands": " ", "decimal": ",", "currency": _CURRENCY, "parentheses": True},
    {"thousands": "'", "decimal": ".", "currency": _CURRENCY, "parentheses": True},
)
#: Where the value of a wide intermediate decimal fits any conversion without overflow.
_WIDE = "decimal(24,6)"
_MINOR = {"cents", "cent", "minor", "pence", "centavo", "centime"}
_THOUSANDS = {"000s", "000", "thousands", "thousand", "k"}


def _doc(inputs: Sequence[str], output: str, ops: list[Doc]) -> Doc:
    return {"inputs": list(inputs), "output": output, "ops": ops}


def _unit_of(name: str) -> str | None:
    units = [u for u in unit_words(name) if u in UNITS]
    return units[-1] if units else None


def unit_change(target: TargetColumn, source: SourceColumn) -> tuple[str, str] | None:
    """The (from, to) units when the source header and the target name name different units
    of one kind."""
    to, frm = _unit_of(target.name), _unit_of(source.header)
    if to and frm and to != frm and UNITS[to].dimension == UNITS[frm].dimension:
        return frm, to
    return None


def scale_factor(target: TargetColumn, source: SourceColumn) -> tuple[str, int] | None:
    """``("div", 100)`` for minor units into a major-unit target, ``("mul", 1000)`` for a
    header in thousands; None otherwise."""
    s, t = (
        concepts(source.header) | set(_plain_words(source.header)),
        set(_plain_words(target.name)),
    )
    if s & _MINOR and not t & _MINOR and target.family in ("decimal", "float"):
        return "div", 100
    if s & _THOUSANDS and not t & _THOUSANDS and target.family in ("decimal", "integer"):
        return "mul", 1000
    return None


def _plain_words(name: str) -> list[str]:
    """Lower-case runs of letters and digits (``Salary (000s)`` -> salary, 000s): the unit
    markers ``concepts`` may fold away."""
    return [w for w in re.split(r"[^0-9a-z]+", name.lower()) if w]


def _decimal_parts(type_: str) -> tuple[int, int]:
    inside = type_[type_.index("(") + 1 : -1]
    p, s = inside.split(",")
    return int(p), int(s)


_US_SHAPE = re.compile(r"^[^0-9]*[0-9]{1,3}(,[0-9]{3})*(\.[0-9]+)?[^0-9]*$")
_EU_SHAPE = re.compile(r"^[^0-9]*[0-9]{1,3}(\.[0-9]{3})*(,[0-9]+)?[^0-9]*$")


def _number_formats(column: SourceColumn) -> list[dict[str, Any] | None]:
    """The number formats to try for one column, the one its values (or shapes) read as first.

    A lenient reading can convert a value written the other way (``1.080,47`` read with
    thousands ``,`` and decimal ``.`` is 1.08047), so conversion counts alone cannot choose:
    the values' shape votes first, and sample execution then breaks ties in this order."""
    if column.family in ("integer", "decimal"):
        return [None]
    values = [v.strip() for v in column.values if v not in (None, "")] or [
        sh.replace("9{3}", "999").replace("9{2}", "99").replace("9{1}", "9")
        for sh, _ in column.shapes
    ]
    us = sum(bool(_US_SHAPE.match(v)) and not _EU_SHAPE.match(v) for v in values)
    eu = sum(bool(_EU_SHAPE.match(v)) and not _US_SHAPE.match(v) for v in values)
    ordered = list(_NUMBER_FORMATS)
    if eu > us:
        ordered = [
            _NUMBER_FORMATS[2],
            _NUMBER_FORMATS[3],
            None,
            _NUMBER_FORMATS[1],
            _NUMBER_FORMATS[4],
        ]
    return ordered


def _numeric_ops(
    target: TargetColumn, source: SourceColumn, fmt: dict[str, Any] | None
) -> list[Doc]:
    """Ops that read ``source`` as a number and end in the target's numeric type."""
    change, factor = unit_change(target, source), scale_factor(target, source)
    cast: Doc = {"op": "type_cast", "to": _WIDE if (change or factor) else target.type}
    if target.family == "integer" and not (change or factor):
        if source.family == "decimal" or fmt is not None:
            cast = {"op": "type_cast", "to": _WIDE}
        else:
            cast = {"op": "type_cast", "to": "integer"}
    if fmt is not None:
        cast["number_format"] = fmt
    ops = [cast]
    scale = _decimal_parts(target.type)[1] if target.family == "decimal" else 6
    if change:
        ops.append(
            {"op": "unit_convert", "from_unit": change[0], "to_unit": change[1], "scale": scale}
        )
    if factor:
        ops.append(
            {"op": "safe_math", "operator": factor[0], "operand": str(factor[1]), "scale": scale}
        )
    if ops[-1] is not cast or cast["to"] != target.type:
        ops.append({"op": "type_cast", "to": target.type})
    return ops


def atomic_candidates(target: TargetColumn, source: SourceColumn) -> list[Doc]:
    """Every pipeline reading one source column into ``target``, most likely first."""
    out, family, inputs = target.name, target.family, [source.name]
    if family == "string":
        return [_doc(inputs, out, [])]
    if family in ("integer", "decimal", "float"):
        formats = _number_formats(source)
        if family == "float":
            return [_doc(inputs, out, [{"op": "type_cast", "to": "float"}])]
        docs = [_doc(inputs, out, _numeric_ops(target, source, f)) for f in formats]
        if source.family == "string" and family == "integer":
            # the number inside a text (Net 60 -> 60), tried after every plain reading
            docs.append(
                _doc(
                    inputs,
                    out,
                    [
                        {"op": "regex_extract", "pattern": "[0-9]+", "group": 0},
                        {"op": "type_cast", "to": "integer"},
                    ],
                )
            )
        return docs
    if family == "boolean":
        return [_doc(inputs, out, [{"op": "type_cast", "to": "boolean"}])]
    if family == "date":
        if source.family == "timestamp":
            return [
                _doc(
                    inputs,
                    out,
                    [
                        {"op": "date_parse", "formats": list(f), "to": "timestamp"},
                        {"op": "date_format", "format": "%Y-%m-%d"},
                        {"op": "date_parse", "formats": ["%Y-%m-%d"], "to": "date"},
                    ],
                )
                for f in _TIMESTAMP_FORMATS
            ]
        return [
            _doc(inputs, out, [{"op": "date_parse", "formats": list(f), "to": "date"}])
            for f in _DATE_FORMATS
        ]
    if family == "timestamp":
        return [
            _doc(inputs, out, [{"op": "date_parse", "formats": list(f), "to": "timestamp"}])
            for f in _TIMESTAMP_FORMATS
        ]
    return [_doc(inputs, out, [{"op": "type_cast", "to": target.type}])]


def concat_pipeline(target: TargetColumn, sources: Sequence[SourceColumn], separator: str) -> Doc:
    """Compose: the sources joined by ``separator``, NULLs and empty parts skipped."""
    return _doc(
        [s.name for s in sources],
        target.name,
        [{"op": "concat", "separator": separator, "skip_nulls": True}],
    )


def number_format_for(columns: Sequence[SourceColumn]) -> list[dict[str, Any] | None]:
    """The number formats worth trying for ``columns`` read together, best first.

    Two-column arithmetic with ``nulls: zero`` reads an unreadable value as zero, so its sample
    success rate cannot pick the format; each column's own values (or, without a sample, its
    shapes) do."""
    import polars as pl

    from dsl.compile.polars import compile_polars
    from dsl.pipeline import validate_pipeline

    if {c.family for c in columns} <= {"integer", "decimal"}:
        return [None]
    values = [v for c in columns for v in c.values if v not in (None, "")]
    if not values:
        shapes = "".join(sh for c in columns for sh, _ in c.shapes)
        european = any(
            re.search(r"9\.9\{3\},9", sh) or re.search(r"9,9\{2\}$", sh)
            for c in columns
            for sh, _ in c.shapes
        )
        ordered = (
            [_NUMBER_FORMATS[2], _NUMBER_FORMATS[1]] if european else list(_NUMBER_FORMATS[1:])
        )
        return ordered if shapes else list(_NUMBER_FORMATS)
    frame = pl.DataFrame({"v": pl.Series(values, dtype=pl.Utf8)})
    scored = []
    order = _number_formats(replace(columns[0], values=tuple(values)))
    for i, fmt in enumerate(order):
        cast: Doc = {"op": "type_cast", "to": _WIDE}
        if fmt is not None:
            cast["number_format"] = fmt
        expr = compile_polars(validate_pipeline(_doc(["v"], "v", [cast])))
        scored.append((-int(frame.select(expr.is_not_null().sum()).item()), i, fmt))
    return [fmt for _, _, fmt in sorted(scored)]


def _two_numbers(
    target: TargetColumn, operator: str, names: list[str], fmt: dict[str, Any] | None
) -> Doc:
    cast: Doc = {"op": "type_cast", "to": _WIDE}
    if fmt is not None:
        cast["number_format"] = fmt
    scale = _decimal_parts(target.type)[1] if target.family == "decimal" else 2
    ops = [cast, {"op": "safe_math", "operator": operator, "scale": scale, "nulls": "zero"}]
    if target.family in ("decimal", "integer"):
        ops.append({"op": "type_cast", "to": target.type})
    return _doc(names, target.name, ops)


def difference_pipeline(
    target: TargetColumn, minuend: SourceColumn, subtrahend: SourceColumn
) -> list[Doc]:
    """Compose: ``minuend - subtrahend`` (credit minus debit), an empty side read as zero."""
    formats = number_format_for([minuend, subtrahend])[:1]
    return [_two_numbers(target, "sub", [minuend.name, subtrahend.name], f) for f in formats]


def sum_pipeline(target: TargetColumn, a: SourceColumn, b: SourceColumn) -> list[Doc]:
    """Compose: ``a + b`` (net plus tax), an empty side read as zero."""
    formats = number_format_for([a, b])[:1]
    return [_two_numbers(target, "add", [a.name, b.name], f) for f in formats]


def signed_by_flag_pipeline(
    target: TargetColumn,
    amount: SourceColumn,
    flag: SourceColumn,
    negative: Sequence[str],
    positive: Sequence[str],
) -> list[Doc]:
    """Compose: an unsigned amount made negative where its debit/credit flag says so.

    The flag becomes ``-`` or nothing (``map_dict``), is joined in front of the amount, and the
    text is read as a number; an amount that already carries a sign stays unreadable (NULL)
    rather than guessed."""
    mapping = {v: "-" for v in negative} | {v: "" for v in positive}
    out = []
    for fmt in _number_formats(amount):
        cast: Doc = {"op": "type_cast", "to": target.type if target.family == "decimal" else _WIDE}
        if fmt is not None:
            cast["number_format"] = fmt
        ops: list[Doc] = [
            {"op": "map_dict", "mapping": mapping, "keep_unmapped": True},
            {"op": "concat", "separator": "", "skip_nulls": False},
            cast,
        ]
        if cast["to"] != target.type:
            ops.append({"op": "type_cast", "to": target.type})
        out.append(_doc([flag.name, amount.name], target.name, ops))
    return out


def extract_pipeline(target: TargetColumn, source: SourceColumn, pattern: str, group: int) -> Doc:
    """Decompose: one capture group of a pattern (``^(\\d+)\\s+(.+)$`` on ``6100 Repairs``),
    trimmed."""
    ops: list[Doc] = [
        {"op": "regex_extract", "pattern": pattern, "group": group},
        {"op": "trim", "side": "both"},
    ]
    if target.family != "string":
        ops.append({"op": "type_cast", "to": target.type})
    return _doc([source.name], target.name, ops)
