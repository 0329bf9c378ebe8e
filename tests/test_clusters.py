"""Word clusters learned without labels (stancemap.clusters) and the pipeline option that uses them."""

from __future__ import annotations

import pickle

import numpy as np

from stancemap.clusters import cluster_windows, learn_clusters
from stancemap.gazetteer import WRITER, Gazetteer
from stancemap.pipelines import stance_pipeline


def _texts() -> list[str]:
    # Two families of words that share their contexts: verbs of blame and of praise, nouns of office.
    texts = []
    for verb in ("blamed", "attacked", "slammed", "criticised"):
        for noun in ("senator", "governor", "mayor", "minister"):
            texts.append(f"The voters {verb} the {noun} over the new budget plan yesterday.")
    return texts


def test_words_of_the_same_contexts_share_a_cluster():
    clusters = learn_clusters(_texts(), k=4, dim=4, window=2, min_count=2)
    assert set(clusters) >= {"blamed", "attacked", "senator", "mayor", "the"}
    assert clusters["blamed"] == clusters["attacked"] == clusters["slammed"]
    assert clusters["senator"] == clusters["mayor"] == clusters["governor"]
    assert clusters["blamed"] != clusters["senator"]
    assert learn_clusters(_texts(), k=4, dim=4, window=2, min_count=2) == clusters


def test_rare_words_and_tiny_vocabularies_get_no_or_one_cluster():
    learned = learn_clusters([*_texts()[:2], "the the"], min_count=3)
    assert "the" in learned and "voters" not in learned  # "voters" is seen twice
    assert learn_clusters(["one two", "one two"], min_count=2) == {"one": 0, "two": 0}


def test_cluster_windows_name_the_side_and_the_negation():
    clusters = {"slammed": 3, "praised": 3, "plan": 7}
    assert cluster_windows("critics slammed xtgtx plan", clusters=clusters) == ["xtgtx L: c3", "xtgtx R: c7"]
    assert "xtgtx R: neg c3" in cluster_windows("xtgtx never praised them", clusters=clusters)
    assert cluster_windows("critics slammed xtgtx", clusters=clusters, width=0) == ["no cluster"]
    assert cluster_windows("no roles here", clusters=clusters) == ["no cluster"]


def test_the_pipeline_option_adds_a_branch_that_survives_pickling():
    clusters = {"praised": 0, "lauded": 0, "slammed": 1, "blasted": 1}
    pipeline = stance_pipeline(Gazetteer([]), C=1.0, clusters=clusters)
    assert [n for n, _ in pipeline.named_steps["features"].transformer_list][-1] == "clusters"
    rows = [(f"Voters {verb} Smith over the plan {i}.", WRITER, "Smith")
            for i, verb in enumerate(["praised", "slammed"] * 6)]
    pipeline.fit(rows, ["support", "oppose"] * 6)
    unseen = [("Critics blasted Jones.", WRITER, "Jones")]
    restored = pickle.loads(pickle.dumps(pipeline))
    assert np.allclose(restored.predict_proba(unseen), pipeline.predict_proba(unseen))
    assert "clusters" not in [n for n, _ in stance_pipeline(Gazetteer([])).named_steps["features"].transformer_list]
