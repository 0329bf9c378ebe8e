"""Mention-centred features (stancemap.mentions) and the pipeline options that use them."""

from __future__ import annotations

import pickle

import numpy as np
import pytest

from stancemap.features import direction_cues
from stancemap.gazetteer import WRITER, Gazetteer
from stancemap.mentions import clause_words, lexicon_polarity, mention_windows
from stancemap.pipelines import stance_pipeline

LEXICON = {"praised": 2.1, "good": 1.9, "slammed": -2.5, "bad": -2.5, "tax": -0.3}


def test_windows_tell_what_the_target_did_from_what_was_done_to_it():
    acting = mention_windows("xtgtx slammed the senator.")
    undergoing = mention_windows("The senator slammed xtgtx.")
    assert "xtgtx R1: slammed" in acting and "xtgtx L1: slammed" in undergoing
    assert "xtgtx L1: slammed" not in acting and "xtgtx R1: slammed" not in undergoing


def test_windows_stop_at_the_width_and_keep_negation_marks():
    features = mention_windows("xtgtx did not praise one two three four five six", width=4)
    # Four words to the right: did, not, praise and one; "praise" and "one" are in the negation's scope.
    assert "xtgtx R: neg_praise" in features and "xtgtx R: neg_one" in features
    assert "xtgtx R: neg_two" not in features


def test_windows_follow_the_roles_asked_for():
    text = "xsrcx praised xtgtx"
    assert not any(f.startswith("xsrcx") for f in mention_windows(text))
    assert "xsrcx R1: praised" in mention_windows(text, roles=("source", "target"))
    assert mention_windows("nobody here") == ["no mention"]


def test_clause_words_stay_in_the_mention_clause():
    features = clause_words("The mayor praised the plan, but xtgtx attacked the budget.")
    assert "xtgtx clause: attacked" in features and "xtgtx clause: budget" in features
    assert "xtgtx clause: praised" not in features and "xtgtx clause: but" not in features
    assert clause_words("nothing to see") == ["no clause"]


def test_polarity_counts_lexicon_words_with_negation_flipping_the_sign():
    plain = lexicon_polarity("xtgtx praised the bad plan", lexicon=LEXICON)
    assert plain.count("text: pos") == 1 and plain.count("text: neg") == 1
    assert "xtgtx R: pos strong" in plain and "xtgtx window: neg" in plain
    negated = lexicon_polarity("xtgtx is not good", lexicon=LEXICON)
    assert "text: neg negated weak" in negated and "text: neg" in negated and "text: pos" not in negated


def test_polarity_ignores_weak_entries_and_far_words():
    assert lexicon_polarity("a tax on xtgtx", lexicon=LEXICON) == ["no polarity"]
    far = lexicon_polarity("xtgtx one two three four five six slammed", lexicon=LEXICON, width=5)
    assert "text: neg" in far and not any(f.startswith("xtgtx") for f in far)


def test_the_vader_lexicon_loads_when_installed():
    pytest.importorskip("vaderSentiment")
    features = lexicon_polarity("xtgtx praised the excellent plan")
    assert "xtgtx R: pos" in features


def test_direction_cues_name_the_passive_agent_and_the_late_speaker():
    passive = direction_cues("xtgtx was denounced by the xsrcx authorities.")
    assert {"by xsrcx", "passive by xsrcx", "passive by xsrcx: denounced", "xtgtx opens the sentence"} <= set(passive)
    quoted = direction_cues('"xtgtx is a disgrace," says party chairman xsrcx.')
    assert {"reporting verb before xsrcx", "quote between, xtgtx first", "xtgtx ... says ... xsrcx"} <= set(quoted)
    # The closest reading, "xtgtx reported by xsrcx", needs the verb within two words of the speaker.
    assert "xtgtx reported by xsrcx" in direction_cues('"xtgtx is a disgrace," says xsrcx.')
    late = direction_cues('"We will win," xsrcx said of xtgtx.')
    assert "quote then xsrcx said" in late and "xtgtx reported by xsrcx" not in late


def test_direction_cues_read_possessives_and_according_to():
    features = direction_cues("xsrcx's harsh criticism of xtgtx.")
    assert {"xsrcx possessive", "xsrcx's harsh", "first role xsrcx"} <= set(features)
    assert "according to xsrcx" in direction_cues("xtgtx lied, according to xsrcx.")
    assert direction_cues("No actor here.") == []


def test_pipeline_options_add_branches_and_default_to_the_served_model():
    empty = Gazetteer([])
    assert [n for n, _ in stance_pipeline(empty).named_steps["features"].transformer_list] == [
        "words", "chars", "context"]
    pipeline = stance_pipeline(empty, C=1.0, windows=("target",), clauses=("target",), class_weight="balanced")
    names = [n for n, _ in pipeline.named_steps["features"].transformer_list]
    assert names == ["words", "chars", "context", "windows", "clauses"]
    names = [n for n, _ in stance_pipeline(empty, direction=True).named_steps["features"].transformer_list]
    assert names == ["words", "chars", "context", "direction"]
    assert pipeline.named_steps["classifier"].class_weight == "balanced"
    rows = [(f"Voters {verb} Smith over the plan {i}.", WRITER, "Smith")
            for i, verb in enumerate(["praised", "slammed"] * 6)]
    labels = ["support", "oppose"] * 6
    pipeline.fit(rows, labels)
    restored = pickle.loads(pickle.dumps(pipeline))
    probabilities = restored.predict_proba([("Critics slammed Jones over the plan.", WRITER, "Jones")])
    assert np.allclose(probabilities, pipeline.predict_proba([("Critics slammed Jones over the plan.", WRITER,
                                                                "Jones")]))
    assert restored.predict([("Critics slammed Jones over the plan.", WRITER, "Jones")])[0] == "oppose"
