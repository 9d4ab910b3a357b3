"""The target table a run must produce (the RHS schema), as the contract's ``schema_ref`` names it.

The format is the golden sets' ``rhs_schema.yaml`` (GOLDEN_FORMAT.md): a table name and its
columns, each with a type (``string``, ``integer``, ``float``, ``decimal(p,s)``, ``boolean``,
``date``, ``timestamp``), an optional ``key`` flag and an optional description. Unknown keys are
ignored, as the golden format requires; anything else wrong is a ContractError naming the field.

>>> schema = parse_target_schema({"table": "t", "columns": [
...     {"name": "id", "type": "integer", "key": True}, {"name": "amt", "type": "decimal(12,2)"}]})
>>> [c.name for c in schema.columns], schema.keys, schema.columns[1].family
(['id', 'amt'], ('id',), 'decimal')
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    field_validator,
)

from core.errors import ContractError

if TYPE_CHECKING:
    from core.contract import RunContract

__all__ = [
    "TargetColumn",
    "TargetSchema",
    "contract_target_schema",
    "load_target_schema",
    "parse_target_schema",
]

_TYPE = re.compile(
    r"^(string|integer|float|boolean|date|timestamp|decimal\((\d{1,2}),(\d{1,2})\))$"
)
Name = Annotated[str, StringConstraints(min_length=1, max_length=128)]
MAX_COLUMNS = 2000


class TargetColumn(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    name: Name
    type: str
    key: bool = False
    description: Annotated[str, StringConstraints(max_length=2000)] = ""

    @field_validator("type")
    @classmethod
    def _known_type(cls, value: str) -> str:
        compact = value.replace(" ", "").lower()
        match = _TYPE.match(compact)
        if not match:
            raise ValueError(
                f"unknown type {value!r}: use string, integer, float, decimal(p,s), boolean, "
                "date or timestamp"
            )
        if match.group(2) and int(match.group(3)) > int(match.group(2)):
            raise ValueError(f"{value!r}: the scale is larger than the precision")
        return compact

    @property
    def family(self) -> str:
        """The type without its parameters (``decimal`` for ``decimal(12,2)``)."""
        return self.type.split("(")[0]


class TargetSchema(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    table: Name
    columns: tuple[TargetColumn, ...] = Field(min_length=1, max_length=MAX_COLUMNS)

    @field_validator("columns")
    @classmethod
    def _unique(cls, columns: tuple[TargetColumn, ...]) -> tuple[TargetColumn, ...]:
        seen: set[str] = set()
        for column in columns:
            if column.name in seen:
                raise ValueError(f"column {column.name!r} is listed twice")
            seen.add(column.name)
        return columns

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns if c.key)


def parse_target_schema(doc: Any, *, source: str = "the target schema") -> TargetSchema:
    """Validate a parsed schema document."""
    try:
        return TargetSchema.model_validate(doc)
    except ValidationError as e:
        first = e.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise ContractError(
            f"{source} is invalid at {where}: {first['msg']}", field=where
        ) from None


def load_target_schema(path: Path) -> TargetSchema:
    """Read and validate a target schema YAML file."""
    import yaml

    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ContractError(f"no target schema file {path}", field="rhs.schema_ref") from None
    except UnicodeDecodeError:
        raise ContractError(f"{path.name} is not UTF-8 text", field="rhs.schema_ref") from None
    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError as e:
        raise ContractError(f"{path.name} is not valid YAML: {e}", field="rhs.schema_ref") from None
    return parse_target_schema(doc, source=path.name)


def contract_target_schema(contract: RunContract, base: Path) -> TargetSchema | None:
    """The contract's target schema: ``rhs.schema_ref``, or ``rhs.location`` when that is a
    YAML file; None when the contract names none."""
    ref = contract.rhs.schema_ref
    if ref is None and contract.rhs.location.endswith((".yaml", ".yml")):
        ref = contract.rhs.location
    if ref is None:
        return None
    path = Path(ref)
    return load_target_schema(path if path.is_absolute() else base / path)
