"""Valid values for the generated tables: dates, people, contact data and numbers.

Every helper draws from the one ``random.Random`` that ``make_golden.py`` passes down, so the order
of the calls decides the output. Card numbers (Luhn), IBANs (mod-97), ABA routing numbers, ES DNI
and BR CPF have valid check digits; SSNs, ITINs and EINs follow the issuing rules; phone numbers are
in fictional ranges.
"""

from __future__ import annotations

import random
import string
import unicodedata
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from .golden_words import (
    CITIES,
    COMPANY_SUFFIXES,
    COMPANY_WORDS,
    FOREIGN_CITIES,
    FOREIGN_STREETS,
    INDUSTRIES,
    MONTHS,
    NAME_POOLS,
    NO_SUFFIX_STREETS,
    PERSONAL_DOMAINS,
    STREET_NAMES,
    STREET_SUFFIXES,
    TITLES,
    US_AREA_CODES,
    City,
)

R = random.Random

# Most dates of the tables fall in this period.
Y2024, Y2025 = date(2024, 1, 1), date(2025, 6, 30)


# ---- dates, amounts, ids ----


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
