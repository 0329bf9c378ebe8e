"""Word clusters learned without labels, and the cluster ids of the words near a mention as features.

Word n-grams only learn the words seen next to a target in labelled training rows. Words that occur in the same
contexts in unlabelled text fall into one cluster, so a cluster id near the target carries evidence from rarer
words too (Turian, Ratinov and Bengio 2010). The vectors are positive pointwise mutual information (PPMI) of word
co-occurrence, reduced by truncated SVD (Levy, Goldberg and Dagan 2015), grouped by k-means.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping

import numpy as np
import scipy.sparse as sp
from sklearn.cluster import KMeans
from sklearn.decomposition import TruncatedSVD
from sklearn.preprocessing import normalize

from stancemap.features import PLACEHOLDERS
from stancemap.mentions import ROLES, _positions, _words
from stancemap.text import fold

_WORD = re.compile(r"\w+")
# Context counts raised to this power before the PMI (Levy et al. 2015): rare contexts get less inflated PMI.
_CONTEXT_SMOOTHING = 0.75


def _cooccurrences(docs: list[list[int]], size: int, window: int) -> sp.coo_matrix:
    rows, cols = [], []
    for ids in docs:
        for i, a in enumerate(ids):
            if a < 0:
                continue
            for j in range(max(0, i - window), min(len(ids), i + window + 1)):
                if j != i and ids[j] >= 0:
                    rows.append(a)
                    cols.append(ids[j])
    counts = sp.coo_matrix((np.ones(len(rows)), (rows, cols)), shape=(size, size)).tocsr()
    counts.sum_duplicates()
    return counts.tocoo()


def learn_clusters(texts: Iterable[str], *, k: int = 800, dim: int = 100, window: int = 5, min_count: int = 3,
                   seed: int = 0) -> dict[str, int]:
    """Cluster the words of raw texts: PPMI of co-occurrence within ``window`` words, SVD to ``dim``, k-means.

    Parameters
    ----------
    texts : iterable of str
        Unlabelled sentences (training text only: never the text a model is scored on).
    k : int, default=800
        Number of clusters (fewer if there are fewer words).
    dim : int, default=100
        Dimensions kept by the truncated SVD (fewer if the vocabulary is smaller).
    window : int, default=5
        Words on each side counted as a word's context.
    min_count : int, default=3
        Words seen fewer times get no cluster.
    seed : int, default=0
        Seed of the SVD and of k-means.

    Returns
    -------
    dict of str to int
        Each lower-cased, accent-folded word and its cluster id.
    """
    docs = [_WORD.findall(fold(text).casefold()) for text in texts]
    counts = Counter(word for doc in docs for word in doc)
    vocabulary = {w: i for i, (w, c) in enumerate(kept for kept in counts.most_common() if kept[1] >= min_count)}
    if len(vocabulary) < 3:
        return dict.fromkeys(vocabulary, 0)
    pairs = _cooccurrences([[vocabulary.get(w, -1) for w in doc] for doc in docs], len(vocabulary), window)
    word_totals = np.asarray(pairs.tocsr().sum(1)).ravel()
    context_totals = np.bincount(pairs.col, weights=pairs.data, minlength=len(vocabulary)) ** _CONTEXT_SMOOTHING
    pmi = np.log(pairs.data * context_totals.sum() / (word_totals[pairs.row] * context_totals[pairs.col]))
    positive = pmi > 0
    ppmi = sp.csr_matrix((pmi[positive], (pairs.row[positive], pairs.col[positive])), shape=pairs.shape)
    svd = TruncatedSVD(min(dim, len(vocabulary) - 1), random_state=seed)
    # fit_transform gives U S; U S^1/2 weighs the dimensions less unevenly (Levy et al. 2015), then unit length.
    vectors = normalize(svd.fit_transform(ppmi) / np.sqrt(np.maximum(svd.singular_values_, 1e-12)))
    labels = KMeans(min(k, len(vocabulary)), n_init=1, max_iter=100, random_state=seed).fit_predict(vectors)
    return {word: int(label) for word, label in zip(vocabulary, labels, strict=True)}


def cluster_windows(masked: str, *, clusters: Mapping[str, int], roles: tuple[str, ...] = ("target",),
                    width: int = 5) -> list[str]:
    """Name the clusters of the words within ``width`` tokens of each role's mentions, with the side.

    A negated word ("neg_praised") keeps its mark on its cluster: "xtgtx L: neg c12".
    """
    words = _words(masked)
    ids = [clusters.get(w[4:] if w.startswith("neg_") else w) for w in words]
    features = []
    for role in roles:
        token = ROLES[role]
        for i in _positions(words, token):
            for side, span in (("L", range(max(0, i - width), i)), ("R", range(i + 1, min(len(words), i + width + 1)))):
                for j in span:
                    if ids[j] is not None and words[j] not in PLACEHOLDERS:
                        negated = "neg " if words[j].startswith("neg_") else ""
                        features.append(f"{token} {side}: {negated}c{ids[j]}")
    return features or ["no cluster"]
