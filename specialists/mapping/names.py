"""Column names as concepts: tokens, abbreviations, a few languages, and how alike two names are.

Target schemas are written by engineers (``posted_on``, ``txn_type``, ``dest_postal_code``) and
source headers by export tools (``Posting Date``, ``Type``, ``DestPostalCd``, ``Buchungsdatum``).
:func:`concepts` turns either into a set of canonical concept words: it splits camelCase,
snake_case and punctuation, lowercases, maps abbreviations and common words of German, French and
Spanish to one English concept (``amt`` -> ``amount``, ``fecha`` -> ``date``), and drops a
plural ``s``. :func:`name_similarity` compares two names by weighted overlap of their concepts,
with character trigrams as a fallback for words no table knows.

The tables are generic vocabulary of finance, contact and logistics exports, not the headers of
any one golden case; the holdout set (``evals/holdout``) checks that.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterable

__all__ = [
    "SYNONYMS",
    "UNIT_CONCEPTS",
    "concepts",
    "name_similarity",
    "trigram_similarity",
    "unit_words",
]

_MAX = 200  # characters of a name that count: hostile headers stay cheap
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])|(?<=[A-Za-z])(?=[0-9])")
_SPLIT = re.compile(r"[^\w#%]+|_")

#: word -> concept. A concept may be several words ("birthdate" -> "birth date").
SYNONYMS: dict[str, str] = {
    # numbers and identifiers
    # a number column is an identifier: ``Check #``, ``Trans No``, ``bill_number`` all say id
    "number": "id",
    "no": "id",
    "nbr": "id",
    "num": "id",
    "nr": "id",
    "#": "id",
    "nummer": "id",
    "numero": "id",
    "num\u00e9ro": "id",
    "ref": "reference",
    "identifier": "id",
    "uuid": "id",
    "guid": "id",
    "key": "id",
    "cd": "code",
    "kode": "code",
    "codigo": "code",
    "c\u00f3digo": "code",
    # money
    "amt": "amount",
    "amnt": "amount",
    "betrag": "amount",
    "importe": "amount",
    "montant": "amount",
    "monto": "amount",
    "value": "amount",
    "val": "amount",
    "bal": "balance",
    "saldo": "balance",
    "solde": "balance",
    "ccy": "currency",
    "cur": "currency",
    "curr": "currency",
    "waehrung": "currency",
    "w\u00e4hrung": "currency",
    "moneda": "currency",
    "devise": "currency",
    "fx": "exchange rate",
    "xrate": "exchange rate",
    "tax": "tax",
    "vat": "tax",
    "steuer": "tax",
    "steuerbetrag": "tax amount",
    "impuesto": "tax",
    "iva": "tax",
    "tva": "tax",
    "dr": "debit",
    "debe": "debit",
    "soll": "debit",
    "cr": "credit",
    "haber": "credit",
    "haben": "credit",
    "price": "price",
    "preis": "price",
    "precio": "price",
    "prix": "price",
    "cost": "cost",
    "kosten": "cost",
    "coste": "cost",
    "costo": "cost",
    "rent": "rent",
    "miete": "rent",
    "alquiler": "rent",
    "loyer": "rent",
    "deposit": "deposit",
    "kaution": "deposit",
    "fianza": "deposit",
    "salary": "salary",
    "gehalt": "salary",
    "salario": "salary",
    "sueldo": "salary",
    "salaire": "salary",
    "wage": "salary",
    "paid": "pay",
    "payment": "pay",
    "pago": "pay",
    "paiement": "pay",
    "zahlung": "pay",
    # time
    "dt": "date",
    "datum": "date",
    "fecha": "date",
    "dte": "date",
    "ts": "timestamp",
    "time": "timestamp",
    "datetime": "timestamp",
    "at": "timestamp",
    "posted": "post",
    "posting": "post",
    "processed": "post",
    "settled": "post",
    "settlement": "post",
    "purchase": "transaction",
    "purchased": "transaction",
    "buchung": "post",
    "buchungsdatum": "post date",
    "belegdatum": "document date",
    "created": "create",
    "creation": "create",
    "birthdate": "birth date",
    "dob": "birth date",
    "born": "birth",
    "geburtsdatum": "birth date",
    "yr": "year",
    "jahr": "year",
    "ano": "year",
    "a\u00f1o": "year",
    "ejercicio": "fiscal year",
    "geschaeftsjahr": "fiscal year",
    "gesch\u00e4ftsjahr": "fiscal year",
    "periode": "period",
    "periodo": "period",
    "per\u00edodo": "period",
    "mo": "month",
    "from": "start",
    "begin": "start",
    "beginning": "start",
    "inicio": "start",
    "von": "start",
    "to": "end",
    "until": "end",
    "thru": "end",
    "through": "end",
    "fin": "end",
    "bis": "end",
    "expiry": "end",
    "expiration": "end",
    "hire": "hire",
    "hired": "hire",
    "departed": "depart",
    "departure": "depart",
    "salida": "depart",
    "depart": "depart",
    "arrival": "arrive",
    "arrived": "arrive",
    "llegada": "arrive",
    "hora": "timestamp",
    "heure": "timestamp",
    "zeit": "timestamp",
    "inscription": "signup",
    "registration": "signup",
    "registered": "signup",
    # documents and ledgers
    "doc": "document",
    "beleg": "document",
    "belegnummer": "document number",
    "documento": "document",
    "inv": "invoice",
    "rechnung": "invoice",
    "factura": "invoice",
    "facture": "invoice",
    "bill": "invoice",
    "po": "purchase order",
    "acct": "account",
    "acc": "account",
    "konto": "account",
    "cuenta": "account",
    "compte": "account",
    "sachkonto": "account",
    "gl": "ledger",
    "kontobezeichnung": "account name",
    "asiento": "journal entry",
    "je": "journal entry",
    "journal": "journal",
    "entry": "entry",
    "trans": "transaction",
    "txn": "transaction",
    "tx": "transaction",
    "transaktion": "transaction",
    "transaccion": "transaction",
    "chk": "check",
    "cheque": "check",
    "desc": "description",
    "descr": "description",
    "memo": "description",
    "beschreibung": "description",
    "descripcion": "description",
    "descripci\u00f3n": "description",
    "concepto": "description",
    "narrative": "description",
    "buchungstext": "description",
    "text": "description",
    "details": "detail",
    "cost center": "cost center",
    "kostenstelle": "cost center",
    "cc": "cost center",
    "dept": "department",
    "abteilung": "department",
    "departamento": "department",
    "buchungskreis": "company code",
    "stat": "status",
    "estado": "status",
    "cat": "category",
    "kategorie": "category",
    "categoria": "category",
    # parties
    "vend": "vendor",
    "vndr": "vendor",
    "supplier": "vendor",
    "supp": "vendor",
    "lieferant": "vendor",
    "proveedor": "vendor",
    "fournisseur": "vendor",
    "payee": "vendor",
    "cust": "customer",
    "client": "customer",
    "kunde": "customer",
    "cliente": "customer",
    "emp": "employee",
    "empl": "employee",
    "staff": "employee",
    "worker": "employee",
    "mitarbeiter": "employee",
    "empleado": "employee",
    "employe": "employee",
    "nm": "name",
    "nombre": "name",
    "nom": "name",
    "bezeichnung": "name",
    "firstname": "given name",
    "fname": "given name",
    "first": "given",
    "forename": "given",
    "vorname": "given name",
    "pr\u00e9nom": "given name",
    "prenom": "given name",
    "lastname": "family name",
    "lname": "family name",
    "last": "family",
    "surname": "family name",
    "nachname": "family name",
    "apellido": "family name",
    "apellidos": "family name",
    "middle": "middle",
    "mi": "middle",
    "company": "company",
    "firma": "company",
    "empresa": "company",
    "org": "company",
    "organization": "company",
    "organisation": "company",
    "resident": "tenant",
    "lessee": "tenant",
    "mieter": "tenant",
    "inquilino": "tenant",
    "prop": "property",
    "bldg": "building",
    "mgr": "manager",
    "supervisor": "manager",
    "cardholder": "card holder",
    "member": "holder",
    # contact and address
    "tel": "phone",
    "telephone": "phone",
    "telefon": "phone",
    "telefono": "phone",
    "tel\u00e9fono": "phone",
    "mobile": "phone",
    "cell": "phone",
    "fax": "fax",
    "mail": "email",
    "e": "",
    "correo": "email",
    "courriel": "email",
    "addr": "address",
    "adresse": "address",
    "direccion": "address",
    "direcci\u00f3n": "address",
    "strasse": "street",
    "stra\u00dfe": "street",
    "calle": "street",
    "rue": "street",
    "line1": "street",
    "addr1": "street",
    "line2": "line2",
    "addr2": "line2",
    "zip": "postal",
    "zipcode": "postal",
    "postcode": "postal",
    "plz": "postal",
    "postleitzahl": "postal",
    "cp": "postal",
    "st": "region",
    "state": "region",
    "province": "region",
    "prov": "region",
    "bundesland": "region",
    "provincia": "region",
    "county": "region",
    "ort": "city",
    "stadt": "city",
    "ciudad": "city",
    "ville": "city",
    "town": "city",
    "ctry": "country",
    "cntry": "country",
    "land": "country",
    "pais": "country",
    "pa\u00eds": "country",
    "pays": "country",
    "iso2": "code",
    "iso": "code",
    "url": "url",
    "link": "url",
    "website": "url",
    "web": "url",
    # banking
    "rtng": "routing",
    "aba": "routing",
    "routing": "routing",
    "swift": "bic",
    "bic": "bic",
    "ein": "tax id",
    "tin": "tax id",
    "nif": "tax id",
    "cif": "tax id",
    "vatin": "tax id",
    "ssn": "ssn",
    "iban": "iban",
    # quantities
    "qty": "quantity",
    "cnt": "count",
    "menge": "quantity",
    "cantidad": "quantity",
    "quantite": "quantity",
    "pcs": "piece",
    "pieces": "piece",
    "wt": "weight",
    "wgt": "weight",
    "weight": "weight",
    "gewicht": "weight",
    "peso": "weight",
    "poids": "weight",
    "len": "length",
    "wid": "width",
    "hgt": "height",
    "ht": "height",
    "cube": "volume",
    "vol": "volume",
    "temp": "temperature",
    "setpoint": "temperature",
    "sqft": "area",
    "sq": "area",
    "ft2": "area",
    "m2": "area",
    "square": "area",
    "feet": "ft",
    "foot": "ft",
    "mcc": "merchant category code",
    "pct": "percent",
    "%": "percent",
    "percentage": "percent",
    "dest": "destination",
    "orig": "origin",
    "ship": "ship",
    "shipped": "ship",
    # filler words that carry no meaning here
    "of": "",
    "the": "",
    "or": "",
    "and": "",
    "de": "",
    "del": "",
    "la": "",
    "le": "",
    "der": "",
    "die": "",
    "das": "",
    "y": "",
    "on": "",
    "in": "",
    "for": "",
    "your": "",
    "as": "",
    "by": "",
}
#: Concepts a unit word stands for, beside the unit itself (``kg`` is a weight).
UNIT_CONCEPTS = {
    "kg": "weight",
    "g": "weight",
    "lb": "weight",
    "lbs": "weight",
    "oz": "weight",
    "cm": "length",
    "mm": "length",
    "m": "length",
    "in": "length",
    "ft": "length",
    "m3": "volume",
    "l": "volume",
    "gal": "volume",
    "c": "temperature",
    "f": "temperature",
    "cents": "amount",
    "usd": "amount",
    "eur": "amount",
    "gbp": "amount",
}
#: Concepts that say little alone: they weigh less in an overlap.
_WEAK = {"id", "name", "code", "number", "date", "amount", "type", "timestamp", "description"}


def _ascii(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def _words(name: str) -> list[str]:
    name = _CAMEL.sub(" ", name[:_MAX])
    return [w for w in _SPLIT.split(name.lower()) if w]


def _singular(word: str) -> str:
    keep = word.endswith(("ss", "us", "is"))  # status, bonus, basis: not plurals
    return word[:-1] if len(word) > 3 and word.endswith("s") and not keep else word


@functools.lru_cache(maxsize=8192)
def _concept_tuple(name: str) -> tuple[str, ...]:
    out: list[str] = []
    words = _words(name)
    for n, raw in enumerate(words):
        forms = dict.fromkeys((raw, _singular(raw), _ascii(raw), _singular(_ascii(raw))))
        if n == len(words) - 1 and n > 0 and raw in UNIT_CONCEPTS:  # Length (in): a unit
            out += [raw, UNIT_CONCEPTS[raw]]
            continue
        for word in forms:
            if word in SYNONYMS:
                out += SYNONYMS[word].split()
                break
            if word in UNIT_CONCEPTS:
                out += [word, UNIT_CONCEPTS[word]]
                break
        else:
            out.append(_singular(_ascii(raw)))
    if {"address", "line"} & set(out):  # Address Line 1, addr1: the street; line 2: the rest
        out = [{"1": "street", "2": "line2"}.get(w, w) for w in out]
    return tuple(dict.fromkeys(w for w in out if w))


def concepts(name: str) -> frozenset[str]:
    """The concept words of a column name.

    Example:
        >>> sorted(concepts("Posting Date")), sorted(concepts("posted_on"))
        (['date', 'post'], ['post'])
        >>> sorted(concepts("DestPostalCd"))
        ['code', 'destination', 'postal']
    """
    return frozenset(_concept_tuple(name))


def unit_words(name: str) -> list[str]:
    """The unit words in a name, in order (``GrossWtKg`` -> ``['kg']``)."""
    return [w for w in _concept_tuple(name) if w in UNIT_CONCEPTS]


@functools.lru_cache(maxsize=8192)
def _trigrams(text: str) -> frozenset[str]:
    t = f"  {' '.join(_words(_ascii(text)))} "
    return frozenset(t[i : i + 3] for i in range(len(t) - 2))


def trigram_similarity(a: str, b: str) -> float:
    """Dice coefficient of the character trigrams of two names."""
    x, y = _trigrams(a), _trigrams(b)
    return 2 * len(x & y) / (len(x) + len(y)) if x and y else 0.0


def _weight(word: str) -> float:
    return 0.5 if word in _WEAK else 1.0


def _mass(words: Iterable[str]) -> float:
    return sum(_weight(w) for w in words)


def name_similarity(
    target: str, source: str, description: str = "", context: frozenset[str] = frozenset()
) -> float:
    """How alike a target column name and a source header are, in [0, 1].

    Weighted Dice overlap of their concepts (weak words like ``id`` or ``date`` weigh half), at
    least 0.9 of their trigram similarity; a target's description adds concepts at half weight.
    ``context`` holds the concepts of the target table's name: a target word the table already
    says (``bill`` in ``bill_date`` of table ``vendor_bill``) need not be in the header.

    Example:
        >>> round(name_similarity("posted_on", "Posting Date"), 2)
        0.8
        >>> name_similarity("city", "Mailing City") > name_similarity("city", "Country")
        True
    """
    t, s = concepts(target), concepts(source)
    t = (t - (context - s)) or t
    if not t or not s:
        return 0.0
    shared = t & s
    dice = 2 * _mass(shared) / (_mass(t) + _mass(s))
    if description:
        d = concepts(description) - t
        extra = d & (s - shared)
        if extra:
            dice = min(1.0, dice + 0.5 * _mass(extra) / max(_mass(s), 1.0))
    return max(dice, 0.9 * trigram_similarity(target, source))
