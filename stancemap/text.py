"""Text folding and tokenization shared by the gazetteer and the features."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from typing import NamedTuple

# Word characters only: apostrophes and hyphens split tokens, so "l'Ukraine" reads as "l" + "Ukraine" and
# "nord-coréen" as "nord" + "coréen", the same way whether they come from the gazetteer or from the text.
_WORD = re.compile(r"\w+")


class Token(NamedTuple):
    """A word of the original text: its accent-folded form and its span in the original string."""

    text: str
    start: int
    end: int

    @property
    def key(self) -> str:
        """The case- and accent-folded form used for look-ups."""
        return self.text.casefold()


@lru_cache(maxsize=4096)
def _fold_char(char: str) -> str:
    decomposed = unicodedata.normalize("NFKD", char)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def fold(text: str) -> str:
    """Strip accents and compatibility forms, keeping case ("Corée" -> "Coree", "ﬁ" -> "fi")."""
    for c in set(text).difference(_FOLD_TABLE_CHARS):
        _FOLD_TABLE[ord(c)] = _fold_char(c)
        _FOLD_TABLE_CHARS.add(c)
    return text.translate(_FOLD_TABLE)


_FOLD_TABLE: dict[int, str] = {}
_FOLD_TABLE_CHARS: set[str] = set()
_SAME_LENGTH: set[str] = set()


UNPAIRED_SURROGATE = "must be valid Unicode (it has an unpaired surrogate escape)"


def encodable(text: str) -> bool:
    """Say whether ``text`` can be written as UTF-8: JSON lets ``"\\ud800"`` through as a lone surrogate, which no
    file, log line or model card can hold."""
    if text.isascii():
        return True
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def tokenize(text: str) -> list[Token]:
    """Split ``text`` into accent-folded word tokens with their spans in the original string.

    Folding can change a character's length ("ß" stays, "ﬁ" becomes "fi"), so each original character is folded
    on its own and tokens are found in the folded string, then mapped back through an offset table. When every
    character folds to exactly one (the usual case), the spans are the folded string's own.
    """
    unseen = set(text).difference(_SAME_LENGTH)
    if all(len(_fold_char(c)) == 1 for c in unseen):
        _SAME_LENGTH.update(unseen)
        return [Token(m.group(), m.start(), m.end()) for m in _WORD.finditer(fold(text))]
    pieces = [_fold_char(c) for c in text]
    offsets: list[int] = []
    for index, piece in enumerate(pieces):
        offsets.extend([index] * len(piece))
    offsets.append(len(text))
    folded = "".join(pieces)
    return [
        Token(m.group(), offsets[m.start()], offsets[m.end() - 1] + 1) for m in _WORD.finditer(folded)
    ]


def token_keys(text: str) -> tuple[str, ...]:
    """Return the folded look-up keys of ``text``'s tokens."""
    return tuple(token.key for token in tokenize(text))


def normalize_statement(text: str) -> str:
    """Return the form of a statement used to group rows that share a text (case, accents, spacing folded)."""
    return " ".join(token_keys(text))
