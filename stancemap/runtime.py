"""The model runtime: load a verified model version and predict stance, sentiment and evidence for dyads."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from stancemap.artifacts import load_for_serving, read_metrics
from stancemap.errors import ModelError
from stancemap.fastpath import FastHead
from stancemap.features import ACTOR_TOKEN, SOURCE_TOKEN, TARGET_TOKEN
from stancemap.gazetteer import Gazetteer, Resolution
from stancemap.schema import SENTIMENTS, STANCES

EVIDENCE_SIZE = 5
_LABEL_ORDER = {label: rank for rank, label in enumerate((*STANCES, *SENTIMENTS))}
_READABLE = {SOURCE_TOKEN: "SOURCE", TARGET_TOKEN: "TARGET", ACTOR_TOKEN: "ACTOR"}


class _Head:
    """One head (stance or sentiment): its compiled fast path, label order and evidence weights."""

    def __init__(self, fast: FastHead):
        self.fast = fast
        self.masker = self.fast.masker
        self.labels = self.fast.labels
        # Scores are listed in the contract's order (support, oppose, neutral), not scikit-learn's sorted one.
        self.order = sorted(range(len(self.labels)), key=lambda i: _LABEL_ORDER.get(self.labels[i], len(_LABEL_ORDER)))

    def predict(self, masked: Sequence[str], *, evidence: bool) -> list[tuple[dict[str, Any], list[dict[str, Any]]]]:
        """Score masked texts; with ``evidence``, name the features that pushed most toward each label."""
        scores = self.fast.score(masked)
        best = scores.probabilities.argmax(axis=1)
        results = [{"label": self.labels[b], "scores": {self.labels[i]: p[i] for i in self.order}}
                   for b, p in zip(best.tolist(), scores.probabilities.tolist(), strict=True)]
        if not evidence:
            return [(result, []) for result in results]
        # How much each feature pushed toward its text's label, relative to the others (a binary model has one
        # row of coefficients, for its second label), read from the coefficients the scoring gathered.
        starts = scores.starts
        if len(results) == 1:
            # One text: its few strongest pushes are picked out before sorting (a full sort measured slower), ties
            # at the cut kept, so that equal pushes are ordered by column as in a batch. Features that always
            # occur together get equal coefficients, so ties are common.
            pushes = self._pushes(scores.values, scores.coefficients, int(best[0]))
            cut = len(pushes) - EVIDENCE_SIZE
            ranked = np.flatnonzero(pushes >= np.partition(pushes, cut)[cut]) if cut > 0 else np.arange(len(pushes))
            ranked = ranked[np.argsort(-pushes[ranked], kind="stable")]
        else:
            owners = np.repeat(np.arange(len(results)), starts[1:] - starts[:-1])
            pushes = self._pushes(scores.values, scores.coefficients, best[owners])
            # Sorted by text, then by push, strongest first: one sort of a key that puts texts far apart (a
            # lexsort of the two measured four times slower).
            ranked = np.argsort(owners * (2.0 * np.abs(pushes).max(initial=0.0) + 1.0) - pushes, kind="stable")
        tops = [ranked[start : min(start + EVIDENCE_SIZE, stop)]
                for start, stop in zip(starts[:-1].tolist(), starts[1:].tolist(), strict=True)]
        tops = [top[pushes[top] > 0] for top in tops]
        picked = np.concatenate([np.empty(0, dtype=np.intp), *tops])
        names = iter(self.fast.names(scores.columns[picked].tolist()))
        weights = iter(np.round(pushes[picked], 4).tolist())
        return [(result, [{"feature": _readable(next(names)), "weight": next(weights)} for _ in top])
                for result, top in zip(results, tops, strict=True)]

    def _pushes(self, values: np.ndarray, coefficients: np.ndarray, chosen: np.ndarray | int) -> np.ndarray:
        if self.fast.binary:
            return values * coefficients[:, 0] * np.where(chosen == 1, 1.0, -1.0)
        # Against the mean of the labels: the fast path stores each feature's coefficients minus their mean.
        return values * (coefficients[:, chosen] if isinstance(chosen, int) else
                         coefficients[np.arange(len(chosen)), chosen])


def _compiled(head: Any) -> FastHead:
    if isinstance(head, FastHead):
        return head
    try:
        return FastHead(head)
    except (AttributeError, KeyError, TypeError) as exc:
        raise ModelError(f"the artifact is not a stancemap model (no stance pipeline): {exc}") from exc


def _readable(name: str) -> str:
    for token, label in _READABLE.items():
        name = name.replace(token, label)
    return name


def _actor(resolution: Resolution) -> dict[str, Any]:
    return {"actor": resolution.actor, "known": resolution.known, "found": resolution.found,
            "mentions": [list(span) for span in resolution.mentions]}


class StanceModel:
    """A loaded model version: the stance and sentiment heads, the gazetteer they use, and their manifest.

    Parameters
    ----------
    model : dict
        ``{"stance": ..., "sentiment": ... or None}``: fitted pipelines (the training artifact), compiled here,
        or the heads training compiled already (:class:`~stancemap.fastpath.FastHead`).
    manifest : dict
        The version's manifest (version, created-at, data, parameters, libraries).
    metrics : dict, optional
        The cross-validated metrics written beside the artifact.
    """

    def __init__(self, model: dict[str, Any], manifest: dict[str, Any], metrics: dict[str, Any] | None = None):
        if not isinstance(model, dict) or model.get("stance") is None:
            raise ModelError("the artifact is not a stancemap model (no stance pipeline)")
        self.manifest = manifest
        self.metrics = metrics or {}
        self.stance = _Head(_compiled(model["stance"]))
        self.sentiment = _Head(_compiled(model["sentiment"])) if model.get("sentiment") is not None else None
        gazetteer = self.stance.masker.gazetteer
        if gazetteer is None:
            raise ModelError("the artifact is not a stancemap model (its stance head masks no actors)")
        self.gazetteer: Gazetteer = gazetteer

    @classmethod
    def load(cls, path: str | Path) -> StanceModel:
        """Load the version ``path`` names (a version folder, or a models folder's ``current``), verified.

        The heads compiled at training time are loaded when the version has them, so that serving never imports
        scikit-learn; older versions are compiled from their pipelines.
        """
        model, manifest, folder = load_for_serving(path)
        return cls(model, manifest, read_metrics(folder))

    @property
    def version(self) -> str:
        """The version id, e.g. ``20261128T031500Z-1a2b3c4d``."""
        return str(self.manifest["version"])

    def predict(self, dyads: Sequence[tuple[str, str, str]]) -> list[dict[str, Any]]:
        """Predict every ``(text, source, target)`` dyad with the compiled fast path.

        Returns
        -------
        list of dict
            Per dyad, in input order: ``stance`` and ``sentiment`` (label and scores), ``source`` and ``target``
            (resolved actor, whether it was found in the text, mention spans) and ``evidence`` (the features
            that pushed most toward the predicted stance).
        """
        resolved = self.gazetteer.resolve_dyads(dyads)
        stances = self.stance.predict([self.stance.masker.mask_resolved(*r) for r in resolved], evidence=True)
        sentiments: list[dict[str, Any] | None] = [None] * len(resolved)
        if self.sentiment is not None:
            # Every actor is masked alike for sentiment, so all pairs of one sentence share one score.
            masked = [self.sentiment.masker.mask_resolved(*r) for r in resolved]
            distinct = list(dict.fromkeys(masked))
            scored = dict(zip(distinct, self.sentiment.predict(distinct, evidence=False), strict=True))
            sentiments = [scored[m][0] for m in masked]
        return [{"stance": stance, "sentiment": sentiment, "source": _actor(source), "target": _actor(target),
                 "evidence": evidence}
                for (stance, evidence), sentiment, (_, _, source, target) in zip(stances, sentiments, resolved,
                                                                                 strict=True)]
