"""Compose and decompose proposals (§12): target columns made of several source columns, and
source columns split into several targets.

Each rule looks at concepts of names (:mod:`specialists.mapping.names`), domains and, in
data_mode, sample values, and proposes candidate pipelines with a score; the plan compares it with
the best single-column match and keeps the better. The rules:

- **full name**: a target that is a full name (``full_name``, or described as given then family
  name) from given, middle and family name columns, joined by spaces in that order.
- **signed amount from debit and credit**: an amount-like target (not itself a debit or credit)
  from separate debit and credit columns: ``debit - credit`` in a ledger (a GL account, journal
  entry or cost center column: debits are positive), ``credit - debit`` otherwise (a bank
  statement: deposits are positive). The source list is written in the order the formula reads.
- **signed amount from a flag**: a target named signed from an unsigned amount and a debit/credit
  flag column (``S``/``H``, ``DR``/``CR``), negative on credits in a ledger, on debits otherwise.
- **gross from net and tax**: a gross or total target from a net amount and a tax amount.
- **location**: a location target from a city and a region column, joined by ``", "``.
- **name parts from a full name** (decompose): given and family name targets from one name
  column: ``Family, Given`` when its values carry a comma, ``Given Family`` otherwise.
- **code and name** (decompose): ``*_code`` and ``*_name`` targets of one stem (``account``) from
  one column whose values read ``6100 Repairs``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from specialists.mapping.columns import SourceColumn, TargetSpec
from specialists.mapping.names import UNIT_CONCEPTS, concepts
from specialists.mapping.pipelines import (
    Doc,
    concat_pipeline,
    difference_pipeline,
    extract_pipeline,
    signed_by_flag_pipeline,
    sum_pipeline,
)

__all__ = ["Proposal", "compose_proposals"]

_LEDGER_DOMAINS = {
    "finance.gl_account_code",
    "finance.gl_account_name",
    "finance.journal_entry_id",
    "finance.cost_center",
}
_NEGATIVE_IN_LEDGER = ("H", "CR", "Cr", "cr", "C", "CREDIT", "Credit", "credit", "Haben")
_POSITIVE_IN_LEDGER = ("S", "DR", "Dr", "dr", "D", "DEBIT", "Debit", "debit", "Soll")
#: DSL regexes must be unambiguous (each repetition starts with its own characters).
_CODE_THEN_NAME = r"^ *([0-9][0-9A-Za-z.]*)[ :|-]+([^ :|-].*)$"
_FAMILY_COMMA_GIVEN = r"^([^,]+), *([^ ].*)$"
_GIVEN_SPACE_FAMILY = r"^([^ ]+) +([^ ].*)$"


@dataclass(frozen=True)
class Proposal:
    target: str
    sources: tuple[SourceColumn, ...]
    strategy: str  # compose | decompose
    docs: tuple[Doc, ...]
    score: float
    rationale: str


def _c(column: SourceColumn) -> frozenset[str]:
    return concepts(column.header)


def _is(column: SourceColumn, domain: str, *words: str) -> bool:
    return column.domain == domain or (bool(words) and set(words) <= _c(column))


def _first(sources: Sequence[SourceColumn], domain: str, *words: str) -> SourceColumn | None:
    return next((s for s in sources if _is(s, domain, *words)), None)


def _in_ledger(sources: Sequence[SourceColumn]) -> bool:
    """Whether the source is a ledger (debits positive): a GL account, journal entry or cost
    center column, or a header naming the ledger. An ``Account Number`` alone is not one: bank
    exports carry it too."""
    return any(
        s.domain in _LEDGER_DOMAINS or _c(s) & {"ledger", "journal", "cost center"} for s in sources
    )


def _present(values: Sequence[str | None]) -> list[str]:
    return [v for v in values if v not in (None, "")]


def _full_name(t: TargetSpec, sources: Sequence[SourceColumn]) -> Proposal | None:
    words = concepts(t.name)
    description = t.column.description.lower()
    wants = (
        t.domain == "person.full_name"
        or "full" in words
        or ("given" in description and "family" in description)
    )
    if not wants or t.family != "string":
        return None
    given = _first(sources, "person.given_name", "given")
    family = _first(sources, "person.family_name", "family")
    if given is None or family is None:
        return None
    middle = _first(sources, "person.middle_name", "middle")
    parts = tuple(p for p in (given, middle, family) if p is not None)
    return Proposal(
        t.name,
        parts,
        "compose",
        (concat_pipeline(t.column, parts, " "),),
        0.9,
        "a full name from its parts, given name first",
    )


def _signed_amount(t: TargetSpec, sources: Sequence[SourceColumn]) -> Proposal | None:
    words = concepts(t.name)
    if t.family not in ("decimal", "integer") or words & {"debit", "credit"}:
        return None
    if not words & {"amount", "net", "signed", "total"}:
        return None
    if words - {"amount", "net", "signed", "total", "transaction"} - set(UNIT_CONCEPTS):
        return None  # fee_amount, tax_amount: an amount of something else
    debit = _first(sources, "finance.debit", "debit")
    credit = _first(sources, "finance.credit", "credit")
    if debit is None or credit is None or debit is credit:
        return None
    ledger = _in_ledger(sources)
    a, b = (debit, credit) if ledger else (credit, debit)
    why = "debit minus credit (a ledger)" if ledger else "credit minus debit (deposits positive)"
    return Proposal(
        t.name,
        (a, b),
        "compose",
        tuple(difference_pipeline(t.column, a, b)),
        0.85,
        f"a signed amount: {why}",
    )


def _flag_values(column: SourceColumn) -> set[str]:
    return set(_present(column.values))


def _signed_by_flag(t: TargetSpec, sources: Sequence[SourceColumn]) -> Proposal | None:
    words = concepts(t.name) | concepts(t.column.description)
    if t.family != "decimal" or "signed" not in words:
        return None
    vocab = set(_NEGATIVE_IN_LEDGER) | set(_POSITIVE_IN_LEDGER)
    flags = [s for s in sources if s.values and _flag_values(s) and _flag_values(s) <= vocab]
    flags += [s for s in sources if s.domain == "finance.debit_credit_flag" and s not in flags]
    amounts = [s for s in sources if s.domain.startswith("money.") or "amount" in _c(s)]
    amounts = [
        a for a in amounts if not any(v.lstrip().startswith("-") for v in _present(a.values))
    ]
    if not flags or not amounts:
        return None
    flag, amount = flags[0], amounts[0]
    ledger = _in_ledger(sources)
    negative = _NEGATIVE_IN_LEDGER if ledger else _POSITIVE_IN_LEDGER
    positive = _POSITIVE_IN_LEDGER if ledger else _NEGATIVE_IN_LEDGER
    docs = signed_by_flag_pipeline(t.column, amount, flag, negative, positive)
    side = "credits" if ledger else "debits"
    return Proposal(
        t.name,
        (amount, flag),
        "compose",
        tuple(docs),
        0.8,
        f"an unsigned amount signed by its debit/credit flag, negative on {side}",
    )


def _gross(t: TargetSpec, sources: Sequence[SourceColumn]) -> Proposal | None:
    words = concepts(t.name)
    if t.family != "decimal" or not words & {"gross", "total"}:
        return None
    net = next((s for s in sources if "net" in _c(s) and "amount" in _c(s)), None)
    tax = _first(sources, "finance.tax_amount", "tax")
    if net is None or tax is None or net is tax:
        return None
    return Proposal(
        t.name,
        (net, tax),
        "compose",
        tuple(sum_pipeline(t.column, net, tax)),
        0.8,
        "gross = net + tax",
    )


def _location(t: TargetSpec, sources: Sequence[SourceColumn]) -> Proposal | None:
    if t.family != "string" or "location" not in concepts(t.name):
        return None
    prefix = concepts(t.name) - {"location"}
    city = [s for s in sources if _is(s, "address.city", "city")]
    region = [s for s in sources if _is(s, "address.region", "region")]
    if not city or not region:
        return None
    pick = (
        max(city, key=lambda s: len(prefix & _c(s))),
        max(region, key=lambda s: len(prefix & _c(s))),
    )
    return Proposal(
        t.name,
        pick,
        "compose",
        (concat_pipeline(t.column, pick, ", "),),
        0.85,
        "a location from city and region",
    )


def _mostly_comma(column: SourceColumn) -> bool:
    """Whether most values read ``Family, Given``: from unmasked sample values, else from the
    catalog's shapes (computed before masking, and holding no value)."""
    from specialists.mapping.execute import MASKED

    values = [v for v in _present(column.values) if not re.search(MASKED, v)]
    if values:
        return sum("," in v for v in values) > len(values) / 2
    total = sum(n for _, n in column.shapes)
    return total > 0 and sum(n for sh, n in column.shapes if "," in sh) > total / 2


def _name_parts(targets: Sequence[TargetSpec], sources: Sequence[SourceColumn]) -> list[Proposal]:
    if any(
        _is(s, "person.given_name", "given") or _is(s, "person.family_name", "family")
        for s in sources
    ):
        return []
    wanted = [
        t
        for t in targets
        if t.family == "string"
        and concepts(t.name) & {"given", "family"}
        and ("name" in concepts(t.name) or t.domain.startswith("person."))
    ]
    if not wanted:
        return []
    names = [
        s
        for s in sources
        if s.family == "string"
        and (
            s.domain == "person.full_name"
            or s.masked_as == "PERSON"
            or ("name" in _c(s) and _c(s) & {"contact", "person", "full", "employee", "customer"})
        )
    ]
    if not names:
        return []
    prefixes = set().union(*(concepts(t.name) - {"given", "family", "name"} for t in wanted))
    source = max(names, key=lambda s: (len(prefixes & _c(s)), s.domain == "person.full_name"))
    comma = _mostly_comma(source)
    out = []
    for t in wanted:
        given = "given" in concepts(t.name)
        if comma:
            pattern, group = _FAMILY_COMMA_GIVEN, 2 if given else 1
        else:
            pattern, group = _GIVEN_SPACE_FAMILY, 1 if given else 2
        order = "Family, Given" if comma else "Given Family"
        out.append(
            Proposal(
                t.name,
                (source,),
                "decompose",
                (extract_pipeline(t.column, source, pattern, group),),
                0.75,
                f"the {'given' if given else 'family'} part of a full name read as {order}",
            )
        )
    return out


def _code_and_name(
    targets: Sequence[TargetSpec], sources: Sequence[SourceColumn]
) -> list[Proposal]:
    rx = re.compile(_CODE_THEN_NAME)
    out = []
    stems: dict[frozenset[str], dict[str, TargetSpec]] = {}
    for t in targets:
        words = concepts(t.name)
        for role in ("code", "name"):
            if role in words or (role == "code" and {"number", "id"} & words):
                stems.setdefault(frozenset(words - {"code", "name", "number", "id"}), {})[role] = t
    for stem, roles in stems.items():
        if not stem or set(roles) != {"code", "name"}:
            continue
        for s in sources:
            values = _present(s.values)
            shaped = [sh for sh, _ in s.shapes if re.match(r"^9(\{\d+\})?\s", sh)]
            looks = (values and sum(bool(rx.match(v)) for v in values) >= 0.9 * len(values)) or (
                not values and shaped
            )
            if stem <= _c(s) and looks:
                for role, group in (("code", 1), ("name", 2)):
                    t = roles[role]
                    out.append(
                        Proposal(
                            t.name,
                            (s,),
                            "decompose",
                            (extract_pipeline(t.column, s, _CODE_THEN_NAME, group),),
                            0.8,
                            f"the {role} part of values like '6100 Repairs'",
                        )
                    )
                break
    return out


def compose_proposals(
    targets: Sequence[TargetSpec], sources: Sequence[SourceColumn]
) -> dict[str, Proposal]:
    """The compose or decompose proposal of each target column a rule applies to."""
    out: dict[str, Proposal] = {}
    for t in targets:
        for rule in (_full_name, _signed_amount, _signed_by_flag, _gross, _location):
            proposal = rule(t, sources)
            if proposal is not None:
                out[t.name] = proposal
                break
    for proposal in _name_parts(targets, sources) + _code_and_name(targets, sources):
        out.setdefault(proposal.target, proposal)
    return out
