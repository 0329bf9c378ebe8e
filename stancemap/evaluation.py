"""Honest evaluation: grouped cross-validation, per-class and per-language scores, baselines beside the model."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from joblib import Parallel, delayed
from sklearn.base import clone
from sklearn.metrics import accuracy_score, confusion_matrix, f1_score, precision_recall_fscore_support
from sklearn.model_selection import StratifiedGroupKFold

from stancemap.errors import DataError
from stancemap.gazetteer import Gazetteer
from stancemap.pipelines import fit_one_thread, majority_baseline, sentiment_pipeline, stance_pipeline
from stancemap.schema import SENTIMENTS, STANCES, Statement


def score(y_true: Sequence[str], y_pred: Sequence[str], labels: Sequence[str]) -> dict[str, Any]:
    """Score predictions: macro-F1, accuracy, per-class precision/recall/F1 and the confusion matrix.

    For stance labels the SemEval-2016 measure ``f_avg`` (mean F1 of support and oppose) is added.
    """
    labels = [label for label in labels if label in set(y_true) | set(y_pred)]
    precision, recall, f1, support = precision_recall_fscore_support(
        y_true, y_pred, labels=labels, zero_division=0
    )
    result: dict[str, Any] = {
        "n": len(y_true),
        "macro_f1": float(f1_score(y_true, y_pred, labels=labels, average="macro", zero_division=0)),
        "accuracy": float(accuracy_score(y_true, y_pred)),
        "per_class": {
            label: {"precision": float(p), "recall": float(r), "f1": float(f), "support": int(s)}
            for label, p, r, f, s in zip(labels, precision, recall, f1, support, strict=True)
        },
        "confusion": {"labels": labels, "matrix": confusion_matrix(y_true, y_pred, labels=labels).tolist()},
    }
    if {"support", "oppose"} <= set(labels):
        result["f_avg"] = (result["per_class"]["support"]["f1"] + result["per_class"]["oppose"]["f1"]) / 2
    return result


def score_by_language(
    statements: Sequence[Statement], y_true: Sequence[str], y_pred: Sequence[str], labels: Sequence[str]
) -> dict[str, Any]:
    """Score all rows, then each language's rows on their own (rows without ``lang`` count as ``"?"``)."""
    result = score(y_true, y_pred, labels)
    langs = np.array([s.lang or "?" for s in statements])
    true, pred = np.asarray(y_true), np.asarray(y_pred)
    result["by_language"] = {
        lang: score(true[langs == lang], pred[langs == lang], labels) for lang in sorted(set(langs))
    }
    return result


def sentiment_rows(statements: Sequence[Statement]) -> list[Statement]:
    """One row per distinct text with a sentiment label: sentiment belongs to the text, not to the pair."""
    rows: dict[str, Statement] = {}
    for statement in statements:
        if statement.sentiment:
            rows.setdefault(statement.group, statement)
    return list(rows.values())


def _fold_count(folds: int, labels: Sequence[str], groups: Sequence[str]) -> int:
    """Return how many folds the data can fill: no more than the texts of its rarest label.

    A label found in fewer texts than folds leaves some folds' training parts without it (scikit-learn refuses the
    split outright when every label is that rare).
    """
    texts: dict[str, set[str]] = {}
    for label, group in zip(labels, groups, strict=True):
        texts.setdefault(label, set()).add(group)
    return min([folds, *(len(members) for members in texts.values())])


def _fit_predict(estimator: Any, X: list, y: np.ndarray, train: np.ndarray, test: np.ndarray) -> np.ndarray:
    return fit_one_thread(clone(estimator), [X[i] for i in train], y[train]).predict([X[i] for i in test])


def _splits(X: list, y: np.ndarray, groups: list[str], folds: int, seed: int) -> list[tuple[np.ndarray, np.ndarray]]:
    # Cut once per task and shared by its candidates: on the corpus one cut takes longer than a baseline's folds.
    return list(StratifiedGroupKFold(n_splits=folds, shuffle=True, random_state=seed).split(X, y, groups))


def _out_of_fold(estimator: Any, X: list, y: np.ndarray, splits: list[tuple[np.ndarray, np.ndarray]],
                 n_jobs: int = 1) -> np.ndarray:
    # Folds are independent fits: with n_jobs > 1 they run in as many processes (one process runs them in turn).
    predicted = Parallel(n_jobs=min(n_jobs, len(splits)))(delayed(_fit_predict)(estimator, X, y, train, test)
                                                          for train, test in splits)
    predictions = np.empty(len(y), dtype=object)
    for (_, test), fold in zip(splits, predicted, strict=True):
        predictions[test] = fold
    return predictions


def cross_validate(
    statements: Sequence[Statement],
    gazetteer: Gazetteer,
    *,
    folds: int = 5,
    seed: int = 0,
    params: dict[str, Any] | None = None,
    n_jobs: int = 1,
    no_masking: bool = False,
    progress: Callable[[str], None] = lambda message: None,
) -> dict[str, Any]:
    """Cross-validate the stance and sentiment models and their baselines, grouping rows that share a text.

    ``n_jobs`` processes fit the folds side by side. ``no_masking`` also cross-validates the stance pipeline on
    unmasked text, the ablation that shows what masking buys; it is off by default because it costs a second
    stance cross-validation, nearly as long as the first.

    Returns
    -------
    dict
        ``{"folds": k, "stance": {"model": ..., "majority": ..., "no_masking": ...}, "sentiment": {...}}``
        (``"no_masking"`` only when asked for),
        each entry the output of :func:`score_by_language` on out-of-fold predictions. ``k`` is at most the
        number of texts of the rarest stance label; ``"sentiment_folds"`` is there when the rarest sentiment label
        allowed fewer folds than that.
    """
    params = {"C": 10.0, **(params or {})}
    X = [s.dyad for s in statements]
    y = np.array([s.stance for s in statements])
    groups = [s.group for s in statements]
    folds = _fold_count(folds, list(y), groups)
    if folds < 2:
        raise DataError("cross-validation needs every stance label in two texts or more; "
                        "train with --folds 0 to skip it")
    candidates = {"model": stance_pipeline(gazetteer, C=params["C"], seed=seed), "majority": majority_baseline()}
    if no_masking:
        candidates["no_masking"] = stance_pipeline(gazetteer, masking=False, C=params["C"], seed=seed)
    report: dict[str, Any] = {"folds": folds, "stance": {}, "sentiment": {}}
    splits = _splits(X, y, groups, folds, seed)
    for name, estimator in candidates.items():
        progress(f"cross-validating stance: {name}")
        predicted = _out_of_fold(estimator, X, y, splits, n_jobs)
        report["stance"][name] = score_by_language(statements, y, predicted, STANCES)
    rows = sentiment_rows(statements)
    labels = {s.sentiment for s in rows}
    ys = np.array([s.sentiment for s in rows])
    sentiment_folds = _fold_count(folds, list(ys), [s.group for s in rows])
    if len(labels) >= 2 and sentiment_folds >= 2:
        if sentiment_folds < folds:
            report["sentiment_folds"] = sentiment_folds
        Xs = [s.dyad for s in rows]
        splits = _splits(Xs, ys, [s.group for s in rows], sentiment_folds, seed)
        for name, estimator in (("model", sentiment_pipeline(gazetteer, C=params["C"], seed=seed)),
                                ("majority", majority_baseline())):
            progress(f"cross-validating sentiment: {name}")
            predicted = _out_of_fold(estimator, Xs, ys, splits, n_jobs)
            report["sentiment"][name] = score_by_language(rows, ys, predicted, SENTIMENTS)
    return report


def format_report(report: dict[str, Any]) -> str:
    """Render a cross-validation or evaluation report as a plain-text table."""
    lines = []
    for task in ("stance", "sentiment"):
        entries = report.get(task) or {}
        if not entries:
            continue
        langs = sorted({lang for entry in entries.values() for lang in entry.get("by_language", {})})
        header = f"{task:<11}{'':<12}{'n':>6}{'macro-F1':>10}{'F_avg':>8}{'acc':>7}" + "".join(
            f"{'F1 ' + lang:>9}" for lang in langs
        )
        lines += [header, "-" * len(header)]
        for name, entry in entries.items():
            f_avg = f"{entry['f_avg']:.3f}" if "f_avg" in entry else "-"
            row = f"{'':<11}{name:<12}{entry['n']:>6}{entry['macro_f1']:>10.3f}{f_avg:>8}{entry['accuracy']:>7.3f}"
            row += "".join(
                f"{entry['by_language'][lang]['macro_f1']:>9.3f}" if lang in entry.get("by_language", {})
                else f"{'-':>9}" for lang in langs
            )
            lines.append(row)
        model = entries.get("model")
        if model:
            lines.append(f"{'':<11}per class (model): " + ", ".join(
                f"{label} P={v['precision']:.2f} R={v['recall']:.2f} F1={v['f1']:.2f} (n={v['support']})"
                for label, v in model["per_class"].items()))
            confusion = model["confusion"]
            lines.append(f"{'':<11}confusion (rows true, columns predicted: {' '.join(confusion['labels'])}): "
                         + " | ".join(" ".join(f"{c:>4}" for c in row) for row in confusion["matrix"]))
        lines.append("")
    return "\n".join(lines)
