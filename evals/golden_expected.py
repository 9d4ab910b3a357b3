"""Write ``expected.csv`` for the hand-written data_mode golden cases, by explicit per-case rules.

    .venv/bin/python evals/golden_expected.py

Stdlib only. For each case below, every target column has one rule naming the source columns it
reads (checked against the case's ``expected.yaml``) and how a correct migration turns them into
the target value. Output conventions (evals/golden/README.md): dates ``yyyy-mm-dd``, timestamps
``yyyy-mm-ddThh:mm:ss`` in UTC (an offset in the source is applied, then dropped), decimals as plain
numbers at the target scale rounded half away from zero, integers without leading zeros, booleans
``true``/``false``, strings trimmed, NULL as an empty field.

Cases not listed here are skipped (see the README for why): ap_bills_netsuite (metadata_only),
bank_chase_checking (no key: no source column identifies a row), card_amex_activity (card_suffix
and merchant_city are extractions with more than one defensible answer; the reference is
quote-wrapped).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

GOLDEN = Path(__file__).resolve().parent / "golden"


# ---------------------------------------------------------------- value rules
# each takes (source values, target type) and returns the expected.csv field


def text(v: list[str], t: str) -> str:
    """Copy, trimmed."""
    return v[0].strip()


def null(v: list[str], t: str) -> str:
    """No source: NULL."""
    return ""


def concat(v: list[str], t: str) -> str:
    """Trimmed values joined by one space, empty ones skipped."""
    return " ".join(x.strip() for x in v if x.strip())


def integer(v: list[str], t: str) -> str:
    """An integer ("001" -> 1); empty -> NULL."""
    s = v[0].strip()
    return str(int(s)) if s else ""


def number(v: list[str], t: str) -> str:
    """A float as written (compared by value); empty -> NULL."""
    s = v[0].strip()
    return str(Decimal(s)) if s else ""


def _scale(t: str) -> int:
    m = re.fullmatch(r"decimal\((\d+),(\d+)\)", t)
    if not m:
        raise ValueError(f"not a decimal type: {t}")
    return int(m.group(2))


def _dec(d: Decimal, t: str) -> str:
    return str(d.quantize(Decimal(1).scaleb(-_scale(t)), rounding=ROUND_HALF_UP))


def money(v: list[str], t: str) -> str:
    """Strip $ and thousands commas; a decimal at the target scale; empty -> NULL."""
    s = v[0].strip().replace("$", "").replace(",", "")
    return _dec(Decimal(s), t) if s else ""


def decimal_de(v: list[str], t: str) -> str:
    """German number "15.510,94": drop '.' thousands, ',' is the decimal mark."""
    s = v[0].strip().replace(".", "").replace(",", ".")
    return _dec(Decimal(s), t) if s else ""


def signed_sh(v: list[str], t: str) -> str:
    """[amount, S/H flag]: S (Soll, debit) positive, H (Haben, credit) negative."""
    amount, flag = decimal_de(v[:1], t), v[1].strip().upper()
    if flag not in ("S", "H"):
        raise ValueError(f"S/H flag {flag!r}")
    return _dec(-Decimal(amount), t) if flag == "H" else amount


def date_mdy(v: list[str], t: str) -> str:
    """M/D/YYYY (US) -> ISO."""
    s = v[0].strip()
    return datetime.strptime(s, "%m/%d/%Y").date().isoformat() if s else ""


def date_dmy_dot(v: list[str], t: str) -> str:
    """DD.MM.YYYY -> ISO."""
    s = v[0].strip()
    return datetime.strptime(s, "%d.%m.%Y").date().isoformat() if s else ""


def date_iso(v: list[str], t: str) -> str:
    """Already yyyy-mm-dd: validated and copied."""
    s = v[0].strip()
    return datetime.strptime(s, "%Y-%m-%d").date().isoformat() if s else ""


def ts_utc(v: list[str], t: str) -> str:
    """ISO 8601 with Z or an offset -> UTC, written without the offset."""
    s = v[0].strip()
    if not s:
        return ""
    d = datetime.fromisoformat(s.replace("Z", "+00:00"))
    if d.tzinfo is not None:
        d = d.astimezone(UTC).replace(tzinfo=None)
    return d.strftime("%Y-%m-%dT%H:%M:%S")


def boolean(v: list[str], t: str) -> str:
    """true/false (also 1/0, yes/no, y/n); empty -> NULL."""
    s = v[0].strip().lower()
    if not s:
        return ""
    if s in ("true", "1", "yes", "y", "t"):
        return "true"
    if s in ("false", "0", "no", "n", "f"):
        return "false"
    raise ValueError(f"boolean {s!r}")


Rule = tuple[Callable[[list[str], str], str], list[str]]

# ---------------------------------------------------------------- per-case rules

RULES: dict[str, dict[str, Rule]] = {
    "crm_contacts_salesforce": {
        "crm_contact_id": (text, ["Contact ID"]),
        "first_name": (text, ["First Name"]),
        "middle_name": (text, ["Middle Name"]),
        "last_name": (text, ["Last Name"]),
        "job_title": (text, ["Title"]),
        "company_name": (text, ["Account Name"]),
        "email": (text, ["Email"]),
        "phone": (text, ["Phone"]),
        "street": (text, ["Mailing Street"]),
        "city": (text, ["Mailing City"]),
        "region": (text, ["Mailing State/Province"]),
        "postal_code": (text, ["Mailing Zip/Postal Code"]),
        "country": (text, ["Mailing Country"]),
        "date_of_birth": (date_mdy, ["Birthdate"]),
        "full_name": (concat, ["First Name", "Middle Name", "Last Name"]),
    },
    "gl_lines_quickbooks": {
        "entry_id": (text, ["Trans #"]),
        "account_code": (text, ["Account #"]),
        "account_name": (text, ["Account"]),
        "posting_date": (date_mdy, ["Date"]),
        "check_number": (text, ["Num"]),
        "payee": (text, ["Name"]),
        "description": (text, ["Memo/Description"]),
        "department": (text, ["Class"]),
        "debit_amount": (money, ["Debit"]),
        "credit_amount": (money, ["Credit"]),
        "running_balance": (money, ["Balance"]),
        "source_type": (text, ["Type"]),
    },
    "gl_sap_buchungen_de": {
        "company_code": (text, ["Buchungskreis"]),
        "document_number": (text, ["Belegnummer"]),
        "gl_account": (text, ["Sachkonto"]),
        "gl_account_name": (text, ["Kontobezeichnung"]),
        "posting_date": (date_dmy_dot, ["Buchungsdatum"]),
        "document_date": (date_dmy_dot, ["Belegdatum"]),
        "cost_center": (text, ["Kostenstelle"]),
        "amount_signed": (signed_sh, ["Betrag", "S/H"]),
        "currency": (text, ["Währung"]),
        "tax_amount": (decimal_de, ["Steuerbetrag"]),
        "line_text": (text, ["Buchungstext"]),
        "fiscal_year": (integer, ["Geschäftsjahr"]),
        "fiscal_period": (integer, ["Periode"]),
        "source_system": (null, []),
    },
    "rent_roll_yardi": {
        "property_code": (text, ["Property"]),
        "unit_code": (text, ["Unit"]),
        "property_name": (text, ["Property Name"]),
        "unit_type": (text, ["Unit Type"]),
        "rentable_sqft": (integer, ["Sq Ft"]),
        "tenant_code": (text, ["Tenant Code"]),
        "tenant_name": (text, ["Tenant Name"]),
        "lease_start": (date_mdy, ["Lease From"]),
        "lease_end": (date_mdy, ["Lease To"]),
        "monthly_rent": (money, ["Monthly Rent"]),
        "security_deposit": (money, ["Deposit"]),
        "balance_due": (money, ["Balance"]),
        "tenant_email": (text, ["Email"]),
        "tenant_phone": (text, ["Phone"]),
        "market_rent": (null, []),
    },
    "shipments_api_camel": {
        "shipment_uuid": (text, ["ShipmentId"]),
        "shipped_at": (ts_utc, ["ShipTs"]),
        "dest_street": (text, ["DestAddr1"]),
        "dest_line2": (text, ["DestAddr2"]),
        "dest_city": (text, ["DestCity"]),
        "dest_postal_code": (text, ["DestPostalCd"]),
        "dest_country_iso2": (text, ["DestCountryCd"]),
        "pieces": (integer, ["PieceQty"]),
        "gross_weight_kg": (number, ["GrossWtKg"]),
        "length_cm": (number, ["LengthCm"]),
        "width_cm": (number, ["WidthCm"]),
        "height_cm": (number, ["HeightCm"]),
        "volume_m3": (number, ["CubeM3"]),
        "reefer_setpoint_c": (number, ["SetpointTempC"]),
        "carrier_scac": (null, []),
    },
    "stripe_payouts_api": {
        "payout_id": (text, ["id"]),
        "amount_cents": (integer, ["amount"]),
        "currency": (text, ["currency"]),
        "arrival_date": (date_iso, ["arrival_date"]),
        "created_at": (ts_utc, ["created"]),
        "status": (text, ["status"]),
        "payout_method": (text, ["method"]),
        "is_automatic": (boolean, ["automatic"]),
        "destination_bank": (text, ["bank_name"]),
        "destination_routing": (text, ["bank_routing_number"]),
        "descriptor": (text, ["statement_descriptor"]),
        "balance_txn_id": (text, ["balance_transaction"]),
        "failure_code": (text, ["failure_code"]),
    },
    "vendors_db_dump": {
        "vendor_id": (text, ["vend_id"]),
        "vendor_name": (text, ["vend_nm"]),
        "federal_tax_id": (text, ["ein"]),
        "ssn": (text, ["ssn"]),
        "street": (text, ["addr1"]),
        "city": (text, ["city"]),
        "state_code": (text, ["st"]),
        "postal_code": (text, ["zip"]),
        "phone": (text, ["phone_nbr"]),
        "remit_email": (text, ["email"]),
        "routing_number": (text, ["ach_rtng_nbr"]),
        "bank_account_number": (text, ["ach_acct_nbr"]),
        "iban": (text, ["iban"]),
        "bic": (text, ["swift"]),
        "is_1099": (null, []),
    },
}


def _schema(folder: Path) -> list[tuple[str, str, bool]]:
    """(name, type, key) per target column, read with a tiny parser of the flow-style lines
    these cases use (stdlib only)."""
    cols = []
    for line in (folder / "rhs_schema.yaml").read_text(encoding="utf-8").splitlines():
        m = re.match(r"\s*-\s*\{name:\s*([^,]+),\s*type:\s*\"?([^\",}]+(?:,\d+\))?)\"?", line)
        if m:
            cols.append((m.group(1).strip(), m.group(2).strip(), "key: true" in line))
    return cols


def _mappings(folder: Path) -> dict[str, list[str]]:
    """The ``mappings:`` block of expected.yaml (flow lists of double-quoted names)."""
    out: dict[str, list[str]] = {}
    inside = False
    for line in (folder / "expected.yaml").read_text(encoding="utf-8").splitlines():
        if not line.startswith(" "):
            inside = line.startswith("mappings:")
            continue
        m = re.match(r"\s+([A-Za-z0-9_]+):\s*\[(.*)\]\s*$", line)
        if inside and m:
            out[m.group(1)] = re.findall(r'"((?:[^"\\]|\\.)*)"', m.group(2))
    return out


def build(name: str) -> tuple[str, int]:
    folder = GOLDEN / name
    rules = RULES[name]
    schema = _schema(folder)
    mappings = _mappings(folder)
    names = [c for c, _, _ in schema]
    if names != list(rules):
        raise SystemExit(f"{name}: rules {list(rules)} != target columns {names}")
    for col, (_, srcs) in rules.items():
        if mappings.get(col) != srcs:
            found = mappings.get(col)
            raise SystemExit(f"{name}: rule for {col} reads {srcs}, expected.yaml {found}")
    with (folder / "lhs.csv").open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(names)
    keys = [c for c, _, k in schema if k]
    seen = set()
    for row in rows:
        out = [rules[c][0]([row[s] for s in rules[c][1]], t) for c, t, _ in schema]
        kv = tuple(out[names.index(k)] for k in keys)
        if not keys or kv in seen or "" in kv:
            raise SystemExit(f"{name}: key {kv} missing or not unique")
        seen.add(kv)
        w.writerow(out)
    return buf.getvalue(), len(rows)


def main() -> None:
    for name in RULES:
        text_, n = build(name)
        (GOLDEN / name / "expected.csv").write_text(text_, encoding="utf-8", newline="")
        print(f"wrote {name}/expected.csv: {n} rows")


if __name__ == "__main__":
    main()
