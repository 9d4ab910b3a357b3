"""The shape of a person's name, and where names sit in free text.

NER alone misses many names in tables (``Łukasz Novák`` reads as an organisation, ``Min-jun
Tanaka`` as half of one) and takes merchants for people (``Trader Joe's``). These rules carry the
rest:

- a *name-shaped* value is one to five words of letters (``'``, ``-``, ``.`` allowed), with no
  digit, no organisation word (``LLC``, ``Bank``, ``Inn``, ``Couriers``) and no possessive ending;
- in free text, two or three name-shaped words right after a cue (``to``, ``from``, ``for``,
  ``per``, ``attn``, ``Mr``, ``-``) are a name unless NER calls them an organisation or place,
  or a word among them is a common capitalised word of finance text (``Payment``, ``Account``).
"""

from __future__ import annotations

import re

__all__ = [
    "capitalised_runs",
    "cue_spans",
    "has_org_word",
    "name_shaped",
    "possessive",
]

ORG_WORDS = frozenset(
    """inc incorporated llc l.l.c ltd limited corp corporation co company companies plc gmbh ag sa
    nv bv llp lp pty pte group holdings bank bancorp trust services service solutions partners
    associates international industries systems technologies technology supply supplies foods
    motors logistics consulting enterprises university college school hospital clinic agency
    department dept store stores market markets mart airlines airways insurance capital financial
    fund foundation labs laboratories studio studios media network networks energy electric
    pharma pharmaceuticals brothers bros couriers courier landscaping janitorial bakery analytics
    dental security inn hotel hotels motel resort restaurant cafe café coffee grill pizza pizzeria
    pharmacy shop salon spa gym fitness rentals rental auto garage traders trading imports
    exports distributors distribution wholesale retail properties realty construction builders
    engineering manufacturing partnership cooperative co-op federal credit union association
    society church office offices printing freight shipping transport express airport
    utilities water gas power telecom wireless cable software cloud digital marketing design
    legal law firm accounting cpa medical health healthcare center centre institute ristorante
    srl s.r.l spa s.p.a sarl sas kg ohg ug oy oyj asa a/s aps kk sdn bhd pvt ltda s.l sau
    &""".split()
)
_WORD = re.compile(r"[^\W\d_][\w.&'’-]*|&")


def has_org_word(text: str) -> bool:
    """True when a word of ``text`` marks an organisation.

    >>> has_org_word("Johnson & Johnson"), has_org_word("Jean-Luc Picard")
    (True, False)
    >>> has_org_word("HILTON GARDEN INN")
    True
    """
    return any(w.lower().rstrip(".,") in ORG_WORDS for w in _WORD.findall(text))


def possessive(text: str) -> bool:
    """``Trader Joe's``, ``MCDONALD'S #552``: a business, when it is a whole cell.

    >>> possessive("TRADER JOE'S #552"), possessive("Joe Smith")
    (True, False)
    """
    return bool(re.search(r"['’][sS]\b", text))


_NAME_WORD = re.compile(r"^[^\W\d_](?:[^\W\d_]|['’.-])*,?$")


def name_shaped(text: str, *, min_words: int = 1) -> bool:
    """One to five words of letters, no digit, no organisation word, not possessive.

    >>> name_shaped("O'Brien, Mary-Kate"), name_shaped("SKU-4411"), name_shaped("Acme Corp")
    (True, False, False)
    >>> name_shaped("Łukasz Novák"), name_shaped("Smith", min_words=2)
    (True, False)
    """
    words = text.split()
    if not min_words <= len(words) <= 5:
        return False
    if not all(_NAME_WORD.match(w) for w in words):
        return False
    if min_words > 1 and any(w.lower().rstrip(",.") in _NOT_NAMES for w in words):
        return False  # `Accounts Payable`, `front desk`, `City of Madison`
    return not has_org_word(text) and not possessive(text)


def _capitalised(word: str) -> bool:
    return word[:1].isupper() and any(c.isalpha() for c in word)


_CUES = frozenset(
    """to from for by per with attn attention contact cc mr mr. mrs mrs. ms ms. dr dr. dear hi
    hello - – — : payee beneficiary customer client employee ask asked met called emailed told
    thank thanks back paid reimburse reimbursed""".split()
)
_TITLES = frozenset("mr mr. mrs mrs. ms ms. dr dr.".split())
# Capitalised words of finance text that are not names.
_NOT_NAMES = frozenset(
    """payment payments invoice invoices account accounts team bank card office transfer wire
    deposit refund credit debit savings checking expense expenses report reports monday tuesday
    wednesday thursday friday saturday sunday january february march april may june july august
    september october november december q1 q2 q3 q4 fy the a an and of on in at our my your his
    her their this that all new old usd eur gbp ach pos atm id no ref please thanks thank
    request order purchase vendor supplier customer client staff payroll tax irs loan rent
    utilities lunch dinner travel hotel flight review approval approved pending urgent payable
    receivable front desk reception support billing sales admin department help service city
    county state town village""".split()
)
# Cues after which a single capitalised word is taken for a name (`ask Siobhan`, `Mr. Reddy`).
_PERSON_CUES = frozenset(
    """ask asked met called emailed told thank thanks back paid reimburse reimbursed per attn cc
    dear hi hello mr mr. mrs mrs. ms ms. dr dr.""".split()
)
_TOKEN = re.compile(r"\S+")


def cue_spans(text: str) -> list[tuple[int, int]]:
    """Spans of two or three name-shaped words right after a cue word.

    >>> t = "Zelle from Kwame Okafor - rent share"
    >>> [t[s:e] for s, e in cue_spans(t)]
    ['Kwame Okafor']
    >>> t = "ZELLE TO MARÍA CHEN CONF# AIMVMLCGQ"
    >>> [t[s:e] for s, e in cue_spans(t)]
    ['MARÍA CHEN']
    >>> cue_spans("Transfer to Savings Account")
    []
    """
    tokens = [(m.start(), m.end(), m.group()) for m in _TOKEN.finditer(text)]
    # In all-caps text (bank descriptors) `DR`, `MS` are as often abbreviations as titles.
    cues = _CUES - _TITLES if text.isupper() else _CUES
    out = []
    for i, (_, _, word) in enumerate(tokens[:-1]):
        if word.lower() not in cues:
            continue
        run: list[tuple[int, int]] = []
        for s, _, w in tokens[i + 1 : i + 4]:
            bare = w.rstrip(",.;:")
            if bare[-2:] in ("'s", "’s") and word.lower() in _PERSON_CUES:
                bare = bare[:-2]  # `per Hiroshi's email`
            if not _capitalised(bare) or not _NAME_WORD.match(bare) or bare.lower() in _NOT_NAMES:
                break
            if has_org_word(bare) or possessive(bare):
                run.clear()
                break
            run.append((s, s + len(bare)))
            if bare != w:
                break
        if len(run) >= 2 or (run and word.lower() in _PERSON_CUES and not text.isupper()):
            out.append((run[0][0], run[-1][1]))
    return out


def capitalised_runs(text: str) -> list[tuple[int, int]]:
    """Runs of two to four capitalised name-shaped words, the strings worth asking NER about.

    >>> t = "Met Jean-Luc and Anne-Marie Dubois at the Lyon show"
    >>> [t[s:e] for s, e in capitalised_runs(t)]
    ['Met Jean-Luc', 'Anne-Marie Dubois']
    """
    out: list[tuple[int, int]] = []
    run: list[tuple[int, int]] = []

    def close() -> None:
        if len(run) >= 2:
            out.append((run[0][0], run[-1][1]))
        run.clear()

    for m in _TOKEN.finditer(text):
        bare = m.group().rstrip(",.;:")
        ok = (
            _capitalised(bare)
            and _NAME_WORD.match(bare) is not None
            and bare.lower() not in _NOT_NAMES
            and not has_org_word(bare)
            and not possessive(bare)
        )
        if ok and len(run) < 4:
            run.append((m.start(), m.start() + len(bare)))
            if bare != m.group():
                close()
        else:
            close()
    close()
    return out
