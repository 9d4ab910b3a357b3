"""Generate the synthetic cases of the table PII golden set.

Usage::

    .venv/bin/python evals/golden/pii/make_golden.py

Writes ``gen_<name>/table.csv`` and ``gen_<name>/labels.csv`` next to this file, one folder per
finance-themed table. Everything is drawn from one ``random.Random(SEED)`` in a fixed order, so
running the script twice gives byte-identical files. Only the standard library is used (no Faker,
no network): every name, street, company and city comes from the lists below. The labeling
conventions are in README.md next to this file; ``check_golden.py`` validates the result.
"""

from __future__ import annotations

import csv
import random
import string
import unicodedata
import uuid
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import NamedTuple

SEED = 20261122
HERE = Path(__file__).resolve().parent

R = random.Random

PERSON = "PERSON"
EMAIL = "EMAIL_ADDRESS"
PHONE = "PHONE_NUMBER"
CARD = "CREDIT_CARD"
IBAN = "IBAN_CODE"
SSN = "US_SSN"
BANK = "US_BANK_NUMBER"
ABA = "ABA_ROUTING_NUMBER"
IP = "IP_ADDRESS"
URL = "URL"
DOB = "DATE_OF_BIRTH"
STREET = "STREET_ADDRESS"
TAX = "TAX_ID"
OTHER = "OTHER_ID"
ENTITIES = (PERSON, EMAIL, PHONE, CARD, IBAN, SSN, BANK, ABA, IP, URL, DOB, STREET, TAX, OTHER)

# A free-text cell that holds several kinds is labeled with the first of them in this order.
PRECEDENCE = (CARD, SSN, IBAN, BANK, ABA, TAX, OTHER, DOB, STREET, EMAIL, PHONE, IP, URL, PERSON)


# --------------------------------------------------------------------------------------------
# Cells and tables
# --------------------------------------------------------------------------------------------


class Pii(NamedTuple):
    """A cell value that is personal data of kind ``entity`` (unlabeled cells are plain str)."""

    value: str
    entity: str


Cell = str | Pii


def main_kind(kinds: Sequence[str]) -> str:
    return min(kinds, key=PRECEDENCE.index)


def text(*parts: Cell) -> Cell:
    """Join parts into one free-text cell, labeled with the main kind of its PII parts."""
    value = "".join(part.value if isinstance(part, Pii) else part for part in parts)
    kinds = [part.entity for part in parts if isinstance(part, Pii)]
    return Pii(value, main_kind(kinds)) if kinds else value


def blank(rng: R, cell: Cell, p: float) -> Cell:
    """Drop the value with probability ``p`` (a missing value is never labeled)."""
    if rng.random() >= p:
        return cell
    return Pii("", cell.entity) if isinstance(cell, Pii) else ""


@dataclass
class Table:
    name: str
    columns: tuple[str, ...] = ()
    rows: list[list[str]] = field(default_factory=list)
    labels: list[tuple[int, str, str]] = field(default_factory=list)

    def add(self, cells: dict[str, Cell]) -> None:
        if not self.columns:
            self.columns = tuple(cells)
        if tuple(cells) != self.columns:
            raise ValueError(f"{self.name}: row columns differ from {self.columns}")
        index = len(self.rows)
        values = []
        for column, cell in cells.items():
            if isinstance(cell, Pii):
                if cell.value:
                    self.labels.append((index, column, cell.entity))
                values.append(cell.value)
            else:
                values.append(cell)
        self.rows.append(values)


# --------------------------------------------------------------------------------------------
# Word lists (kept compact: the formatter would put one word per line)
# --------------------------------------------------------------------------------------------

# fmt: off

class NamePool(NamedTuple):
    first: tuple[str, ...]
    last: tuple[str, ...]


NAME_POOLS = {
    "hispanic": NamePool(
        ("José", "María", "Alejandro", "Guadalupe", "Camila", "Diego", "Valentina", "Luis",
         "Ximena", "Joaquín"),
        ("García", "Hernández", "López", "Martínez", "Rodríguez", "González", "Ramírez",
         "de la Cruz", "Flores", "Castillo"),
    ),
    "east_asian": NamePool(
        ("Wei", "Mei", "Hiroshi", "Yuki", "Ji-woo", "Min-jun", "Haruto", "Xiaoling", "Thanh",
         "Sakura"),
        ("Chen", "Wang", "Nguyen", "Tanaka", "Kim", "Park", "Li", "Watanabe", "Zhang", "Tran"),
    ),
    "south_asian": NamePool(
        ("Priya", "Arjun", "Ananya", "Rahul", "Sanjay", "Deepika", "Vikram", "Lakshmi", "Imran",
         "Kavya"),
        ("Patel", "Sharma", "Iyer", "Reddy", "Chatterjee", "Singh", "Khan", "Nair", "Gupta",
         "Raman"),
    ),
    "african": NamePool(
        ("Chinedu", "Amara", "Kwame", "Ngozi", "Oluwaseun", "Thandiwe", "Abebe", "Zainab", "Kofi",
         "Wanjiru"),
        ("Okafor", "Mensah", "Adeyemi", "Nwosu", "Diallo", "Mwangi", "Okonkwo", "Abara",
         "Boateng", "Tesfaye"),
    ),
    "slavic": NamePool(
        ("Dmitri", "Olga", "Katarzyna", "Łukasz", "Milan", "Svetlana", "Bogdan", "Anastasia",
         "Tomáš", "Yelena"),
        ("Ivanov", "Kowalski", "Nowak", "Novák", "Petrović", "Dvořák", "Shevchenko",
         "Kowalczyk", "Horvat", "Volkova"),
    ),
    "arabic": NamePool(
        ("Omar", "Layla", "Youssef", "Fatima", "Khalid", "Noor", "Ahmed", "Rania", "Tariq",
         "Samira"),
        ("Haddad", "Al-Sayed", "Khoury", "Mansour", "El-Amin", "Nasser", "Abdullah", "Farouk",
         "Saleh", "Bakr"),
    ),
    "anglo": NamePool(
        ("James", "Emily", "Sarah", "Michael", "Patrick", "Siobhan", "Graham", "Megan",
         "Mary-Kate", "Ford"),
        ("O'Brien", "Smith", "Johnson", "Williams", "O'Neill", "McDonald", "Baker", "Fitzgerald",
         "Smith-Jones", "Wells"),
    ),
    "european": NamePool(
        ("Jean-Luc", "Anne-Marie", "Søren", "Matteo", "Chloé", "Lars", "Giulia", "Henrik",
         "Zoë", "Jürgen"),
        ("Moreau", "Dubois", "Rossi", "Müller", "D'Angelo", "van der Berg", "Jensen",
         "Lefèvre", "Schmidt", "Esposito"),
    ),
}

TITLES = ("Dr.", "Ms.", "Mr.", "Mrs.", "Prof.")

# Real companies whose names contain person-like words; never labeled.
WELL_KNOWN_COMPANIES = (
    "Johnson & Johnson", "Wells Fargo Bank, N.A.", "Ford Motor Co", "Procter & Gamble",
    "Ben & Jerry's", "McDonald's", "Morgan Stanley", "Goldman Sachs", "Charles Schwab Corp",
    "Edward Jones", "Raymond James Financial", "Dr Pepper", "Walt Disney Co", "Wendy's",
    "Trader Joe's", "Dell Technologies", "Hewlett Packard Enterprise", "Sherwin-Williams",
    "Lockheed Martin", "Kelly Services", "Tata Consultancy Services", "Banco Santander, S.A.",
    "Siemens AG", "Ernst & Young LLP", "Marriott International", "Comcast Cable", "PG&E",
    "ADP Payroll Services", "Internal Revenue Service", "Amazon.com", "Pacific Life",
)
COMPANY_WORDS = (
    "Blue Harbor", "Northwind", "Summit Ridge", "Lakeside", "Redwood", "Ironclad", "Silverline",
    "Atlas", "Pinecrest", "Greenfield", "Maple Leaf", "Cedar Point", "Harborview",
    "Granite Peak", "Brightwater", "Golden Gate", "Prairie Wind", "Copperline", "Bluebonnet",
    "Tidewater",
)
INDUSTRIES = (
    "Freight", "Analytics", "Office Supply", "IT Services", "Catering", "Janitorial", "Security",
    "Print", "Electric", "Dental Group", "Logistics", "Staffing", "Packaging", "Consulting",
    "Plumbing", "Landscaping", "Bakery", "Tool & Die", "Media", "Couriers",
)
COMPANY_SUFFIXES = ("Inc.", "LLC", "Ltd", "Co.", "Corp.", "LLP", "Group", "Holdings")

MERCHANTS = (
    ("STARBUCKS #10234", "5814"), ("AMZN MKTP US*2K4L19QZ0", "5942"), ("UBER *TRIP", "4121"),
    ("SHELL OIL 57442", "5541"), ("DELTA AIR 0062345981", "3058"), ("MARRIOTT SF UNION SQ", "3509"),
    ("WALGREENS #3321", "5912"), ("JOE'S PIZZA", "5812"), ("TST* MARIA'S TAQUERIA", "5812"),
    ("WENDY'S #4410", "5814"), ("TRADER JOE'S #552", "5411"), ("HOME DEPOT 6611", "5200"),
    ("SQ *BLUE BOTTLE COFFEE", "5814"), ("ZOOM.COM INC", "4816"),
    ("ADOBE *CREATIVE CLD", "5734"), ("HILTON GARDEN INN", "3504"), ("LYFT *RIDE", "4121"),
    ("OFFICE DEPOT #1187", "5943"), ("KING SOOPERS #0034", "5411"), ("MCDONALD'S F1234", "5814"),
)

STREET_NAMES = (
    "Maple", "Oak", "Cedar", "Elm", "Washington", "Lincoln", "Martin Luther King Jr", "Mission",
    "Cesar Chavez", "Kalakaua", "Peachtree", "Sunset", "Lakeshore", "Jefferson", "Franklin",
    "Willow Creek", "Magnolia", "Ocean View", "Park", "3rd", "42nd", "Main", "Hickory Hollow",
    "Juniper", "Old Mill", "Riverside", "Pulaski", "Cabrillo", "Industrial", "Sequoia",
)
NO_SUFFIX_STREETS = ("Broadway", "El Camino Real", "Avenue of the Americas", "Via Ventura")
STREET_SUFFIXES = ("St", "Ave", "Blvd", "Rd", "Dr", "Ln", "Way", "Ct", "Pl", "Street", "Avenue",
                   "Pkwy", "Terrace")


class City(NamedTuple):
    name: str
    state: str
    zip3: str


# Several cities are also first or last names (Washington, Lincoln, Jackson, Madison, ...).
CITIES = (
    City("San Francisco", "CA", "941"), City("Santa Clara", "CA", "950"),
    City("Austin", "TX", "787"), City("Houston", "TX", "770"), City("Tyler", "TX", "757"),
    City("Chicago", "IL", "606"), City("Miami", "FL", "331"), City("Seattle", "WA", "981"),
    City("Boston", "MA", "021"), City("Atlanta", "GA", "303"), City("Denver", "CO", "802"),
    City("Phoenix", "AZ", "850"), City("Newark", "NJ", "071"), City("St. Louis", "MO", "631"),
    City("Brooklyn", "NY", "112"), City("Minneapolis", "MN", "554"),
    City("Washington", "DC", "200"), City("Lincoln", "NE", "685"), City("Jackson", "MS", "392"),
    City("Madison", "WI", "537"), City("Charlotte", "NC", "282"), City("Florence", "SC", "295"),
    City("Eugene", "OR", "974"), City("Honolulu", "HI", "968"), City("Albuquerque", "NM", "871"),
)

FOREIGN_STREETS = {
    "GB": ("High Street", "Station Road", "Church Lane", "Victoria Road", "Kingsway"),
    "DE": ("Hauptstraße", "Bahnhofstraße", "Lindenallee", "Schillerstraße", "Goethestraße"),
    "FR": ("rue de la République", "avenue Victor Hugo", "boulevard Haussmann",
           "rue Émile Zola"),
    "NL": ("Keizersgracht", "Damrak", "Herengracht", "Coolsingel"),
    "ES": ("Calle Mayor", "Avenida de la Constitución", "Calle de Alcalá", "Gran Vía"),
    "IT": ("Via Roma", "Corso Garibaldi", "Via Giuseppe Verdi", "Via Dante Alighieri"),
}
FOREIGN_CITIES = {
    "GB": ("London", "Manchester", "Leeds"), "DE": ("Berlin", "München", "Hamburg"),
    "FR": ("Paris", "Lyon", "Toulouse"), "NL": ("Amsterdam", "Rotterdam", "Utrecht"),
    "ES": ("Madrid", "Barcelona", "Valencia"), "IT": ("Milano", "Roma", "Torino"),
}
CURRENCIES = {"US": "USD", "GB": "GBP", "DE": "EUR", "FR": "EUR", "NL": "EUR", "ES": "EUR",
              "IT": "EUR"}
BICS = {
    "GB": ("NWBKGB2L", "BARCGB22", "HBUKGB4B"), "DE": ("DEUTDEFF", "COBADEFF", "INGDDEFF"),
    "FR": ("BNPAFRPP", "SOGEFRPP", "CRLYFRPP"), "NL": ("ABNANL2A", "INGBNL2A", "RABONL2U"),
    "ES": ("CAIXESBB", "BSCHESMM", "BBVAESMM"), "IT": ("UNCRITMM", "BCITITMM", "BPMOIT22"),
}

PERSONAL_DOMAINS = ("gmail.com", "yahoo.com", "outlook.com", "hotmail.com", "icloud.com",
                    "proton.me", "aol.com", "fastmail.com", "gmx.de", "yahoo.co.uk")
US_AREA_CODES = ("415", "212", "312", "646", "713", "305", "206", "617", "404", "303", "602",
                 "503", "202", "702", "808", "470", "929")
MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
          "September", "October", "November", "December")
# fmt: on


# --------------------------------------------------------------------------------------------
# Helpers for valid values
# --------------------------------------------------------------------------------------------


def digits(rng: R, n: int) -> str:
    return "".join(rng.choice(string.digits) for _ in range(n))


def letters(rng: R, n: int, alphabet: str = string.ascii_uppercase) -> str:
    return "".join(rng.choice(alphabet) for _ in range(n))


def money(rng: R, low: float, high: float) -> str:
    return f"{rng.uniform(low, high):,.2f}"


def rand_date(rng: R, start: date, end: date) -> date:
    return start + timedelta(days=rng.randint(0, (end - start).days))


def fmt_date(d: date, style: str = "iso") -> str:
    month = MONTHS[d.month - 1]
    formats = {
        "iso": f"{d.year:04d}-{d.month:02d}-{d.day:02d}",
        "us": f"{d.month:02d}/{d.day:02d}/{d.year:04d}",
        "uk": f"{d.day:02d}/{d.month:02d}/{d.year:04d}",
        "eu": f"{d.day:02d}.{d.month:02d}.{d.year:04d}",
        "long": f"{month} {d.day}, {d.year}",
        "short": f"{d.day} {month[:3]} {d.year}",
    }
    return formats[style]


def birth_date(rng: R) -> date:
    return rand_date(rng, date(1941, 1, 1), date(2005, 12, 31))


def timestamp(rng: R, start: date, end: date, iso: bool = True) -> str:
    moment = datetime.combine(rand_date(rng, start, end), datetime.min.time())
    moment += timedelta(seconds=rng.randint(0, 86399))
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ" if iso else "%Y-%m-%d %H:%M:%S")


def unique_ids(rng: R, n: int, low: int, high: int) -> list[int]:
    return sorted(rng.sample(range(low, high), n))


def fake_uuid(rng: R) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


# ---- people, companies, contact data ----


@dataclass(frozen=True)
class Person:
    first: str
    last: str
    middle: str = ""

    @property
    def full(self) -> str:
        return f"{self.first} {self.last}"


def person(rng: R) -> Person:
    pools = list(NAME_POOLS.values())
    pool = rng.choice(pools)
    last_pool = pool if rng.random() < 0.85 else rng.choice(pools)
    middle = rng.choice(string.ascii_uppercase) if rng.random() < 0.25 else ""
    return Person(rng.choice(pool.first), rng.choice(last_pool.last), middle)


NAME_STYLES: dict[str, Callable[[Person, str], str]] = {
    "full": lambda p, t: p.full,
    "middle": lambda p, t: f"{p.first} {p.middle}. {p.last}" if p.middle else p.full,
    "last_first": lambda p, t: f"{p.last}, {p.first}",
    "upper": lambda p, t: p.full.upper(),
    "upper_last_first": lambda p, t: f"{p.last}, {p.first}".upper(),
    "lower": lambda p, t: p.full.lower(),
    "initial": lambda p, t: f"{p.first[0]}. {p.last}",
    "title": lambda p, t: f"{t} {p.full}",
}


def name_as(rng: R, p: Person, weights: dict[str, int]) -> str:
    """Render a name in one of the styles of NAME_STYLES, drawn with the given weights."""
    style = rng.choices(list(weights), weights=list(weights.values()))[0]
    return NAME_STYLES[style](p, rng.choice(TITLES))


ASCII_FIX = str.maketrans({"Ł": "L", "ł": "l", "Ø": "O", "ø": "o", "ß": "ss", "đ": "d"})


def slug(value: str) -> str:
    """Lower-case ASCII letters, digits and hyphens of ``value`` (accents folded)."""
    folded = unicodedata.normalize("NFKD", value.translate(ASCII_FIX))
    return "".join(ch for ch in folded if ch.isascii() and (ch.isalnum() or ch == "-")).lower()


def email_local(rng: R, p: Person) -> str:
    first, last = slug(p.first), slug(p.last)
    forms = (
        f"{first}.{last}",
        f"{first[0]}{last}",
        f"{first}{last[0]}",
        f"{first}_{last}",
        f"{first}.{last}{rng.randint(1, 99)}",
        f"{last}.{first}",
        f"{first}{rng.randint(70, 99)}",
    )
    return rng.choice(forms)


def personal_email(rng: R, p: Person) -> str:
    address = f"{email_local(rng, p)}@{rng.choice(PERSONAL_DOMAINS)}"
    return address.capitalize() if rng.random() < 0.05 else address


def work_email(rng: R, p: Person, domain: str) -> str:
    return f"{email_local(rng, p)}@{domain}"


def personal_url(rng: R, p: Person) -> str:
    first, last = slug(p.first), slug(p.last)
    forms = (
        f"https://www.linkedin.com/in/{first}-{last}-{letters(rng, 4, 'abcdef0123456789')}",
        f"https://github.com/{first[0]}{last}",
        f"https://{first}{last}.dev",
        f"https://www.{first}-{last}.com/portfolio",
    )
    return rng.choice(forms)


@dataclass(frozen=True)
class Company:
    name: str
    domain: str


def company(rng: R) -> Company:
    """A fictional company; about a third are named after people (still not PERSON)."""
    industry = rng.choice(INDUSTRIES)
    if rng.random() < 0.65:
        stem = f"{rng.choice(COMPANY_WORDS)} {industry}"
        return Company(f"{stem} {rng.choice(COMPANY_SUFFIXES)}", f"{slug(stem)}.com")
    last = person(rng).last
    stem, name = rng.choice(
        (
            (f"{last} {industry}", f"{last} & Sons {industry}"),
            (f"{last} Brothers", f"{last} Brothers {industry}"),
            (f"{last} {industry}", f"{last} {industry} {rng.choice(COMPANY_SUFFIXES)}"),
        )
    )
    return Company(name, f"{slug(stem)}.com")


def us_phone(rng: R, style: str | None = None) -> str:
    """A US number in the fictional 555-0100..555-0199 range."""
    area, line = rng.choice(US_AREA_CODES), f"01{rng.randint(0, 99):02d}"
    formats = {
        "paren": f"({area}) 555-{line}",
        "dash": f"{area}-555-{line}",
        "e164_space": f"+1 {area} 555 {line}",
        "dot": f"{area}.555.{line}",
        "digits": f"{area}555{line}",
        "e164_dash": f"+1-{area}-555-{line}",
        "ext": f"{area}-555-{line} ext. {rng.randint(10, 999)}",
        "one_paren": f"1 ({area}) 555-{line}",
    }
    return formats[style or rng.choice(list(formats))]


def intl_phone(rng: R, country: str) -> str:
    formats = {
        "GB": f"+44 20 7946 0{rng.randint(0, 999):03d}",  # Ofcom drama range
        "FR": f"+33 1 99 00 {rng.randint(0, 99):02d} {rng.randint(0, 99):02d}",
        "DE": f"+49 30 {digits(rng, 8)}",
        "NL": f"+31 20 {digits(rng, 3)} {digits(rng, 4)}",
        "ES": f"+34 91 {digits(rng, 3)} {digits(rng, 2)} {digits(rng, 2)}",
        "IT": f"+39 02 {digits(rng, 4)} {digits(rng, 4)}",
    }
    return formats[country] if country in formats else us_phone(rng)


def zip_code(rng: R, city: City) -> str:
    base = f"{city.zip3}{rng.randint(1, 99):02d}"
    return f"{base}-{digits(rng, 4)}" if rng.random() < 0.2 else base


def street_line(rng: R) -> str:
    number = rng.choice((rng.randint(1, 99), rng.randint(100, 9999), rng.randint(10000, 29999)))
    direction = rng.choice(("", "", "", "", "N ", "S ", "E ", "W ", "NE "))
    if rng.random() < 0.1:
        street = rng.choice(NO_SUFFIX_STREETS)
    else:
        street = f"{rng.choice(STREET_NAMES)} {rng.choice(STREET_SUFFIXES)}"
    unit = rng.choice(
        (
            "",
            "",
            "",
            "",
            f", Apt {rng.randint(1, 40)}{rng.choice('ABCD')}",
            f" #{rng.randint(100, 999)}",
            f", Suite {rng.randint(100, 950)}",
            f", Unit {rng.randint(1, 30)}",
        )
    )
    return f"{number} {direction}{street}{unit}"


def full_address(rng: R, city: City | None = None) -> str:
    city = city or rng.choice(CITIES)
    return f"{street_line(rng)}, {city.name}, {city.state} {zip_code(rng, city)}"


def foreign_address(rng: R, country: str) -> str:
    street, city = rng.choice(FOREIGN_STREETS[country]), rng.choice(FOREIGN_CITIES[country])
    number = rng.randint(1, 180)
    if country == "GB":
        postcode = f"{rng.choice(('EC1A', 'SW1A', 'M1', 'LS1', 'N7'))} {rng.randint(1, 9)}"
        return f"{number} {street}, {city} {postcode}{letters(rng, 2, 'ABDEFGHJLNPQRSTUWXYZ')}"
    if country == "FR":
        return f"{number} {street}, {digits(rng, 5)} {city}"
    if country == "NL":
        return f"{street} {number}, {rng.randint(1000, 9999)} {letters(rng, 2)} {city}"
    return f"{street} {number}, {digits(rng, 5)} {city}"


# ---- numbers with check digits ----


def luhn_check_digit(partial: str) -> str:
    total = 0
    for i, ch in enumerate(reversed(partial)):
        d = int(ch) * (2 if i % 2 == 0 else 1)
        total += d - 9 if d > 9 else d
    return str(-total % 10)


def card_number(rng: R) -> str:
    """A Luhn-valid PAN with a real brand prefix (Visa, Mastercard, Amex, Discover)."""
    prefix, length = rng.choice(
        (
            ("4", 16),
            ("4", 16),
            (str(rng.randint(51, 55)), 16),
            (str(rng.randint(2221, 2720)), 16),
            (rng.choice(("34", "37")), 15),
            (rng.choice(("6011", "65")), 16),
        )
    )
    body = prefix + digits(rng, length - 1 - len(prefix))
    return body + luhn_check_digit(body)


def format_card(rng: R, pan: str) -> str:
    sep = rng.choice(("", " ", " ", "-"))
    groups = (4, 6, 5) if len(pan) == 15 else (4, 4, 4, 4)
    parts, start = [], 0
    for size in groups:
        parts.append(pan[start : start + size])
        start += size
    return sep.join(parts)


def masked_card(rng: R, pan: str) -> str:
    last4 = pan[-4:]
    return rng.choice(
        (
            f"**** **** **** {last4}",
            f"XXXX-XXXX-XXXX-{last4}",
            f"************{last4}",
            f"****{last4}",
            f"ending {last4}",
        )
    )


def iban_check_digits(country: str, bban: str) -> str:
    numeric = "".join(str(int(ch, 36)) for ch in bban + country + "00")
    return f"{98 - int(numeric) % 97:02d}"


def iban(rng: R, country: str, bank: str = "") -> str:
    """A valid IBAN (mod-97 check digits); ``bank`` is the 4-letter code for GB and NL."""
    bban = {
        "GB": lambda: (bank or "NWBK") + digits(rng, 14),
        "DE": lambda: digits(rng, 18),
        "FR": lambda: digits(rng, 23),
        "NL": lambda: (bank or "ABNA") + digits(rng, 10),
        "ES": lambda: digits(rng, 20),
        "IT": lambda: rng.choice(string.ascii_uppercase) + digits(rng, 22),
    }[country]()
    return country + iban_check_digits(country, bban) + bban


def format_iban(rng: R, value: str) -> str:
    if rng.random() < 0.5:
        return value
    return " ".join(value[i : i + 4] for i in range(0, len(value), 4))


def ssn(rng: R, dashed: bool = True) -> str:
    """Area 001-899 except 666, group 01-99, serial 0001-9999."""
    area = rng.choice([a for a in range(1, 900) if a != 666])
    value = f"{area:03d}-{rng.randint(1, 99):02d}-{rng.randint(1, 9999):04d}"
    return value if dashed else value.replace("-", "")


def itin(rng: R) -> str:
    return f"9{digits(rng, 2)}-7{digits(rng, 1)}-{digits(rng, 4)}"


EIN_PREFIXES = "10 12 20 26 27 30 35 36 38 41 45 46 47 52 54 56 59 61 65 71 74 77 81 82 84".split()


def ein(rng: R) -> str:
    return f"{rng.choice(EIN_PREFIXES)}-{digits(rng, 7)}"


ABA_PREFIXES = (*range(1, 13), *range(21, 33), *range(61, 73), 80)


def aba_routing(rng: R) -> str:
    """9 digits with 3*(d1+d4+d7) + 7*(d2+d5+d8) + (d3+d6+d9) == 0 mod 10."""
    head = f"{rng.choice(ABA_PREFIXES):02d}{digits(rng, 6)}"
    d = [int(ch) for ch in head]
    partial = 3 * (d[0] + d[3] + d[6]) + 7 * (d[1] + d[4] + d[7]) + d[2] + d[5]
    return head + str(-partial % 10)


def bank_account(rng: R) -> str:
    return str(rng.randint(1, 9)) + digits(rng, rng.randint(7, 16))


def passport_number(rng: R, country: str) -> str:
    formats = {
        "US": lambda: rng.choice("ACEFGHJKLMNPRSTWXZ123456789") + digits(rng, 8),
        "GB": lambda: digits(rng, 9),
        "DE": lambda: "C" + letters(rng, 8, "CFGHJKLMNPRTVWXYZ0123456789"),
        "IN": lambda: rng.choice("JKLMNPRSTUVWZ") + digits(rng, 7),
        "MX": lambda: "G" + digits(rng, 8),
        "CA": lambda: letters(rng, 2) + digits(rng, 6),
    }
    return formats.get(country, lambda: letters(rng, 2) + digits(rng, 7))()


def drivers_license(rng: R, state: str) -> str:
    formats = {
        "CA": lambda: rng.choice(string.ascii_uppercase) + digits(rng, 7),
        "NY": lambda: f"{digits(rng, 3)} {digits(rng, 3)} {digits(rng, 3)}",
        "FL": lambda: (
            f"{rng.choice(string.ascii_uppercase)}{digits(rng, 3)}-{digits(rng, 3)}-"
            f"{digits(rng, 2)}-{digits(rng, 3)}-{digits(rng, 1)}"
        ),
        "TX": lambda: digits(rng, 8),
        "IL": lambda: (
            f"{rng.choice(string.ascii_uppercase)}{digits(rng, 3)}-{digits(rng, 4)}-"
            f"{digits(rng, 4)}"
        ),
    }
    return formats[state]()


def national_id(rng: R, country: str) -> str:
    """GB National Insurance number, ES DNI (check letter), BR CPF (check digits), NG NIN."""
    if country == "GB":
        return (
            f"{rng.choice('ABCEGHJKLMNPRSTWXYZ')}{rng.choice('ABCEGHJKLMNPRSTWXYZ')} "
            f"{digits(rng, 2)} {digits(rng, 2)} {digits(rng, 2)} {rng.choice('ABCD')}"
        )
    if country == "ES":
        number = rng.randint(10_000_000, 99_999_999)
        return f"{number}{'TRWAGMYFPDXBNJZSQVHLCKE'[number % 23]}"
    if country == "BR":
        base = [int(ch) for ch in digits(rng, 9)]
        for weight_top in (10, 11):
            total = sum(d * w for d, w in zip(base, range(weight_top, 1, -1), strict=True))
            base.append(0 if total % 11 < 2 else 11 - total % 11)
        s = "".join(map(str, base))
        return f"{s[:3]}.{s[3:6]}.{s[6:9]}-{s[9:]}"
    return digits(rng, 11)


def ipv4(rng: R) -> str:
    first = rng.choice((24, 47, 50, 66, 67, 68, 71, 73, 76, 98, 99, 104, 107, 108, 174, 184, 198))
    return f"{first}.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}"


def ipv6(rng: R) -> str:
    groups = [f"{rng.getrandbits(16):x}" for _ in range(8)]
    if rng.random() < 0.5:
        return f"2001:db8:{groups[0]}:{groups[1]}::{groups[2]}"
    return ":".join(["2600", "1700", *groups[2:]])


# --------------------------------------------------------------------------------------------
# Tables
# --------------------------------------------------------------------------------------------

SEGMENTS = ("retail", "small business", "premier", "student", "private banking")
STATUSES = ("active", "active", "active", "active", "dormant", "closed")
Y2024, Y2025 = date(2024, 1, 1), date(2025, 6, 30)


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


JOBS = (
    ("Staff Accountant", "Finance", "CC-410"),
    ("AP Specialist", "Finance", "CC-410"),
    ("Payroll Analyst", "People", "CC-220"),
    ("Software Engineer", "Engineering", "CC-700"),
    ("Sales Manager", "Sales", "CC-510"),
    ("Warehouse Associate", "Operations", "CC-830"),
    ("Customer Support Rep", "Support", "CC-615"),
    ("Controller", "Finance", "CC-400"),
    ("Data Analyst", "Engineering", "CC-710"),
    ("Recruiter", "People", "CC-225"),
)


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


TABLES: tuple[Callable[[R], Table], ...] = (
    customers,
    employees,
    vendors,
    bank_transactions,
    card_transactions,
    invoices,
    gl_lines,
    wire_transfers,
    web_access_log,
    kyc_applications,
    support_tickets,
)


# --------------------------------------------------------------------------------------------
# Output
# --------------------------------------------------------------------------------------------


def write_csv(path: Path, header: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)


def write_case(table: Table, root: Path) -> None:
    folder = root / f"gen_{table.name}"
    folder.mkdir(exist_ok=True)
    write_csv(folder / "table.csv", table.columns, table.rows)
    labels = [(str(row), column, entity) for row, column, entity in table.labels]
    write_csv(folder / "labels.csv", ("row", "column", "entity"), labels)


def main() -> None:
    rng = random.Random(SEED)
    tables = [make(rng) for make in TABLES]
    counts: Counter[str] = Counter()
    for table in tables:
        write_case(table, HERE)
        counts.update(entity for _, _, entity in table.labels)
    per_entity = " ".join(f"{entity}={counts[entity]}" for entity in ENTITIES)
    print(
        f"{len(tables)} cases, {sum(len(t.rows) for t in tables)} rows, "
        f"{sum(counts.values())} labeled cells: {per_entity}"
    )


if __name__ == "__main__":
    main()
