"""The model runtime: load a verified model version and predict stance, sentiment and evidence for dyads."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.pipeline import Pipeline

from stancemap.artifacts import METRICS, load_verified
from stancemap.errors import ModelError
from stancemap.features import ACTOR_TOKEN, SOURCE_TOKEN, TARGET_TOKEN
from stancemap.gazetteer import Gazetteer, Resolution
from stancemap.schema import SENTIMENTS, STANCES

EVIDENCE_SIZE = 5
_LABEL_ORDER = {label: rank for rank, label in enumerate((*STANCES, *SENTIMENTS))}
_READABLE = {SOURCE_TOKEN: "SOURCE", TARGET_TOKEN: "TARGET", ACTOR_TOKEN: "ACTOR"}


class _Head:
    """One fitted pipeline split into its feature steps and its linear classifier, for scores and evidence."""

    def __init__(self, pipeline: Pipeline):
        self.features = pipeline[:-1]
        self.classifier = pipeline[-1]
        self.labels = [str(label) for label in self.classifier.classes_]
        # Scores are listed in the contract's order (support, oppose, neutral), not scikit-learn's sorted one.
        self.order = sorted(range(len(self.labels)), key=lambda i: _LABEL_ORDER.get(self.labels[i], len(_LABEL_ORDER)))
        coef = np.asarray(self.classifier.coef_)
        # How much each feature pushes toward each label, relative to the others (binary models have one row).
        self.push = np.vstack([-coef[0], coef[0]]) if coef.shape[0] == 1 else coef - coef.mean(axis=0)
        self.names = [_readable(name) for name in pipeline.named_steps["features"].get_feature_names_out()]

    def predict(self, dyads: Sequence[tuple[str, str, str]]) -> tuple[list[dict[str, Any]], list[list[dict]]]:
        matrix = self.features.transform(dyads).tocsr()
        probabilities = self.classifier.predict_proba(matrix)
        results, evidence = [], []
        for row, scores in enumerate(probabilities):
            best = int(np.argmax(scores))
            results.append({"label": self.labels[best],
                            "scores": {self.labels[i]: float(scores[i]) for i in self.order}})
            start, end = matrix.indptr[row], matrix.indptr[row + 1]
            columns = matrix.indices[start:end]
            pushes = matrix.data[start:end] * self.push[best, columns]
            top = np.argsort(-pushes)[:EVIDENCE_SIZE]
            evidence.append([{"feature": self.names[columns[i]], "weight": round(float(pushes[i]), 4)}
                             for i in top if pushes[i] > 0])
        return results, evidence


def _readable(name: str) -> str:
    kind, _, feature = name.partition("__")
    for token, label in _READABLE.items():
        feature = feature.replace(token, label)
    return f"{kind}: {feature}"


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
        metrics_path = folder / METRICS
        metrics = json.loads(metrics_path.read_text(encoding="utf-8")) if metrics_path.is_file() else {}
        return cls(model, manifest, metrics)

    @property
    def version(self) -> str:
        """The version id, e.g. ``20261128T031500Z-1a2b3c4d``."""
        return str(self.manifest["version"])

    def predict(self, dyads: Sequence[tuple[str, str, str]]) -> list[dict[str, Any]]:
        """Predict every ``(text, source, target)`` dyad in one batched call per head.

        Returns
        -------
        list of dict
            Per dyad, in input order: ``stance`` and ``sentiment`` (label and scores), ``source`` and ``target``
            (resolved actor, whether it was found in the text, mention spans) and ``evidence`` (the features
            that pushed most toward the predicted stance).
        """
        if not dyads:
            return []
        stances, evidence = self.stance.predict(dyads)
        sentiments = self.sentiment.predict(dyads)[0] if self.sentiment else [None] * len(dyads)
        results = []
        for (text, source, target), stance, sentiment, why in zip(dyads, stances, sentiments, evidence, strict=True):
            mentions = self.gazetteer.find_mentions(text)
            results.append({
                "stance": stance,
                "sentiment": sentiment,
                "source": _actor(self.gazetteer.resolve(source, text, mentions)),
                "target": _actor(self.gazetteer.resolve(target, text, mentions)),
                "evidence": why,
            })
        return results
