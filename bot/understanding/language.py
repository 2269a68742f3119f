"""Which language a message is written in, when it is not English.

The intent model reads English only. langid.py ships its model inside its
package (nothing is downloaded), but on short messages it is wrong about
English often enough ("are you a bot" → Romanian at 0.97), so a language
counts only when three signals agree: langid, restricted to the languages
customers here write in, says so; it is all but certain of it against English
alone; and the message holds a function word of that
language and none that only English has (spaCy's stop-word lists). Scripts
other than Latin need only the first. Single words never count ("hola").
Measured in docs/nlu.md.
"""

from __future__ import annotations

import copy
import importlib.util
import re
from functools import cache
from pathlib import Path
from typing import Any

# The languages most spoken at home in the U.S. after English, and their
# close neighbours, so a near miss is still "not English" (Galician for Spanish).
CANDIDATES = ("en", "es", "fr", "pt", "it", "de", "vi", "zh", "ko", "ar", "ru", "tl", "pl", "ja", "ca", "gl")
# Languages whose function words spaCy does not list are read with a neighbour's.
_STOP_WORDS_OF = {"gl": "es", "ca": "es"}
# Words that only English speakers type this often, whatever other lists say ("i" is Italian too).
ENGLISH_MARKERS = frozenset(
    ["i", "i'm", "im", "my", "you", "your", "the", "what", "how", "is", "and", "please", "thanks"]
)
MIN_PROBABILITY = 0.7
# Against English alone, a message in another language scores 1.000 (measured);
# English that langid misreads ("stop asking me questions") scores below.
MIN_PAIR_PROBABILITY = 0.999
MIN_WORDS = 2
_WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)*")
_LATIN = re.compile(r"^[A-Za-z\u00C0-\u024F\u1E00-\u1EFF'’]+$")


@cache
def _identifiers() -> tuple[Any, Any]:
    """langid's bundled model, loaded once (a second or two): all candidates, and a copy for pairs."""
    from langid.langid import LanguageIdentifier, model

    pair = LanguageIdentifier.from_modelstring(model, norm_probs=True)
    everyone = copy.deepcopy(pair)  # a copy of the arrays: parsing the model again takes as long again
    everyone.set_languages(list(CANDIDATES))
    return everyone, pair


@cache
def _stop_words(language: str) -> frozenset[str]:
    """spaCy's function words for ``language``.

    Read from the file alone: importing ``spacy.lang.<code>.stop_words`` runs the
    language package first, and French's compiles a tokenizer pattern for 4 s.
    The files hold one ``STOP_WORDS`` set and import nothing.
    """
    code = _STOP_WORDS_OF.get(language, language)
    spacy = importlib.util.find_spec("spacy")  # finding a top-level package imports nothing
    folders = (spacy.submodule_search_locations or []) if spacy else []
    for folder in folders:
        path = Path(folder) / "lang" / code / "stop_words.py"
        if not path.is_file():
            continue
        spec = importlib.util.spec_from_file_location(f"_stop_words_{code}", path)
        if spec and spec.loader:
            module = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(module)
            return frozenset(module.STOP_WORDS)
    return frozenset()


def warm_up() -> None:
    """Load the model and the word lists now rather than on a customer's message."""
    _identifiers()
    for language in CANDIDATES:
        _stop_words(language)


def foreign_language(text: str) -> str | None:
    """The ISO 639-1 code of the language ``text`` is written in, when that is clearly not English."""
    words = [w.casefold() for w in _WORD.findall(text)]
    latin = all(_LATIN.match(w) for w in words)
    if latin and (len(words) < MIN_WORDS or ENGLISH_MARKERS.intersection(words)):
        return None
    everyone, pair = _identifiers()
    language, probability = everyone.classify(text)
    if language == "en" or probability < MIN_PROBABILITY:
        return None
    if not latin:
        return str(language)
    own, english = _stop_words(language), _stop_words("en")
    if not any(w in own and w not in english for w in words):
        return None
    if any(w in english and w not in own for w in words):
        return None
    pair.set_languages(["en", language])
    against_english, probability = pair.classify(text)
    if against_english != language or probability < MIN_PAIR_PROBABILITY:
        return None
    return str(language)
