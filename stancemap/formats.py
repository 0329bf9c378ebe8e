"""Readers for public benchmark datasets, converting their rows into our data contract on the fly.

Each reader yields ``(line, row, error)`` like :func:`stancemap.loading.read_rows`, so benchmark rows go through
the same validation and reporting as our own files. The datasets are read where they lie (a path argument);
nothing of them is copied into the repository.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from stancemap.gazetteer import WRITER
from stancemap.text import tokenize

Rows = Iterator[tuple[int, Any, str | None]]

_NEWSMTSC_POLARITY = {2.0: "oppose", 4.0: "neutral", 6.0: "support", -1: "oppose", 0: "neutral", 1: "support"}
_SEESAW_STANCE = {"POS": "support", "NEG": "oppose"}
_NOT_NAMES = frozenset({"the", "and", "for", "of", "mr", "mrs", "ms", "new", "party", "house", "state", "states"})


def _whole_words(text: str, start: int, end: int) -> str:
    """Widen a span to whole words: Park brackets sometimes cut a word ("[Los Angele]s")."""
    while start > 0 and (text[start - 1].isalnum()):
        start -= 1
    while end < len(text) and (text[end].isalnum()):
        end += 1
    return text[start:end].strip()


def park2021_rows(path: Path) -> Rows:
    """Park et al. 2021: ``sentence<TAB>p<TAB>q<TAB>label``, the two entities in brackets.

    Each line yields both directed rows: (p, q) is support for label 1, oppose for 3, neutral otherwise;
    (q, p) is support for 2, oppose for 4, neutral otherwise. The pair of rows gives the 5-class label back
    (:func:`park_label`).
    """
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        fields = line.split("\t")
        if len(fields) != 4 or fields[3].strip() not in "01234" or not fields[3].strip():
            yield number, None, "expected sentence, p, q and a label 0-4 separated by tabs"
            continue
        sentence, label = fields[0], int(fields[3])
        text, spans, offset = "", [], 0
        for match in re.finditer(r"\[([^\]]*)\]", sentence):
            text += sentence[offset : match.start()]
            spans.append((len(text), len(text) + len(match.group(1))))
            text += match.group(1)
            offset = match.end()
        text += sentence[offset:]
        if len(spans) != 2:
            yield number, None, f"expected two bracketed entities, found {len(spans)}"
            continue
        p, q = (_whole_words(text, *span) for span in spans)
        forward = {1: "support", 3: "oppose"}.get(label, "neutral")
        backward = {2: "support", 4: "oppose"}.get(label, "neutral")
        base = {"text": text, "lang": "en"}
        yield number, {**base, "id": f"{path.stem}-{number}-pq", "source": p, "target": q, "stance": forward}, None
        yield number, {**base, "id": f"{path.stem}-{number}-qp", "source": q, "target": p, "stance": backward}, None


def park_label(forward: str, backward: str, confidence: tuple[float, float] = (1.0, 0.0)) -> int:
    """Rebuild Park's 5-class label from the stances of (p, q) and (q, p), the more confident winning a tie."""
    forward_label = {"support": 1, "oppose": 3}.get(forward, 0)
    backward_label = {"support": 2, "oppose": 4}.get(backward, 0)
    if forward_label and backward_label:
        return forward_label if confidence[0] >= confidence[1] else backward_label
    return forward_label or backward_label


def newsmtsc_rows(path: Path) -> Rows:
    """NewsMTSC: sentiment toward a target, with no source; the writer stands in as the source.

    Both the original files (``sentence_normalized`` and a ``targets`` list, polarity 2/4/6) and the flattened
    Hugging Face files (``sentence``, ``mention``, polarity -1/0/1) are read. Negative, neutral and positive become
    oppose, neutral and support: the stance of the text toward the target.
    """
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            yield number, None, f"not valid JSON: {exc.msg}"
            continue
        text = record.get("sentence_normalized") or record.get("sentence")
        targets = record.get("targets") or [record]
        for index, target in enumerate(targets):
            stance = _NEWSMTSC_POLARITY.get(target.get("polarity"))
            mention = (target.get("mention") or "").strip(" \"'“”")
            if stance is None or not text or not mention:
                yield number, None, f"target {index}: needs a sentence, a mention and a known polarity"
                continue
            yield number, {"id": f"{path.stem}-{number}-{index}", "text": text, "source": WRITER,
                           "target": mention, "stance": stance, "lang": "en"}, None


def _surface(name: str, text: str) -> str | None:
    """Find how a canonical entity name ("Barack Obama") is written in a sentence ("President Obama")."""
    keys = [t.key for t in tokenize(name)]
    tokens = tokenize(text)
    for n in range(len(keys), 0, -1):
        for start in range(len(keys) - n + 1):
            wanted = keys[start : start + n]
            if n == 1 and (len(wanted[0]) < 3 or wanted[0] in _NOT_NAMES):
                continue
            for i in range(len(tokens) - n + 1):
                window = [t.key for t in tokens[i : i + n]]
                # A plural or possessive of the last word still names the entity ("Republican" -> "Republicans").
                if window[:-1] == wanted[:-1] and window[-1].startswith(wanted[-1]) and len(window[-1]) - len(
                        wanted[-1]) <= 2:
                    return text[tokens[i].start : tokens[i + n - 1].end]
    return None


@dataclass(frozen=True)
class SeesawEntities:
    """What SEESAW gives about a triplet's two entities besides the sentence: canonical names and types, outlet.

    ``subject`` is None when the source is the writer; types come from the article's entity list ("People",
    "Organization", "GPE"...; None when unlisted); ``outlet_bias`` is the outlet's AllSides label, 0 (far left)
    to 4 (far right), None when the meta file lacks it.
    """

    story: str
    subject: str | None
    object: str
    subject_type: str | None = None
    object_type: str | None = None
    outlet_bias: int | None = None


def _seesaw_root(path: Path) -> Path:
    return path / "SEESAW" if (path / "SEESAW").is_dir() else path


def _seesaw_documents(path: Path, split: str | None) -> Iterator[tuple[Path, dict[str, Any], Path, dict[str, Any]]]:
    """Yield ``(meta path, story meta, annotation path, annotation)`` for each annotated article of a split."""
    root = _seesaw_root(path)
    for meta_path in sorted((root / "meta").glob("TRIPLET_*.json")):
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        if split and meta.get("Split") != split:
            continue
        for annotation_path in sorted((root / "annotations").glob(f"{meta_path.stem}_DOCUMENT_*.json")):
            yield meta_path, meta, annotation_path, json.loads(annotation_path.read_text(encoding="utf-8"))


def _seesaw_triplets(path: Path, split: str | None) -> Iterator[tuple[str, int, str, str, dict[str, Any],
                                                                      dict[str, Any]]]:
    """Yield ``(row id, line, sentence text, story, triplet, article context)`` for each triplet of a split.

    The context holds the article's meta entry and the type of each listed entity, read once per article.
    """
    root = _seesaw_root(path)
    for meta_path, meta, annotation_path, annotation in _seesaw_documents(path, split):
        article = json.loads((root / "articles" / annotation_path.name).read_text(encoding="utf-8"))
        sentences = {str(s["id"]): s["text"] for s in article["text"]}
        document = annotation_path.stem.rsplit("_", 1)[1]
        types: dict[str, str | None] = {}
        for entry in annotation.get("entity lists", []):
            types.setdefault(entry[0], entry[1][0] if entry[1] else None)
        context = {"meta": meta.get(f"Meta info for article {document}", {}), "types": types}
        for sentence_id, triplets in annotation["sentence-level stances"].items():
            for triplet in triplets:
                yield (f"{annotation_path.stem}-{sentence_id}-{triplet.get('id')}", int(sentence_id) + 1,
                       sentences.get(str(sentence_id), ""), meta_path.stem, triplet, context)


def _named(subject: str | None) -> bool:
    return subject not in (None, "None", "Not in the list")


def seesaw_rows(path: Path, split: str | None = None) -> Rows:
    """SEESAW: sentence-level (subject, POS/NEG, object) triplets; ``path`` is the folder holding ``meta/``.

    There is no neutral class: rows are support or oppose, and models are scored over those two. A triplet whose
    subject is not a named entity gets the writer as its source; an entity not written in the sentence keeps its
    canonical name (the prediction then says ``found: false``), so every triplet of a split is scored.
    """
    for row_id, where, text, _, triplet, _ in _seesaw_triplets(path, split):
        subject, target = triplet.get("subject"), triplet.get("object") or ""
        source_form = (_surface(subject, text) or subject) if _named(subject) else WRITER
        target_form = _surface(target, text) or target
        yield where, {"id": row_id, "text": text, "source": source_form, "target": target_form, "lang": "en",
                      "stance": _SEESAW_STANCE.get(triplet.get("sentiment"), "?")}, None


def seesaw_entities(path: Path, split: str | None = None) -> dict[str, SeesawEntities]:
    """Map the id of each SEESAW row (as :func:`seesaw_rows` gives it) to what the dataset says of its entities.

    Only inputs of the task are read (entity lists, the outlet), not the annotators' ideologies or sentiments.
    """
    entities = {}
    for row_id, _, _, story, triplet, context in _seesaw_triplets(path, split):
        types = context["types"]
        subject, target = triplet.get("subject"), triplet.get("object") or ""
        entities[row_id] = SeesawEntities(story, subject if _named(subject) else None, target,
                                          types.get(subject) if _named(subject) else None, types.get(target),
                                          context["meta"].get("bias_label"))
    return entities


def seesaw_ideology_votes(path: Path, split: str = "train") -> dict[str, dict[str, list[str]]]:
    """Collect the annotators' entity ideologies of a split, per story: ``{story: {entity name: [labels]}}``.

    These are labels of the annotated articles: read them from the training split only, to build a knowledge
    base that is then applied by name to other stories (:mod:`stancemap.knowledge`).
    """
    votes: dict[str, dict[str, list[str]]] = {}
    for meta_path, _, _, annotation in _seesaw_documents(path, split):
        story = votes.setdefault(meta_path.stem, {})
        for name, labels in annotation.get("entity ideologies", {}).items():
            story.setdefault(name, []).extend(label for label, *_ in labels)
    return votes


# Benchmark rows may name an entity the sentence does not spell out; our own files may not.
ABSENT_ACTORS_ALLOWED = frozenset({"newsmtsc", "seesaw"})
READERS = {"park2021": park2021_rows, "newsmtsc": newsmtsc_rows, "seesaw": seesaw_rows}
