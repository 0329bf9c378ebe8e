"""A lean inference path compiled from a fitted pipeline, giving the same probabilities without sklearn's overhead.

For one statement, most of ``Pipeline.predict_proba``'s time is spent building and validating sparse matrices,
not computing. This module reads the fitted vocabularies, idf weights and coefficients once, and then scores a
masked text with plain dictionaries and one small dense product. ``char_wb`` n-grams never cross a word
boundary, so each word's n-gram ids are computed once and cached: news vocabulary repeats. The scikit-learn
pipeline stays the training artifact and the reference: a test checks both give the same probabilities.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
from sklearn.base import clone
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.pipeline import Pipeline

_WORD_CACHE_SIZE = 50_000


class _Vocabulary:
    """A fitted vocabulary as sorted arrays of term hashes and columns, and its terms packed in one buffer.

    A dictionary of Python strings is the largest object of a model, and every lookup writes the reference
    counts of the objects it returns: after a fork, each worker ends up with its own copy of the pages it read.
    Arrays are read without being written, so every worker keeps sharing the master's pages. Python's string
    hash is 64-bit and salted per process; the table is built in the process that uses it (or its forks). A
    query n-gram absent from the vocabulary matches a term only if their hashes collide, about one chance in
    10^14 per n-gram for a vocabulary of 10^5 terms.
    """

    def __init__(self, vocabulary: dict[str, int]):
        terms = [""] * len(vocabulary)
        for term, column in vocabulary.items():
            terms[column] = term
        hashes = np.fromiter(map(hash, terms), dtype=np.int64, count=len(terms))
        order = np.argsort(hashes, kind="stable")
        self.keys = hashes[order]
        if len(self.keys) > 1 and not (np.diff(self.keys) > 0).all():
            # Two terms with one hash: about one load in 10^8 for our sizes; the next process draws another salt.
            raise ValueError("two vocabulary terms share a hash in this process; load the model again")
        self.columns = order.astype(np.intp)
        encoded = [term.encode("utf-8") for term in terms]
        self.offsets = np.zeros(len(encoded) + 1, dtype=np.int64)
        np.cumsum([len(e) for e in encoded], out=self.offsets[1:])
        self.blob = b"".join(encoded)

    def __len__(self) -> int:
        return len(self.keys)

    def lookup(self, grams: list[str]) -> np.ndarray:
        """Return the column of every gram found in the vocabulary, once per occurrence, in no set order."""
        if not grams or not len(self.keys):
            return np.empty(0, dtype=np.intp)
        # Sorted queries walk the keys in one direction, which measured 2-3% faster; callers count, not order.
        hashes = np.sort(np.fromiter(map(hash, grams), dtype=np.int64, count=len(grams)))
        positions = np.searchsorted(self.keys, hashes)
        np.minimum(positions, len(self.keys) - 1, out=positions)
        return self.columns[positions[self.keys[positions] == hashes]]

    def term(self, column: int) -> str:
        """Return the term of a column."""
        return self.blob[self.offsets[column] : self.offsets[column + 1]].decode("utf-8")


class _Branch:
    """One fitted TfidfVectorizer of the FeatureUnion, as a function from text to {column: weight}."""

    def __init__(self, vectorizer: TfidfVectorizer, offset: int):
        self.offset = offset
        self.vocabulary = _Vocabulary(vectorizer.vocabulary_)
        self.idf = np.array(vectorizer.idf_, dtype=np.float64)
        self.sublinear = vectorizer.sublinear_tf
        if vectorizer.norm != "l2" or not vectorizer.use_idf:
            raise ValueError("the fast path expects l2-normalised tf-idf branches")
        self.char_wb = vectorizer.analyzer == "char_wb"
        # The analyzers are built from an unfitted clone, so that nothing here keeps the fitted vectorizer (and
        # its dictionary vocabulary) alive once the model is compiled.
        analyzer = clone(vectorizer)
        if self.char_wb:
            self.preprocess = analyzer.build_preprocessor()
            self._ngrams: Callable[[str], list[str]] = analyzer._char_wb_ngrams
            self._words: dict[str, np.ndarray] = {}
        else:
            self.analyze = analyzer.build_analyzer()

    def term(self, column: int) -> str:
        """Return the vocabulary term of one of this branch's columns (for evidence)."""
        return self.vocabulary.term(column)

    def _word_columns(self, word: str) -> np.ndarray:
        columns = self._words.get(word)
        if columns is None:
            # Lower-casing and accent stripping act on each character, so a raw word can be preprocessed alone.
            columns = self.vocabulary.lookup([g for w in self.preprocess(word).split() for g in self._ngrams(w)])
            if len(self._words) < _WORD_CACHE_SIZE:
                self._words[word] = columns
        return columns

    def weights(self, text: str) -> tuple[np.ndarray, np.ndarray]:
        """Return this branch's columns and l2-normalised tf-idf weights of ``text``, as the vectorizer does."""
        if self.char_wb:
            words = text.split()
            every = np.concatenate([self._word_columns(w) for w in words]) if words else np.empty(0, np.intp)
            columns, repeats = np.unique(every, return_counts=True)
            tf = repeats.astype(np.float64)
        else:
            columns, repeats = np.unique(self.vocabulary.lookup(self.analyze(text)), return_counts=True)
            tf = repeats.astype(np.float64)
        if self.sublinear:
            tf = np.log(tf) + 1.0
        values = tf * self.idf[columns]
        norm = math.sqrt(values @ values)
        return columns, (values / norm if norm > 0 else values)


class FastHead:
    """Compiled scoring for one fitted pipeline: masker, FeatureUnion of tf-idf branches, linear classifier.

    Parameters
    ----------
    pipeline : Pipeline
        A fitted ``stancemap.pipelines`` pipeline.
    """

    def __init__(self, pipeline: Pipeline):
        self.masker = pipeline.named_steps["mask"]
        union = pipeline.named_steps["features"]
        classifier = pipeline[-1]
        self.branches, offset = [], 0
        for _, vectorizer in union.transformer_list:
            if vectorizer == "drop":
                continue
            self.branches.append(_Branch(vectorizer, offset))
            offset += len(self.branches[-1].vocabulary)
        self.labels = [str(label) for label in classifier.classes_]
        coef = np.asarray(classifier.coef_, dtype=np.float64)
        self.binary = coef.shape[0] == 1
        # Columns are gathered from a feature-major copy, so one statement reads a few contiguous rows.
        self.coef_t = np.ascontiguousarray(coef.T)
        self.intercept = np.asarray(classifier.intercept_, dtype=np.float64)

    def branch_of(self, column: int) -> int:
        """Return the index of the branch a column belongs to."""
        return max(i for i, branch in enumerate(self.branches) if branch.offset <= column)

    def features(self, masked: str) -> tuple[np.ndarray, np.ndarray]:
        """Return the non-zero columns of a masked text and their values."""
        parts = [branch.weights(masked) for branch in self.branches]
        columns = np.concatenate([c + branch.offset for (c, _), branch in zip(parts, self.branches, strict=True)])
        return columns, np.concatenate([v for _, v in parts])

    def probabilities(self, columns: np.ndarray, values: np.ndarray) -> np.ndarray:
        """Return the class probabilities for one statement's features, as the classifier's predict_proba."""
        decision = values @ self.coef_t[columns] + self.intercept
        if self.binary:
            positive = 1.0 / (1.0 + math.exp(-decision[0]))
            return np.array([1.0 - positive, positive])
        decision = np.exp(decision - decision.max())
        return decision / decision.sum()

    def score(self, masked: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Return probabilities, columns and values for one masked text."""
        columns, values = self.features(masked)
        return self.probabilities(columns, values), columns, values

