"""Regenerate transactions.csv: a seeded, realistic bank-transaction export.

Run: python examples/bank_transactions/make_data.py  (writes the CSV beside this file)
The export looks like what a US bank's "download transactions" button gives: US dates, amounts
in a currency format with thousands separators and signs, payee names and e-mail addresses
(personal data), masked account numbers, free-text descriptions.
"""

from __future__ import annotations

import csv
import datetime as dt
import random
from pathlib import Path

SEED = 20261122
FIRST = [
    "Maria",
    "James",
    "Aisha",
    "Wei",
    "José",
    "Olga",
    "Liam",
    "Priya",
    "Noah",
    "Fatima",
    "Chloé",
    "Kenji",
    "Sofia",
    "Mateo",
    "Grace",
    "Omar",
]
LAST = [
    "García",
    "Smith",
    "Khan",
    "Zhang",
    "Hernández",
    "Ivanova",
    "O'Brien",
    "Patel",
    "Johnson",
    "Al-Sayed",
    "Dubois",
    "Tanaka",
    "Rossi",
    "López",
    "Kim",
    "Haddad",
]
MERCHANTS = [
    ("Acme Office Supply", "Office Supplies"),
    ("Blue Bottle Coffee", "Meals"),
    ("Delta Air Lines", "Travel"),
    ("AWS EMEA", "Software"),
    ("Staples #1123", "Office Supplies"),
    ("Uber *Trip", "Travel"),
    ("Comcast Business", "Utilities"),
    ("Payroll ADP", "Payroll"),
]


def money(cents: int) -> str:
    sign = "-" if cents < 0 else ""
    return f"{sign}${abs(cents) // 100:,}.{abs(cents) % 100:02d}"


def main() -> None:
    rng = random.Random(SEED)
    start = dt.date(2026, 1, 2)
    rows = []
    for i in range(60):
        first, last = rng.choice(FIRST), rng.choice(LAST)
        merchant, category = rng.choice(MERCHANTS)
        credit = category == "Payroll" or rng.random() < 0.15
        cents = rng.randint(350, 450_000) * (1 if credit else -1)
        posted = start + dt.timedelta(days=rng.randint(0, 300))
        email_name = (
            f"{first[0]}.{last}".lower().replace("'", "").replace("é", "e").replace("á", "a")
        )
        rows.append(
            {
                "Transaction ID": f"TXN-{2026_000_000 + i * 7919 % 1_000_000:010d}",
                "Posted Date": posted.strftime("%m/%d/%Y"),
                "Description": f"{'DEPOSIT' if credit else 'POS PURCHASE'} {merchant.upper()}",
                "Payee Name": f"{first} {last}",
                "Payee Email": f"{email_name}@example.com",
                "Amount": money(cents),
                "Currency": "USD",
                "Account": f"****{rng.randint(0, 9999):04d}",
                "Category": category,
            }
        )
    out = Path(__file__).with_name("transactions.csv")
    with out.open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    print(f"wrote {len(rows)} rows to {out}")


if __name__ == "__main__":
    main()
