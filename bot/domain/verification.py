"""Reading identity answers typed in free text ("it's O'Connor", "zip 66044-1234")."""

from __future__ import annotations

import re

from bot.domain.names import is_name_word, surname_from_words

_ZIP = re.compile(r"(?<!\d)(\d{5})(?:[\s-]?\d{4})?(?!\d)")
# A word of an answer, with commas kept apart (they end a "not Smith").
_ANSWER_WORD = re.compile(r"[^\s,;:!?\"()]+|,")
MAX_NAME_CHARS = 60


def _answer_words(text: str) -> list[str]:
    words = []
    for word in _ANSWER_WORD.findall(text):
        if word.endswith(".") and not is_name_word(word):
            word = word.rstrip(".")
        if word:
            words.append(word)
    return words


def clean_last_name(text: str) -> str | None:
    """The surname in an answer such as "my last name is O'Connor" or "oops, Smith-Jones not Smith"."""
    text = text.strip()
    if len(text) > MAX_NAME_CHARS:
        return None
    return surname_from_words(_answer_words(text))


# One-word replies that steer the conversation rather than answer it.
CONTROL_WORDS = {
    "stop",
    "cancel",
    "quit",
    "exit",
    "abort",
    "nevermind",
    "nvm",
    "help",
    "agent",
    "human",
    "representative",
    "operator",
    "bye",
    "goodbye",
    "menu",
    "restart",
    "start",
}
# Intents a surname is often mistaken for; other intents are questions or commands.
NAME_LIKE_INTENTS = {"inform", "nlu_fallback", "greet", "thank", "affirm", "deny", "out_of_scope"}
MAX_ANSWER_WORDS = 4


def surname_answer(text: str, intent: str) -> str | None:
    """The surname in a reply to "what's your last name?", or None.

    NLU often misreads a rare surname ("Quimby" as *stop*), so a single word that
    is not a control word counts as a name whatever the intent; longer replies
    count only when the intent is one a name is usually mistaken for.
    """
    if "?" in text or text.lstrip().startswith("/"):
        return None
    name = clean_last_name(text)
    if name is None or name.lower() in CONTROL_WORDS:
        return None
    if len(text.split()) == 1 or (intent in NAME_LIKE_INTENTS and len(name.split()) <= MAX_ANSWER_WORDS):
        return name
    return None


def name_candidates(name: str) -> list[str]:
    """ "Maria de la Cruz" → the whole phrase, then "de la Cruz", "la Cruz", "Cruz"."""
    words = name.split()
    return [" ".join(words[i:]) for i in range(len(words))]


def vin_candidate(text: str) -> str:
    """The VIN in an answer: the longest word with digits, or the words with
    digits joined when they make exactly 17 characters ("1HGCM 82633 A004352")."""
    words = [re.sub(r"[^A-Za-z0-9]", "", w) for w in re.split(r"[\s,;:]+", text)]
    with_digits = [w for w in words if any(ch.isdigit() for ch in w)]
    if not with_digits:
        return re.sub(r"[^A-Za-z0-9]", "", text).upper()
    joined = "".join(with_digits)
    best = joined if len(joined) == 17 else max(with_digits, key=len)
    return best.upper()


def zip_candidate(text: str) -> str | None:
    match = _ZIP.search(text)
    return match.group(1) if match else None
