"""Hypothesis strategies: one (pipeline, rows) generator per op, aimed at the places where
engines disagree (Unicode spaces and letters, signs, rounding ties, calendar edges).

Shared by tests/dsl/test_equivalence.py and bench/dsl_equivalence.py.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from hypothesis import strategies as st

Case = tuple[dict[str, Any], list[dict[str, Any]]]

# Characters chosen to hit engine differences: ASCII and Unicode whitespace, letters whose case
# mapping differs (ß, İ, Σ, ǅ), digits of other scripts, separators and sign characters.
TRICKY = list("aAbBzZ09 .,-/$()+_") + [
    "\t",
    "\n",
    "\v",
    "\f",
    "\r",
    "\u00a0",
    "\u2003",
    "\u3000",
    "\u0085",
    "é",
    "É",
    "ß",
    "ẞ",
    "İ",
    "ı",
    "Σ",
    "ς",
    "ǅ",
    "ﬁ",
    "١",
    "٣",
    "😀",
]
texts = st.text(alphabet=st.sampled_from(TRICKY), max_size=16)
maybe_texts = st.one_of(st.none(), texts)


def _rows(column_values: st.SearchStrategy[Any], names: tuple[str, ...] = ("s",)) -> Any:
    row = st.fixed_dictionaries({n: column_values for n in names})
    return st.lists(row, min_size=1, max_size=12)


def _pipeline(ops: list[dict[str, Any]], inputs: list[Any]) -> dict[str, Any]:
    return {"inputs": inputs, "output": "out", "ops": ops}


@st.composite
def trim_cases(draw: Any) -> Case:
    side = draw(st.sampled_from(["both", "left", "right"]))
    return _pipeline([{"op": "trim", "side": side}], ["s"]), draw(_rows(maybe_texts))


@st.composite
def case_cases(draw: Any) -> Case:
    to = draw(st.sampled_from(["upper", "lower"]))
    return _pipeline([{"op": "case", "to": to}], ["s"]), draw(_rows(maybe_texts))


@st.composite
def collapse_cases(draw: Any) -> Case:
    return _pipeline([{"op": "collapse_whitespace"}], ["s"]), draw(_rows(maybe_texts))


EXTRACT_PATTERNS = [
    ("([0-9]+)", 1),
    ("^([A-Za-z]+)", 1),
    ("([a-z]+)-([0-9]+)", 2),
    (r"^\s*(\S+)\s+(\S+)\s*$", 2),
    (r"([A-Z])([a-z]*)", 2),
    ("(?:ab|cd)+(z)?", 1),
    (r"\$([0-9]+)\.([0-9]{2})", 0),
    ("^([0-9]{2})/([0-9]{2})/([0-9]{4})$", 3),
    (".(.)", 1),
    ("[^ ]+", 0),
]
extract_texts = st.one_of(
    maybe_texts,
    st.text(alphabet=st.sampled_from(list("abcdz-09/$. AZé\t")), max_size=16),
)


@st.composite
def extract_cases(draw: Any) -> Case:
    pattern, max_group = draw(st.sampled_from(EXTRACT_PATTERNS))
    group = draw(st.integers(0, max_group))
    op = {"op": "regex_extract", "pattern": pattern, "group": group}
    return _pipeline([op], ["s"]), draw(_rows(extract_texts))


SPLIT_PATTERNS = [",", r"\s+", "[,;]", "-+", "/", "(?:ab)+"]


@st.composite
def split_cases(draw: Any) -> Case:
    op = {
        "op": "regex_split",
        "pattern": draw(st.sampled_from(SPLIT_PATTERNS)),
        "index": draw(st.integers(0, 4)),
    }
    alphabet = st.sampled_from(list("ab,;- /xé\t"))
    values = st.one_of(st.none(), st.text(alphabet=alphabet, max_size=16))
    return _pipeline([op], ["s"]), draw(_rows(values))


@st.composite
def concat_cases(draw: Any) -> Case:
    n = draw(st.integers(2, 3))
    names = tuple(f"c{i}" for i in range(n))
    op = {
        "op": "concat",
        "separator": draw(st.sampled_from(["", " ", ", ", "|", "é"])),
        "skip_nulls": draw(st.booleans()),
    }
    return _pipeline([op], list(names)), draw(_rows(maybe_texts, names))


KEYS = ["a", "A", "a ", "é", "e", "É", "", "ß", "ss", "x\ty"]


@st.composite
def map_dict_cases(draw: Any) -> Case:
    keys = draw(st.lists(st.sampled_from(KEYS), min_size=1, max_size=5, unique=True))
    mapping = {k: f"v{i}" for i, k in enumerate(keys)}
    mode = draw(st.sampled_from(["default", "null", "keep"]))
    op: dict[str, Any] = {"op": "map_dict", "mapping": mapping}
    if mode == "default":
        op["default"] = "other"
    elif mode == "keep":
        op["keep_unmapped"] = True
    values = st.one_of(st.none(), st.sampled_from(KEYS), texts)
    return _pipeline([op], ["s"]), draw(_rows(values))


def decimals(scale: int, digits: int = 10) -> st.SearchStrategy[Decimal | None]:
    limit = Decimal(10) ** (digits - scale) - Decimal(1).scaleb(-scale)
    values = st.decimals(
        min_value=-limit, max_value=limit, places=scale, allow_nan=False, allow_infinity=False
    )
    # Rounding ties are where engines differ: make them common.
    ties = st.integers(-(10**6), 10**6).map(lambda n: Decimal(n * 10 + 5).scaleb(-scale))
    return st.one_of(st.none(), values, ties.filter(lambda d: abs(d) <= limit))


UNIT_PAIRS = [
    ("USD.minor", "USD"),
    ("USD", "USD.minor"),
    ("JPY.minor", "JPY"),
    ("lb", "kg"),
    ("kg", "lb"),
    ("m", "ft"),
    ("in", "cm"),
    ("C", "F"),
    ("F", "C"),
    ("K", "C"),
    ("MiB", "MB"),
    ("h", "min"),
    ("gal", "l"),
    ("oz", "g"),
]


@st.composite
def unit_cases(draw: Any) -> Case:
    source, target = draw(st.sampled_from(UNIT_PAIRS))
    scale = draw(st.integers(0, 3))
    op = {
        "op": "unit_convert",
        "from_unit": source,
        "to_unit": target,
        "scale": draw(st.integers(0, 6)),
    }
    inputs = [{"name": "x", "type": f"decimal(12,{scale})"}]
    return _pipeline([op], inputs), draw(_rows(decimals(scale, 12), ("x",)))


@st.composite
def safe_math_cases(draw: Any) -> Case:
    operator = draw(st.sampled_from(["add", "sub", "mul", "div"]))
    scales = [draw(st.integers(0, 4)) for _ in range(2)]
    op: dict[str, Any] = {
        "op": "safe_math",
        "operator": operator,
        "scale": draw(st.integers(0, 6)),
        "nulls": draw(st.sampled_from(["propagate", "zero"])),
    }
    two_columns = draw(st.booleans())
    inputs = [{"name": "a", "type": f"decimal(12,{scales[0]})"}]
    names: tuple[str, ...] = ("a",)
    if two_columns:
        inputs.append({"name": "b", "type": f"decimal(12,{scales[1]})"})
        names = ("a", "b")
    else:
        operand = draw(decimals(scales[1], 8).filter(lambda d: d is not None))
        op["operand"] = str(operand)
    rows = draw(
        st.lists(
            st.fixed_dictionaries(
                {n: decimals(s, 12) for n, s in zip(names, scales, strict=False)}
            ),
            min_size=1,
            max_size=12,
        )
    )
    if operator == "div" and two_columns:  # zero divisors are the interesting case
        rows = [dict(r, b=Decimal(0)) if i % 3 == 0 else r for i, r in enumerate(rows)]
    return _pipeline([op], inputs), rows


FORMATS = ["%m/%d/%Y", "%d/%m/%Y", "%Y-%m-%d", "%d.%m.%Y", "%Y%m%d", "%m/%d/%y", "%b"]


@st.composite
def date_like(draw: Any) -> str | None:
    kind = draw(st.sampled_from(["valid", "edge", "junk"]))
    if kind == "junk":
        return draw(
            st.one_of(st.none(), st.text(alphabet=st.sampled_from(list("0123/-.T: ")), max_size=12))
        )
    day = draw(st.dates(min_value=dt.date(1, 1, 1), max_value=dt.date(9999, 12, 31)))
    y, m, d = day.year, day.month, day.day
    if kind == "edge":
        m = draw(st.sampled_from([m, 0, 13, 2]))
        d = draw(st.sampled_from([d, 0, 29, 30, 31, 32]))
    fmt = draw(
        st.sampled_from(
            [
                "{m:02}/{d:02}/{y:04}",
                "{m}/{d}/{y:04}",
                "{y:04}-{m:02}-{d:02}",
                "{d:02}.{m:02}.{y:04}",
                "{y:04}{m:02}{d:02}",
                "{m:02}/{d:02}/{yy:02}",
                " {m:02}/{d:02}/{y:04}",
                "{m:02}/{d:02}/{y:04}x",
            ]
        )
    )
    return fmt.format(y=y, m=m, d=d, yy=y % 100)


@st.composite
def date_parse_cases(draw: Any) -> Case:
    formats = draw(st.lists(st.sampled_from(FORMATS[:-1]), min_size=1, max_size=3, unique=True))
    to = draw(st.sampled_from(["date", "timestamp"]))
    op = {"op": "date_parse", "formats": formats, "to": to}
    return _pipeline([op], ["s"]), draw(_rows(date_like()))


@st.composite
def date_format_cases(draw: Any) -> Case:
    fmt = draw(st.sampled_from(["%Y-%m-%d", "%d.%m.%Y", "%m/%d/%y", "%Y%m%d", "%Y-%m-%d %H:%M:%S"]))
    kind = "timestamp" if "%H" in fmt else draw(st.sampled_from(["date", "timestamp"]))
    values: st.SearchStrategy[Any]
    if kind == "date":
        values = st.one_of(
            st.none(), st.dates(min_value=dt.date(1000, 1, 1), max_value=dt.date(9999, 12, 31))
        )
    else:
        values = st.one_of(
            st.none(),
            st.datetimes(
                min_value=dt.datetime(1000, 1, 1), max_value=dt.datetime(9999, 12, 31)
            ).map(lambda t: t.replace(microsecond=0)),
        )
    op = {"op": "date_format", "format": fmt}
    return _pipeline([op], [{"name": "d", "type": kind}]), draw(_rows(values, ("d",)))


@st.composite
def number_like(draw: Any) -> str | None:
    kind = draw(st.sampled_from(["decimal", "int", "tie", "junk", "bool"]))
    if kind == "junk":
        return draw(
            st.one_of(
                st.none(),
                st.text(alphabet=st.sampled_from(list("0123456789.+-eE ,$x")), max_size=14),
            )
        )
    if kind == "bool":
        return draw(st.sampled_from(["true", "False", "YES", "n", "1", "0", "on", "t", "T ", ""]))
    if kind == "int":
        return str(draw(st.integers(-(10**20), 10**20)))
    if kind == "tie":
        n = draw(st.integers(-(10**6), 10**6))
        return str(Decimal(n * 10 + 5).scaleb(-draw(st.integers(1, 4))))
    value = draw(
        st.decimals(
            min_value=-(10**12), max_value=10**12, places=draw(st.integers(0, 8)), allow_nan=False
        )
    )
    text = format(value, "f")
    return draw(
        st.sampled_from([text, "+" + text.lstrip("-"), text.rstrip("0"), "." + text.split(".")[-1]])
    )


@st.composite
def type_cast_cases(draw: Any) -> Case:
    target = draw(
        st.sampled_from(["integer", "float", "boolean", "date", "timestamp", "string"])
        | st.builds(lambda p, s: f"decimal({p},{min(s, p)})", st.integers(1, 18), st.integers(0, 6))
    )
    op = {"op": "type_cast", "to": target}
    values = date_like() if target in ("date", "timestamp") else number_like()
    return _pipeline([op], ["s"]), draw(_rows(values))


@st.composite
def type_cast_numeric_cases(draw: Any) -> Case:
    """Casts between numbers and to strings (decimal -> integer, decimal(p,s) -> decimal...)."""
    scale = draw(st.integers(0, 4))
    target = draw(st.sampled_from(["integer", "string", "decimal(10,1)", "decimal(6,0)", "float"]))
    op = {"op": "type_cast", "to": target}
    inputs = [{"name": "x", "type": f"decimal(12,{scale})"}]
    return _pipeline([op], inputs), draw(_rows(decimals(scale, 12), ("x",)))


@st.composite
def money_like(draw: Any) -> str | None:
    """Amounts as exports write them: symbols, grouping, decimal commas, parentheses, junk."""
    if draw(st.integers(0, 9)) == 0:
        return draw(st.one_of(st.none(), texts))
    value = draw(
        st.decimals(
            min_value=-(10**9), max_value=10**9, places=draw(st.integers(0, 3)), allow_nan=False
        )
    )
    whole, _, frac = format(abs(value), "f").partition(".")
    sep = draw(st.sampled_from([",", ".", " ", "'", ""]))
    groups = []
    while whole:
        groups.insert(0, whole[-3:])
        whole = whole[:-3]
    mark = draw(st.sampled_from([".", ","]))
    text = sep.join(groups or ["0"]) + (mark + frac if frac else "")
    symbol = draw(st.sampled_from(["", "$", "€", "USD ", "£"]))
    sign = "-" if value < 0 else ""
    style = draw(st.sampled_from(["sign-first", "symbol-first", "parens"]))
    if style == "parens" and sign:
        return f"({symbol}{text})"
    return f"{sign}{symbol}{text}" if style == "sign-first" else f"{symbol}{sign}{text}"


@st.composite
def number_format_cases(draw: Any) -> Case:
    fmt = {
        "thousands": draw(st.sampled_from([",", ".", " ", "'", ""])),
        "currency": draw(
            st.lists(st.sampled_from(["$", "€", "USD", "£"]), max_size=3, unique=True)
        ),
        "parentheses": draw(st.booleans()),
    }
    fmt["decimal"] = "," if fmt["thousands"] in (".", "") and draw(st.booleans()) else "."
    if fmt["decimal"] == fmt["thousands"]:
        fmt["thousands"] = ""
    to = draw(st.sampled_from(["integer", "float", "decimal(12,2)", "decimal(8,0)"]))
    op = {"op": "type_cast", "to": to, "number_format": fmt}
    return _pipeline([op], ["s"]), draw(_rows(money_like()))


#: op name -> strategy of (pipeline document, rows)
STRATEGIES: dict[str, st.SearchStrategy[Case]] = {
    "trim": trim_cases(),
    "case": case_cases(),
    "collapse_whitespace": collapse_cases(),
    "regex_extract": extract_cases(),
    "regex_split": split_cases(),
    "concat": concat_cases(),
    "map_dict": map_dict_cases(),
    "unit_convert": unit_cases(),
    "date_parse": date_parse_cases(),
    "date_format": date_format_cases(),
    "type_cast": st.one_of(type_cast_cases(), type_cast_numeric_cases(), number_format_cases()),
    "safe_math": safe_math_cases(),
}
