"""``stancemap-evaluate``: score a trained model on any labelled file."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from stancemap.errors import StancemapError
from stancemap.evaluation import format_report, score_by_language, sentiment_rows
from stancemap.runtime import StanceModel
from stancemap.schema import SENTIMENTS, STANCES
from training.common import add_data_options, load_or_exit, say


def parser() -> argparse.ArgumentParser:
    """Build the command-line parser."""
    p = argparse.ArgumentParser(prog="stancemap-evaluate", description=__doc__)
    p.add_argument("--data", action="append", type=Path, required=True, metavar="FILE",
                   help="a labelled .jsonl or .csv file (repeatable)")
    p.add_argument("--model", type=Path, default=Path("models"), metavar="DIR",
                   help="a models folder (its current version is used) or one version folder (default: models)")
    add_data_options(p)
    p.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    return p


def main(argv: list[str] | None = None) -> int:
    """Run the command."""
    args = parser().parse_args(argv)
    try:
        model = StanceModel.load(args.model)
    except StancemapError as exc:
        say(f"error: {exc.message}")
        return 2
    statements = load_or_exit(args.data, model.gazetteer, require_stance=True, skip_invalid=args.skip_invalid,
                              fmt=args.format, split=args.split)
    predictions = model.predict([s.dyad for s in statements])
    report = {
        "n": len(statements),
        "model_version": model.version,
        "stance": score_by_language(statements, [s.stance for s in statements],
                                    [p["stance"]["label"] for p in predictions], STANCES),
    }
    rows = sentiment_rows(statements)
    if rows and model.sentiment is not None:
        sentiments = model.predict([s.dyad for s in rows])
        report["sentiment"] = score_by_language(rows, [s.sentiment for s in rows],
                                                [p["sentiment"]["label"] for p in sentiments], SENTIMENTS)
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        print(f"model {model.version} on {report['n']} rows")
        print(format_report({task: {"model": report[task]} for task in ("stance", "sentiment") if task in report}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
