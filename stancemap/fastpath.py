"""A lean inference path compiled from a fitted pipeline, giving the same probabilities without sklearn's overhead.

For one statement, most of ``Pipeline.predict_proba``'s time is spent building and validating sparse matrices,
not computing. This module reads the fitted vocabularies, idf weights and coefficients once, and then scores a
batch of masked texts with a fixed number of array operations, however many texts and branches there are: the
Python work left per text is cutting it into n-grams. ``char_wb`` n-grams never cross a word boundary, so each
word's columns are computed once and cached: news vocabulary repeats. The scikit-learn pipeline stays the training
artifact and the reference: a test checks both give the same probabilities.

Compiling reads the fitted pipeline's attributes and imports nothing from scikit-learn, and a compiled head
pickles without it: the service loads the compiled heads training writes beside the pipelines, and serves
without importing scikit-learn or SciPy (about 60 MB of every process's memory).
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import chain, pairwise
from typing import TYPE_CHECKING, Any

import numpy as np

from stancemap.features import Masker
from stancemap.text import fold

if TYPE_CHECKING:
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.pipeline import Pipeline

_WORD_CACHE_SIZE = 50_000
_EMPTY = np.empty(0, dtype=np.intp)


class _Vocabulary:
    """The string-keyed vocabularies of a head as one sorted array of salted term hashes, and their terms packed.

    A dictionary of Python strings is the largest object of a model, and every lookup writes the reference
    counts of the objects it returns: after a fork, each worker ends up with its own copy of the pages it read.
    Arrays are read without being written, so every worker keeps sharing the master's pages. Python's string
    hash is 64-bit and salted per process; the table is built in the process that uses it (or its forks). Each
    branch XORs its own constant into the hashes, so one search serves every branch even where two branches
    hold the same string. A query n-gram absent from the vocabulary matches a term only if their hashes
    collide, about one chance in 10^14 per n-gram for a vocabulary of 10^5 terms.
    """

    def __init__(self, vocabularies: Sequence[tuple[dict[str, int], int, int]]):
        encoded: list[bytes] = []
        self.parts: list[tuple[int, int, int]] = []  # (first column, terms, salt) of each vocabulary
        for vocabulary, offset, salt in sorted(vocabularies, key=lambda v: v[1]):
            terms = [""] * len(vocabulary)
            for term, column in vocabulary.items():
                terms[column] = term
            encoded += [term.encode("utf-8") for term in terms]
            self.parts.append((offset, len(terms), salt))
        self.offsets = np.zeros(len(encoded) + 1, dtype=np.int64)
        np.cumsum(np.fromiter(map(len, encoded), dtype=np.int64, count=len(encoded)), out=self.offsets[1:])
        self.blob = b"".join(encoded)
        self._index()

    def _index(self) -> None:
        # Built with arrays, not lists of Python ints: the master's heap is what every worker inherits.
        bounds = self.offsets.tolist()
        terms = [self.blob[a:b].decode("utf-8") for a, b in pairwise(bounds)]
        hashes = np.fromiter(map(hash, terms), dtype=np.int64, count=len(terms))
        keys, columns = [], []
        first = 0
        for offset, count, salt in self.parts:
            keys.append(hashes[first : first + count] ^ salt)
            columns.append(np.arange(offset, offset + count, dtype=np.intp))
            first += count
        every = np.concatenate(keys) if keys else np.empty(0, dtype=np.int64)
        order = np.argsort(every, kind="stable")
        self.keys = every[order]
        if len(self.keys) > 1 and not (np.diff(self.keys) > 0).all():
            # Two terms with one hash: about one load in 10^8 for our sizes; the next process draws another salt.
            raise ValueError("two vocabulary terms share a hash in this process; load the model again")
        self.columns = (np.concatenate(columns) if columns else np.empty(0, dtype=np.intp))[order]
        # Each vocabulary's columns are one range: where the ranges start, and where their terms start.
        self.starts = [offset for offset, count, _ in self.parts if count]
        self.firsts = np.cumsum([0] + [count for _, count, _ in self.parts if count])[:-1].tolist()

    def __getstate__(self) -> dict[str, Any]:
        # The hashes are salted per process: a pickle keeps the terms, and each process that loads it hashes them.
        return {"parts": self.parts, "offsets": self.offsets, "blob": self.blob}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._index()

    def lookup(self, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Return where ``keys`` (salted hashes) are found, as a mask over them, and the columns they name."""
        if not len(self.keys):
            return np.zeros(len(keys), dtype=bool), _EMPTY
        positions = np.searchsorted(self.keys, keys)
        np.minimum(positions, len(self.keys) - 1, out=positions)
        found = self.keys[positions] == keys
        return found, self.columns[positions[found]]

    def term(self, column: int) -> str:
        """Return the term of a column."""
        found = bisect_right(self.starts, column) - 1
        index = self.firsts[found] + column - self.starts[found]
        return self.blob[int(self.offsets[index]) : int(self.offsets[index + 1])].decode("utf-8")


@dataclass
class _Branch:
    """One fitted TfidfVectorizer of the FeatureUnion: where its columns start and how it cuts text.

    ``analyze`` takes the text as ``preprocess`` left it (and, for the char_wb branch, returns its words, whose
    n-grams are cached); branches with the same ``preprocess`` share its result.
    """

    name: str
    offset: int
    size: int
    salt: int
    preprocess: Callable[[str], str]
    analyze: Callable[[str], list[str]]
    char_wb: bool


def _branch(name: str, vectorizer: TfidfVectorizer, offset: int, salt: int) -> _Branch:
    if vectorizer.norm != "l2" or not vectorizer.use_idf:
        raise ValueError("the fast path expects l2-normalised tf-idf branches")
    # Read from the fitted vectorizer's parameters rather than its build_* methods: the branch then holds our own
    # functions, or the pipeline's analyzers, and pickles without scikit-learn.
    if vectorizer.input != "content" or vectorizer.preprocessor is not None:
        raise ValueError(f"the fast path cannot compile branch {name!r}: it reads text content with the built-in "
                         "preprocessing only")
    size = len(vectorizer.vocabulary_)
    if callable(vectorizer.analyzer):
        # sklearn gives a callable analyzer the decoded document and nothing else; a str needs no decoding.
        return _Branch(name, offset, size, salt, _same, vectorizer.analyzer, False)
    if vectorizer.strip_accents not in (None, "unicode") or vectorizer.analyzer not in ("word", "char_wb") or (
            vectorizer.analyzer == "word" and vectorizer.stop_words is not None):
        raise ValueError(f"the fast path cannot compile branch {name!r}: accents {vectorizer.strip_accents!r}, "
                         f"analyzer {vectorizer.analyzer!r}, stop words {vectorizer.stop_words!r}")
    preprocess = _PREPROCESSORS[vectorizer.strip_accents is not None, bool(vectorizer.lowercase)]
    low, high = vectorizer.ngram_range
    if vectorizer.analyzer == "char_wb":
        return _Branch(name, offset, size, salt, preprocess, _CharWords((low, high)), True)
    tokenize = vectorizer.tokenizer or re.compile(vectorizer.token_pattern).findall
    return _Branch(name, offset, size, salt, preprocess, _WordNgrams(tokenize, low, high), False)


@dataclass(frozen=True)
class _WordNgrams:
    """A text's word n-grams: those of sklearn's _word_ngrams, in another order (zip walks the windows in C)."""

    tokenize: Callable[[str], list[str]]
    low: int
    high: int

    def __call__(self, text: str) -> list[str]:
        tokens = self.tokenize(text)
        grams = list(tokens) if self.low == 1 else []
        for n in range(max(self.low, 2), self.high + 1):
            grams += map(" ".join, zip(*(tokens[i:] for i in range(n)), strict=False))
        return grams


@dataclass(frozen=True)
class _CharWords:
    """The char_wb branch cuts a text into words (each word's n-grams are cached): ``(low, high)`` n-gram sizes."""

    ngram_range: tuple[int, int]

    def __call__(self, text: str) -> list[str]:
        return text.split()

    def ngrams(self, word: str) -> list[str]:
        """Return one word's char_wb n-grams (:func:`word_char_ngrams`)."""
        return word_char_ngrams(word, self.ngram_range)


def word_char_ngrams(word: str, ngram_range: tuple[int, int]) -> list[str]:
    """Return one word's char_wb n-grams, as scikit-learn's ``_char_wb_ngrams`` cuts them, in its order."""
    padded = f" {word} "
    low, high = ngram_range
    grams = []
    for n in range(low, high + 1):
        grams += [padded[i : i + n] for i in range(max(len(padded) - n, 0) + 1)]
        if len(padded) <= n:  # a word shorter than n is counted once, not once per larger n
            break
    return grams


def _same(text: str) -> str:
    return text


def _lower(text: str) -> str:
    return text.lower()


def _unaccent_lower(text: str) -> str:
    # sklearn lower-cases, then strips accents by NFKD and dropping combining marks. Canonical reordering only
    # moves combining marks, which are dropped, so folding each character alone (text.fold, cached per
    # character) gives the same string much faster.
    return fold(text.lower())


_PREPROCESSORS = {(False, False): _same, (False, True): _lower, (True, False): fold, (True, True): _unaccent_lower}


@dataclass
class Scores:
    """A batch's class probabilities and features: text ``i`` has ``columns[starts[i]:starts[i + 1]]``."""

    probabilities: np.ndarray
    starts: np.ndarray
    columns: np.ndarray
    values: np.ndarray
    coefficients: np.ndarray


class FastHead:
    """Compiled scoring for one fitted pipeline: masker, FeatureUnion of tf-idf branches, linear classifier.

    Parameters
    ----------
    pipeline : Pipeline
        A fitted ``stancemap.pipelines`` pipeline.
    """

    def __init__(self, pipeline: Pipeline):
        step = pipeline.named_steps["mask"]
        self.masker = Masker(gazetteer=step.gazetteer, mode=step.mode)
        union = pipeline.named_steps["features"]
        fitted = [(index, name, v) for index, (name, v) in enumerate(union.transformer_list) if v != "drop"]
        self.branches: list[_Branch] = []
        offset = 0
        for index, name, vectorizer in fitted:
            self.branches.append(_branch(name, vectorizer, offset, salt=index * 0x9E3779B97F4A7C15 % 2**63))
            offset += self.branches[-1].size
        tables = [(v.vocabulary_, b.offset, b.salt) for b, (_, _, v) in zip(self.branches, fitted, strict=True)]
        self.vocabulary = _Vocabulary([t for b, t in zip(self.branches, tables, strict=True) if not b.char_wb])
        # The char_wb branch's words are looked up in its own table, once per word (then cached).
        chars = [i for i, b in enumerate(self.branches) if b.char_wb]
        if len(chars) > 1:
            raise ValueError("the fast path expects at most one char_wb branch")
        self._char = self.branches[chars[0]] if chars else None
        if chars:
            self._char_vocabulary = _Vocabulary([tables[chars[0]]])
        self._words: dict[str, bytes] = {}
        self.width = offset
        self.offsets = [b.offset for b in self.branches]
        self.bounds = np.array(self.offsets, dtype=np.intp)
        idf = np.concatenate([np.asarray(v.idf_, dtype=np.float64) for _, _, v in fitted])
        self.sublinear = np.array([v.sublinear_tf for _, _, v in fitted])
        self.all_sublinear = bool(self.sublinear.all())
        classifier = pipeline[-1]
        self.labels = [str(label) for label in classifier.classes_]
        coef = np.asarray(classifier.coef_, dtype=np.float64)
        self.binary = coef.shape[0] == 1
        # A column's idf and coefficients side by side, feature-major: a statement's features are scattered over
        # megabytes of weights, and one gathered row (one cache line) per feature measured faster than two.
        # With three or more labels each feature's coefficients are stored minus their mean: the softmax is the same
        # (every label's score moves by one amount), and a feature's push toward a label is its stored coefficient.
        centred = coef.T if self.binary else coef.T - coef.T.mean(axis=1, keepdims=True)
        self.weights = np.ascontiguousarray(np.column_stack([idf, centred]))
        self.intercept = np.asarray(classifier.intercept_, dtype=np.float64)

    def __getstate__(self) -> dict[str, Any]:
        # The word cache is the process's own: a pickle starts empty.
        return {**self.__dict__, "_words": {}}

    def names(self, columns: list[int]) -> list[str]:
        """Return ``"branch: term"`` for each of ``columns`` (for evidence)."""
        names = []
        for column in columns:
            branch = self.branches[bisect_right(self.offsets, column) - 1]
            vocabulary = self._char_vocabulary if branch.char_wb else self.vocabulary
            names.append(f"{branch.name}: {vocabulary.term(column)}")
        return names

    def _char_columns(self, texts: list[list[str]]) -> list[bytes]:
        """Return the char_wb columns of each text's words, word by word, as int32 bytes: cached, or looked up.

        Bytes rather than arrays: a cached word costs about half the memory, and one join makes a text's array.
        """
        cache = self._words
        unseen = list({word for words in texts for word in words if word not in cache})
        if unseen:
            assert self._char is not None
            assert isinstance(self._char.analyze, _CharWords)
            grams = [self._char.analyze.ngrams(word) for word in unseen]
            keys = np.fromiter(map(hash, chain.from_iterable(grams)), dtype=np.int64)
            keys ^= self._char.salt
            found, columns = self._char_vocabulary.lookup(keys)
            # char_wb cuts " w " into at least one 2-gram, so no word's slice is empty.
            counts = np.add.reduceat(found, np.cumsum([0] + [len(g) for g in grams[:-1]]), dtype=np.intp)
            pieces = np.split(columns.astype(np.int32), np.cumsum(counts)[:-1])
            fresh = dict(zip(unseen, map(np.ndarray.tobytes, pieces), strict=True))
            if len(cache) + len(fresh) <= _WORD_CACHE_SIZE:
                cache.update(fresh)
            else:
                cache = {**cache, **fresh}
        return [cache[word] for words in texts for word in words]

    def score(self, texts: Sequence[str]) -> Scores:
        """Score a batch of masked texts: tf-idf features of every branch, then the classifier's probabilities."""
        grams: list[str] = []
        salts: list[int] = []
        lengths: list[int] = []
        rows: list[int] = []
        words: list[list[str]] = []
        for row, text in enumerate(texts):
            prepared = {}
            for branch in self.branches:
                pre = prepared.get(branch.preprocess)
                if pre is None:
                    pre = prepared[branch.preprocess] = branch.preprocess(text)
                if branch.char_wb:
                    words.append(branch.analyze(pre))
                else:
                    cut = branch.analyze(pre)
                    grams += cut
                    salts.append(branch.salt)
                    lengths.append(len(cut))
                    rows.append(row)
        # Every n-gram of the batch is hashed and looked up at once; rows say whose it is.
        keys = np.fromiter(map(hash, grams), dtype=np.int64, count=len(grams))
        keys ^= np.repeat(np.array(salts, dtype=np.int64), lengths)
        found, columns = self.vocabulary.lookup(keys)
        owners = np.repeat(np.array(rows, dtype=np.intp), lengths)[found]
        if words:
            chars = self._char_columns(words)
            texts_of_words = np.repeat(np.arange(len(words)), [len(w) for w in words])
            columns = np.concatenate([columns, np.frombuffer(b"".join(chars), dtype=np.int32)])
            owners = np.concatenate([owners, np.repeat(texts_of_words, [len(c) >> 2 for c in chars])])
        return self._tfidf(len(texts), owners, columns)

    def _tfidf(self, count: int, owners: np.ndarray, columns: np.ndarray) -> Scores:
        # One key per (text, column): sorted, equal keys count a term, and features come ordered by text, then
        # branch. Written out rather than np.unique, whose checks cost more than the work for one statement.
        cells = owners.astype(np.int64) * self.width + columns
        cells.sort()
        new = np.empty(len(cells), dtype=bool)
        new[:1] = True
        np.not_equal(cells[1:], cells[:-1], out=new[1:])
        firsts = np.flatnonzero(new)
        tf = _gaps(firsts, len(cells)).astype(np.float64)
        cells = cells[firsts]
        owners = cells // self.width
        columns = cells - owners * self.width
        # Where each (text, branch) group starts: the l2 norm is taken per group, as each vectorizer does.
        edges = cells.searchsorted((np.arange(count)[:, None] * self.width + self.bounds).ravel())
        sizes = _gaps(edges, len(cells))
        values = np.log(tf) + 1.0 if self.all_sublinear else self._sublinear(tf, sizes, count)
        gathered = self.weights.take(columns, axis=0)
        values *= gathered[:, 0]
        squares = np.concatenate((values * values, [0.0]))  # an empty last group may start past the end
        values /= np.repeat(np.sqrt(np.add.reduceat(squares, edges)), sizes)
        coefficients = gathered[:, 1:]
        rows = np.concatenate((edges[:: len(self.branches)], [len(cells)]))
        # One code path for every batch size: a statement's sums are taken in the same order alone or in a batch.
        weighted = np.concatenate((values[:, None] * coefficients, np.zeros((1, coefficients.shape[1]))))
        decision = np.add.reduceat(weighted, rows[:-1], axis=0) if count else np.zeros((0, len(self.intercept)))
        decision[rows[:-1] == rows[1:]] = 0.0  # reduceat gives an empty row its next row's first feature
        decision += self.intercept
        if self.binary:
            positive = np.exp(-np.logaddexp(0.0, -decision[:, 0]))  # scipy's expit, without importing SciPy
            probabilities = np.stack([1.0 - positive, positive], axis=1)
        else:
            probabilities = np.exp(decision - decision.max(axis=1, keepdims=True))
            probabilities /= probabilities.sum(axis=1, keepdims=True)
        return Scores(probabilities, rows, columns, values, coefficients)

    def _sublinear(self, tf: np.ndarray, sizes: np.ndarray, count: int) -> np.ndarray:
        logged = np.repeat(np.tile(self.sublinear, count), sizes)
        tf[logged] = np.log(tf[logged]) + 1.0
        return tf


def _gaps(starts: np.ndarray, end: int) -> np.ndarray:
    """Return the lengths of the runs that begin at ``starts`` in an array of length ``end``."""
    return np.concatenate((starts[1:], [end])) - starts
