"""Which words can be part of a surname a customer types, and which never are.

A customer fixing a typo writes "oops, it's Smith-Jones" or "sorry i meant
Smith-Jones"; the filler and function words around the name must never be
taken for it (a wrong surname fails verification and counts as a failed
attempt). Real surnames keep their particles and punctuation: O'Neil,
Washington-Price, De La Cruz, St. John, Van der Berg.
"""

from __future__ import annotations

import re


def word_set(words: str) -> frozenset[str]:
    """The whitespace-separated words of ``words``."""
    return frozenset(words.split())


# Words people put around a correction or an answer: never a surname.
FILLER_WORDS = word_set(
    """
    oops oop whoops sorry sry soz my-bad um umm ummm uh uhh uhm er erm hmm hm hmmm ugh argh
    oh ah ahh aha wait hold actually actualy basically well so ok okay k kk alright right
    yeah yea yes yep yup ya no nope nah hey hi hello hiya thanks thank thx ty please pls plz
    lol haha typo typos mistake mistyped meant mean correction correct corrected fix fixed
    again try retry redo instead spelled spelt spelling dash dashes hyphen hyphenated space
    apostrophe capital lowercase uppercase letter letters it's its that's thats i'm im here
    there sure fine just only also now then sir maam ma'am huh idk dunno none n/a na
    """
)
# What a field is called: a label, never the value.
FIELD_WORDS = word_set(
    """
    zip zipcode zip-code postal postcode code vin vins number num no. last lastname surname
    family name names first vehicle identification id
    """
)
# Words of this assistant's topics that a surname-shaped run may pick up.
TOPIC_WORDS = word_set(
    """
    contract contracts plan plans claim claims gap coverage covered cover policy warranty
    deductible rental trip start open file lookup look check account car truck suv
    """
)
# Parts of a surname that are function words elsewhere: kept inside a name.
NAME_PARTICLES = word_set(
    "de del della der den di da das dos du la las le les los van von ten ter st st. ste ste. saint mac mc bin ibn al el"
)
# English closed-class words: pronouns, determiners, prepositions, conjunctions,
# auxiliaries and question words (a surname is never one of these alone).
FUNCTION_WORDS = word_set(
    """
    i me my mine myself we us our ours you your yours u ur he him his she her hers it its they
    them their theirs this that these those who whom whose which what whats what's when where
    why how a an the some any no every each all both either neither and or but nor if than
    because so though although while as of in on at to from by with without for into onto over
    under about after before between through during up down out off near per via is am are was
    were be been being do does did done doing have has had having can could will would shall
    should may might must not n't don't dont doesn't didn't can't cant cannot won't isn't isnt
    aren't wasn't wasnt weren't haven't hasn't i'd i've i'll you're you've he's she's we're
    they're there's here's where's how's who's let's also too very just
    """
)
# Light verbs of a reply that is not the name yet ("hmm let me look", "i need to check").
REPLY_VERBS = word_set(
    """
    let look see check wait hold give get got find found know think guess need want try go
    come say said tell send sent type typed put make take remember forgot forget mean
    """
)
NOT_A_SURNAME = FILLER_WORDS | FIELD_WORDS | TOPIC_WORDS | FUNCTION_WORDS | REPLY_VERBS
# "98101 not 98110", "Smith-Jones, not Smith": what follows is the wrong value.
NEGATIONS = word_set("not isn't isnt wasn't wasnt never")

_NAME_WORD = re.compile(r"^[^\W\d_]+(?:['’][^\W\d_]+)*(?:[-‐‑–][^\W\d_]+(?:['’][^\W\d_]+)*)*\.?$")
MAX_SURNAME_WORDS = 4


def _key(word: str) -> str:
    return word.casefold().replace("’", "'")


def is_name_word(word: str) -> bool:
    """Shaped like part of a surname: two letters or more, inner apostrophes and hyphens ("St." too)."""
    if _key(word) in NAME_PARTICLES:
        return True
    if word.endswith(".") or len(word) < 2:
        return False
    return bool(_NAME_WORD.match(word))


def never_a_surname(word: str) -> bool:
    """A filler, field label, topic or function word ("oops", "zip", "the")."""
    return _key(word) in NOT_A_SURNAME


def without_negated(words: list[str]) -> list[str]:
    """Drop "not <name words>" up to the next comma: ["Smith-Jones", "not", "Smith"] → ["Smith-Jones"]."""
    out: list[str] = []
    skipping = False
    for word in words:
        if _key(word) in NEGATIONS:
            skipping = True
        elif word == ",":
            skipping = False
        elif skipping and is_name_word(word) and not never_a_surname(word):
            continue
        else:
            skipping = False
        if not skipping and word != ",":
            out.append(word)
    return out


def surname_from_words(words: list[str]) -> str | None:
    """The surname in ``words`` once fillers at either end are dropped, or None.

    ["oops", "it's", "Smith-Jones"] → "Smith-Jones"; ["De", "La", "Cruz"] →
    "De La Cruz"; ["sorry"] → None; ["Smith", "the", "Jones"] → None. Commas
    may be separate words (they end a negation, then go).
    """
    words = without_negated(words)
    start, end = 0, len(words)
    while start < end and never_a_surname(words[start]):
        start += 1
    while end > start and never_a_surname(words[end - 1]):
        end -= 1
    core = words[start:end]
    if not core or len(core) > MAX_SURNAME_WORDS:
        return None
    if not all(is_name_word(w) and not never_a_surname(w) for w in core):
        return None
    if all(_key(w) in NAME_PARTICLES for w in core) and len(core) > 1:
        return None
    return " ".join(core)
