"""Accuracy benchmark: our pipeline on three public English datasets and on our own corpus.

Usage: python bench/accuracy.py [--datasets ../shared/datasets] [--only park2021,newsmtsc,seesaw,corpus]
                                [--jobs 2] [--no-masking] [--json results.json]

For each dataset found (a missing one is reported and skipped): train on its train split, score its official test
split with the dataset's own metric, and print it beside the figures recorded in the dataset's SOURCE.md. Then the
cross-domain line (the model trained on our bundled corpus, scored on Park's test set as directed 3-class stance)
and our own corpus by grouped cross-validation, per language, its folds fitted in ``--jobs`` processes
(``--no-masking`` adds the same pipeline on unmasked text, which costs the corpus a second stance
cross-validation: about four minutes on a 2-core machine). The public sets and the cross-domain model are fitted
one after another in one side process, with one BLAS thread, while the corpus is cross-validated. Each
benchmark model is our stance pipeline; for the public datasets the gazetteer is empty, so their entities are
masked as the phrases the dataset names.

Each public dataset has its own pipeline options (OPTIONS, printed with the results), chosen on its train split
and its validation or dev split, never on the scored test files. Models with the benchmark-only options (the
mention-centred features of stancemap.mentions) are scored with the scikit-learn pipeline's predict_proba, which
gives the fast path's probabilities for the default pipeline too. The VADER lexicon they use comes from the
``vaderSentiment`` package (the ``accuracy`` extra).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import sys
import time
from collections.abc import Callable
from concurrent.futures import Executor, ProcessPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.metrics import accuracy_score, f1_score
from sklearn.pipeline import Pipeline
from threadpoolctl import threadpool_limits

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from stancemap.evaluation import cross_validate  # noqa: E402
from stancemap.formats import park2021_rows, park_label, seesaw_entities, seesaw_ideology_votes  # noqa: E402
from stancemap.gazetteer import Gazetteer  # noqa: E402
from stancemap.knowledge import ideology_bases, knowledge_tags  # noqa: E402
from stancemap.loading import load_statements  # noqa: E402
from stancemap.pipelines import stance_pipeline  # noqa: E402
from stancemap.runtime import StanceModel  # noqa: E402
from stancemap.schema import STANCES, Statement  # noqa: E402
from stancemap.trainer import default_data_files  # noqa: E402

# Figures from each dataset's SOURCE.md: "recorded" ones were measured before our code existed (TF-IDF + linear
# model, untuned); "published" ones come from the papers.
REFERENCE = {
    "park2021 5-class macro-F1": "recorded: LR 60.6, linear SVM 63.4; class weights tuned on valid",
    "park2021 5-class macro-F1, equal weights": "the plain rule",
    "park2021 directed 3-class macro-F1": "recorded: LR 65.1, linear SVM 68.8",
    "newsmtsc test-rw macro-F1": "recorded: 61.5; published: 83.1 (GRU-TSC RoBERTa)",
    "newsmtsc test-mt macro-F1": "recorded: 58.6 (SVM 60.7); published: 82.5",
    "seesaw macro-F1 POS/NEG": "recorded: 60.0 (majority 38.6)",
    "cross-domain: corpus model on park2021 test, 3-class": "-",
}
# Per-dataset pipeline options (stancemap.pipelines.stance_pipeline), chosen by macro-F1 on the validation or dev
# split, NewsMTSC's and SEESAW's entity-knowledge tags (seesaw_rows) confirmed by CV on the train split (bench/
# RESULTS.md, "What changed the model"). NewsMTSC has no source: only the target's neighbourhood counts there.
OPTIONS: dict[str, dict[str, Any]] = {
    "park2021": {"direction": True},
    "newsmtsc": {"C": 1.0, "windows": ("target",), "clauses": ("target",), "polarity": ("target",)},
    "seesaw": {"C": 1.0, "polarity": ("source", "target"), "class_weight": "balanced", "tags": True},
}
TARGETS = {"park2021 5-class macro-F1": 70, "park2021 directed 3-class macro-F1": 75, "newsmtsc test-rw macro-F1": 70,
           "newsmtsc test-mt macro-F1": 70, "seesaw macro-F1 POS/NEG": 70}


def say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def load(paths: list[Path], gazetteer: Gazetteer, fmt: str | None, split: str | None = None) -> list[Statement]:
    result = load_statements(paths, gazetteer, fmt=fmt, split=split)
    if result.errors:
        say(f"  {result.skipped_lines} row(s) of {', '.join(p.name for p in paths)} {split or ''} refused "
            f"(e.g. {result.errors[0]})")
    return result.statements


def fit(statements: list[Statement], gazetteer: Gazetteer, **options: Any) -> Pipeline:
    return stance_pipeline(gazetteer, **options).fit([s.dyad for s in statements], [s.stance for s in statements])


def stance_scores(pipeline: Pipeline, dyads: list[Any]) -> np.ndarray:
    """Probabilities of (support, oppose, neutral) per dyad, zero for a class the model was not trained on."""
    probabilities = pipeline.predict_proba(dyads)
    classes = list(pipeline.classes_)
    return np.stack([probabilities[:, classes.index(k)] if k in classes else np.zeros(len(dyads))
                     for k in STANCES], axis=1)


def stance_labels(scores: np.ndarray) -> list[str]:
    return [STANCES[i] for i in scores.argmax(1)]


def macro_f1(truth: list[str], predicted: list[str], labels: list[str] | None = None) -> dict[str, float]:
    return {"macro_f1": 100 * f1_score(truth, predicted, labels=labels, average="macro", zero_division=0),
            "accuracy": 100 * accuracy_score(truth, predicted), "n": len(truth)}


def directed(model: Pipeline, path: Path) -> tuple[list[dict[str, Any]], np.ndarray, np.ndarray, np.ndarray]:
    """Predict both directed rows of every Park line; return the rows, the forward and backward stance
    distributions (support, oppose, neutral) and the 5-class truth."""
    rows = [row for _, row, error in park2021_rows(path) if not error]
    scores = stance_scores(model, [(r["text"], r["source"], r["target"]) for r in rows])
    truth = np.array([park_label(rows[i]["stance"], rows[i + 1]["stance"]) for i in range(0, len(rows), 2)])
    return rows, scores[0::2], scores[1::2], truth


def five_class(forward: np.ndarray, backward: np.ndarray) -> np.ndarray:
    """Joint scores of Park's classes (neutral, p->q positive, q->p positive, p->q negative, q->p negative)."""
    return np.stack([forward[:, 2] * backward[:, 2], forward[:, 0] * backward[:, 2], forward[:, 2] * backward[:, 0],
                     forward[:, 1] * backward[:, 2], forward[:, 2] * backward[:, 1]], axis=1)


def tune_weights(scores: np.ndarray, truth: np.ndarray, low: float = 0.2, high: float = 8) -> np.ndarray:
    """Per-class multipliers of the scores that maximise macro-F1, by coordinate ascent on a grid from low to high.

    Macro-F1 over Park's five classes weighs the rare q->p classes (2% and 3% of lines) like the others, which the
    argmax of probabilities fitted for accuracy does not; the multipliers are chosen on a validation or dev split
    (Park's joint 5-class scores; NewsMTSC's three stances, on a narrower grid).
    """
    weights, grid = np.ones(scores.shape[1]), np.exp(np.linspace(np.log(low), np.log(high), 25))
    for _ in range(3):
        for k in range(1, scores.shape[1]):
            def score(g: float, k: int = k) -> float:
                return f1_score(truth, (scores * np.where(np.arange(len(weights)) == k, g, weights)).argmax(1),
                                average="macro")
            weights[k] = max(grid, key=score)
    return weights


def park(root: Path, results: dict[str, Any]) -> Pipeline:
    folder = root / "park2021"
    empty = Gazetteer([])
    model = fit(load([folder / "train.txt"], empty, "park2021"), empty, **OPTIONS["park2021"])
    rows, forward, backward, truth = directed(model, folder / "test.txt")
    guessed = [label for pair in zip(stance_labels(forward), stance_labels(backward), strict=True) for label in pair]
    results["park2021 directed 3-class macro-F1"] = macro_f1([r["stance"] for r in rows], guessed)
    scores = five_class(forward, backward)
    # With equal weights the joint argmax is the plain rule: each direction's label, the more confident winning.
    results["park2021 5-class macro-F1, equal weights"] = macro_f1(truth, scores.argmax(1))
    _, valid_forward, valid_backward, valid_truth = directed(model, folder / "valid.txt")
    weights = tune_weights(five_class(valid_forward, valid_backward), valid_truth)
    results["park2021 5-class macro-F1"] = macro_f1(truth, (scores * weights).argmax(1))
    results["park2021 5-class macro-F1"]["weights"] = [round(float(w), 2) for w in weights]
    return model


def newsmtsc(root: Path, results: dict[str, Any]) -> None:
    folder = root / "newsmtsc"
    empty = Gazetteer([])
    model = fit(load([folder / "NewsMTSC-dataset" / "train.jsonl"], empty, "newsmtsc"), empty, **OPTIONS["newsmtsc"])
    # Class multipliers (the same for both test sets), chosen on the paper's two dev splits together: macro-F1
    # weighs the classes alike, and the probabilities are fitted to train's proportions.
    dev = [s for name in ("rw", "mt") for s in load([folder / f"newsmtsc-{name}" / "dev.jsonl"], empty, "newsmtsc")]
    truth = np.array([STANCES.index(s.stance) for s in dev])
    weights = tune_weights(stance_scores(model, [s.dyad for s in dev]), truth, low=1 / 3, high=3)
    for name in ("rw", "mt"):
        test = load([folder / f"newsmtsc-{name}" / "test.jsonl"], empty, "newsmtsc")
        predicted = stance_labels(stance_scores(model, [s.dyad for s in test]) * weights)
        results[f"newsmtsc test-{name} macro-F1"] = macro_f1([s.stance for s in test], predicted)
        results[f"newsmtsc test-{name} macro-F1"]["weights"] = [round(float(w), 2) for w in weights]


def seesaw_rows(folder: Path, train: list[Statement], test: list[Statement]) -> tuple[list[Any], list[Any]]:
    """SEESAW rows with their entity-knowledge tags: ideologies from the training stories' annotations, applied
    by name (each training row's without its own story), and the outlet's bias (stancemap.knowledge)."""
    entities = seesaw_entities(folder)
    everyone, without = ideology_bases(seesaw_ideology_votes(folder, "train"))
    return ([(*s.dyad, knowledge_tags(entities[s.id], without[entities[s.id].story])) for s in train],
            [(*s.dyad, knowledge_tags(entities[s.id], everyone)) for s in test])


def seesaw(root: Path, results: dict[str, Any]) -> None:
    folder = root / "seesaw"
    empty = Gazetteer([])
    train, test = load([folder], empty, "seesaw", "train"), load([folder], empty, "seesaw", "test")
    if OPTIONS["seesaw"].get("tags"):
        train_rows, test_rows = seesaw_rows(folder, train, test)
    else:
        train_rows, test_rows = [s.dyad for s in train], [s.dyad for s in test]
    model = stance_pipeline(empty, **OPTIONS["seesaw"]).fit(train_rows, [s.stance for s in train])
    predicted = stance_labels(stance_scores(model, test_rows))
    results["seesaw macro-F1 POS/NEG"] = macro_f1([s.stance for s in test], predicted, ["support", "oppose"])


def corpus(root: Path, results: dict[str, Any], *, side: Executor, jobs: int = 1, no_masking: bool = False) -> None:
    gazetteer = Gazetteer.load()
    statements = load(default_data_files(), gazetteer, None)
    park_test = root / "park2021" / "test.txt"
    # The cross-domain model is one more fit on the whole corpus: in the side process, beside the cross-validation.
    crossing = side.submit(cross_domain, statements, gazetteer, park_test) if park_test.is_file() else None
    report = cross_validate(statements, gazetteer, folds=5, n_jobs=jobs, no_masking=no_masking, progress=say)
    model = report["stance"]["model"]
    results["corpus CV stance macro-F1"] = {"macro_f1": 100 * model["macro_f1"],
                                            "accuracy": 100 * model["accuracy"], "n": model["n"]}
    for lang, entry in model["by_language"].items():
        results[f"corpus CV stance macro-F1 [{lang}]"] = {"macro_f1": 100 * entry["macro_f1"],
                                                          "accuracy": 100 * entry["accuracy"], "n": entry["n"]}
    if no_masking:
        ablation = report["stance"]["no_masking"]
        results["corpus CV no-masking baseline"] = {"macro_f1": 100 * ablation["macro_f1"],
                                                    "accuracy": 100 * ablation["accuracy"], "n": ablation["n"]}
    if report["sentiment"]:
        sentiment = report["sentiment"]["model"]
        results["corpus CV sentiment macro-F1"] = {"macro_f1": 100 * sentiment["macro_f1"],
                                                   "accuracy": 100 * sentiment["accuracy"], "n": sentiment["n"]}
    if crossing is not None:
        say("cross-domain: waiting for the model fitted on the bundled corpus")
        results["cross-domain: corpus model on park2021 test, 3-class"] = crossing.result()


def cross_domain(statements: list[Statement], gazetteer: Gazetteer, park_test: Path) -> dict[str, float]:
    """Fit the stance pipeline on the bundled corpus and score it on Park's test set as directed 3-class stance."""
    ours = StanceModel({"stance": fit(statements, gazetteer), "sentiment": None}, {"version": "bench"})
    rows = [row for _, row, error in park2021_rows(park_test) if not error]
    predicted = [p["stance"]["label"] for p in ours.predict([(r["text"], r["source"], r["target"]) for r in rows])]
    return macro_f1([r["stance"] for r in rows], predicted)


BENCHMARKS = {"park2021": park, "newsmtsc": newsmtsc, "seesaw": seesaw, "corpus": corpus}


def one_blas_thread() -> None:
    """Start the side process with one BLAS thread: it shares the machine with the corpus's fold processes."""
    threadpool_limits(limits=1)


def timed(benchmark: Callable[[Path, dict[str, Any]], Any], root: Path) -> tuple[dict[str, Any], float]:
    """Run one public benchmark; return its results and seconds."""
    results: dict[str, Any] = {}
    started = time.perf_counter()
    benchmark(root, results)
    return results, time.perf_counter() - started


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--datasets", type=Path, default=ROOT.parent / "shared" / "datasets")
    parser.add_argument("--only", default=",".join(BENCHMARKS),
                        help="comma-separated subset of " + ", ".join(BENCHMARKS))
    parser.add_argument("--jobs", type=int, default=2,
                        help="processes that fit the corpus's cross-validation folds (default: 2, the benchmark "
                             "machine's cores)")
    parser.add_argument("--no-masking", action="store_true",
                        help="also cross-validate the corpus pipeline on unmasked text (what masking buys)")
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    parts: dict[str, dict[str, Any]] = {}
    timings: dict[str, float] = {}
    names = args.only.split(",")
    found = [name for name in names if name == "corpus" or (args.datasets / name).is_dir()]
    for name in names:
        if name not in found:
            say(f"{name}: not found under {args.datasets}, skipped")
    # The public sets each fit on one core, one after another, in a side process; the corpus's cross-validation
    # keeps --jobs processes busy meanwhile. Run in turn, they left a core idle for two minutes.
    with ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"),
                             initializer=one_blas_thread) as side:
        public = {name: side.submit(timed, BENCHMARKS[name], args.datasets) for name in found if name != "corpus"}
        say("training and scoring, in a side process: " + (", ".join(public) or "nothing"))
        if "corpus" in found:
            say("corpus: cross-validating")
            parts["corpus"] = {}
            corpus(args.datasets, parts["corpus"], side=side, jobs=args.jobs, no_masking=args.no_masking)
            timings["corpus"] = time.perf_counter() - started
        for name, future in public.items():
            parts[name], timings[name] = future.result()
    results = {key: value for name in names if name in parts for key, value in parts[name].items()}
    timings = {name: timings[name] for name in names if name in timings}
    print(f"{'benchmark':<56}{'n':>7}{'macro-F1':>10}{'acc':>7}{'target':>8}  reference")
    print("-" * 130)
    for key, value in results.items():
        target = TARGETS.get(key)
        print(f"{key:<56}{value['n']:>7}{value['macro_f1']:>10.1f}{value['accuracy']:>7.1f}"
              f"{(str(target) if target else '-'):>8}  {REFERENCE.get(key, '')}")
    print("\noptions: " + "; ".join(f"{k} {v or 'default'}" for k, v in OPTIONS.items() if k in timings))
    wall = time.perf_counter() - started
    print("seconds: " + ", ".join(f"{k} {v:.0f}" for k, v in timings.items()) + f"; whole run {wall:.0f} "
          "(the public sets in a side process, beside the corpus)")
    if args.json:
        args.json.write_text(json.dumps({"results": results, "seconds": {**timings, "whole run": wall}}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
