"""Generators of the ledger (money movement) tables, one function per ``gen_<name>`` case.

Each function draws its table from ``rng`` in a fixed order; ``TABLES`` in ``make_golden.py`` calls
them in a fixed order too, so any change here changes the committed files.
"""

from __future__ import annotations

import string
from collections.abc import Callable
from datetime import date, timedelta

from .golden_cells import (
    ABA,
    BANK,
    CARD,
    EMAIL,
    IBAN,
    PERSON,
    PHONE,
    STREET,
    Cell,
    Pii,
    Table,
    blank,
    text,
)
from .golden_values import (
    Y2024,
    Y2025,
    Person,
    R,
    aba_routing,
    bank_account,
    card_number,
    company,
    digits,
    fmt_date,
    format_card,
    format_iban,
    full_address,
    iban,
    letters,
    luhn_check_digit,
    masked_card,
    money,
    name_as,
    person,
    personal_email,
    rand_date,
    timestamp,
    unique_ids,
    us_phone,
    work_email,
    zip_code,
)
from .golden_words import BICS, CITIES, CURRENCIES, JOBS, MERCHANTS, WELL_KNOWN_COMPANIES

BANK_MEMOS_CLEAN = (
    "Monthly service fee",
    "Q3 estimated tax payment",
    "Payroll funding 11/15",
    "Wire fee",
    "Refund order #88213",
    "Transfer to savings ****4821",
    "Reversal of duplicate charge",
    "Interest paid",
    "Quarterly rent - HQ",
    "Insurance premium Nov",
    "Loan payment 24 of 60",
    "Sweep to money market",
    "Merchant deposit batch 0412",
    "Chargeback fee",
    "Office supplies",
)


def bank_memo(rng: R, p: Person) -> Cell:
    if rng.random() < 0.25:
        return ""
    if rng.random() >= 0.27:
        return rng.choice(BANK_MEMOS_CLEAN)
    options: list[Callable[[], Cell]] = [
        lambda: text("Paid back ", Pii(p.first, PERSON), " for team lunch"),
        lambda: text("Zelle from ", Pii(p.full, PERSON), " - rent share"),
        lambda: text("Call ", Pii(us_phone(rng), PHONE), " about stop payment"),
        lambda: text("Receipt sent to ", Pii(personal_email(rng, p), EMAIL)),
        lambda: text("Moved funds to acct ", Pii(bank_account(rng), BANK), " at Chase"),
        lambda: text("Security deposit for ", Pii(full_address(rng), STREET)),
    ]
    return rng.choice(options)()


BANK_CATEGORIES = {
    "card": ("Meals", "Travel", "Office", "Software"),
    "ach": ("Utilities", "Insurance", "Payroll", "Loan"),
    "p2p": ("Reimbursement", "Rent", "Other"),
    "check": ("Rent", "Contractors", "Other"),
    "deposit": ("Sales", "Refund"),
    "wire": ("Suppliers", "Tax"),
}


def bank_parties(rng: R, kind: str, p: Person, check: str) -> tuple[Cell, Cell]:
    """Description and counterparty of one bank line; P2P and some checks go to a person."""
    co = rng.choice(WELL_KNOWN_COMPANIES)
    to_person = Pii(name_as(rng, p, {"full": 3, "upper": 2, "lower": 1, "last_first": 1}), PERSON)
    if kind == "card":
        merchant = rng.choice(MERCHANTS)[0]
        return f"POS PURCHASE {merchant}", merchant
    if kind == "p2p":
        confirmation = f" CONF# {letters(rng, 9)}"
        return text("ZELLE TO ", Pii(p.full.upper(), PERSON), confirmation), to_person
    if kind == "check":
        return f"CHECK #{check}", rng.choice((co, to_person))
    if kind == "deposit":
        return f"REMOTE DEPOSIT {digits(rng, 6)}", co
    if kind == "wire":
        return f"WIRE TYPE:INTL OUT REF {letters(rng, 3)}{digits(rng, 9)}", co
    return f"ACH DEBIT {co.upper()} PPD ID: {digits(rng, 10)}", co


def bank_transactions(rng: R) -> Table:
    t = Table("bank_transactions")
    balance, check_no = 48210.55, 1040
    dates = sorted(rand_date(rng, date(2025, 3, 1), date(2025, 5, 31)) for _ in range(80))
    refs = unique_ids(rng, 80, 1_000_000, 9_999_999)
    for posted, ref in zip(dates, refs, strict=True):
        kind = rng.choice(("card", "card", "ach", "ach", "p2p", "check", "deposit", "wire"))
        amount = rng.uniform(100, 9000) if kind == "deposit" else -rng.uniform(5, 2500)
        balance += amount
        check = ""
        if kind == "check":
            check_no += rng.randint(1, 3)
            check = str(check_no)
        p = person(rng)
        description, counterparty = bank_parties(rng, kind, p, check)
        t.add(
            {
                "transaction_ref": f"BTX{ref}",
                "posting_date": fmt_date(posted),
                "value_date": fmt_date(posted + timedelta(days=rng.choice((0, 0, 1, 2)))),
                "description": description,
                "counterparty": blank(rng, counterparty, 0.05),
                "amount": f"{amount:.2f}",
                "balance": f"{balance:.2f}",
                "currency": "USD",
                "check_number": check,
                "category": rng.choice(BANK_CATEGORIES[kind]),
                "memo": bank_memo(rng, p),
            }
        )
    return t


def card_transaction_id(rng: R) -> str:
    """16 digits; about a third also pass the Luhn check (not a card, never labeled)."""
    body = str(rng.randint(1, 9)) + digits(rng, 14)
    return body + (luhn_check_digit(body) if rng.random() < 0.35 else digits(rng, 1))


def card_transactions(rng: R) -> Table:
    t = Table("card_transactions")
    cards = [(person(rng), card_number(rng)) for _ in range(30)]
    for _ in range(70):
        p, pan = rng.choice(cards)
        merchant, mcc = rng.choice(MERCHANTS)
        city = rng.choice(CITIES)
        t.add(
            {
                "transaction_id": card_transaction_id(rng),
                "posted_at": timestamp(rng, date(2025, 4, 1), Y2025, iso=False),
                "cardholder_name": Pii(
                    name_as(rng, p, {"upper": 3, "full": 2, "middle": 1}), PERSON
                ),
                "card_number": blank(rng, Pii(format_card(rng, pan), CARD), 0.05),
                "card_display": masked_card(rng, pan),
                "merchant": merchant,
                "mcc": mcc,
                "merchant_city": city.name,
                "merchant_state": city.state,
                "amount": money(rng, 2, 1800),
                "currency": "USD",
                "auth_code": digits(rng, 5) + rng.choice(string.ascii_uppercase + string.digits),
                "status": rng.choice(("posted", "posted", "posted", "pending", "declined")),
                "billing_zip": zip_code(rng, city),
            }
        )
    return t


PRODUCTS = (
    ("Thermal labels 4x6 (roll of 500)", 18.5),
    ("USB-C docking station", 189.0),
    ("Ergonomic chair, mesh", 349.0),
    ("Annual support plan - Tier 2", 4800.0),
    ("Copy paper, case of 10 reams", 52.99),
    ("Onsite installation (hours)", 145.0),
    ("Pallet jack, 5500 lb", 429.0),
    ("Network switch 24-port", 612.0),
    ("Cloud storage 10 TB / month", 230.0),
    ("Safety gloves, box of 100", 21.75),
)


def phone_like_invoice_number(rng: R) -> str:
    """10 digits shaped like a NANP number (NXX NXX XXXX) but an invoice number."""
    return f"{rng.randint(2, 9)}{digits(rng, 2)}{rng.randint(2, 9)}{digits(rng, 6)}"


def invoices(rng: R) -> Table:
    t = Table("invoices")
    clients = [
        (company(rng), person(rng), f"CUST-{rng.randint(100, 99999):05d}") for _ in range(24)
    ]
    for _ in range(60):
        co, contact, customer_id = rng.choice(clients)
        issued = rand_date(rng, Y2024, Y2025)
        product, price = rng.choice(PRODUCTS)
        qty = rng.randint(1, 40)
        subtotal = qty * price
        tax = round(subtotal * 0.0825, 2)
        t.add(
            {
                "invoice_number": phone_like_invoice_number(rng),
                "po_number": blank(rng, digits(rng, 9), 0.15),
                "customer_id": customer_id,
                "bill_to": co.name,
                "billing_contact": Pii(
                    name_as(rng, contact, {"full": 6, "title": 1, "upper": 1}), PERSON
                ),
                "billing_email": blank(rng, Pii(work_email(rng, contact, co.domain), EMAIL), 0.05),
                "invoice_date": fmt_date(issued, "us"),
                "due_date": fmt_date(issued + timedelta(days=30), "us"),
                "sku": f"SKU-{digits(rng, 4)}-{digits(rng, 4)}",
                "description": product,
                "quantity": str(qty),
                "unit_price": f"{price:,.2f}",
                "subtotal": f"{subtotal:,.2f}",
                "tax": f"{tax:,.2f}",
                "total": f"{subtotal + tax:,.2f}",
                "currency": "USD",
                "terms": rng.choice(("Net 30", "Net 30", "2/10 Net 30")),
                "status": rng.choice(("paid", "open", "open", "overdue", "void")),
            }
        )
    return t


GL_ACCOUNTS = (
    ("6100-200", "Travel & Entertainment"),
    ("6120-100", "Meals"),
    ("6400-300", "Software"),
    ("6500-110", "Professional Fees - Legal"),
    ("2100-000", "Accounts Payable"),
    ("2150-010", "Accrued Payroll"),
    ("1400-200", "Prepaid Insurance"),
    ("6800-000", "Depreciation Expense"),
    ("6200-400", "Rent Expense"),
    ("6910-020", "Bank Fees"),
)
GL_MEMOS_CLEAN = (
    "Q3 audit fee accrual",
    "Reclass from 6100 to 6120",
    "Monthly depreciation - May",
    "Prepaid insurance amortization 3/12",
    "AWS invoice 2025-05",
    "Reverse prior month accrual",
    "Intercompany true-up",
    "FX revaluation EUR",
    "Bank fee - wire",
    "Rent May HQ",
    "Accrued bonus Q2",
    "Sales tax true-up",
    "Ford Motor Co fleet lease",
    "Wells Fargo loan fee",
)


def gl_memo(rng: R) -> Cell:
    if rng.random() >= 0.15:
        return rng.choice(GL_MEMOS_CLEAN)
    p = person(rng)
    return rng.choice(
        (
            text("Expense report - ", Pii(p.full, PERSON)),
            text("Reclass per ", Pii(p.first, PERSON), "'s email 05/04"),
            text("Relocation bonus for ", Pii(name_as(rng, p, {"full": 1, "middle": 1}), PERSON)),
            text("Reimburse ", Pii(p.full, PERSON), " mileage Apr"),
        )
    )


def gl_lines(rng: R) -> Table:
    t = Table("gl_lines")
    clerks = [
        name_as(rng, person(rng), {"full": 2, "last_first": 2, "initial": 1}) for _ in range(8)
    ]
    approvers = [name_as(rng, person(rng), {"full": 1, "last_first": 1}) for _ in range(3)]
    journal, line_no = rng.randint(100, 400), 0
    for _ in range(70):
        if line_no == 0 or rng.random() < 0.35:
            journal, line_no = journal + 1, 0
            posted = rand_date(rng, date(2025, 4, 1), Y2025)
            entered, approver = rng.choice(clerks), rng.choice(approvers)
        line_no += 1
        code, name = rng.choice(GL_ACCOUNTS)
        amount, debit = money(rng, 10, 25000), rng.random() < 0.5
        t.add(
            {
                "journal_id": f"JE-{posted:%Y-%m}-{journal:04d}",
                "line_no": str(line_no),
                "posting_date": fmt_date(posted),
                "period": f"{posted:%Y-%m}",
                "account_code": code,
                "account_name": name,
                "cost_center": rng.choice(JOBS)[2],
                "debit": amount if debit else "",
                "credit": "" if debit else amount,
                "currency": "USD",
                "source": rng.choice(("AP", "AR", "Manual", "Payroll", "FA")),
                "entered_by": Pii(entered, PERSON),
                "approved_by": blank(rng, Pii(approver, PERSON), 0.25),
                "memo": gl_memo(rng),
                "vendor_id": rng.choice(("", "", f"V-{rng.randint(1000, 9999)}")),
            }
        )
    return t


def wire_transfers(rng: R) -> Table:
    t = Table("wire_transfers")
    for wid in unique_ids(rng, 50, 100, 999999):
        country = rng.choice(("US", "US", "US", "GB", "DE", "FR", "NL", "ES", "IT"))
        p = person(rng)
        to_person = rng.random() < 0.5
        bic = rng.choice(BICS[country]) if country != "US" else ""
        domestic = country == "US"
        t.add(
            {
                "wire_id": f"WT-2025-{wid:06d}",
                "value_date": fmt_date(rand_date(rng, date(2025, 1, 1), Y2025)),
                "originator": "Harborview Holdings LLC",
                "beneficiary_name": (
                    Pii(name_as(rng, p, {"full": 2, "upper": 2}), PERSON)
                    if to_person
                    else company(rng).name
                ),
                "beneficiary_country": country,
                "beneficiary_iban": ""
                if domestic
                else Pii(format_iban(rng, iban(rng, country, bic[:4])), IBAN),
                "beneficiary_bic": bic,
                "routing_number": Pii(aba_routing(rng), ABA) if domestic else "",
                "account_number": Pii(bank_account(rng), BANK) if domestic else "",
                "amount": money(rng, 250, 185000),
                "currency": CURRENCIES[country],
                "reference": rng.choice(
                    (
                        f"INV {phone_like_invoice_number(rng)}",
                        "Payroll May",
                        f"PO {digits(rng, 9)}",
                        "Consulting fees Q2",
                        f"Ref {letters(rng, 2)}{digits(rng, 6)}",
                    )
                ),
                "purpose_code": rng.choice(("SUPP", "SALA", "GDDS", "SCVE", "INTC")),
                "status": rng.choice(("released", "released", "pending approval", "rejected")),
                "fee": rng.choice(("25.00", "35.00", "45.00")),
            }
        )
    return t
