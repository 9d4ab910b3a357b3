"""The standardization shim: the minimal DSL plan that turns a source table into its Standard
Schema (canonical headers, whitespace, case and dtypes), recorded in the catalog and applied to
the Sample Pack.

Headers are made canonical on reading (``files.canonical_headers``: snake_case, ASCII, unique);
the plan records the renaming. Each column then gets one Transform DSL pipeline, validated like
any other, from the type the catalog inferred:

============  ==========================================================================
type          pipeline
============  ==========================================================================
string        ``trim`` (interior whitespace is data: a two-line street keeps its newline)
integer       ``trim``, ``type_cast integer``, ``type_cast string``
decimal(p,s)  ``trim``, ``type_cast decimal(p,s)`` (thousands commas read), ``type_cast string``
boolean       ``trim``, ``type_cast boolean``, ``type_cast string`` (``true``/``false``)
date          ``trim``, ``date_parse`` ISO then ``MM/DD/YYYY``, ``date_format %Y-%m-%d``
timestamp     ``trim``, ``type_cast timestamp``, ``date_format %Y-%m-%d %H:%M:%S``
float         ``trim`` (engines print doubles differently: the text is kept)
============  ==========================================================================

So every pipeline ends in a canonical text form, and the Sample Pack's values are that form.
Applying the plan never loses a value: a value its pipeline cannot convert (one of the column's
outliers) keeps its trimmed text, and the count of such values is recorded per column. Letter
case of values is left alone (names are data); booleans get one case through their cast.

Day-first dates (``31/12/2026``) are not guessed here: the catalog's date type covers ISO and US
dates, and the Mapping stage aligns other orders explicitly.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from core.canonical import content_hash
from specialists.ingest.catalog import CatalogTable

if TYPE_CHECKING:
    import polars as pl

__all__ = ["apply_plan", "standardization_plan"]

_DATE_FORMATS = ["%Y-%m-%d", "%m/%d/%Y"]


def _ops(kind: str) -> list[dict[str, Any]]:
    trim: list[dict[str, Any]] = [{"op": "trim"}]
    text = {"op": "type_cast", "to": "string"}
    if kind == "string":
        return trim
    if kind in ("integer", "boolean"):
        return trim + [{"op": "type_cast", "to": kind}, text]
    if kind.startswith("decimal"):
        number = {"thousands": ",", "decimal": ".", "currency": [], "parentheses": False}
        return trim + [{"op": "type_cast", "to": kind, "number_format": number}, text]
    if kind == "date":
        parse = {"op": "date_parse", "formats": _DATE_FORMATS, "to": "date"}
        return trim + [parse, {"op": "date_format", "format": "%Y-%m-%d"}]
    if kind == "timestamp":
        cast = {"op": "type_cast", "to": "timestamp"}
        return trim + [cast, {"op": "date_format", "format": "%Y-%m-%d %H:%M:%S"}]
    return trim  # float, and any type without a lossless text form


def standardization_plan(table: CatalogTable) -> dict[str, Any]:
    """The shim's plan for one cataloged table: renames and one validated pipeline per column.

    Example:
        >>> from specialists.ingest.catalog import CatalogColumn
        >>> col = CatalogColumn(name="amount_usd", source_name="Amount USD", type="decimal(6,2)",
        ...     nulls=0, distinct=2, outliers=0, min_length=4, max_length=8, unique=True,
        ...     shapes=[])
        >>> plan = standardization_plan(CatalogTable(name="t", rows=2, columns=[col]))
        >>> plan["headers"], [op["op"] for op in plan["columns"]["amount_usd"]["ops"]]
        ({'Amount USD': 'amount_usd'}, ['trim', 'type_cast', 'type_cast'])
    """
    from dsl.pipeline import validate_pipeline
    from dsl.version import DSL_VERSION

    columns = {}
    for c in table.columns:
        doc = {"inputs": [{"name": c.name}], "output": c.name, "ops": _ops(c.type)}
        columns[c.name] = validate_pipeline(doc).model_dump(mode="json")
    plan = {
        "version": 1,
        "table": table.name,
        "dsl_version": DSL_VERSION,
        "headers": {c.source_name: c.name for c in table.columns},
        "columns": columns,
    }
    return plan | {"hash": content_hash(plan)}


def apply_plan(frame: pl.DataFrame, plan: dict[str, Any]) -> tuple[pl.DataFrame, dict[str, int]]:
    """``frame`` (text columns, canonical names) standardized by ``plan``, and per column how
    many non-null values kept their trimmed text because their pipeline could not convert them.

    Example:
        >>> import polars as pl
        >>> from specialists.ingest.catalog import catalog_table
        >>> f = pl.DataFrame({"n": [" 1,234.50", "n/a"] + ["2.00"] * 60, "s": ["a  b ", None] * 31})
        >>> out, kept = apply_plan(f, standardization_plan(catalog_table("t", f, ["n", "s"])))
        >>> out.head(3).to_dict(as_series=False), kept
        ({'n': ['1234.50', 'n/a', '2.00'], 's': ['a  b', None, 'a  b']}, {'n': 1, 's': 0})
    """
    import polars as pl

    from dsl.compile.polars import compile_polars
    from dsl.pipeline import validate_pipeline

    exprs, kept = [], []
    for name, doc in plan["columns"].items():
        converted = compile_polars(validate_pipeline(doc))
        original = pl.col(name).str.strip_chars(" \t\n\v\f\r")
        exprs.append(pl.coalesce(converted, original).alias(name))
        kept.append((converted.is_null() & pl.col(name).is_not_null()).sum().alias(name))
    if not exprs:
        return frame, {}
    counts = frame.select(kept).row(0, named=True) if frame.height else {}
    return frame.select(exprs), {c: int(counts.get(c, 0)) for c in plan["columns"]}
