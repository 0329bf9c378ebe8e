"""Code tier: entity-knowledge tags and the stance pipeline's tags branch, on rows we wrote."""

from __future__ import annotations

import pytest

from stancemap.formats import SeesawEntities
from stancemap.gazetteer import Gazetteer
from stancemap.knowledge import dyad_tags, entity_key, ideology_base, ideology_bases, ideology_side, knowledge_tags
from stancemap.pipelines import DyadMasker, stance_pipeline

VOTES = {
    "s1": {"Ann Lee": ["Liberal", "Very Liberal"], "Bo Ray": ["Conservative"]},
    "s2": {"ann  LEE": ["Slightly Conservative"], "Cy Dun": ["Moderate"], "A law": ["Not Applicable"]},
}


@pytest.mark.parametrize(("label", "side"), [("Very Liberal", "lib"), ("Slightly Conservative", "con"),
                                             ("Moderate", "mod"), ("Not Applicable", "na")])
def test_ideology_side(label, side):
    assert ideology_side(label) == side


def test_ideology_base_by_majority_and_without_a_story():
    assert entity_key("  Ann   LEE ") == "ann lee"
    assert ideology_base(VOTES) == {"ann lee": "lib", "bo ray": "con", "cy dun": "mod", "a law": "na"}
    assert ideology_base(VOTES, leave_out="s1") == {"ann lee": "con", "cy dun": "mod", "a law": "na"}
    everyone, without = ideology_bases(VOTES)
    assert everyone == ideology_base(VOTES) and without["s2"] == {"ann lee": "lib", "bo ray": "con"}


def test_knowledge_tags_sides_relation_and_outlet():
    base = ideology_base(VOTES)
    tags = knowledge_tags(SeesawEntities("s3", "Ann Lee", "Bo Ray", outlet_bias=4), base).split()
    assert tags == ["si=lib>ti=con", "rel=opp", "si=lib", "ti=con", "outlet=right", "outlet=right>ti=con",
                    "outlet=right>rel=opp"]
    # A writer source takes the outlet's side; an entity the base does not know is unknown.
    writer = knowledge_tags(SeesawEntities("s3", None, "Ann Lee", outlet_bias=0), base).split()
    assert writer[:4] == ["si=lib>ti=lib", "rel=same", "si=lib", "ti=lib"]
    unknown = knowledge_tags(SeesawEntities("s3", None, "Dee Fox"), base).split()
    assert unknown[:2] == ["si=unk>ti=unk", "rel=other"] and "outlet=unk" in unknown


def test_tags_branch_beside_the_text():
    assert dyad_tags(("text", "a", "b", "x=1 y=2")) == ["x=1", "y=2"] and dyad_tags(("text", "a", "b")) == []
    gazetteer = Gazetteer([])
    row = ("Ann Lee praised Bo Ray.", "Ann Lee", "Bo Ray")
    # The masker reads the first three fields only.
    masker = DyadMasker(gazetteer=gazetteer).fit([row])
    assert masker.transform([(*row, "rel=opp")]) == masker.transform([row])
    texts = ["Ann Lee praised Bo Ray.", "Ann Lee attacked Bo Ray.", "Ann Lee thanked Bo Ray.",
             "Ann Lee blamed Bo Ray."] * 3
    stances = ["support", "oppose", "support", "oppose"] * 3
    tags = ["rel=same", "rel=opp"] * 6
    rows = [(t, "Ann Lee", "Bo Ray", g) for t, g in zip(texts, tags, strict=True)]
    model = stance_pipeline(gazetteer, tags=True).fit(rows, stances)
    vocabulary = model.named_steps["features"].transformer_list[1][1].vocabulary_
    assert set(vocabulary) == {"rel=same", "rel=opp"}
    # The same words, the other relation: the tag alone moves the prediction.
    same, opposite = model.predict_proba([("Ann Lee met Bo Ray.", "Ann Lee", "Bo Ray", g)
                                          for g in ("rel=same", "rel=opp")])
    support = list(model.classes_).index("support")
    assert same[support] > opposite[support]
    assert "mask" in stance_pipeline(gazetteer).named_steps  # the default pipeline keeps its shape
