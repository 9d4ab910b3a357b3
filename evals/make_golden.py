"""Generate the synthetic mapping cases ``evals/golden/gen_*`` and check the whole golden set.

    .venv/bin/python evals/make_golden.py            # (re)write every gen_* case folder
    .venv/bin/python evals/make_golden.py --check    # validate every case under evals/golden

Stdlib only (plus PyYAML for ``--check``). Each case has its own fixed seed, so two runs write
byte-identical files. The ground truth (``expected.yaml`` and ``expected.csv``) is computed here
from the same values the source rows are rendered from, never by the project's matcher.

Conventions (see evals/golden/README.md):
- compose/decompose lists name the source columns in the order the target formula reads them:
  ``full_name: [Given Name, Surname]``, signed ``amount: [Credit, Debit]`` (credit minus debit),
  ``first_name: [Contact]`` and ``last_name: [Contact]`` for a "Last, First" column;
- expected.csv: dates ``yyyy-mm-dd``, timestamps ``yyyy-mm-ddThh:mm:ss``, decimals plain with the
  target scale, money rounded half away from zero, strings trimmed, NULL as an empty field.
"""

from __future__ import annotations

import random
import sys
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from evals.golden_check import check
from evals.golden_synth import (
    FIRST,
    LAST,
    LAST_SPACED,
    ascii_fold,
    money,
    pad,
    person,
    unique_ids,
    usd,
    write_case,
)


def gen_hr_roster() -> None:
    """HR roster: day-first hire dates, salary in thousands, first + last -> full_name."""
    rng = random.Random(41001)
    n = 60
    columns: list[dict[str, Any]] = [
        {"name": "employee_id", "type": "integer", "key": True, "from": ["Emp No"]},
        {"name": "first_name", "type": "string", "from": ["Given Name"]},
        {"name": "last_name", "type": "string", "from": ["Surname"]},
        {
            "name": "full_name",
            "type": "string",
            "description": "given name then family name",
            "from": ["Given Name", "Surname"],
        },
        {"name": "hire_date", "type": "date", "from": ["Hire Dt"]},
        {"name": "department", "type": "string", "from": ["Dept"]},
        {
            "name": "annual_salary",
            "type": "decimal(12,2)",
            "description": "annual base salary in currency units",
            "from": ["Salary (K)"],
        },
        {"name": "work_email", "type": "string", "from": ["EMAIL"]},
        {"name": "manager_id", "type": "integer", "from": ["Mgr Emp No"]},
        {"name": "employment_status", "type": "string", "from": ["Status"]},
        {"name": "termination_date", "type": "date", "from": []},
    ]
    header = [
        "Emp No",
        "Given Name",
        "Surname",
        "Dept",
        "Hire Dt",
        "Salary (K)",
        "EMAIL",
        "Mgr Emp No",
        "Status",
    ]
    depts = ["Finance", "Engineering", "Sales", "Operations", "People", "Legal", "Support"]
    ids = unique_ids(rng, 10000, 10999, n)
    managers = ids[:6]
    lhs, exp = [], []
    used_emails: set[str] = set()
    for emp in ids:
        first, last = person(rng)
        hired = date(2012, 1, 1) + timedelta(days=rng.randrange(0, 14 * 365))
        k = Decimal(rng.randrange(420, 1900)) / 10  # 42.0 .. 189.9 thousand
        if rng.random() < 0.3:
            k += Decimal(rng.choice([25, 75])) / 1000  # e.g. 85.525 -> 85525.00
        k_text = f"{k.normalize():f}"
        email = f"{first[0].lower()}{last.lower()}@corp.example.com"
        while email in used_emails:
            email = email.replace("@", "1@")
        used_emails.add(email)
        mgr = "" if emp in managers else str(rng.choice(managers))
        status = rng.choice(["Active"] * 8 + ["On Leave"])
        lhs.append(
            [
                str(emp),
                pad(rng, first),
                pad(rng, last),
                rng.choice(depts),
                hired.strftime("%d/%m/%Y"),
                k_text,
                email,
                mgr,
                status,
            ]
        )
        exp.append(
            [
                str(emp),
                first,
                last,
                f"{first} {last}",
                hired.isoformat(),
                lhs[-1][3],
                f"{money(k * 1000)}",
                email,
                mgr,
                status,
                "",
            ]
        )
    write_case("gen_hr_roster", "employee", columns, header, lhs, exp)


def gen_bank_debit_credit() -> None:
    """Bank export with separate Debit/Credit currency columns -> one signed amount."""
    rng = random.Random(41002)
    n = 50
    columns: list[dict[str, Any]] = [
        {"name": "txn_ref", "type": "string", "key": True, "from": ["Ref No"]},
        {"name": "posted_on", "type": "date", "from": ["TXN DATE"]},
        {"name": "description", "type": "string", "from": ["description"]},
        {
            "name": "amount",
            "type": "decimal(14,2)",
            "description": "signed: credit minus debit, deposits positive",
            "from": ["Credit", "Debit"],
        },
        {"name": "balance_after", "type": "decimal(14,2)", "from": ["Running Bal"]},
        {"name": "category", "type": "string", "from": ["Cat"]},
        {"name": "bank_account_id", "type": "string", "from": []},
    ]
    header = ["TXN DATE", "Ref No", "description", "Cat", "Debit", "Credit", "Running Bal"]
    payees_out = [
        ("ACH DEBIT GRANITE INSURANCE", "Insurance"),
        ("POS STAPLES #0114", "Office"),
        ("CHECK PAID", "Checks"),
        ("WIRE OUT TIDEWATER FREIGHT", "Freight"),
        ("ACH DEBIT INTUIT PAYROLL", "Payroll"),
        ("POS SHELL OIL 5744", "Fuel"),
        ("MONTHLY SERVICE FEE", "Fees"),
    ]
    payees_in = [
        ("ACH CREDIT STRIPE TRANSFER", "Sales"),
        ("REMOTE DEPOSIT", "Deposits"),
        ("WIRE IN NORTHWIND TRADERS", "Sales"),
        ("INTEREST PAYMENT", "Interest"),
    ]
    balance = Decimal("48250.00")
    day = date(2026, 2, 2)
    refs = unique_ids(rng, 700000, 799999, n)
    lhs, exp = [], []
    for ref in refs:
        day += timedelta(days=rng.choice([0, 0, 1, 1, 2, 3]))
        credit = rng.random() < 0.35
        cents = rng.randrange(1500, 2500000) if credit else rng.randrange(500, 900000)
        amt = Decimal(cents) / 100
        if not credit and amt > balance - 1000:
            credit = True
        if credit:
            desc, cat = rng.choice(payees_in)
            balance += amt
            debit_s, credit_s, signed = "", pad(rng, usd(amt)), amt
        else:
            desc, cat = rng.choice(payees_out)
            if desc == "CHECK PAID":
                desc = f"CHECK {rng.randrange(3000, 3999)}"
            balance -= amt
            debit_s, credit_s, signed = pad(rng, usd(amt)), "", -amt
        lhs.append(
            [day.strftime("%m/%d/%Y"), f"TRN{ref}", desc, cat, debit_s, credit_s, usd(balance)]
        )
        exp.append([f"TRN{ref}", day.isoformat(), desc, f"{signed:.2f}", f"{balance:.2f}", cat, ""])
    write_case("gen_bank_debit_credit", "bank_transaction", columns, header, lhs, exp)


def gen_vendor_master() -> None:
    """Vendor master: "Last, First" contact and "6100 Repairs" account, each split in two."""
    rng = random.Random(41003)
    n = 45
    columns: list[dict[str, Any]] = [
        {"name": "vendor_code", "type": "string", "key": True, "from": ["VendorID"]},
        {"name": "vendor_name", "type": "string", "from": ["Vendor Name"]},
        {
            "name": "first_name",
            "type": "string",
            "description": "contact's given name",
            "from": ["Contact"],
        },
        {
            "name": "last_name",
            "type": "string",
            "description": "contact's family name",
            "from": ["Contact"],
        },
        {"name": "contact_email", "type": "string", "from": ["E-mail"]},
        {"name": "phone", "type": "string", "from": ["Phone"]},
        {
            "name": "account_code",
            "type": "string",
            "description": "default GL account number",
            "from": ["Account"],
        },
        {
            "name": "account_name",
            "type": "string",
            "description": "default GL account name",
            "from": ["Account"],
        },
        {"name": "payment_terms_days", "type": "integer", "from": ["Terms"]},
        {"name": "is_1099", "type": "boolean", "from": ["1099"]},
        {"name": "created_at", "type": "timestamp", "from": ["Created"]},
    ]
    header = [
        "VendorID",
        "Vendor Name",
        "Contact",
        "E-mail",
        "Phone",
        "Account",
        "Terms",
        "1099",
        "Created",
    ]
    companies = [
        "Brightline Office Supply",
        "Cascade Janitorial",
        "Summit Legal Partners",
        "Meridian Power & Light",
        "Tidewater Freight",
        "Bluefin Software",
        "Keystone Property",
        "Granite Insurance",
        "Lumen Marketing",
        "Redwood Catering",
        "Northwind Logistics",
        "Pinecrest Plumbing",
        "Harbor HVAC",
        "Orchard IT",
    ]
    suffixes = ["LLC", "Inc", "Co", "Group", "Ltd"]
    accounts = [
        ("5200", "Freight & Delivery"),
        ("6100", "Repairs"),
        ("6100", "Repairs"),
        ("6210", "Office Supplies"),
        ("6300", "Legal & Professional Fees"),
        ("6420", "Utilities"),
        ("6610", "Insurance Expense"),
        ("6720", "Software Subscriptions"),
        ("6810", "Advertising & Marketing"),
        ("6910", "Janitorial Expense"),
    ]
    lhs, exp = [], []
    names: set[str] = set()
    created = datetime(2023, 1, 9, 8, 0, 0)
    for i in range(n):
        code = f"VN-{1001 + i * 7:05d}"
        vname = f"{rng.choice(companies)} {rng.choice(suffixes)}"
        while vname in names:
            vname = f"{rng.choice(companies)} {rng.choice(suffixes)}"
        names.add(vname)
        first = rng.choice(FIRST)
        last = rng.choice(LAST_SPACED) if rng.random() < 0.1 else rng.choice(LAST)
        contact = pad(rng, f"{last}, {first}")
        dom = vname.split()[0].lower()
        email = f"{first.lower()}.{last.lower().replace(' ', '')}@{dom}.example.com"
        phone = f"({rng.choice([212, 312, 415, 512, 617, 720])}) 555-01{rng.randrange(0, 100):02d}"
        acode, aname = rng.choice(accounts)
        terms = rng.choice(
            [
                ("Net 30", "30"),
                ("Net 15", "15"),
                ("Net 45", "45"),
                ("Net 60", "60"),
                ("Due on receipt", "0"),
            ]
        )
        flag = rng.random() < 0.3
        created += timedelta(days=rng.randrange(1, 20), seconds=rng.randrange(0, 86400))
        lhs.append(
            [
                code,
                vname,
                contact,
                email,
                phone,
                f"{acode} {aname}",
                terms[0],
                "Y" if flag else "N",
                created.strftime("%Y-%m-%d %H:%M:%S"),
            ]
        )
        exp.append(
            [
                code,
                vname,
                first,
                last,
                email,
                phone,
                acode,
                aname,
                terms[1],
                "true" if flag else "false",
                created.strftime("%Y-%m-%dT%H:%M:%S"),
            ]
        )
    write_case("gen_vendor_master", "vendor", columns, header, lhs, exp)


def gen_envios_es() -> None:
    """Spanish shipment lines: lb -> kg, cents -> decimal, distractors, unfed targets."""
    rng = random.Random(41004)
    n = 55
    columns: list[dict[str, Any]] = [
        {"name": "shipment_no", "type": "string", "key": True, "from": ["Num Envio"]},
        {"name": "ship_date", "type": "date", "from": ["Fecha"]},
        {"name": "departed_at", "type": "timestamp", "from": ["Fecha Hora Salida"]},
        {"name": "supplier_name", "type": "string", "from": ["Proveedor"]},
        {"name": "sku", "type": "string", "from": ["SKU"]},
        {"name": "product_description", "type": "string", "from": ["Descripción"]},
        {"name": "quantity", "type": "integer", "from": ["Cantidad"]},
        {
            "name": "weight_kg",
            "type": "decimal(10,3)",
            "description": "gross weight in kilograms",
            "from": ["Peso (lb)"],
        },
        {
            "name": "amount",
            "type": "decimal(12,2)",
            "description": "line amount in currency units",
            "from": ["Importe (centavos)"],
        },
        {"name": "currency_code", "type": "string", "from": ["Moneda"]},
        {"name": "destination_city", "type": "string", "from": ["Ciudad Destino"]},
        {"name": "tracking_number", "type": "string", "from": []},
        {"name": "carrier_code", "type": "string", "from": []},
    ]
    header = [
        "Num Envio",
        "Fecha",
        "Proveedor",
        "SKU",
        "Descripción",
        "Cantidad",
        "Peso (lb)",
        "Importe (centavos)",
        "Moneda",
        "Ciudad Destino",
        "Fecha Hora Salida",
        "Usuario",
        "Lote Exportacion",
    ]
    suppliers = [
        "Distribuidora Andina SA",
        "Aceros del Norte",
        "Textiles Valencia SL",
        "Agroexport Sinaloa",
        "Papelera Iberica",
        "Quimicos Monterrey",
    ]
    products = [
        ("SKU-1042", "Tornillo hexagonal M8"),
        ("SKU-2210", "Rollo de tela 50 m"),
        ("SKU-3307", "Caja de cartón corrugado"),
        ("SKU-4415", "Aguacate Hass 10 kg"),
        ("SKU-5120", "Resma papel A4"),
        ("SKU-6631", "Bidón solvente 20 L"),
        ("SKU-7004", "Perfil de acero 6 m"),
    ]
    cities = ["Madrid", "Monterrey", "Bogotá", "Valencia", "Guadalajara", "Lima", "Sevilla"]
    users = ["jgarcia", "mlopez", "admin", "etl_batch"]
    lot = "EXP-20260412-01"
    lb_to_kg = Decimal("0.45359237")
    lhs, exp = [], []
    day = date(2026, 3, 2)
    for i in range(n):
        no = f"ENV-{26000 + i * 3 + rng.randrange(0, 3)}"
        day += timedelta(days=rng.choice([0, 1, 1, 2]))
        dep = datetime(day.year, day.month, day.day, rng.randrange(5, 22), rng.randrange(0, 60))
        sku, desc = rng.choice(products)
        qty = rng.randrange(1, 400)
        lb = Decimal(rng.randrange(5, 80000)) / 10  # 0.5 .. 7999.9 lb
        cents = rng.randrange(1999, 9_500_000)
        cur = rng.choice(["EUR", "MXN", "USD", "EUR"])
        lhs.append(
            [
                no,
                day.strftime("%d/%m/%Y"),
                pad(rng, rng.choice(suppliers)),
                sku,
                desc,
                str(qty),
                f"{lb:.1f}",
                str(cents),
                cur,
                pad(rng, rng.choice(cities)),
                dep.strftime("%d/%m/%Y %H:%M"),
                rng.choice(users),
                lot,
            ]
        )
        exp.append(
            [
                no,
                day.isoformat(),
                dep.strftime("%Y-%m-%dT%H:%M:%S"),
                lhs[-1][2].strip(),
                sku,
                desc,
                str(qty),
                f"{money(lb * lb_to_kg, 3)}",
                f"{Decimal(cents) / 100:.2f}",
                cur,
                lhs[-1][9].strip(),
                "",
                "",
            ]
        )
    write_case("gen_envios_es", "shipment_line", columns, header, lhs, exp)


def gen_clients_fr() -> None:
    """French customer list: Prénom + Nom -> full_name, "1 234,56" balances, dd/mm/yyyy."""
    rng = random.Random(41005)
    n = 40
    columns: list[dict[str, Any]] = [
        {"name": "customer_id", "type": "integer", "key": True, "from": ["N° Client"]},
        {
            "name": "full_name",
            "type": "string",
            "description": "given name then family name",
            "from": ["Prénom", "Nom"],
        },
        {"name": "email", "type": "string", "from": ["Courriel"]},
        {"name": "phone", "type": "string", "from": ["Tél"]},
        {"name": "signup_date", "type": "date", "from": ["Date Inscription"]},
        {"name": "balance_eur", "type": "decimal(12,2)", "from": ["Solde (€)"]},
        {"name": "city", "type": "string", "from": ["Ville"]},
        {"name": "postal_code", "type": "string", "from": ["CP"]},
        {"name": "segment", "type": "string", "from": []},
    ]
    header = [
        "N° Client",
        "Nom",
        "Prénom",
        "Courriel",
        "Tél",
        "Ville",
        "CP",
        "Date Inscription",
        "Solde (€)",
    ]
    firsts = [
        "Camille",
        "Louis",
        "Chloé",
        "Hugo",
        "Léa",
        "Jules",
        "Manon",
        "Théo",
        "Inès",
        "Nathan",
        "Élodie",
        "Karim",
        "Sophie",
        "Yanis",
    ]
    lasts = [
        "Martin",
        "Bernard",
        "Dubois",
        "Lefèvre",
        "Moreau",
        "Girard",
        "Mercier",
        "Fournier",
        "Benali",
        "Roux",
        "Faure",
        "Chevalier",
    ]
    places = [
        ("Nice", "06000"),
        ("Lyon", "69003"),
        ("Paris", "75011"),
        ("Lille", "59000"),
        ("Bordeaux", "33000"),
        ("Annecy", "74000"),
        ("Marseille", "13008"),
    ]
    ids = unique_ids(rng, 100, 9999, n)
    lhs, exp = [], []
    for cid in ids:
        first, last = rng.choice(firsts), rng.choice(lasts)
        city, cp = rng.choice(places)
        signed = date(2019, 1, 1) + timedelta(days=rng.randrange(0, 7 * 365))
        bal = Decimal(rng.randrange(-50000, 1_500_000)) / 100
        whole, frac = f"{abs(bal):,.2f}".split(".")
        bal_fr = ("-" if bal < 0 else "") + whole.replace(",", " ") + "," + frac
        email = f"{ascii_fold(first)}.{ascii_fold(last)}{cid}@example.fr"
        a, b, c = (rng.randrange(10, 99) for _ in range(3))
        d = rng.randrange(0, 9)
        phone = f"+33 1 {a} {b} {c} 0{d}"
        lhs.append(
            [
                str(cid),
                pad(rng, last),
                pad(rng, first),
                email,
                phone,
                city,
                cp,
                signed.strftime("%d/%m/%Y"),
                bal_fr,
            ]
        )
        exp.append(
            [
                str(cid),
                f"{first} {last}",
                email,
                phone,
                signed.isoformat(),
                f"{bal:.2f}",
                city,
                cp,
                "",
            ]
        )
    write_case("gen_clients_fr", "customer", columns, header, lhs, exp)


CASES = [gen_hr_roster, gen_bank_debit_credit, gen_vendor_master, gen_envios_es, gen_clients_fr]


def main(argv: list[str]) -> int:
    if "--check" in argv:
        return 1 if check() else 0
    for make in CASES:
        make()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
