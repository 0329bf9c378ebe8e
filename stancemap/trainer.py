"""Train a model version: load and check the data, cross-validate, fit on everything, write it beside its card."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from joblib import Parallel, delayed
from sklearn.pipeline import Pipeline

from stancemap import __version__
from stancemap.artifacts import sha256_file, write_version
from stancemap.errors import DataError
from stancemap.evaluation import cross_validate, format_report, sentiment_rows
from stancemap.fastpath import FastHead
from stancemap.gazetteer import Gazetteer
from stancemap.paths import data_dir
from stancemap.pipelines import (
    SENTIMENT_MIN_TEXTS,
    STANCE_MIN_ROWS,
    fit_one_thread,
    sentiment_pipeline,
    stance_pipeline,
)
from stancemap.schema import SENTIMENTS, STANCES, Statement, actor_key

# How scikit-learn's vectorizers say that the data left them no words (after min_df pruning, or none at all).
_NO_VOCABULARY = ("After pruning, no terms remain", "empty vocabulary")


@contextmanager
def _words_needed() -> Iterator[None]:
    """Turn a vectorizer's empty-vocabulary error into a DataError that says what the data lacks."""
    try:
        yield
    except ValueError as exc:
        if not str(exc).startswith(_NO_VOCABULARY):
            raise
        raise DataError(f"the labelled texts share too few words to learn from: a word is kept when it is in "
                        f"{STANCE_MIN_ROWS} rows (stance) or {SENTIMENT_MIN_TEXTS} texts (sentiment), and in "
                        f"every cross-validation fold's training part; add labelled statements") from exc


def fit_heads(statements: Sequence[Statement], gazetteer: Gazetteer, *, C: float = 10.0, seed: int = 0,
              n_jobs: int = 1, progress: Callable[[str], None] = lambda message: None,
              ) -> tuple[Pipeline, Pipeline | None]:
    """Fit the stance head on every row and the sentiment head on one row per text (None without two labels).

    With ``n_jobs`` of 2 or more the two heads are fitted side by side, in two processes.
    """
    rows = sentiment_rows(statements)
    jobs = [(stance_pipeline(gazetteer, C=C, seed=seed), [s.dyad for s in statements], [s.stance for s in statements])]
    progress(f"fitting the stance model on {len(statements)} rows")
    if len({s.sentiment for s in rows}) >= 2:
        jobs.append((sentiment_pipeline(gazetteer, C=C, seed=seed), [s.dyad for s in rows],
                     [s.sentiment for s in rows]))
        progress(f"fitting the sentiment model on {len(rows)} texts")
    fitted = Parallel(n_jobs=min(n_jobs, len(jobs)))(delayed(fit_one_thread)(*job) for job in jobs)
    return fitted[0], fitted[1] if len(fitted) > 1 else None


def default_data_files() -> list[Path]:
    """Return the bundled corpus files."""
    return sorted((data_dir() / "corpus").glob("*.jsonl"))


def summarize(statements: Sequence[Statement], gazetteer: Gazetteer) -> dict[str, Any]:
    """Describe a training set: rows, distinct texts, labels, languages and actors."""
    actors = {actor_key(gazetteer, name) for s in statements for name in (s.source, s.target)}
    return {
        "rows": len(statements),
        "texts": len({s.group for s in statements}),
        "stance": dict(Counter(s.stance for s in statements)),
        "sentiment": dict(Counter(s.sentiment for s in sentiment_rows(statements))),
        "languages": dict(Counter(s.lang or "?" for s in statements)),
        "actors": len(actors),
    }


def model_card(manifest: dict[str, Any], metrics: dict[str, Any]) -> str:
    """Write the model card: what the model is for, what it was trained on, how well it does, where it fails."""
    summary = manifest["training_data"]
    files = "\n".join(f"- `{f['path']}` (sha256 {f['sha256'][:12]}...)" for f in manifest["data_files"])
    table = format_report(metrics) if metrics.get("stance") else "(cross-validation was skipped)"
    sentiment_folds = (f" ({metrics['sentiment_folds']} folds for sentiment, whose rarest label has as many texts)"
                       if "sentiment_folds" in metrics else "")
    return f"""# Stancemap model {manifest['version']}

## Intended use
Classifies the stance a **source** actor takes toward a **target** actor in one statement of international-
politics news (support / oppose / neutral), and the sentiment of the statement as a whole (positive / negative /
neutral), in French and English. Meant for aggregate analysis (who stands where toward whom across many
articles), with each prediction's evidence available for checking; not for judging a single statement unseen.

## Training data
{summary['rows']} labelled pairs from {summary['texts']} distinct texts, {summary['actors']} actors.
Stance: {summary['stance']}. Sentiment (one per text): {summary['sentiment']}. Languages: {summary['languages']}.

{files}

## Cross-validated metrics
Grouped {metrics.get('folds', '-')}-fold cross-validation{sentiment_folds}: rows that share a text never fall on
both sides.
Baseline: `majority` always answers the commonest label.

```
{table}
```

## Limits
- A TF-IDF linear model: it reads words and short phrases, not syntax. Long sentences with several actors,
  irony, and stance expressed across sentences are where it errs most.
- Actors it does not know (not in the gazetteer and not spelled as in the text) are reported `found: false`;
  the stance is then a guess from the wording alone.
- Trained on statements written by the Stancemap team; accuracy on other sources, registers and languages is
  lower than the cross-validated figures.

Built with stancemap {__version__}, scikit-learn {manifest['libraries']['scikit-learn']}.
"""


def train(
    statements: Sequence[Statement],
    gazetteer: Gazetteer,
    out: str | Path,
    *,
    data_files: Sequence[Path] = (),
    folds: int = 5,
    seed: int = 0,
    C: float = 10.0,
    n_jobs: int = 1,
    progress: Callable[[str], None] = lambda message: None,
) -> tuple[Path, dict[str, Any]]:
    """Cross-validate, fit on all statements, and write a new model version into ``out``.

    ``n_jobs`` processes fit the cross-validation folds, then the two heads, side by side; one (the default)
    leaves the other cores to a service that keeps serving while it retrains.

    Returns
    -------
    folder : Path
        The new version's folder (``out/current`` now points at it).
    metrics : dict
        The cross-validation report (empty when ``folds`` is 0).
    """
    if len({s.stance for s in statements}) < 2:
        raise DataError("training needs at least two stance labels")
    if len(statements) < STANCE_MIN_ROWS:
        # Fewer rows than a stance word must be seen in would leave the stance head no vocabulary.
        raise DataError(f"training needs at least {STANCE_MIN_ROWS} labelled rows, not {len(statements)}")
    with _words_needed():
        metrics = cross_validate(statements, gazetteer, folds=folds, seed=seed, params={"C": C}, n_jobs=n_jobs,
                                 progress=progress) if folds >= 2 else {}
        stance, sentiment = fit_heads(statements, gazetteer, C=C, seed=seed, n_jobs=n_jobs, progress=progress)
    manifest = {
        "stancemap": __version__,
        "labels": {"stance": [label for label in STANCES if label in set(stance.classes_)],
                   "sentiment": [label for label in SENTIMENTS if sentiment and label in set(sentiment.classes_)]},
        "parameters": {"C": C, "seed": seed, "folds": folds,
                       "classifier": f"LogisticRegression ({stance[-1].solver}, tol {stance[-1].tol:g})",
                       "class_weight": {"stance": stance[-1].class_weight,
                                        "sentiment": sentiment[-1].class_weight if sentiment else None},
                       "features": "role-masked word 1-3-grams with negation scope, char_wb 2-5-grams, "
                                   "source/target context"},
        "training_data": summarize(statements, gazetteer),
        "data_files": [{"path": _display(path), "sha256": sha256_file(Path(path))} for path in data_files],
        "gazetteer": {"actors": len(gazetteer), "sha256": gazetteer.sha256},
    }
    progress("writing the model version")
    # The heads are compiled once here, so that the service loads them without scikit-learn.
    serving = {"stance": FastHead(stance), "sentiment": FastHead(sentiment) if sentiment is not None else None}
    folder = write_version(out, {"stance": stance, "sentiment": sentiment}, manifest, metrics,
                           lambda full: model_card(full, metrics), serving=serving)
    return folder, metrics


def _display(path: Path | str) -> str:
    # Paths inside the repository are written relative to it, so no machine path ends up in a manifest.
    path = Path(path).resolve()
    root = data_dir().resolve().parent
    return str(path.relative_to(root)) if path.is_relative_to(root) else path.name
