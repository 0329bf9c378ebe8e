"""Feature extraction for dyads: role masking, negation scope and source/target context."""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache
from typing import Any

from stancemap.gazetteer import STATE_ARTICLES, STATE_TITLES, Gazetteer, Mention, Resolution
from stancemap.text import fold, tokenize

SOURCE_TOKEN, TARGET_TOKEN, ACTOR_TOKEN = "xsrcx", "xtgtx", "xactx"
PLACEHOLDERS = frozenset((SOURCE_TOKEN, TARGET_TOKEN, ACTOR_TOKEN))
MASK_MODES = ("roles", "actors", "none")

# Cues after accent folding and lower-casing, French, English, German and Spanish together: the languages
# share few cue words, and a false cue only marks a few tokens.
NEGATION_CUES = frozenset({
    "not", "no", "never", "cannot", "neither", "nor", "without", "none", "nothing", "nobody",  # en
    "ne", "n", "pas", "jamais", "aucun", "aucune", "ni", "sans", "non", "guere", "rien",  # fr
    "nicht", "kein", "keine", "keinen", "keinem", "keiner", "nie", "niemals", "ohne",  # de
    "nunca", "jamas", "sin", "ningun", "ninguna", "ninguno", "tampoco",  # es
})
# A negation's scope ends at punctuation or at a contrastive conjunction, and after a few words at most.
_SCOPE_BREAKS = frozenset(["but", "mais", "however", "pourtant", "cependant", "aber", "sondern", "pero", "sino"])
_SCOPE_LENGTH = 5
# Words (English "n't" kept on its verb) and the punctuation that ends a negation's scope or a clause.
TOKEN = re.compile(r"\w+n['’]t|\w+|[.,;:!?()«»\"“”]")
# A word (the group), or the punctuation that ends a clause (an empty group): what dyad_context counts between the
# roles. Full stops are left out: abbreviations ("M. Poutine", "U.S.") carry them inside a clause.
_CLAUSE_TOKEN = re.compile(r"(\w+)|[,;:()«»\"“”]")
_CONTEXT_WINDOW = 3
# Articles, prepositions, pronouns and auxiliaries: kept in the positional features ("xsrcx +1: by" tells a
# passive), left out of the bags of words between and around the actors, where they only add noise.
_FUNCTION_WORDS = frozenset("""
    a an the of to in on at by for from with and or as is are was were be been has have had will would that which
    who its their his her it this these those there than then also into over about after before
    le la les l un une des de du d au aux en et ou est sont ete etre ont avait avaient sera qui que qu dont
    ce cette ces son sa ses leur leurs il elle ils elles se s sur dans par pour avec lors apres avant
    """.split())
_BETWEEN_LIMIT = 10
_BAG_WINDOW = 6
# Words that open a clause reporting what the source says or thinks of someone.
_REPORTING = frozenset("""soulignant estimant accusant ajoutant affirmant jugeant reprochant assurant rappelant
    que qu adding saying accusing arguing warning noting insisting that""".split())


class Masker:
    """Replace actor mentions with role placeholders so that features say who does what to whom.

    The masking itself, free of scikit-learn so that the service can mask without importing it; the pipelines'
    step is :class:`stancemap.pipelines.DyadMasker`, which adds the estimator interface.

    Parameters
    ----------
    gazetteer : Gazetteer
        Finds actor mentions and resolves source and target names.
    mode : {"roles", "actors", "none"}, default="roles"
        ``"roles"`` masks the source's mentions as ``xsrcx``, the target's as ``xtgtx`` and every other actor as
        ``xactx``; ``"actors"`` masks every actor as ``xactx`` (for the sentiment of the whole statement);
        ``"none"`` returns the text as it is (the no-masking baseline).
    """

    def __init__(self, *, gazetteer: Gazetteer | None = None, mode: str = "roles"):
        self.gazetteer = gazetteer
        self.mode = mode

    def check(self) -> None:
        """Refuse an unknown mode, or actors to mask without a gazetteer."""
        if self.mode not in MASK_MODES:
            raise ValueError(f"mode must be one of {MASK_MODES}, not {self.mode!r}")
        if self.mode != "none" and self.gazetteer is None:
            raise ValueError("a gazetteer is needed to mask actors")

    def transform(self, X: Iterable[tuple[str, str, str]]) -> list[str]:
        """Return the masked text of each ``(text, source, target)`` dyad.

        Rows may be tuples, lists or rows of a 2-D array, of strings or UTF-8 bytes (as model servers decode them);
        fields after the third (the tags of ``stance_pipeline(..., tags=True)``) are not text and are left out.
        """
        rows = [[v.decode("utf-8") if isinstance(v, bytes) else str(v) for v in row[:3]] for row in X]
        if self.mode == "none":
            return [text for text, _, _ in rows]
        assert self.gazetteer is not None
        return [self.mask_resolved(*resolved) for resolved in self.gazetteer.resolve_dyads(rows)]

    def mask(self, text: str, source: str, target: str) -> str:
        """Return ``text`` with its actor mentions replaced according to ``mode``."""
        return self.transform([(text, source, target)])[0]

    def mask_resolved(self, text: str, mentions: list[Mention], source: Resolution, target: Resolution) -> str:
        """Mask ``text`` given its mentions and resolved source and target, found once for every head."""
        if self.mode == "none":
            return text
        widen = _titles(text)
        spans: list[tuple[int, int, str]] = []
        if self.mode == "roles":
            for resolution, token in ((source, SOURCE_TOKEN), (target, TARGET_TOKEN)):
                spans.extend((*widen(start, end), token) for start, end in resolution.mentions)
        spans.extend((*widen(m.start, m.end), ACTOR_TOKEN) for m in mentions)
        return _ADJACENT.sub(r"\1", _replace_spans(text, _merged(spans)))


# A title around a mention names who speaks, not what is said: "le secrétaire général de l'Otan" is NATO, and
# "général" before a source had become evidence of support (the UN's secretary-general often welcomes). The title
# is masked with the mention; held-out rounds 11-14 moved by 0.0 to +0.6 points (bench/RESULTS.md).
_ADJACENT = re.compile(rf"\b({SOURCE_TOKEN}|{TARGET_TOKEN}|{ACTOR_TOKEN})(\s+\1\b)+")
_OTHER, _CONNECTOR, _TITLE = 0, 1, 2


class _Titles:
    """Widen a mention's span over the title words next to it ("le ministre turc des Affaires étrangères").

    Built once per text and kept for its next pairs and the other head: each span is widened once.
    """

    def __init__(self, text: str):
        self.tokens = tokenize(text)
        self.kinds = [_TITLE if t.key in STATE_TITLES else _CONNECTOR if t.key in STATE_ARTICLES else _OTHER
                      for t in self.tokens]
        self.first = {t.start: i for i, t in enumerate(self.tokens)}  # mentions start and end on token edges
        self.last = {t.end: i for i, t in enumerate(self.tokens)}
        self.widened: dict[tuple[int, int], tuple[int, int]] = {}

    def __call__(self, start: int, end: int) -> tuple[int, int]:
        if (start, end) not in self.widened:
            self.widened[start, end] = self._widen(start, end)
        return self.widened[start, end]

    def _widen(self, start: int, end: int) -> tuple[int, int]:
        first, last = self.first.get(start), self.last.get(end)
        if first is None or last is None:
            return start, end
        for step, edge in ((-1, first), (1, last)):
            run = []
            i = edge + step
            while 0 <= i < len(self.tokens) and self.kinds[i] != _OTHER:
                run.append(i)
                i += step
            while run and self.kinds[run[-1]] == _CONNECTOR:  # "le", "of" at the far end belong to the sentence
                run.pop()
            if run:  # what is left ends with a title word
                start, end = (self.tokens[run[-1]].start, end) if step < 0 else (start, self.tokens[run[-1]].end)
        return start, end


# The pairs of one statement are masked one after the other, by both heads.
_titles = lru_cache(maxsize=256)(_Titles)


def _merged(spans: list[tuple[int, int, str]]) -> list[tuple[int, int, str]]:
    """Join overlapping spans of one placeholder ("Israeli Defence Minister" and "Israel Katz" are one source)."""
    merged: list[tuple[int, int, str]] = []
    for start, end, token in spans:
        for k, (other_start, other_end, other) in enumerate(merged):
            if other == token and start < other_end and end > other_start:
                merged[k] = (min(start, other_start), max(end, other_end), token)
                break
        else:
            merged.append((start, end, token))
    return merged


def _replace_spans(text: str, spans: list[tuple[int, int, str]]) -> str:
    """Replace non-overlapping spans, the first listed winning where two overlap."""
    taken: list[tuple[int, int, str]] = []
    for start, end, token in spans:
        if all(end <= s or start >= e for s, e, _ in taken):
            taken.append((start, end, token))
    pieces, last = [], 0
    for start, end, token in sorted(taken):
        pieces += [text[last:start], f" {token} "]
        last = end
    pieces.append(text[last:])
    return "".join(pieces)


def negation_tokens(text: str) -> list[str]:
    """Split a lower-cased, accent-folded text into words, prefixing ``neg_`` to words in a negation's scope.

    "n'a pas condamné xtgtx" gives ``["n", "neg_a", "neg_pas", "neg_condamne", "xtgtx"]``: the negated verb
    becomes its own feature, so "condemned" and "did not condemn" no longer share evidence.
    """
    tokens: list[str] = []
    scope = 0
    for token in TOKEN.findall(text):
        if not (token[0].isalnum() or token[0] == "_") or token in _SCOPE_BREAKS:
            scope = 0
            continue
        if token in PLACEHOLDERS:
            tokens.append(token)
        elif scope:
            tokens.append("neg_" + token)
            scope -= 1
        else:
            tokens.append(token)
        if token in NEGATION_CUES or token.endswith(("n't", "n’t")):
            scope = _SCOPE_LENGTH
    return tokens


def _nearest_pair(sources: list[int], targets: list[int]) -> tuple[int, int]:
    """Return the positions of the closest source and target mentions (the first such pair on ties)."""
    return min(((s, t) for s in sources for t in targets), key=lambda pair: abs(pair[0] - pair[1]))


def dyad_context(masked: str) -> list[str]:
    """Describe where the source and target stand: their order, distance, and the words around and between.

    Word n-grams see "xsrcx condamne xtgtx"; these features add what n-grams miss in longer sentences: which
    role comes first, which actor opens the sentence, whether a third actor or a clause break stands between the
    roles and which actor stands next to each, the words right around each role (one by one and as a pair on each
    side), and the words between them. A mention with another actor between it and the other role's
    nearest mention also gets its words around it a second time, marked ``~``: they may say what that actor does
    to it, not what the source does.
    """
    words, breaks = [], []
    seen = 0
    for word in _CLAUSE_TOKEN.findall(fold(masked).casefold()):
        if word:
            words.append(word)
            breaks.append(seen)
        else:
            seen += 1
    sources = [i for i, w in enumerate(words) if w == SOURCE_TOKEN]
    targets = [i for i, w in enumerate(words) if w == TARGET_TOKEN]
    if not sources or not targets:
        return ["only " + (SOURCE_TOKEN if sources else TARGET_TOKEN if targets else "other actors")]
    s, t = _nearest_pair(sources, targets)
    order = f"{SOURCE_TOKEN} before {TARGET_TOKEN}" if s < t else f"{TARGET_TOKEN} before {SOURCE_TOKEN}"
    gap = abs(s - t) - 1
    bucket = "0" if gap == 0 else "1-3" if gap <= 3 else "4-8" if gap <= 8 else "9+"
    features = [order, f"{bucket} words between", f"{order}, {bucket} words between"]
    # The sentence's first actor is most often its agent: in "xactx, xsrcx and xtgtx condemned..." neither role
    # acts on the other (held out round by round: +0.16 macro-F1 on average, 12 of 17 rounds up).
    first = next(w for w in words if w in PLACEHOLDERS)
    features += [f"first actor {first}", f"first actor {first}, {order}"]
    between = words[min(s, t) + 1 : max(s, t)]
    # Whether the roles share a clause with no third actor between them: in "xsrcx s'inquiètent..., accusant les
    # xactx de livrer des munitions à la xactx pour son assaut contre l'xtgtx" the source does nothing to the target.
    crowd = "actor between" if ACTOR_TOKEN in between else "no actor between"
    clause = "clause break" if breaks[s] != breaks[t] else "same clause"
    features += [crowd, clause, f"{order}, {crowd}, {clause}"]
    # The actor just before the target and just after the source: the source itself, or a third actor that may be
    # the one acting on the target (dense sentences, 2 folds by text: bystander pairs read as support or oppose
    # less often; bench/RESULTS.md).
    before_t = next((w for w in reversed(words[:t]) if w in PLACEHOLDERS), "none")
    after_s = next((w for w in words[s + 1 :] if w in PLACEHOLDERS), "none")
    features += [f"actor before {TARGET_TOKEN}: {before_t}", f"actor after {SOURCE_TOKEN}: {after_s}",
                 f"actor before {TARGET_TOKEN}: {before_t}, after {SOURCE_TOKEN}: {after_s}, {order}"]
    if len(between) <= _BETWEEN_LIMIT:
        features += [f"between {order}: {w}" for w in between if w not in PLACEHOLDERS and w not in _FUNCTION_WORDS]
    if s < t and _REPORTING & set(between):
        # "xsrcx ..., soulignant que la xtgtx ... viole les sanctions": what the source's clause says of the target.
        after = [w for w in words[t + 1 : t + 1 + 3 * _BAG_WINDOW] if w not in _FUNCTION_WORDS][:_BAG_WINDOW]
        features += [f"{SOURCE_TOKEN} reports on {TARGET_TOKEN}"] + [f"reported of {TARGET_TOKEN}: {w}" for w in after]
    for role, positions, others in ((SOURCE_TOKEN, sources, targets), (TARGET_TOKEN, targets, sources)):
        for i in positions:
            around = []
            # The two words on each side as one feature: "xsrcx et xtgtx" (a joint act) is not "xsrcx et xactx"
            # (the source and a third actor, "Américains et Européens s'inquiètent..."), which single words mix up.
            if i + 2 < len(words):
                around.append(f"{role} +1+2: {words[i + 1]} {words[i + 2]}")
            if i >= 2:
                around.append(f"{role} -2-1: {words[i - 2]} {words[i - 1]}")
            for offset in range(1, _CONTEXT_WINDOW + 1):
                for position, side, sign in ((i + offset, "after", "+"), (i - offset, "before", "-")):
                    if 0 <= position < len(words):
                        word = words[position]
                        around.append(f"{role} {sign}{offset}: {word}")
                        if word not in _FUNCTION_WORDS:
                            around.append(f"{side} {role}: {word}")
            features += around
            # "accusant les xactx de livrer des munitions à la xtgtx": the words around this target mention say
            # what the third actor does to it. Kept as they are, and copied apart, so that the model can weigh them
            # apart (held out, round by round: +0.27 macro-F1 on average; marked instead of kept: +0.05; the words
            # of the nearest mentions alone: -0.44).
            nearest = min(others, key=lambda k: abs(k - i))
            if ACTOR_TOKEN in words[min(i, nearest) + 1 : max(i, nearest)]:
                features += ["~" + feature for feature in around]
    return features


# English cues of who speaks or acts when the source is not the first role (Park's reversed classes): a reporting
# verb before a late speaker ("..., says xsrcx"), a passive agent ("was denounced by xsrcx"), "according to".
_REPORTING_VERBS = frozenset("""said says say told tells wrote writes added adds argued argues claimed claims stated
    states warned warns insisted insists noted notes explained explains tweeted tweets asked asks declared declares
    announced announces suggested suggests according replied replies responded responds""".split())
_PASSIVE_AUXILIARIES = frozenset("was were been being is are be got get gets".split())
_QUOTES = frozenset('"“”')
_CUE_TOKEN = re.compile(r"\w+|[.,;:!?\"“”]")
_CUE_REACH = 4


def direction_cues(masked: str) -> list[str]:
    """Describe which role speaks or acts: passive agents, late speakers of quotes, possessives, the first role.

    ``dyad_context`` sees the order of the roles; these features say which one holds the opinion when the order
    misleads: "xtgtx was denounced by xsrcx", "xtgtx ... is a disgrace," says xsrcx", "xsrcx's attack on xtgtx".
    English only (a benchmark option for Park's news).
    """
    words = _CUE_TOKEN.findall(fold(masked).casefold())
    roles = {role: [i for i, w in enumerate(words) if w == role] for role in (SOURCE_TOKEN, TARGET_TOKEN)}
    features: list[str] = []
    for role, positions in roles.items():
        for i in positions:
            left: list[str] = []  # the words just before the mention, within its clause
            for word in reversed(words[max(0, i - _CUE_REACH) : i]):
                if not word.isalnum():
                    break
                left.append(word)
            if "by" in left:
                features.append(f"by {role}")
                by = i - 1 - left.index("by")
                if by > 0 and words[by - 1].endswith(("ed", "en")):
                    features += [f"passive by {role}", f"passive by {role}: {words[by - 1]}"]
            if left[:2] == ["to", "according"]:
                features.append(f"according to {role}")
            if _REPORTING_VERBS & set(left):
                features.append(f"reporting verb before {role}")
            following = words[i + 1] if i + 1 < len(words) else ""
            if following in _REPORTING_VERBS and i > 0 and (words[i - 1] in _QUOTES or words[i - 1] == ","):
                features.append(f"quote then {role} {following}")
            if following == "s":  # "xsrcx 's criticism": the possessor and the noun it holds
                held = [w for w in words[i + 2 : i + 6] if w.isalnum() and w not in _FUNCTION_WORDS][:1]
                features += [f"{role} possessive"] + [f"{role}'s {w}" for w in held]
    mentions = sorted(i for positions in roles.values() for i in positions)
    if mentions:
        features.append(f"first role {words[mentions[0]]}")
        if mentions[0] <= 2:
            features.append(f"{words[mentions[0]]} opens the sentence")
    if roles[SOURCE_TOKEN] and roles[TARGET_TOKEN]:
        s, t = _nearest_pair(roles[SOURCE_TOKEN], roles[TARGET_TOKEN])
        first, last = words[min(s, t)], words[max(s, t)]
        between = words[min(s, t) + 1 : max(s, t)]
        if between and between[-1] == "by" and _PASSIVE_AUXILIARIES & set(between):
            features.append(f"{first} passive by {last}")
        reporting = [w for w in between if w in _REPORTING_VERBS]
        if reporting:
            features.append(f"{first} ... {reporting[0]} ... {last}")
        if _QUOTES & set(between):
            features.append(f"quote between, {first} first")
        if t < s and _REPORTING_VERBS & set(words[max(0, s - 2) : s + 3]):
            features.append(f"{TARGET_TOKEN} reported by {SOURCE_TOKEN}")
    return features


def __getattr__(name: str) -> Any:
    # Model versions pickled before the estimator moved to stancemap.pipelines name it here; unpickling them
    # (which imports scikit-learn anyway) finds it through this hook.
    if name == "DyadMasker":
        from stancemap.pipelines import DyadMasker

        return DyadMasker
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
