"""Generators of the record (people and parties) tables, one function per ``gen_<name>`` case.

Each function draws its table from ``rng`` in a fixed order; ``TABLES`` in ``make_golden.py`` calls
them in a fixed order too, so any change here changes the committed files.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from .golden_cells import (
    ABA,
    BANK,
    CARD,
    DOB,
    EMAIL,
    IBAN,
    IP,
    OTHER,
    PERSON,
    PHONE,
    SSN,
    STREET,
    TAX,
    URL,
    Cell,
    Pii,
    Table,
    blank,
    text,
)
from .golden_values import (
    Y2025,
    R,
    aba_routing,
    bank_account,
    birth_date,
    card_number,
    company,
    drivers_license,
    ein,
    fake_uuid,
    fmt_date,
    foreign_address,
    format_card,
    format_iban,
    full_address,
    iban,
    intl_phone,
    ipv4,
    ipv6,
    itin,
    money,
    name_as,
    national_id,
    passport_number,
    person,
    personal_email,
    personal_url,
    rand_date,
    ssn,
    street_line,
    timestamp,
    unique_ids,
    us_phone,
    work_email,
    zip_code,
)
from .golden_words import BICS, CITIES, CURRENCIES, FOREIGN_STREETS, JOBS

SEGMENTS = ("retail", "small business", "premier", "student", "private banking")
STATUSES = ("active", "active", "active", "active", "dormant", "closed")


def customers(rng: R) -> Table:
    t = Table("customers")
    for cid in unique_ids(rng, 55, 100, 99999):
        p, city = person(rng), rng.choice(CITIES)
        upper = rng.random() < 0.1
        t.add(
            {
                "customer_id": f"CUST-{cid:05d}",
                "first_name": Pii(p.first.upper() if upper else p.first, PERSON),
                "last_name": Pii(p.last.upper() if upper else p.last, PERSON),
                "email": blank(rng, Pii(personal_email(rng, p), EMAIL), 0.06),
                "phone": blank(rng, Pii(us_phone(rng), PHONE), 0.08),
                "street_address": blank(rng, Pii(street_line(rng), STREET), 0.04),
                "city": city.name,
                "state": city.state,
                "zip_code": zip_code(rng, city),
                "country": "US",
                "date_of_birth": blank(rng, Pii(fmt_date(birth_date(rng)), DOB), 0.08),
                "customer_since": fmt_date(rand_date(rng, date(2012, 1, 1), Y2025)),
                "segment": rng.choice(SEGMENTS),
                "credit_limit": f"{rng.randint(5, 250) * 100:,}",
                "status": rng.choice(STATUSES),
                "last_statement_balance": money(rng, 0, 12000),
            }
        )
    return t


def employees(rng: R) -> Table:
    t = Table("employees_payroll")
    for eid in unique_ids(rng, 50, 10000, 19999):
        p = person(rng)
        title, department, cost_center = rng.choice(JOBS)
        salary = rng.randint(42, 210) * 1000
        t.add(
            {
                "employee_id": f"E{eid}",
                "full_name": Pii(
                    name_as(rng, p, {"full": 5, "last_first": 3, "middle": 2}), PERSON
                ),
                "job_title": title,
                "department": department,
                "cost_center": cost_center,
                "hire_date": fmt_date(rand_date(rng, date(2008, 1, 1), Y2025), "us"),
                "date_of_birth": Pii(fmt_date(birth_date(rng), "us"), DOB),
                "ssn": blank(rng, Pii(ssn(rng, dashed=rng.random() < 0.5), SSN), 0.05),
                "home_address": Pii(full_address(rng), STREET),
                "mobile_phone": blank(
                    rng, Pii(us_phone(rng, rng.choice(("digits", "dash"))), PHONE), 0.1
                ),
                "personal_email": blank(rng, Pii(personal_email(rng, p), EMAIL), 0.1),
                "bank_routing_number": Pii(aba_routing(rng), ABA),
                "bank_account_number": Pii(bank_account(rng), BANK),
                "pay_frequency": rng.choice(("biweekly", "biweekly", "semimonthly", "monthly")),
                "annual_salary": f"{salary:,}.00",
                "last_pay_date": fmt_date(rand_date(rng, date(2025, 5, 1), Y2025), "us"),
                "net_pay": money(rng, salary / 40, salary / 30),
                "status": rng.choice(("active", "active", "active", "on leave", "terminated")),
            }
        )
    return t


def vendors(rng: R) -> Table:
    t = Table("vendors")
    seen: list[str] = []
    for vid in unique_ids(rng, 45, 1000, 9999):
        co = company(rng)
        while co.name in seen:
            co = company(rng)
        seen.append(co.name)
        country = rng.choice(("US", "US", "US", "US", "GB", "DE", "FR", "NL", "ES", "IT"))
        contact = person(rng)
        bic = rng.choice(BICS[country]) if country != "US" else ""
        domestic = country == "US"
        email = (
            work_email(rng, contact, co.domain)
            if rng.random() < 0.8
            else (f"{rng.choice(('ap', 'billing', 'accounts.receivable', 'remit'))}@{co.domain}")
        )
        t.add(
            {
                "vendor_id": f"V-{vid}",
                "vendor_name": co.name,
                "contact_name": blank(
                    rng, Pii(name_as(rng, contact, {"full": 8, "title": 1}), PERSON), 0.08
                ),
                "contact_email": Pii(email, EMAIL),
                "contact_phone": blank(
                    rng, Pii(us_phone(rng) if domestic else intl_phone(rng, country), PHONE), 0.1
                ),
                "ein": Pii(ein(rng), TAX) if domestic else "",
                "remit_address": Pii(
                    full_address(rng) if domestic else foreign_address(rng, country), STREET
                ),
                "country": country,
                "website": blank(rng, Pii(f"https://www.{co.domain}", URL), 0.15),
                "iban": ""
                if domestic
                else Pii(format_iban(rng, iban(rng, country, bic[:4])), IBAN),
                "bic": bic,
                "payment_terms": rng.choice(
                    ("Net 30", "Net 30", "Net 45", "Net 60", "Due on receipt")
                ),
                "currency": CURRENCIES[country],
                "w9_on_file": ("Y" if rng.random() < 0.85 else "N") if domestic else "",
                "vendor_since": fmt_date(rand_date(rng, date(2010, 1, 1), Y2025)),
                "ytd_spend": money(rng, 500, 480000),
            }
        )
    return t


USER_AGENTS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/124.0.6367.119 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4_1) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.4.1 Safari/605.1.15",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like "
    "Gecko) Version/17.4 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0",
    "okhttp/4.12.0",
    "python-requests/2.31.0",
    "HarborviewMobile/5.2.0.1 (Android 14; SM-S911U)",
)
PORTAL = "https://portal.harborviewbank.com"
PORTAL_PATHS = (
    "/login",
    "/accounts/summary",
    "/accounts/{n}/statements?month=2025-04",
    "/payments/new",
    "/transfers/{n}",
    "/profile/settings",
    "/cards/{n}/lock",
    "/api/v2/transactions?page={n}&size=50",
    "/logout",
    "/support/tickets/{n}",
)
REFERRERS = (
    "https://www.google.com/",
    "https://www.bing.com/search?q=harborview+bank+login",
    "https://mail.google.com/",
    "https://harborviewbank.com/",
)


def web_access_log(rng: R) -> Table:
    t = Table("web_access_log")
    for _ in range(60):
        path = rng.choice(PORTAL_PATHS).format(n=rng.randint(1, 99999))
        referrer: Cell = "-"
        if rng.random() < 0.55:
            referrer = Pii(rng.choice((*REFERRERS, f"{PORTAL}/accounts/summary")), URL)
        t.add(
            {
                "timestamp": timestamp(rng, date(2025, 5, 1), date(2025, 5, 31)),
                "client_ip": Pii(ipv4(rng) if rng.random() < 0.7 else ipv6(rng), IP),
                "method": "POST" if "new" in path or "lock" in path else "GET",
                "url": Pii(PORTAL + path, URL),
                "status": rng.choice(
                    ("200", "200", "200", "200", "302", "304", "401", "404", "500")
                ),
                "bytes_sent": str(rng.randint(0, 250000)),
                "latency_ms": str(rng.randint(3, 2400)),
                "user_agent": rng.choice(USER_AGENTS),
                "referrer": referrer,
                "request_id": fake_uuid(rng),
            }
        )
    return t


NATIONALITIES = ("US", "US", "US", "US", "US", "GB", "ES", "BR", "NG", "IN", "MX", "CA", "DE")
DL_STATES = ("CA", "NY", "FL", "TX", "IL")


def kyc_tax_id(rng: R, resident: bool) -> Cell:
    if not resident or rng.random() < 0.2:
        return ""
    return Pii(ssn(rng), SSN) if rng.random() < 0.55 else Pii(itin(rng), TAX)


def kyc_applications(rng: R) -> Table:
    t = Table("kyc_applications")
    for app in unique_ids(rng, 45, 1, 99999):
        p, nationality = person(rng), rng.choice(NATIONALITIES)
        resident = nationality == "US" or rng.random() < 0.5
        state = rng.choice(DL_STATES)
        has_license = resident and rng.random() < 0.75
        has_national = nationality in ("GB", "ES", "BR", "NG")
        abroad = not resident and nationality in FOREIGN_STREETS
        home = foreign_address(rng, nationality) if abroad else full_address(rng)
        t.add(
            {
                "application_id": f"KYC-2025-{app:05d}",
                "submitted_at": timestamp(rng, date(2025, 1, 1), Y2025),
                "applicant_name": Pii(
                    name_as(rng, p, {"full": 5, "middle": 2, "upper": 1}), PERSON
                ),
                "date_of_birth": Pii(
                    fmt_date(birth_date(rng), "us" if nationality == "US" else "iso"), DOB
                ),
                "nationality": nationality,
                "passport_number": blank(rng, Pii(passport_number(rng, nationality), OTHER), 0.1),
                "passport_country": nationality,
                "drivers_license": Pii(drivers_license(rng, state), OTHER) if has_license else "",
                "license_state": state if has_license else "",
                "national_id": Pii(national_id(rng, nationality), OTHER) if has_national else "",
                "residential_address": Pii(home, STREET),
                "tax_id": kyc_tax_id(rng, resident),
                "occupation": rng.choice(
                    (
                        "Engineer",
                        "Nurse",
                        "Self-employed",
                        "Student",
                        "Retired",
                        "Teacher",
                        "Consultant",
                    )
                ),
                "source_of_funds": rng.choice(
                    ("Salary", "Savings", "Business income", "Inheritance")
                ),
                "risk_rating": rng.choice(("low", "low", "medium", "high")),
                "status": rng.choice(("approved", "approved", "pending docs", "rejected")),
                "reviewer_id": f"E{rng.randint(10000, 19999)}",
            }
        )
    return t


TICKET_SUBJECTS = (
    "Password reset",
    "Wrong charge on statement",
    "Update my address",
    "Card declined abroad",
    "Export to PDF fails",
    "Question about wire fee",
    "Close my account",
    "Login alert",
    "Refund status",
    "Two-factor code",
)
TICKET_BODIES_CLEAN = (
    "App crashes when exporting to PDF on version 4.2.1.",
    "Invoice INV-2025-00312 shows the wrong tax rate, please check.",
    "Getting error 502 when uploading the statement CSV.",
    "Why was I charged a $35.00 wire fee on 05/02?",
    "The card ending 4417 was declined at a hotel in Lisbon.",
    "Please close the savings account, transfer the balance to checking.",
    "Two-factor codes arrive 10 minutes late since the 5.2.0.1 update.",
    "Refund for order 88213 still not received after 14 days.",
)


def ticket_body(rng: R) -> Cell:
    if rng.random() < 0.3:
        return rng.choice(TICKET_BODIES_CLEAN)
    p, city = person(rng), rng.choice(CITIES)
    options: list[Callable[[], Cell]] = [
        lambda: text(
            "My card ",
            Pii(format_card(rng, card_number(rng)), CARD),
            " was charged twice for the same order.",
        ),
        lambda: text("Please use my new number ", Pii(us_phone(rng), PHONE), " from now on."),
        lambda: text("Please update my address to ", Pii(full_address(rng, city), STREET), "."),
        lambda: text("The form asks for my SSN again (", Pii(ssn(rng), SSN), "), is this safe?"),
        lambda: text("This is ", Pii(p.full, PERSON), ", I can't log in since yesterday."),
        lambda: text("Contact me at ", Pii(personal_email(rng, p), EMAIL), " instead of phone."),
        lambda: text("There was a login from ", Pii(ipv4(rng), IP), " that was not me!"),
        lambda: text(
            "The profile shows the wrong date of birth, it should be ",
            Pii(fmt_date(birth_date(rng), "long"), DOB),
            ".",
        ),
        lambda: text(
            "Please refund to my IBAN ", Pii(format_iban(rng, iban(rng, "DE")), IBAN), " instead."
        ),
        lambda: text(
            "Upload of passport number ", Pii(passport_number(rng, "US"), OTHER), " keeps failing."
        ),
        lambda: text("My reference letter is at ", Pii(personal_url(rng, p), URL)),
        lambda: text(
            "Hi, ",
            Pii(p.first, PERSON),
            " here. Please call me back at ",
            Pii(us_phone(rng), PHONE),
            ".",
        ),
        lambda: text(
            "Send the replacement card to ",
            Pii(p.full, PERSON),
            ", ",
            Pii(full_address(rng, city), STREET),
            ".",
        ),
        lambda: text(
            "Direct deposit goes to account ",
            Pii(bank_account(rng), BANK),
            ", routing ",
            Pii(aba_routing(rng), ABA),
            ".",
        ),
    ]
    return rng.choice(options)()


def support_tickets(rng: R) -> Table:
    t = Table("support_tickets")
    for tid in unique_ids(rng, 60, 100000, 199999):
        subject: Cell = rng.choice(TICKET_SUBJECTS)
        if rng.random() < 0.12:
            subject = text("Call back request - ", Pii(person(rng).full, PERSON))
        t.add(
            {
                "ticket_id": f"TKT-{tid}",
                "created_at": timestamp(rng, date(2025, 4, 1), Y2025, iso=False),
                "channel": rng.choice(("email", "chat", "phone", "web form")),
                "priority": rng.choice(("low", "normal", "normal", "high", "urgent")),
                "customer_id": f"CUST-{rng.randint(100, 99999):05d}",
                "subject": subject,
                "body": ticket_body(rng),
                "assignee_id": f"E{rng.randint(10000, 19999)}",
                "status": rng.choice(("open", "pending", "solved", "closed")),
                "product": rng.choice(
                    ("Checking", "Savings", "Credit card", "Mobile app", "Wires")
                ),
                "tags": rng.choice(("billing;refund", "login", "card;fraud", "kyc", "app;bug", "")),
            }
        )
    return t
