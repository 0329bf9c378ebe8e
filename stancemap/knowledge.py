"""Entity knowledge as sparse tags: who leans which way, by name, and the bias of the outlet that wrote it.

A bag of words cannot know that a conservative outlet reporting a liberal senator's words about a conservative
governor is likely to be reporting criticism. These tags give the stance pipeline (``stance_pipeline(...,
tags=True)``) that prior: the ideology of each side and whether they are on the same side or opposite sides, and
the outlet's bias crossed with the target's ideology. They are benchmark options (SEESAW), off in the served model.

The ideology knowledge base is built from the annotations of training stories only and applied by name, so a
scored story never lends its own labels; each training row is tagged with a base built without its own story, so
that training sees as many unknown entities as a new story does.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence

from stancemap.formats import SeesawEntities

UNKNOWN = "unk"
# AllSides bias labels 0-4 (far left ... far right) as the three sides of the ideology tags.
_OUTLET_SIDES = {0: "lib", 1: "lib", 2: "mod", 3: "con", 4: "con"}
_OUTLET_NAMES = {"lib": "left", "mod": "centre", "con": "right"}
# {story: {entity name: [ideology labels]}}, as stancemap.formats.seesaw_ideology_votes reads them.
Votes = Mapping[str, Mapping[str, Sequence[str]]]


def entity_key(name: str) -> str:
    """Return the key an entity is known by: its canonical name, case-folded, with single spaces."""
    return " ".join(name.casefold().split())


def ideology_side(label: str) -> str:
    """Map an annotated ideology ("Very Liberal", "Slightly Conservative", "Moderate"...) to lib, con, mod or na."""
    label = label.casefold()
    for word, side in (("liberal", "lib"), ("conservative", "con"), ("moderate", "mod")):
        if word in label:
            return side
    return "na"


def ideology_base(votes: Votes, *, leave_out: str | None = None) -> dict[str, str]:
    """Build ``{entity key: side}`` by majority of the annotated labels of every story but ``leave_out``.

    Parameters
    ----------
    votes : mapping
        ``{story: {entity name: [ideology labels]}}``, as :func:`stancemap.formats.seesaw_ideology_votes` reads
        them from the training split.
    leave_out : str, optional
        A story whose labels are not counted (to tag that story's own training rows).
    """
    counts: dict[str, Counter[str]] = {}
    for story, names in votes.items():
        if story == leave_out:
            continue
        for name, labels in names.items():
            counts.setdefault(entity_key(name), Counter()).update(ideology_side(label) for label in labels)
    # Ties go to the side seen first, which is deterministic (stories and labels are read in a sorted order).
    return {name: count.most_common(1)[0][0] for name, count in counts.items() if count}


def ideology_bases(votes: Votes) -> tuple[dict[str, str], dict[str, dict[str, str]]]:
    """Return the base of all stories (for scored rows) and, per story, the base without it (for its own rows)."""
    return ideology_base(votes), {story: ideology_base(votes, leave_out=story) for story in votes}


def knowledge_tags(entities: SeesawEntities, base: Mapping[str, str]) -> str:
    """Describe a dyad's entities as space-separated tags: each side's ideology, their relation, the outlet.

    A writer source takes the outlet's side. ``rel=same`` and ``rel=opp`` need a liberal or conservative side
    on both ends; anything else (moderate, not applicable, unknown) is ``rel=other``.
    """
    outlet = _OUTLET_SIDES.get(entities.outlet_bias, UNKNOWN) if entities.outlet_bias is not None else UNKNOWN
    source = (outlet if entities.subject is None
              else base.get(entity_key(entities.subject), UNKNOWN))
    target = base.get(entity_key(entities.object), UNKNOWN)
    sides = {source, target}
    relation = "same" if len(sides) == 1 and sides <= {"lib", "con"} else "opp" if sides == {"lib", "con"} else "other"
    outlet_name = _OUTLET_NAMES.get(outlet, UNKNOWN)
    return " ".join([f"si={source}>ti={target}", f"rel={relation}", f"si={source}", f"ti={target}",
                     f"outlet={outlet_name}", f"outlet={outlet_name}>ti={target}",
                     f"outlet={outlet_name}>rel={relation}"])


def dyad_tags(row: Sequence[str]) -> list[str]:
    """Analyzer of the tags branch: the tags a ``(text, source, target, tags)`` row carries (none for a triple)."""
    return row[3].split() if len(row) > 3 else []
