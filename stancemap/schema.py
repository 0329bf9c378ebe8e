"""The data contract: labels, one labelled statement, and the validation of one row."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from stancemap.gazetteer import WRITER, Gazetteer, find_phrase
from stancemap.text import UNPAIRED_SURROGATE, encodable, normalize_statement

STANCES = ("support", "oppose", "neutral")
SENTIMENTS = ("positive", "negative", "neutral")
FIELDS = ("id", "text", "source", "target", "stance", "sentiment", "lang")
_LANG = re.compile(r"^[a-z]{2}$")


@dataclass(frozen=True)
class Statement:
    """One statement with a source and a target actor, labelled or not."""

    text: str
    source: str
    target: str
    stance: str | None = None
    sentiment: str | None = None
    lang: str | None = None
    id: str | None = None
    origin: str = ""

    @property
    def dyad(self) -> tuple[str, str, str]:
        """The model's raw input: ``(text, source, target)``."""
        return (self.text, self.source, self.target)

    @property
    def group(self) -> str:
        """The key shared by rows with the same text, for grouped cross-validation and duplicate checks."""
        return normalize_statement(self.text)


def _text_field(row: dict[str, Any], name: str, problems: dict[str, str]) -> str | None:
    value = row.get(name)
    if value is None or value == "":
        return None
    # Only an id may be written as a number; a number where text goes is a mistake worth naming.
    allowed = (str, int) if name == "id" else (str,)
    if isinstance(value, bool) or not isinstance(value, allowed):
        problems[name] = f"must be a string, not {type(value).__name__}"
        return None
    if isinstance(value, str) and not encodable(value):
        problems[name] = UNPAIRED_SURROGATE
        return None
    return str(value).strip() or None


def actor_key(gazetteer: Gazetteer, name: str) -> str:
    """Return who a source or target name stands for: its actor id, or the folded name itself."""
    return gazetteer.lookup(name) or normalize_statement(name)


def validate_row(
    row: Any, gazetteer: Gazetteer, *, require_stance: bool = True, allow_absent: bool = False
) -> tuple[Statement | None, dict[str, str]]:
    """Check one raw row against the data contract.

    ``allow_absent`` accepts a source or target that is neither known nor written in the text (benchmark rows
    that name an entity by its canonical name).

    Returns
    -------
    statement : Statement or None
        The row as a statement, or None when it has problems.
    problems : dict
        Field name to message, one entry per bad field; empty when the row is valid.
    """
    if not isinstance(row, dict):
        return None, {"row": f"must be an object with the fields {', '.join(FIELDS)}"}
    problems: dict[str, str] = {}
    values = {name: _text_field(row, name, problems) for name in FIELDS}
    text = values["text"]
    if text is None and "text" not in problems:
        problems["text"] = "is required and must not be empty"
    for name in ("source", "target"):
        value = values[name]
        if value is None:
            problems.setdefault(name, "is required and must not be empty")
        elif (text and not allow_absent and value != WRITER and gazetteer.lookup(value) is None
              and not find_phrase(value, text)):
            problems[name] = f"{value!r} is neither an actor the gazetteer knows nor a phrase of the text"
    source, target = values["source"], values["target"]
    if (source and target and "source" not in problems and "target" not in problems
            and actor_key(gazetteer, source) == actor_key(gazetteer, target)):
            problems["target"] = f"{target!r} is the same actor as the source {source!r}"
    stance = values["stance"].lower() if values["stance"] else None
    if stance is None and require_stance and "stance" not in problems:
        problems["stance"] = f"is required: one of {', '.join(STANCES)}"
    elif stance is not None and stance not in STANCES:
        problems["stance"] = f"{values['stance']!r} is not one of {', '.join(STANCES)}"
    sentiment = values["sentiment"].lower() if values["sentiment"] else None
    if sentiment is not None and sentiment not in SENTIMENTS:
        problems["sentiment"] = f"{values['sentiment']!r} is not one of {', '.join(SENTIMENTS)}"
    lang = values["lang"].lower() if values["lang"] else None
    if lang is not None and not _LANG.match(lang):
        problems["lang"] = f"{values['lang']!r} is not an ISO 639-1 code such as 'fr' or 'en'"
    if problems:
        return None, problems
    assert text and source and target
    return Statement(text, source, target, stance, sentiment, lang, values["id"]), problems
