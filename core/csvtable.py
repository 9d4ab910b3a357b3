"""Reading a CSV file into columns, with errors a user can act on (DETERMINISTIC_FAILURE)."""

from __future__ import annotations

import csv
from pathlib import Path

from core.errors import ContractError

__all__ = ["Columns", "read_csv_table"]

Columns = dict[str, list[str | None]]


def read_csv_table(path: Path) -> Columns:
    """``{column: [value or None]}`` from a CSV file with a header row (empty strings are None).

    UTF-8 with or without a byte-order mark (Excel writes one). A missing or unreadable file, a
    file that is not UTF-8, a field over the csv module's limit, an empty file, a repeated column
    name or a row of the wrong width is refused, naming the file (and the line).
    """
    try:
        with path.open(encoding="utf-8-sig", newline="") as f:
            rows = list(csv.reader(f))
    except FileNotFoundError:
        raise ContractError(f"{path} does not exist", field=str(path)) from None
    except UnicodeDecodeError as e:
        raise ContractError(f"{path} is not UTF-8 (byte {e.start})", field=str(path)) from None
    except (OSError, csv.Error) as e:
        raise ContractError(f"cannot read {path}: {e}", field=str(path)) from None
    if not rows:
        raise ContractError(f"{path} is empty", field=str(path))
    header, body = rows[0], rows[1:]
    if len(set(header)) != len(header):
        raise ContractError(f"{path} repeats a column name", field=str(path))
    table: Columns = {h: [] for h in header}
    for n, row in enumerate(body, start=2):
        if len(row) != len(header):
            raise ContractError(
                f"{path}:{n} has {len(row)} fields, the header {len(header)}", field=str(path)
            )
        for h, v in zip(header, row, strict=True):
            table[h].append(v if v != "" else None)
    return table
