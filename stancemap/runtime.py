"""The model runtime: load a verified model version and predict stance, sentiment and evidence for dyads."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.pipeline import Pipeline

from stancemap.artifacts import load_verified, read_metrics
from stancemap.errors import ModelError
from stancemap.fastpath import FastHead
from stancemap.features import ACTOR_TOKEN, SOURCE_TOKEN, TARGET_TOKEN
from stancemap.gazetteer import Gazetteer, Mention, Resolution
from stancemap.schema import SENTIMENTS, STANCES

EVIDENCE_SIZE = 5
_LABEL_ORDER = {label: rank for rank, label in enumerate((*STANCES, *SENTIMENTS))}
_READABLE = {SOURCE_TOKEN: "SOURCE", TARGET_TOKEN: "TARGET", ACTOR_TOKEN: "ACTOR"}


class _Head:
    """One head (stance or sentiment): its compiled fast path, label order and evidence weights."""

    def __init__(self, pipeline: Pipeline):
        self.fast = FastHead(pipeline)
        self.masker = self.fast.masker
        self.labels = self.fast.labels
        # Scores are listed in the contract's order (support, oppose, neutral), not scikit-learn's sorted one.
        self.order = sorted(range(len(self.labels)), key=lambda i: _LABEL_ORDER.get(self.labels[i], len(_LABEL_ORDER)))
        self.names = [f"{name}: " for name, _ in pipeline.named_steps["features"].transformer_list]

    def predict(self, masked: str, *, evidence: bool) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        """Score one masked text; with ``evidence``, name the features that pushed most toward the label."""
        scores, columns, values = self.fast.score(masked)
        best = int(np.argmax(scores))
        result = {"label": self.labels[best], "scores": {self.labels[i]: float(scores[i]) for i in self.order}}
        if not evidence:
            return result, []
        # How much each feature pushed toward the label, relative to the others (a binary model has one row of
        # coefficients, for its second label), read from the fast path's coefficients rather than a copy.
        rows = self.fast.coef_t[columns]
        if self.fast.binary:
            pushes = values * rows[:, 0] * (1 if best == 1 else -1)
        else:
            pushes = values * (rows[:, best] - rows.mean(axis=1))
        top = np.argsort(-pushes)[:EVIDENCE_SIZE]
        return result, [{"feature": self._name(int(columns[i])), "weight": round(float(pushes[i]), 4)}
                        for i in top if pushes[i] > 0]

    def _name(self, column: int) -> str:
        index = self.fast.branch_of(column)
        branch = self.fast.branches[index]
        return _readable(self.names[index] + branch.term(column - branch.offset))


def _readable(name: str) -> str:
    for token, label in _READABLE.items():
        name = name.replace(token, label)
    return name


def _actor(resolution: Resolution) -> dict[str, Any]:
    return {"actor": resolution.actor, "known": resolution.known, "found": resolution.found,
            "mentions": [list(span) for span in resolution.mentions]}


class StanceModel:
    """A loaded model version: the stance and sentiment pipelines, the gazetteer they use, and their manifest.

    Parameters
    ----------
    model : dict
        The unpickled artifact: ``{"stance": Pipeline, "sentiment": Pipeline or None}``.
    manifest : dict
        The version's manifest (version, created-at, data, parameters, libraries).
    metrics : dict, optional
        The cross-validated metrics written beside the artifact.
    """

    def __init__(self, model: dict[str, Any], manifest: dict[str, Any], metrics: dict[str, Any] | None = None):
        if not isinstance(model, dict) or not isinstance(model.get("stance"), Pipeline):
            raise ModelError("the artifact is not a stancemap model (no stance pipeline)")
        self.manifest = manifest
        self.metrics = metrics or {}
        self.stance = _Head(model["stance"])
        self.sentiment = _Head(model["sentiment"]) if model.get("sentiment") is not None else None
        self.gazetteer: Gazetteer = model["stance"].named_steps["mask"].gazetteer

    @classmethod
    def load(cls, path: str | Path) -> StanceModel:
        """Load the version ``path`` names (a version folder, or a models folder's ``current``), verified."""
        model, manifest, folder = load_verified(path)
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
        results = []
        sentiments: dict[str, dict[str, Any]] = {}
        found: dict[str, list[Mention]] = {}
        for text, source, target in dyads:
            # Mentions are found once per text (an article sends one sentence for each pair of its actors) and
            # shared by both heads and the response.
            if text not in found:
                found[text] = self.gazetteer.find_mentions(text)
            mentions = found[text]
            source_match = self.gazetteer.resolve(source, text, mentions)
            target_match = self.gazetteer.resolve(target, text, mentions)
            stance, evidence = self.stance.predict(
                self.stance.masker.mask_resolved(text, mentions, source_match, target_match), evidence=True)
            sentiment = None
            if self.sentiment is not None:
                # Every actor is masked alike for sentiment, so all pairs of one sentence share one score.
                masked = self.sentiment.masker.mask_resolved(text, mentions, source_match, target_match)
                if masked not in sentiments:
                    sentiments[masked] = self.sentiment.predict(masked, evidence=False)[0]
                sentiment = sentiments[masked]
            results.append({"stance": stance, "sentiment": sentiment, "source": _actor(source_match),
                            "target": _actor(target_match), "evidence": evidence})
        return results
