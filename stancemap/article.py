"""Whole articles: sentences, actor mentions, every ordered pair scored, and the stance graph they add up to."""

from __future__ import annotations

from collections import Counter, defaultdict
from functools import lru_cache
from itertools import permutations
from typing import Any

import pysbd

from stancemap.errors import TooMuchWork
from stancemap.gazetteer import Gazetteer, Mention
from stancemap.runtime import StanceModel
from stancemap.text import token_keys

SPLITTER_LANGUAGES = ("en", "fr", "de", "es")
# A handful of frequent function words per language is enough to pick the sentence splitter's rules.
_MARKERS = {
    "en": frozenset("the of and to in is that for on with was said by".split()),
    "fr": frozenset("le la les des du est une dans pour que qui sur avec au".split()),
    "de": frozenset("der die das und ist nicht mit den von zu sich auf dem".split()),
    "es": frozenset("el los las del que por una con para es se al como".split()),
}


def guess_language(text: str) -> str:
    """Guess the language of ``text`` among English, French, German and Spanish from its function words."""
    words = Counter(token_keys(text[:5000]))
    scores = {lang: sum(words[w] for w in markers) for lang, markers in _MARKERS.items()}
    return max(scores, key=lambda lang: scores[lang])


@lru_cache(maxsize=len(SPLITTER_LANGUAGES))
def _segmenter(lang: str) -> pysbd.Segmenter:
    return pysbd.Segmenter(language=lang, clean=False)


def split_sentences(text: str, lang: str) -> list[tuple[int, int]]:
    """Return the character spans of the sentences of ``text``, trailing white space trimmed."""
    # pysbd's own char_span=True searches the whole text again for every sentence, from its start: quadratic,
    # so 100,000 ". " (200,000 characters, within MAX_ARTICLE_CHARS) took minutes and outlived gunicorn's
    # worker timeout. The sentences come in order, so each is looked for from where the previous one ended.
    # Segmenter.segment() always computes those spans, so its processor is called directly (pysbd is pinned).
    spans = []
    position = 0
    if not text:
        return spans
    segmenter = _segmenter(lang if lang in SPLITTER_LANGUAGES else "en")
    for sentence in segmenter.processor(text).process():
        start = text.find(sentence, position) if sentence else -1
        if start < 0:  # not verbatim in the text: pysbd's own spans skip such a sentence too
            continue
        position = start + len(sentence)
        end = start + len(sentence.rstrip())
        if end > start:
            spans.append((start, end))
    return spans


def _edges(dyads: list[dict[str, Any]], include_neutral: bool) -> list[dict[str, Any]]:
    """Aggregate the dyads of each ordered pair: confidence-weighted majority stance, mean confidence as weight.

    Neutral dyads take no part unless ``include_neutral``: a pair mentioned in eight neutral sentences and
    supported in two is a support edge from those two, not a neutral edge that hides them.
    """
    by_pair: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for dyad in dyads:
        if include_neutral or dyad["stance"]["label"] != "neutral":
            by_pair[(dyad["source"], dyad["target"])].append(dyad)
    edges = []
    for (source, target), group in by_pair.items():
        votes: Counter[str] = Counter()
        for dyad in group:
            votes[dyad["stance"]["label"]] += dyad["stance"]["scores"][dyad["stance"]["label"]]
        stance = max(votes, key=lambda label: (votes[label], label != "neutral"))
        edges.append({
            "source": source, "target": target, "stance": stance,
            "weight": round(sum(d["stance"]["scores"][stance] for d in group) / len(group), 4),
            "count": len(group), "sentences": sorted({d["sentence"] for d in group}),
        })
    return sorted(edges, key=lambda e: (-e["weight"] * e["count"], e["source"], e["target"]))


def analyze(
    text: str,
    model: StanceModel,
    *,
    lang: str | None = None,
    min_confidence: float = 0.0,
    include_neutral: bool = False,
    max_scored_chars: int | None = None,
) -> dict[str, Any]:
    """Turn an article into sentences, dyads and a stance graph.

    Every sentence that mentions two or more distinct actors yields one dyad per ordered pair (A, B), A != B;
    all dyads are scored in one batched model call. Dyads whose stance confidence is below ``min_confidence``
    are kept in ``dyads`` (with ``"kept": false``) but left out of the graph.

    Each dyad reads its whole sentence, so the cost grows with pairs times sentence length: one 13,000-character
    "sentence" naming 130 actors is 17,000 dyads and minutes of work. With ``max_scored_chars``, an article whose
    dyads would read more characters than that is refused (:class:`TooMuchWork`) before anything is scored.

    Returns
    -------
    dict
        ``{"lang", "sentences", "dyads", "graph": {"nodes", "edges"}, "model_version"}``.
    """
    gazetteer: Gazetteer = model.gazetteer
    lang = lang or guess_language(text)
    sentences, requests = [], []
    surface: dict[str, Counter[str]] = defaultdict(Counter)
    for index, (start, end) in enumerate(split_sentences(text, lang)):
        mentions: list[Mention] = gazetteer.find_mentions(text[start:end])
        actors = list(dict.fromkeys(m.actor for m in mentions))
        for m in mentions:
            surface[m.actor][text[start + m.start : start + m.end]] += 1
        sentences.append({"index": index, "start": start, "end": end, "actors": actors})
        requests += [(index, source, target) for source, target in permutations(actors, 2)]
    if max_scored_chars is not None:
        scored = sum(sentences[i]["end"] - sentences[i]["start"] for i, _, _ in requests)
        if scored > max_scored_chars:
            raise TooMuchWork(
                f"this article makes {len(requests):,} actor pairs that would read {scored:,} characters of "
                f"sentences, more than the limit of {max_scored_chars:,}: split it into smaller articles",
                [{"field": "text", "message": f"{len(requests):,} actor pairs over {scored:,} characters"}])
    predictions = model.predict([(text[sentences[i]["start"] : sentences[i]["end"]], s, t) for i, s, t in requests])
    dyads = []
    for (index, source, target), prediction in zip(requests, predictions, strict=True):
        confidence = prediction["stance"]["scores"][prediction["stance"]["label"]]
        dyads.append({"sentence": index, "source": source, "target": target, "stance": prediction["stance"],
                      "sentiment": prediction["sentiment"], "evidence": prediction["evidence"],
                      "kept": confidence >= min_confidence})
    nodes = [{"id": actor_id, "name": gazetteer.actors[actor_id].name, "kind": gazetteer.actors[actor_id].kind,
              "mentions": [form for form, _ in forms.most_common()], "count": sum(forms.values())}
             for actor_id, forms in surface.items()]
    edges = _edges([d for d in dyads if d["kept"]], include_neutral)
    return {"lang": lang, "sentences": sentences, "dyads": dyads, "graph": {"nodes": nodes, "edges": edges},
            "model_version": model.version}
