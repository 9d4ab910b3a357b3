"""The target schema (``rhs_schema.yaml``): what parses, and the ContractError of each mistake."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from core.errors import ContractError
from core.target_schema import load_target_schema, parse_target_schema

SCHEMA = """\
table: invoice
columns:
  - {name: invoice_id, type: integer, key: true}
  - {name: line_no, type: integer, key: true}
  - {name: amount, type: "Decimal(12, 2)", description: gross amount}
  - {name: issued_on, type: date}
  - {name: paid, type: boolean}
  - {name: memo, type: string}
"""


def _doc(*columns: dict[str, Any]) -> dict[str, Any]:
    return {"table": "t", "columns": list(columns)}


def test_a_valid_schema_parses(tmp_path: Path) -> None:
    path = tmp_path / "rhs_schema.yaml"
    path.write_text(SCHEMA, encoding="utf-8")
    schema = load_target_schema(path)
    assert schema.table == "invoice"
    assert [c.name for c in schema.columns] == [
        "invoice_id",
        "line_no",
        "amount",
        "issued_on",
        "paid",
        "memo",
    ]
    assert schema.keys == ("invoice_id", "line_no")
    amount = schema.columns[2]
    assert amount.type == "decimal(12,2)"  # spaces and case normalised
    assert amount.family == "decimal"
    assert amount.description == "gross amount"
    assert [c.family for c in schema.columns] == [
        "integer",
        "integer",
        "decimal",
        "date",
        "boolean",
        "string",
    ]
    assert schema.columns[5].key is False
    assert schema.columns[5].description == ""


@pytest.mark.parametrize("kind", ["string", "integer", "float", "boolean", "date", "timestamp"])
def test_every_plain_type_parses(kind: str) -> None:
    schema = parse_target_schema(_doc({"name": "c", "type": kind.upper()}))
    assert schema.columns[0].type == kind
    assert schema.columns[0].family == kind


def test_a_schema_without_keys_has_none() -> None:
    assert parse_target_schema(_doc({"name": "c", "type": "string"})).keys == ()


def test_unknown_keys_are_ignored() -> None:
    doc = {
        "table": "t",
        "owner": "finance",
        "columns": [{"name": "c", "type": "string", "nullable": True, "pii": "EMAIL"}],
    }
    schema = parse_target_schema(doc)
    assert [c.name for c in schema.columns] == ["c"]
    assert not hasattr(schema, "owner")
    assert not hasattr(schema.columns[0], "nullable")


def _error(doc: Any) -> ContractError:
    with pytest.raises(ContractError) as e:
        parse_target_schema(doc, source="rhs_schema.yaml")
    assert e.value.code == "DETERMINISTIC_FAILURE"
    assert e.value.message.startswith("rhs_schema.yaml is invalid at ")
    return e.value


@pytest.mark.parametrize(
    ("doc", "field", "words"),
    [
        (_doc({"name": "c", "type": "varchar(20)"}), "columns.0.type", ["unknown type", "varchar"]),
        (_doc({"name": "c", "type": 5}), "columns.0.type", ["string"]),
        (_doc({"name": "c", "type": "decimal(2,5)"}), "columns.0.type", ["scale", "precision"]),
        (_doc({"name": "c", "type": "decimal(123,2)"}), "columns.0.type", ["unknown type"]),
        (_doc({"name": "c", "type": "string", "key": "maybe"}), "columns.0.key", ["bool"]),
        (_doc({"name": "", "type": "string"}), "columns.0.name", ["at least 1"]),
        (_doc({"type": "string"}), "columns.0.name", ["required"]),
        (_doc(), "columns", ["at least 1"]),
        ({"columns": [{"name": "c", "type": "string"}]}, "table", ["required"]),
        ({"table": "t", "columns": "c"}, "columns", []),
    ],
)
def test_bad_fields_name_the_field(doc: Any, field: str, words: list[str]) -> None:
    error = _error(doc)
    assert error.field == field
    assert f"at {field}:" in error.message
    for word in words:
        assert word in error.message


def test_a_duplicate_column_is_named() -> None:
    error = _error(
        _doc(
            {"name": "id", "type": "integer"},
            {"name": "memo", "type": "string"},
            {"name": "id", "type": "string"},
        )
    )
    assert error.field == "columns"
    assert "'id'" in error.message
    assert "twice" in error.message


@pytest.mark.parametrize("doc", [None, [], "table: t", 7])
def test_a_document_that_is_not_a_mapping_is_a_contract_error(doc: Any) -> None:
    _error(doc)


def test_a_missing_file_is_a_contract_error(tmp_path: Path) -> None:
    path = tmp_path / "nowhere.yaml"
    with pytest.raises(ContractError) as e:
        load_target_schema(path)
    assert e.value.code == "DETERMINISTIC_FAILURE"
    assert e.value.field == "rhs.schema_ref"
    assert "no target schema file" in e.value.message
    assert str(path) in e.value.message


def test_a_non_utf8_file_is_a_contract_error(tmp_path: Path) -> None:
    path = tmp_path / "latin1.yaml"
    path.write_bytes("table: März\ncolumns: []\n".encode("latin-1"))
    with pytest.raises(ContractError) as e:
        load_target_schema(path)
    assert e.value.code == "DETERMINISTIC_FAILURE"
    assert e.value.field == "rhs.schema_ref"
    assert e.value.message == "latin1.yaml is not UTF-8 text"


def test_invalid_yaml_is_a_contract_error(tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text("table: t\ncolumns: [{name: c, type: string\n", encoding="utf-8")
    with pytest.raises(ContractError) as e:
        load_target_schema(path)
    assert e.value.code == "DETERMINISTIC_FAILURE"
    assert e.value.field == "rhs.schema_ref"
    assert e.value.message.startswith("broken.yaml is not valid YAML")


@pytest.mark.parametrize("text", ["", "just a string\n", "table: t\ncolumns:\n  - {name: c}\n"])
def test_a_file_that_does_not_hold_a_schema_is_a_contract_error(tmp_path: Path, text: str) -> None:
    path = tmp_path / "rhs_schema.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ContractError) as e:
        load_target_schema(path)
    assert e.value.code == "DETERMINISTIC_FAILURE"
    assert e.value.message.startswith("rhs_schema.yaml is invalid")


def test_every_golden_target_schema_parses() -> None:
    golden = Path(__file__).parents[2] / "evals" / "golden"
    paths = sorted(golden.glob("*/rhs_schema.yaml"))
    assert len(paths) >= 15
    for path in paths:
        schema = load_target_schema(path)
        assert schema.columns
