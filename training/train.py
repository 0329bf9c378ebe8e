"""``stancemap-train``: train a stance and sentiment model version from labelled files."""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

from stancemap.errors import DataError
from stancemap.trainer import default_data_files, train
from training.common import add_data_options, load_gazetteer, load_or_exit, say


def parser() -> argparse.ArgumentParser:
    """Build the command-line parser."""
    p = argparse.ArgumentParser(prog="stancemap-train", description=__doc__)
    p.add_argument("--data", action="append", type=Path, metavar="FILE", help=(
                   "a labelled .jsonl or .csv file (repeatable; default: the bundled corpus, data/corpus/*.jsonl)"))
    p.add_argument("--out", type=Path, default=Path("models"), metavar="DIR",
                   help="models folder: the new version goes in DIR/<version> and DIR/current points at it "
                        "(default: models)")
    p.add_argument("--gazetteer", default=None, metavar="FILE",
                   help="actor gazetteer (default: data/actors.toml); 'none' matches actors as phrases only")
    add_data_options(p)
    p.add_argument("--folds", type=int, default=5, help="cross-validation folds; 0 skips cross-validation (default: 5)")
    p.add_argument("--jobs", type=_positive, default=1, metavar="N",
                   help="processes that fit the cross-validation folds and the two heads side by side (default: 1, "
                        "which leaves the other cores to a service retrained beside it)")
    p.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    p.add_argument("--C", type=float, default=10.0, help="inverse regularisation strength (default: 10)")
    p.add_argument("--json", action="store_true", help="print the metrics as JSON instead of a table")
    return p


def _positive(value: str) -> int:
    number = int(value)
    if number < 1:
        raise argparse.ArgumentTypeError(f"must be 1 or more, not {number}")
    return number


def cannot_write(out: Path, exc: OSError) -> int:
    """Say why the models folder could not be written (a full disk, no permission) and return the exit status."""
    # The version is written aside and only then made current, so a failure leaves the folder as it was.
    say(f"stancemap-train: cannot write the model to {out}: {exc.strerror or exc}"
        f"{f' ({exc.filename})' if exc.filename and Path(exc.filename) != out else ''}; {out}/current is unchanged")
    return 1


def main(argv: list[str] | None = None) -> int:
    """Run the command."""
    args = parser().parse_args(argv)
    gazetteer = load_gazetteer(args.gazetteer)
    files = args.data or default_data_files()
    statements = load_or_exit(files, gazetteer, require_stance=True, skip_invalid=args.skip_invalid,
                              fmt=args.format, split=args.split)
    try:
        # Fail before minutes of training, not after, when the models folder cannot be written (bad data has
        # been refused by now, so no folder is made for a run that stops there).
        args.out.mkdir(parents=True, exist_ok=True)
        tempfile.TemporaryFile(dir=args.out).close()
    except OSError as exc:
        return cannot_write(args.out, exc)
    try:
        folder, metrics = train(statements, gazetteer, args.out, data_files=files, folds=args.folds,
                                seed=args.seed, C=args.C, n_jobs=args.jobs, progress=say)
    except OSError as exc:
        return cannot_write(args.out, exc)
    except DataError as exc:  # too little to learn from: one stance label, too few rows or shared words
        say(f"stancemap-train: {exc.message}; no model version was written")
        return 2
    except KeyboardInterrupt:
        say(f"stancemap-train: interrupted; no model version was written and {args.out}/current is unchanged")
        return 130
    say(f"model version {folder.name} written to {folder} and made current")
    if args.json:
        print(json.dumps({"version": folder.name, "metrics": metrics}, indent=2))
    else:
        print((folder / "MODEL_CARD.md").read_text(encoding="utf-8").split("```")[1].strip("\n"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
