"""The scikit-learn pipelines: the stance model, the sentiment model and the baselines they are judged against."""

from __future__ import annotations

from collections.abc import Iterable
from functools import partial
from typing import Any

from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.dummy import DummyClassifier
from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import FeatureUnion, Pipeline
from threadpoolctl import threadpool_limits

from stancemap.fastpath import word_char_ngrams
from stancemap.features import Masker, direction_cues, dyad_context, negation_tokens
from stancemap.gazetteer import Gazetteer
from stancemap.knowledge import dyad_tags
from stancemap.mentions import clause_words, lexicon_polarity, mention_windows

# A stance word must be seen in this many rows to be kept, a sentiment word in this many texts (see _text_features);
# training needs as many rows.
STANCE_MIN_ROWS = 3
SENTIMENT_MIN_TEXTS = 2


class DyadMasker(Masker, TransformerMixin, BaseEstimator):
    """The masking step of a pipeline: :class:`~stancemap.features.Masker` with the estimator interface."""

    def fit(self, X: Iterable[tuple[str, str, str]], y: object = None) -> DyadMasker:
        """Check the parameters; masking learns nothing from data."""
        self.check()
        return self


class WordCharVectorizer(TfidfVectorizer):
    """scikit-learn's ``char_wb`` TF-IDF, cutting each distinct word into n-grams once per call.

    The same n-grams as ``TfidfVectorizer(analyzer="char_wb")``, in the same order; only faster. A text comes
    once per labelled pair and words repeat: the corpus's stance rows hold 1.3 million words but 35,000 distinct
    ones. Cutting them took 2.9 s against 1.1 s cached, and the branch's ``fit_transform`` went from 10.7 to
    7.9 s. The cache lives in the analyzer that one ``fit``, ``fit_transform`` or ``transform`` builds, so
    nothing of it is pickled or kept.
    """

    def build_analyzer(self) -> Any:
        """Return the char_wb analyzer: decode, preprocess, then the cached n-grams of each word."""
        if self.analyzer != "char_wb":
            return super().build_analyzer()
        preprocess, decode, cache = self.build_preprocessor(), self.decode, {}

        def analyze(document: Any) -> list[str]:
            grams: list[str] = []
            for word in preprocess(decode(document)).split():
                cut = cache.get(word)
                if cut is None:
                    cut = cache[word] = word_char_ngrams(word, self.ngram_range)
                grams += cut
            return grams

        return analyze


def _text_features(*, context: bool, per_pair: bool, windows: tuple[str, ...] = (), clauses: tuple[str, ...] = (),
                   polarity: tuple[str, ...] | None = None, direction: bool = False) -> FeatureUnion:
    # Stance rows repeat each text once per pair, so an n-gram of one statement is in two rows or more: the stance
    # head keeps words seen in three rows and context features seen in two. On the corpus of 28,613 pairs that
    # dropped 244,000 of 546,000 terms (18 MB of served memory) for a grouped CV of 70.09 -> 70.02. The sentiment
    # head (one row per text) keeps words seen in two texts: 257,000 -> 61,000 words, and on five sets of files
    # held out of training -0.9 to +0.8 points, +0.1 on average (bench/RESULTS.md).
    branches = [
        ("words", TfidfVectorizer(tokenizer=negation_tokens, token_pattern=None, ngram_range=(1, 3),
                                  strip_accents="unicode", sublinear_tf=True,
                                  min_df=STANCE_MIN_ROWS if per_pair else SENTIMENT_MIN_TEXTS)),
        ("chars", WordCharVectorizer(analyzer="char_wb", ngram_range=(2, 5), strip_accents="unicode",
                                     sublinear_tf=True, min_df=2)),
    ]
    if context:
        branches.append(("context", TfidfVectorizer(analyzer=dyad_context, sublinear_tf=True,
                                                    min_df=2 if per_pair else 1)))
    if direction:
        branches.append(("direction", TfidfVectorizer(analyzer=direction_cues, sublinear_tf=True)))
    # The mention-centred branches (stancemap.mentions) are options the accuracy benchmark picks per dataset.
    if windows:
        branches.append(("windows", TfidfVectorizer(analyzer=partial(mention_windows, roles=windows),
                                                    sublinear_tf=True)))
    if clauses:
        branches.append(("clauses", TfidfVectorizer(analyzer=partial(clause_words, roles=clauses), sublinear_tf=True)))
    if polarity is not None:
        branches.append(("polarity", TfidfVectorizer(analyzer=partial(lexicon_polarity, roles=polarity),
                                                     sublinear_tf=True)))
    return FeatureUnion(branches)


def _classifier(C: float, seed: int, class_weight: str | None = None) -> LogisticRegression:
    # Logistic regression gives probabilities directly, and its coefficients name the evidence of a prediction.
    # No class weights for stance by default: on Park's news (mostly neutral pairs) balanced weights cost 4 points
    # of validation macro-F1 (0.732 against 0.770), and on our balanced corpus they change nothing; the sentiment
    # head asks for them (bench/RESULTS.md).
    # Newton-CG: on the corpus's stance matrix it nears the optimum of the penalised loss in a few iterations, where
    # lbfgs at its default tolerance stopped short of it (objective 21,646 against 21,507) after 10.8 s and needed
    # 36 s to reach it. Its gradient tolerance of 1e-4 stops a Newton step or two before 1e-6: on files held out
    # of training, macro-F1 moved by -0.1 to +0.2 points for about half the fit time (bench/RESULTS.md).
    return LogisticRegression(C=C, solver="newton-cg", tol=1e-4, max_iter=5000, random_state=seed,
                              class_weight=class_weight)


def stance_pipeline(gazetteer: Gazetteer, *, masking: bool = True, C: float = 10.0, seed: int = 0,
                    windows: tuple[str, ...] = (), clauses: tuple[str, ...] = (),
                    polarity: tuple[str, ...] | None = None, class_weight: str | None = None,
                    tags: bool = False, direction: bool = False) -> Pipeline:
    """Build the stance pipeline: ``(text, source, target)`` dyads in, support/oppose/neutral out.

    With ``masking=False`` the same features are computed on the raw text, which cannot tell the source from
    the target: the baseline that shows what masking is worth. The other options add mention-centred features
    for the roles they name (``"source"``, ``"target"``): ``windows`` (words near each mention), ``clauses``
    (the words of its clause) and ``polarity`` (VADER lexicon classes in the text and near each mention, an empty
    tuple for the text alone); ``direction`` adds English cues of which role speaks or acts (passive agents, late
    speakers of quotes, possessives: :func:`~stancemap.features.direction_cues`); ``class_weight="balanced"``
    reweights the classes. With ``tags=True`` rows are ``(text, source, target, tags)``: the space-separated tags
    (entity knowledge, :mod:`stancemap.knowledge`) are binary features beside the text's. The defaults are the
    served model, which the fast path compiles; the options are chosen per dataset by the accuracy benchmark.
    """
    text = [("mask", DyadMasker(gazetteer=gazetteer, mode="roles" if masking else "none")),
            ("features", _text_features(context=masking, per_pair=True, windows=windows, clauses=clauses,
                                        polarity=polarity, direction=direction and masking))]
    if tags:
        # The text branches see the first three fields of a row, the tags branch the fourth.
        union = FeatureUnion([("text", Pipeline(text)),
                              ("tags", CountVectorizer(analyzer=dyad_tags, binary=True, lowercase=False))])
        return Pipeline([("features", union), ("classifier", _classifier(C, seed, class_weight))])
    return Pipeline([*text, ("classifier", _classifier(C, seed, class_weight))])


def sentiment_pipeline(gazetteer: Gazetteer, *, C: float = 10.0, seed: int = 0,
                       class_weight: str | None = "balanced") -> Pipeline:
    """Build the sentiment pipeline: the tone of the whole statement, with every actor masked alike.

    Balanced class weights by default: neutral statements are the rarest (about one in six) and the easiest to
    miss; with them, grouped CV macro-F1 went from 74.1 to 74.6 and statements written after the model from 70.2
    to 71.4 (bench/RESULTS.md).
    """
    return Pipeline([
        ("mask", DyadMasker(gazetteer=gazetteer, mode="actors")),
        ("features", _text_features(context=False, per_pair=False)),
        ("classifier", _classifier(C, seed, class_weight)),
    ])


def fit_one_thread(estimator: Any, X: Any, y: Any) -> Any:
    """Fit ``estimator`` with one BLAS thread, so that the same data gives the same model in any process.

    With OpenBLAS's two threads the solver's sums were ordered differently in a worker process than in the main
    one, and the stance coefficients moved by up to 8e-7 (Newton-CG stops at a tolerance, so the order shows):
    a model would have depended on ``--jobs`` and on the machine's cores.
    """
    with threadpool_limits(limits=1):
        return estimator.fit(X, y)


def majority_baseline() -> DummyClassifier:
    """The baseline that always answers the commonest label."""
    return DummyClassifier(strategy="most_frequent")
