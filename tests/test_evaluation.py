"""Cross-validation and fitting: folds cut to what small sets can fill, and the same results in any number of jobs."""

import numpy as np
import pytest

from stancemap.errors import DataError
from stancemap.evaluation import cross_validate
from stancemap.schema import Statement
from stancemap.trainer import fit_heads

# Two texts of each stance label, one pair each; sentiment has a label in one text only (the last one). Every text
# says "la décision", so that any three rows share the words a stance word needs (three rows).
ROWS = [
    ("Paris a salué la décision de Rabat.", "Paris", "Rabat", "support", "positive"),
    ("Berlin approuve la décision prise avec Madrid.", "Berlin", "Madrid", "support", "positive"),
    ("Tokyo critique Séoul pour la décision.", "Tokyo", "Séoul", "oppose", "negative"),
    ("Pékin a condamné la décision de Washington.", "Pékin", "Washington", "oppose", "negative"),
    ("Rome a rencontré Athènes pour discuter de la décision.", "Rome", "Athènes", "neutral", "negative"),
    ("Oslo a reçu Varsovie avant la décision.", "Oslo", "Varsovie", "neutral", "neutral"),
]


def statements(rows=ROWS):
    return [Statement(text, source, target, stance, sentiment, "fr")
            for text, source, target, stance, sentiment in rows]


def test_folds_are_cut_to_the_texts_of_the_rarest_label(gazetteer):
    report = cross_validate(statements(), gazetteer, folds=5)
    assert report["folds"] == 2
    assert report["stance"]["model"]["n"] == len(ROWS)
    # One neutral text: sentiment cannot be cross-validated, and no table pretends it was.
    assert report["sentiment"] == {}


def test_sentiment_gets_the_folds_its_rarest_label_allows(gazetteer):
    rows = [*ROWS, ("Oslo et Varsovie ont commenté la décision.", "Oslo", "Varsovie", "neutral", "neutral"),
            ("Lisbonne a salué la décision de Dublin.", "Lisbonne", "Dublin", "support", "positive"),
            ("Vienne accuse Prague de trahir la décision.", "Vienne", "Prague", "oppose", "negative")]
    report = cross_validate(statements(rows), gazetteer, folds=3)
    assert report["folds"] == 3
    assert report["sentiment_folds"] == 2
    assert report["sentiment"]["model"]["n"] == len(rows)


def test_the_unmasked_ablation_runs_only_when_asked_for(gazetteer):
    assert set(cross_validate(statements(), gazetteer, folds=2)["stance"]) == {"model", "majority"}
    report = cross_validate(statements(), gazetteer, folds=2, no_masking=True)
    assert set(report["stance"]) == {"model", "majority", "no_masking"}
    assert report["stance"]["no_masking"]["n"] == len(ROWS)


def test_a_label_in_one_text_refuses_cross_validation(gazetteer):
    with pytest.raises(DataError, match="--folds 0"):
        cross_validate(statements(ROWS[1:]), gazetteer, folds=5)


def test_jobs_change_nothing(corpus, gazetteer):
    # Folds and heads fitted in two worker processes give exactly what one process gives.
    sample = corpus[:900]
    one, two = (cross_validate(sample, gazetteer, folds=3, n_jobs=jobs) for jobs in (1, 2))
    assert one == two
    (stance1, sentiment1), (stance2, sentiment2) = (fit_heads(sample, gazetteer, n_jobs=jobs) for jobs in (1, 2))
    assert sentiment1 is not None and sentiment2 is not None
    for a, b in ((stance1, stance2), (sentiment1, sentiment2)):
        assert a[-1].classes_.tolist() == b[-1].classes_.tolist()
        assert np.array_equal(a[-1].coef_, b[-1].coef_)
