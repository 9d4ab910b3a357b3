"""Column evidence: what a header (or a column's domain) says about the personal data it holds.

A header is split into lower-case words (``customerFirstName``, ``customer_first_name`` and
``Customer First Name`` all give ``customer first name``) and matched against word patterns.
The answer is a strength:

- ``strong``: the header names the entity (``email``, ``dob``, ``first_name``, ``iban``); every
  value that looks like one is masked, even where no recognizer would fire on it alone;
- ``weak``: the header hints at a person (``payee``, ``contact``, ``name``); the values decide;
- ``negative``: the header names something that is not personal data (``invoice_no``, ``sku``,
  ``posting_date``, ``firmware_version``); only checksum-validated values may override it.

>>> header_evidence("customerFirstName")
HeaderEvidence(entity='PERSON', strength='strong', also=('PERSON',))
>>> header_evidence("Invoice No").strength
'negative'
>>> header_evidence("email_address").entity
'EMAIL_ADDRESS'
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from policy.manifest import Entity

__all__ = ["DOMAIN_ENTITIES", "HeaderEvidence", "domain_entity", "header_evidence", "header_words"]

Strength = Literal["strong", "weak", "negative", "none"]


@dataclass(frozen=True)
class HeaderEvidence:
    entity: Entity | None
    strength: Strength
    #: Every entity a strong header names (`Acct / IBAN` names two), first is ``entity``.
    also: tuple[Entity, ...] = ()


_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
_NON_WORD = re.compile(r"[^0-9a-zA-Z]+")


def header_words(header: str) -> str:
    """Lower-case words of a header, joined by one space.

    >>> header_words("  Date_of-Birth (DOB) ")
    'date of birth dob'
    >>> header_words("IPAddress")
    'ip address'
    """
    spaced = _CAMEL.sub(" ", header)
    return " ".join(w for w in _NON_WORD.split(spaced.lower()) if w)


def _rx(*alternatives: str) -> re.Pattern[str]:
    return re.compile(r"(?:^| )(?:" + "|".join(alternatives) + r")(?: |$)")


# Words naming another kind of identifier or value: both a negative header and a veto of a
# strong claim (`card type`, `gl account no`, `passport status`).
_OTHER_KINDS = (
    r"invoice",
    r"po",
    r"purchase order",
    r"order",
    r"sku",
    r"product",
    r"item",
    r"txn",
    r"transaction",
    r"cheque",
    r"gl",
    r"ledger",
    r"journal",
    r"last ?4",
    r"last four",
    r"masked",
    r"mask",
    r"type",
    r"category",
    r"status",
    r"count",
    r"version",
    r"ticket",
    r"tracking",
    r"batch",
)

# Headers that name something that is not personal data. Checked first: `invoice phone` is not
# a phone column, `firmware version` holds no IP addresses.
_NEGATIVE = _rx(
    *_OTHER_KINDS,
    r"inv (?:no|num|number|id)",
    r"part (?:no|num|number)",
    r"trans (?:id|no)",
    r"check (?:no|num|number)",
    r"auth(?:orization)? code",
    r"amount",
    r"amt",
    r"balance",
    r"price",
    r"qty",
    r"quantity",
    r"total",
    r"tax amount",
    r"currency",
    r"ccy",
    r"posting",
    r"posted",
    r"due",
    r"period",
    r"cost center",
    r"cost centre",
    r"firmware",
    r"build",
    r"uuid",
    r"guid",
    r"hash",
    r"checksum",
    r"zip",
    r"zipcode",
    r"postal",
    r"postcode",
    r"city",
    r"state",
    r"country",
    r"region",
    r"mcc",
    r"bic",
    r"swift",
    r"code",
    r"case",
    r"voucher",
    r"shipment",
    r"reference",
    r"ref",
    r"user agent",
    r"useragent",
    r"(?:vendor|supplier|merchant|company|business|bank|branch|store|product|department|"
    r"dept|project|legal entity|entity|organization|organisation|employer|issuer) name",
    r"vendor",
    r"supplier",
    r"merchant",
    r"company",
    r"rate",
    r"score",
    r"hire",
    r"(?:created|updated|modified|posted|entered) (?:at|on|date|time|ts)",
    r"timestamp",
    r"time",
    r"id",
    r"ids",
    r"key",
    r"uid",
    r"no",
    r"nbr",
)

# Words that turn a strong claim into another kind of identifier: `card last4`, `gl account no`,
# `card type`, `order phone`? (no: phones are not negated), `passport status`.
_NEGATES_STRONG = _rx(
    *_OTHER_KINDS,
    r"inv",
    r"part",
    r"check",
    r"cost cent(?:er|re)",
    r"expiry",
    r"expiration",
    r"exp",
    r"issuer",
    r"brand",
    r"network",
)

# (entity, header pattern) in priority order; every pattern is a strong claim.
_STRONG: tuple[tuple[Entity, re.Pattern[str]], ...] = (
    ("EMAIL_ADDRESS", _rx(r"e ?mail(?: address| addr)?", r"emailaddress", r"mail")),
    ("IP_ADDRESS", _rx(r"ip(?: address| addr)?", r"ipv[46]", r"remote addr", r"x forwarded for")),
    (
        "DATE_OF_BIRTH",
        _rx(r"dob", r"d o b", r"birth ?date", r"date of birth", r"birthday", r"born"),
    ),
    ("US_SSN", _rx(r"ssn", r"social security(?: no| number| num)?", r"soc sec")),
    ("IBAN_CODE", _rx(r"iban")),
    ("ABA_ROUTING_NUMBER", _rx(r"routing", r"aba", r"rtn", r"transit (?:no|number)")),
    (
        "CREDIT_CARD",
        _rx(
            r"(?:credit |debit )?card (?:no|num|number|nbr)",
            r"cardnumber",
            r"pan",
            r"cc (?:no|num|number)",
            r"ccn",
            r"credit card",
            r"card",
        ),
    ),
    (
        "TAX_ID",
        _rx(r"tax ?id", r"tin", r"ein", r"fein", r"itin", r"vat(?: no| number| id)?", r"taxpayer"),
    ),
    (
        "OTHER_ID",
        _rx(
            r"passport",
            r"driver ?s? licen[cs]e",
            r"drivers licen[cs]e",
            r"licen[cs]e (?:no|num|number)",
            r"dl (?:no|num|number)",
            r"national id",
            r"nid",
            r"id (?:card|number)",
            r"medical record",
            r"mrn",
            r"member id",
            r"insurance id",
            r"health id",
            r"voter id",
        ),
    ),
    (
        "US_BANK_NUMBER",
        _rx(
            r"(?:bank )?acc(?:oun)?t (?:no|num|number|nbr)",
            r"acctno",
            r"acct",
            r"bank account",
            r"account number",
            r"dda",
            r"(?:checking|savings|deposit|beneficiary) account",
        ),
    ),
    (
        "PHONE_NUMBER",
        _rx(
            r"phone(?: no| num| number)?",
            r"telephone",
            r"tel",
            r"mobile",
            r"cell(?: phone)?",
            r"fax",
            r"msisdn",
            r"contact (?:no|number)",
        ),
    ),
    (
        "URL",
        _rx(
            r"url",
            r"uri",
            r"website",
            r"web site",
            r"homepage",
            r"home page",
            r"link",
            r"profile",
            r"linkedin",
            r"twitter",
            r"facebook",
            r"referr?er",
        ),
    ),
    (
        "STREET_ADDRESS",
        _rx(
            r"(?:street |mailing |billing |shipping |home |postal |remit(?: to)? |residential )?"
            r"address(?: line)?(?: ?1)?",
            r"addr(?: ?1)?",
            r"address1",
            r"street",
            r"line ?1",
            r"residence",
        ),
    ),
    (
        "PERSON",
        _rx(
            r"(?:first|last|middle|given|family|full|maiden|legal|preferred|nick|sur|fore) ?name",
            r"firstname",
            r"lastname",
            r"fullname",
            r"surname",
            r"forename",
            r"card ?holder(?: name)?",
            r"account holder(?: name)?",
            r"holder name",
            r"(?:customer|client|employee|contact|patient|applicant|beneficiary|recipient|"
            r"sender|owner|member|user|guarantor|borrower|tenant|signer|payee|person) name",
            r"contact person",
            r"emergency contact(?: name)?",
            r"signatory",
            r"spouse",
            r"guardian",
            r"(?:entered|created|approved|submitted|prepared|requested|reviewed|posted) by",
            r"assignee",
        ),
    ),
)

_WEAK_PERSON = _rx(
    r"^name",
    r"holder",
    r"signer",
    r"payee",
    r"beneficiary",
    r"counterparty",
    r"party",
    r"contact",
    r"customer",
    r"client",
    r"employee",
    r"owner",
    r"recipient",
    r"sender",
    r"member",
    r"user",
    r"agent",
    r"rep",
    r"salesperson",
    r"approver",
    r"requester",
    r"attendee",
    r"traveler",
    r"traveller",
)


def header_evidence(header: str) -> HeaderEvidence:
    """What ``header`` says about its column."""
    words = header_words(header)
    # `invoice email` is still an email, `vendor contact name` a person: a strong claim yields
    # only to a word naming another kind of identifier (`card type`).
    negated = _NEGATES_STRONG.search(words) is not None
    named = [e for e, pattern in _STRONG if pattern.search(words)]
    if named and not (named[0] in _NEGATABLE and negated):
        return HeaderEvidence(named[0], "strong", tuple(named))
    if _NEGATIVE.search(words):
        return HeaderEvidence(None, "negative")
    if _WEAK_PERSON.search(words):
        return HeaderEvidence("PERSON", "weak")
    return HeaderEvidence(None, "none")


# Strong claims `_NEGATES_STRONG` cancels (`card last4`, `gl account no`, `passport status`).
_NEGATABLE: frozenset[Entity] = frozenset(
    {"CREDIT_CARD", "US_BANK_NUMBER", "OTHER_ID", "TAX_ID", "ABA_ROUTING_NUMBER", "DATE_OF_BIRTH"}
)

#: Domain ids of the catalog (issue 7) that mean personal data, by prefix.
DOMAIN_ENTITIES: dict[str, Entity] = {
    "person.": "PERSON",
    "contact.email": "EMAIL_ADDRESS",
    "contact.phone": "PHONE_NUMBER",
    "contact.address": "STREET_ADDRESS",
    "contact.url": "URL",
    "payment.card_number": "CREDIT_CARD",
    "bank.iban": "IBAN_CODE",
    "bank.account_number": "US_BANK_NUMBER",
    "bank.routing_number": "ABA_ROUTING_NUMBER",
    "identity.ssn": "US_SSN",
    "identity.tax_id": "TAX_ID",
    "identity.date_of_birth": "DATE_OF_BIRTH",
    "identity.document": "OTHER_ID",
    "network.ip_address": "IP_ADDRESS",
}


def domain_entity(domain_id: str | None) -> Entity | None:
    """The entity a column's domain (assigned by domaining) implies, if any.

    >>> domain_entity("person.first_name")
    'PERSON'
    >>> domain_entity("finance.amount") is None
    True
    """
    if not domain_id:
        return None
    for prefix, entity in DOMAIN_ENTITIES.items():
        if domain_id.startswith(prefix):
            return entity
    return None
