"""The compiled fast path against the scikit-learn pipelines it is built from: batches, binary heads, evidence."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from stancemap.fastpath import FastHead
from stancemap.gazetteer import Gazetteer
from stancemap.pipelines import sentiment_pipeline, stance_pipeline
from stancemap.runtime import EVIDENCE_SIZE, StanceModel
from stancemap.schema import Statement


def test_a_statement_gets_the_same_answer_alone_and_in_a_batch(model: StanceModel, corpus: list[Statement]):
    dyads = [s.dyad for s in corpus[::37]]
    batch = model.predict(dyads)
    for dyad, together in zip(dyads, batch, strict=True):
        alone = model.predict([dyad])[0]
        # Equal up to the last bits: vectorised exp and log may round differently from one array length to another.
        for head in ("stance", "sentiment"):
            assert alone[head]["label"] == together[head]["label"]
            assert alone[head]["scores"] == pytest.approx(together[head]["scores"], rel=1e-12, abs=1e-15)
        assert (alone["source"], alone["target"]) == (together["source"], together["target"])
        assert [e["feature"] for e in alone["evidence"]] == [e["feature"] for e in together["evidence"]]


def test_texts_without_known_features_score_as_the_intercept_within_a_batch(model: StanceModel):
    head = model.stance.fast
    texts = ["Moscou condamne Kiev.", "", "qqqq zzzz", "Paris soutient Berlin."]
    masked = [model.stance.masker.mask(text, "Moscou", "Kiev") for text in texts]
    scores = head.score(masked)
    empty = np.exp(head.intercept - head.intercept.max())
    assert np.allclose(scores.probabilities[1], empty / empty.sum(), atol=1e-12)
    assert scores.starts[1] == scores.starts[2]
    assert np.allclose(scores.probabilities.sum(axis=1), 1.0)
    alone = [head.score([masked[i]]).probabilities[0] for i in (0, 3)]
    assert np.allclose(scores.probabilities[[0, 3]], np.array(alone), rtol=1e-12, atol=0)


@pytest.mark.parametrize("labels", [("support", "oppose"), ("support", "oppose", "neutral")])
def test_fast_path_matches_predict_proba_for_binary_and_multiclass_heads(small: Gazetteer, labels):
    texts = ["Alpha condemned Beta's strikes.", "Alpha praised Beta for its help.", "Alpha met Beta in Geneva.",
             "Beta did not condemn Alpha.", "Alpha welcomed Beta's offer of talks.", "Beta accused Alpha of lying."]
    rows = [(text, "Alpha", "Beta") for text in texts] * 3
    truth = [labels[i % len(labels)] for i in range(len(rows))]
    pipeline = stance_pipeline(small).fit(rows, truth)
    head = FastHead(pipeline)
    unseen = [("Alpha strongly condemned Beta again.", "Alpha", "Beta"), ("Nothing known here.", "Alpha", "Beta"),
              ("Beta praised Alpha.", "Beta", "Alpha")]
    dyads = rows + unseen
    masked = pipeline.named_steps["mask"].transform(dyads)
    assert np.abs(head.score(masked).probabilities - pipeline.predict_proba(dyads)).max() <= 1e-12
    sentiment = sentiment_pipeline(small).fit(rows, truth)
    assert np.abs(FastHead(sentiment).score(sentiment.named_steps["mask"].transform(dyads)).probabilities
                  - sentiment.predict_proba(dyads)).max() <= 1e-12


def test_evidence_is_the_largest_pushes_read_from_the_pipeline(model: StanceModel, models_dir, corpus):
    import joblib

    from stancemap.runtime import _readable

    pipeline = joblib.load((models_dir / "current").resolve() / "model.joblib")["stance"]
    dyads = [s.dyad for s in corpus[::97]]
    features = pipeline[:-1].transform(dyads).tocsr()
    coef = pipeline[-1].coef_
    names = pipeline.named_steps["features"].get_feature_names_out()
    labels = list(pipeline[-1].classes_)
    for row, (dyad, result) in enumerate(zip(dyads, model.predict(dyads), strict=True)):
        x = features[row]
        best = labels.index(result["stance"]["label"])
        pushes = x.data * (coef[best, x.indices] - coef[:, x.indices].mean(axis=0))
        top = [i for i in np.argsort(-pushes, kind="stable")[:EVIDENCE_SIZE] if pushes[i] > 0]
        assert [e["feature"] for e in result["evidence"]] == [_readable(names[x.indices[i]].replace("__", ": ", 1))
                                                              for i in top], dyad
        assert [e["weight"] for e in result["evidence"]] == pytest.approx([pushes[i] for i in top], abs=1e-4)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(exclude_categories=("Cs",)), max_size=60))
@example("ΟΔΟΣ Σ ǅ ﬁ İstanbul Ḉ e\u0301\u0327 \u0327\u0301a ½ Ⅻ ﹥ ㈱")
def test_shared_preprocessing_is_sklearns_lowercase_and_accent_stripping(text: str):
    from sklearn.feature_extraction.text import TfidfVectorizer

    from stancemap.fastpath import _PREPROCESSORS

    for strip in (None, "unicode"):
        for lowercase in (False, True):
            reference = TfidfVectorizer(strip_accents=strip, lowercase=lowercase).build_preprocessor()
            assert _PREPROCESSORS[strip is not None, lowercase](text) == reference(text)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(alphabet=st.characters(exclude_categories=("Cs",)), max_size=40), min_size=1, max_size=6))
@example(["  Tab\tsep  é x ", "", "A b", "xsrcx a dit «non» à xtgtx", "A b"])
def test_word_cached_char_vectorizer_is_sklearns_char_wb(texts: list[str]):
    from sklearn.feature_extraction.text import TfidfVectorizer

    from stancemap.pipelines import WordCharVectorizer

    options = {"analyzer": "char_wb", "ngram_range": (2, 5), "strip_accents": "unicode", "sublinear_tf": True}
    reference, cached = TfidfVectorizer(**options), WordCharVectorizer(**options)
    assert cached.build_analyzer()(texts[0]) == reference.build_analyzer()(texts[0])
    try:
        expected = reference.fit_transform(texts)
    except ValueError:  # no n-gram at all: the cached one must refuse the same texts
        with pytest.raises(ValueError):
            cached.fit_transform(texts)
        return
    assert cached.fit_transform(texts).toarray().tolist() == expected.toarray().tolist()
    assert cached.vocabulary_ == reference.vocabulary_


def test_fast_path_compiles_the_mention_centred_branches(small: Gazetteer):
    texts = ["Alpha condemned Beta's strikes.", "Alpha praised Beta, which had helped.", "Alpha met Beta in Geneva.",
             "Beta, who lied, was blamed by Alpha."]
    rows = [(text, "Alpha", "Beta") for text in texts] * 3
    truth = [("support", "oppose", "neutral")[i % 3] for i in range(len(rows))]
    pipeline = stance_pipeline(small, windows=("source", "target"), clauses=("target",), direction=True)
    pipeline.fit(rows, truth)
    dyads = [*rows, ("Beta was praised by Alpha.", "Alpha", "Beta")]
    scores = FastHead(pipeline).score(pipeline.named_steps["mask"].transform(dyads))
    assert np.abs(scores.probabilities - pipeline.predict_proba(dyads)).max() <= 1e-12
