"""The Domain Catalog (§8): what a column can mean, as versioned, validated, hashed data.

A domain is one kind of value (``contact.email``, ``finance.posting_date``): the header phrases
people write for it (``aliases``, in English, German, French and Spanish), the header words that
rule it out (``negatives``), the pattern its values match (``regex``), the units it is measured in
and 10-20 curated ``examples``. A composite domain is made of others (``person.full_name`` is a
given and a family name; ``money.signed_amount`` is debit minus credit).

The bundled catalog is ``catalog_v1.yaml`` beside this module. ``load_catalog()`` reads it once
per process; any problem, in the bundled file or another, is a ContractError that names the
domain and the field. Runs pin a catalog by ``version`` and ``catalog_hash`` (§27).

>>> catalog = load_catalog()
>>> catalog.get("contact.email").pii, catalog.get("person.full_name").parts
('EMAIL_ADDRESS', ('person.given_name', 'person.family_name'))
"""

from __future__ import annotations

import functools
import re
import unicodedata
from pathlib import Path
from typing import Annotated, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    model_validator,
)
from pydantic_core import PydanticCustomError

from core.canonical import content_hash
from core.errors import ContractError, NotFoundError
from policy.manifest import Entity
from specialists.domains.patterns import regex_problem

__all__ = [
    "Domain",
    "DomainCatalog",
    "DomainKind",
    "ValueType",
    "alias_key",
    "catalog_hash",
    "load_catalog",
    "parse_catalog",
]

BUNDLED = Path(__file__).with_name("catalog_v1.yaml")

DomainKind = Literal["atomic", "composite"]
ValueType = Literal["string", "integer", "decimal", "date", "timestamp", "boolean"]

DomainId = Annotated[
    str, StringConstraints(strict=True, pattern=r"^[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*$")
]
Text = Annotated[str, StringConstraints(strict=True, min_length=1, max_length=200)]
Pattern = Annotated[str, StringConstraints(strict=True, min_length=3, max_length=600)]
SemVer = Annotated[str, StringConstraints(strict=True, pattern=r"^\d+\.\d+\.\d+$")]

_TOKENS = re.compile(r"[^\W_]+|[#%]")


def alias_key(phrase: str) -> str:
    """The comparable form of a header phrase: case-folded, accents dropped, words by one space.

    ``#`` and ``%`` stay words (``Inv #``, ``Rate %``); every other separator goes.

    Example:
        >>> alias_key("Fecha de contabilización"), alias_key("post_dt"), alias_key("Inv #")
        ('fecha de contabilizacion', 'post dt', 'inv #')
        >>> alias_key("Straße"), alias_key("E-Mail-Adresse")
        ('strasse', 'e mail adresse')
    """
    decomposed = unicodedata.normalize("NFKD", phrase.casefold())
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(_TOKENS.findall(plain))


def _contains(phrase_key: str, words_key: str) -> bool:
    return f" {words_key} " in f" {phrase_key} "


def _problem(domain: str, field: str, detail: str) -> PydanticCustomError:
    return PydanticCustomError(
        "domain_catalog", "{detail}", {"domain": domain, "field": field, "detail": detail}
    )


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Domain(_Frozen):
    """One semantic domain: the evidence domaining (§10) scores a column against."""

    id: DomainId
    kind: DomainKind = "atomic"
    #: The domains a composite is made of, in reading order; empty for an atomic domain.
    parts: tuple[DomainId, ...] = ()
    description: Text
    value_type: ValueType
    #: Header phrases that name the domain, in any language, as exports write them
    #: (``Posting Date``, ``post_dt``, ``Buchungsdatum``); compared by ``alias_key``.
    aliases: tuple[Text, ...] = Field(min_length=1)
    #: Header words that mean a column is *not* this domain (``last4`` is no card number).
    negatives: tuple[Text, ...] = ()
    #: What every value matches: anchored ``^...$``, simple constructs only (see ``patterns``).
    regex: Pattern | None = None
    units: tuple[Text, ...] = ()
    #: The personal-data entity of the policy engine the values are, if they are personal data.
    pii: Entity | None = None
    examples: tuple[Text, ...] = Field(min_length=10, max_length=20)

    @property
    def group(self) -> str:
        """The part of the id before the dot (``finance`` for ``finance.posting_date``)."""
        return self.id.split(".", 1)[0]

    def matches(self, value: str) -> bool:
        """Whether ``value`` matches the domain's regex (True when it has none)."""
        return self.regex is None or re.fullmatch(self.regex, value) is not None

    @model_validator(mode="after")
    def _shape(self) -> Domain:
        if self.kind == "composite" and len(self.parts) < 2:
            raise _problem(self.id, "parts", "a composite domain needs at least two parts")
        if self.kind == "atomic" and self.parts:
            raise _problem(self.id, "parts", "an atomic domain has no parts")
        if self.id in self.parts or len(set(self.parts)) != len(self.parts):
            raise _problem(self.id, "parts", "parts must be distinct and not the domain itself")
        for name in ("units", "examples"):
            values: tuple[str, ...] = getattr(self, name)
            repeated = sorted({v for v in values if values.count(v) > 1})
            if repeated:
                raise _problem(self.id, name, f"{repeated} given more than once")
        return self

    @model_validator(mode="after")
    def _phrases(self) -> Domain:
        alias_keys = self._keys("aliases", self.aliases)
        negative_keys = self._keys("negatives", self.negatives)
        for alias, key in zip(self.aliases, alias_keys, strict=True):
            clash = next((n for n in negative_keys if _contains(key, n)), None)
            if clash is not None:
                raise _problem(self.id, "negatives", f"{clash!r} rules out the alias {alias!r}")
        return self

    def _keys(self, field: str, phrases: tuple[str, ...]) -> list[str]:
        keys: dict[str, str] = {}
        for phrase in phrases:
            if phrase != " ".join(phrase.split()):
                raise _problem(self.id, field, f"{phrase!r} has stray spaces")
            key = alias_key(phrase)
            if not key:
                raise _problem(self.id, field, f"{phrase!r} has no word in it")
            if key in keys:
                raise _problem(
                    self.id, field, f"{phrase!r} repeats {keys[key]!r} (both read {key!r})"
                )
            keys[key] = phrase
        return list(keys)

    @model_validator(mode="after")
    def _values(self) -> Domain:
        if self.regex is None:
            return self
        problem = regex_problem(self.regex)
        if problem is not None:
            raise _problem(self.id, "regex", problem)
        misses = [e for e in self.examples if not self.matches(e)]
        if misses:
            raise _problem(self.id, "examples", f"{misses} do not match the regex")
        return self


class DomainCatalog(_Frozen):
    """A versioned set of domains; ``catalog_hash`` fingerprints it."""

    version: SemVer
    domains: tuple[Domain, ...] = Field(min_length=1)

    @property
    def ids(self) -> tuple[str, ...]:
        """The domain ids in catalog order."""
        return tuple(d.id for d in self.domains)

    def get(self, domain_id: str) -> Domain:
        """The domain with ``domain_id``; NotFoundError when the catalog has none."""
        for domain in self.domains:
            if domain.id == domain_id:
                return domain
        raise NotFoundError(
            f"domain catalog {self.version} has no domain {domain_id!r}", field="domain"
        )

    @model_validator(mode="after")
    def _references(self) -> DomainCatalog:
        seen: set[str] = set()
        for domain in self.domains:
            if domain.id in seen:
                raise _problem(domain.id, "id", "the id is given to two domains")
            seen.add(domain.id)
        by_id = {d.id: d for d in self.domains}
        for domain in self.domains:
            missing = [p for p in domain.parts if p not in by_id]
            if missing:
                raise _problem(domain.id, "parts", f"{missing} are not domains of the catalog")
        for domain in self.domains:
            if _cycles(domain.id, by_id, ()):
                raise _problem(domain.id, "parts", "the domain is made of itself")
        return self

    @model_validator(mode="after")
    def _one_domain_per_alias(self) -> DomainCatalog:
        # A header phrase naming two domains is evidence for neither; keep it in one.
        owner: dict[str, str] = {}
        for domain in self.domains:
            for alias in domain.aliases:
                other = owner.setdefault(alias_key(alias), domain.id)
                if other != domain.id:
                    raise _problem(
                        domain.id, "aliases", f"{alias!r} is already an alias of {other!r}"
                    )
        return self


def _cycles(domain_id: str, by_id: dict[str, Domain], path: tuple[str, ...]) -> bool:
    if domain_id in path:
        return True
    return any(_cycles(p, by_id, (*path, domain_id)) for p in by_id[domain_id].parts)


def catalog_hash(catalog: DomainCatalog) -> str:
    """SHA-256 of the catalog's canonical JSON: what runs record beside ``catalog.version``.

    Example:
        >>> len(catalog_hash(load_catalog()))
        64
    """
    return content_hash(catalog)


def parse_catalog(text: str, *, source: str = "domain catalog") -> DomainCatalog:
    """Parse and validate catalog YAML; ContractError naming each bad domain and field."""
    import yaml

    from core.contract import load_yaml_strict

    try:
        data = load_yaml_strict(text)
    except yaml.YAMLError as e:
        raise ContractError(f"{source} is not valid YAML: {e}") from None
    try:
        return DomainCatalog.model_validate(data)
    except ValidationError as e:
        raise _contract_error(e, data, source) from None


def _contract_error(error: ValidationError, data: object, source: str) -> ContractError:
    problems: list[tuple[str, str]] = []
    for item in error.errors(include_url=False):
        ours = item.get("ctx", {}) if item["type"] == "domain_catalog" else {}
        loc = item["loc"]
        domain = ours.get("domain") or _domain_at(data, loc)
        rest = loc[2:] if domain and loc[:1] == ("domains",) else loc
        field = ours.get("field") or ".".join(map(str, rest)) or "domains"
        pointer = f"domains[{domain}].{field}" if domain else field
        where = f"domain {domain!r}, field {field!r}" if domain else f"field {field!r}"
        problems.append((pointer, f"{where}: {item['msg']}"))
    shown = "; ".join(message for _, message in problems[:10])
    more = f" (and {len(problems) - 10} more)" if len(problems) > 10 else ""
    return ContractError(f"{source} is invalid: {shown}{more}", field=problems[0][0])


def _domain_at(data: object, loc: tuple[int | str, ...]) -> str | None:
    if len(loc) < 2 or loc[0] != "domains" or not isinstance(loc[1], int):
        return None
    domains = data.get("domains") if isinstance(data, dict) else None
    entry = domains[loc[1]] if isinstance(domains, list) and loc[1] < len(domains) else None
    found = entry.get("id") if isinstance(entry, dict) else None
    return found if isinstance(found, str) else f"#{loc[1]}"


def load_catalog(path: Path | None = None) -> DomainCatalog:
    """The bundled catalog (read once per process), or the catalog in the YAML file ``path``.

    Example:
        >>> catalog = load_catalog()
        >>> catalog.version, len(catalog.domains) >= 60, load_catalog() is catalog
        ('1.0.0', True, True)
    """
    if path is None:
        return _bundled()
    return _read(path)


@functools.cache
def _bundled() -> DomainCatalog:
    return _read(BUNDLED)


def _read(path: Path) -> DomainCatalog:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as e:
        raise ContractError(f"cannot read domain catalog {path}: {e.strerror}") from None
    except UnicodeDecodeError:
        raise ContractError(f"domain catalog {path} is not UTF-8 text") from None
    return parse_catalog(text, source=f"domain catalog {path.name}")
