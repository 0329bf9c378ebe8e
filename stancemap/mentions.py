"""Features centred on the masked mentions: word windows, the mention's clause, and lexicon polarity.

These are analyzers for ``TfidfVectorizer(analyzer=...)`` over masked text (``xsrcx``/``xtgtx``). The whole-text
n-grams say how the statement sounds; these say what is written next to each role, which is what tells apart
two targets of one sentence (NewsMTSC's multi-target test set) or a source's words from a third party's.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from importlib import resources

from stancemap.features import PLACEHOLDERS, SOURCE_TOKEN, TARGET_TOKEN, TOKEN, negation_tokens
from stancemap.text import fold

ROLES = {"source": SOURCE_TOKEN, "target": TARGET_TOKEN}
# A clause ends at punctuation or at a word that opens another clause; "X, who praised Y" is X's own clause.
_CLAUSE_BREAKS = frozenset(".,;:!?()«»\"“”") | frozenset(
    "but while although though whereas because however yet and who which".split())
# Lexicon entries weaker than this are mostly noise in news ("tax" -0.3 would read as criticism).
_MIN_VALENCE = 0.5
_STRONG_VALENCE = 2.0


def _words(masked: str) -> list[str]:
    return negation_tokens(fold(masked).casefold())


def _positions(words: list[str], token: str) -> list[int]:
    return [i for i, w in enumerate(words) if w == token]


def mention_windows(masked: str, *, roles: tuple[str, ...] = ("target",), width: int = 5) -> list[str]:
    """Name the words within ``width`` tokens of each role's mentions, tagged with the role and the side.

    The two nearest words on each side are also tagged with their distance: "xtgtx R1: slammed" (the target
    slammed someone) and "xtgtx L1: slammed" (someone slammed the target) mean opposite things. Words keep the
    ``neg_`` mark of a negation's scope.
    """
    words = _words(masked)
    features = []
    for role in roles:
        token = ROLES[role]
        for i in _positions(words, token):
            for side, span in (("L", range(i - 1, max(-1, i - width - 1), -1)),
                               ("R", range(i + 1, min(len(words), i + width + 1)))):
                for distance, j in enumerate(span, start=1):
                    features.append(f"{token} {side}: {words[j]}")
                    if distance <= 2:
                        features.append(f"{token} {side}{distance}: {words[j]}")
    return features or ["no mention"]


def clause_words(masked: str, *, roles: tuple[str, ...] = ("target",)) -> list[str]:
    """Name the words of the clause around each role's mentions (bounded by punctuation and clause openers)."""
    words = TOKEN.findall(fold(masked).casefold())
    features = []
    for role in roles:
        token = ROLES[role]
        for i in _positions(words, token):
            start, end = i, i
            while start > 0 and words[start - 1] not in _CLAUSE_BREAKS:
                start -= 1
            while end + 1 < len(words) and words[end + 1] not in _CLAUSE_BREAKS:
                end += 1
            features += [f"{token} clause: {w}" for w in words[start : end + 1] if w not in PLACEHOLDERS]
    return features or ["no clause"]


@cache
def vader_lexicon() -> dict[str, float]:
    """Load VADER's word valences (-4 to 4), from the ``vaderSentiment`` package (MIT licence)."""
    text = (resources.files("vaderSentiment") / "vader_lexicon.txt").read_text(encoding="utf-8")
    lexicon = {}
    for line in text.splitlines():
        fields = line.split("\t")
        try:
            lexicon[fields[0]] = float(fields[1])
        except (IndexError, ValueError):
            continue
    return lexicon


def _polarity(word: str, lexicon: Mapping[str, float]) -> str | None:
    negated = word.startswith("neg_")
    valence = lexicon.get(word[4:] if negated else word)
    if valence is None or abs(valence) < _MIN_VALENCE:
        return None
    positive = (valence > 0) != negated
    # The first three letters are the sign that counts ("neg negated weak" for "not good"), used alone too.
    return (f"{'pos' if positive else 'neg'}{' negated' if negated else ''} "
            f"{'strong' if abs(valence) >= _STRONG_VALENCE else 'weak'}")


def lexicon_polarity(masked: str, *, roles: tuple[str, ...] = ("target",), width: int = 5,
                     lexicon: Mapping[str, float] | None = None) -> list[str]:
    """Count the positive and negative lexicon words of the text and of each role's window.

    Word n-grams learn only the sentiment words seen in training; the lexicon's classes ("pos strong" near the
    target) carry evidence from rare words too. A negated word counts with the opposite sign, marked as such.
    """
    lexicon = vader_lexicon() if lexicon is None else lexicon
    words = _words(masked)
    polarities = [_polarity(w, lexicon) for w in words]
    features = [f"text: {p}" for p in polarities if p] + [f"text: {p[:3]}" for p in polarities if p]
    for role in roles:
        token = ROLES[role]
        for i in _positions(words, token):
            for side, span in (("L", range(max(0, i - width), i)), ("R", range(i + 1, min(len(words), i + width + 1)))):
                for j in span:
                    if polarities[j]:
                        features += [f"{token} {side}: {polarities[j]}", f"{token} {side}: {polarities[j][:3]}",
                                     f"{token} window: {polarities[j][:3]}"]
    return features or ["no polarity"]
