"""``stancemap-analyze FILE|-``: an article's stance graph, in-process or from a running service."""

from __future__ import annotations

import argparse
import json
import os
import sys
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from stancemap.article import analyze
from stancemap.errors import StancemapError
from stancemap.runtime import StanceModel


def parser() -> argparse.ArgumentParser:
    """Build the command-line parser."""
    p = argparse.ArgumentParser(prog="stancemap-analyze", description=__doc__)
    p.add_argument("file", help="the article, a UTF-8 text file, or - for standard input")
    p.add_argument("--json", action="store_true", help="print the API's JSON instead of tables")
    p.add_argument("--url", help="call the service at this URL (http://127.0.0.1:8000) instead of loading a model")
    p.add_argument("--model", type=Path, default=Path("models"),
                   help="models folder or version folder (default: models)")
    p.add_argument("--lang", choices=("en", "fr", "de", "es"), help="the article's language (default: guessed)")
    p.add_argument("--min-confidence", type=float, default=0.0, help="leave weaker dyads out of the graph")
    p.add_argument("--include-neutral", action="store_true", help="draw neutral edges too")
    return p


def remote(url: str, body: dict[str, Any]) -> dict[str, Any]:
    """POST the article to a running service's /v1/analyze."""
    request = urllib.request.Request(url.rstrip("/") + "/v1/analyze", data=json.dumps(body).encode(),
                                     headers={"Content-Type": "application/json"}, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=120) as response:
            return json.load(response)
    except urllib.error.HTTPError as exc:
        problem = json.load(exc)
        raise StancemapError(f"{problem.get('title')}: {problem.get('detail')}", problem.get("errors")) from exc
    except urllib.error.URLError as exc:
        raise StancemapError(f"cannot reach {url}: {exc.reason}") from exc


def tables(result: dict[str, Any]) -> str:
    """Render the edges and the dyads as plain-text tables."""
    names = {node["id"]: node["name"] for node in result["graph"]["nodes"]}
    width = max([len(name) for name in names.values()] + [6])
    lines = [f"model {result['model_version']}, {len(result['sentences'])} sentences, language {result['lang']}", "",
             f"{'source':<{width}}  {'target':<{width}}  {'stance':<8}{'weight':>7}{'count':>6}  sentences"]
    for e in result["graph"]["edges"]:
        lines.append(f"{names[e['source']]:<{width}}  {names[e['target']]:<{width}}  {e['stance']:<8}"
                     f"{e['weight']:>7.2f}{e['count']:>6}  {', '.join(str(i + 1) for i in e['sentences'])}")
    if not result["graph"]["edges"]:
        lines.append("(no edges)")
    lines += ["", f"{'#':>3}  {'source':<{width}}  {'target':<{width}}  {'stance':<8}{'conf.':>6}  sentiment"]
    for d in result["dyads"]:
        label = d["stance"]["label"]
        lines.append(f"{d['sentence'] + 1:>3}  {names[d['source']]:<{width}}  {names[d['target']]:<{width}}  "
                     f"{label:<8}{d['stance']['scores'][label]:>6.2f}  {(d['sentiment'] or {}).get('label', '-')}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Run the command."""
    args = parser().parse_args(argv)
    try:
        text = sys.stdin.read() if args.file == "-" else Path(args.file).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        print(f"error: cannot read {args.file}: {exc}", file=sys.stderr)
        return 2
    options = {"lang": args.lang, "min_confidence": args.min_confidence, "include_neutral": args.include_neutral}
    try:
        if args.url:
            result = remote(args.url, {"text": text, **{k: v for k, v in options.items() if v is not None}})
        else:
            result = analyze(text, StanceModel.load(args.model), **options)
    except StancemapError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        return 2
    try:
        print(json.dumps(result, ensure_ascii=False, indent=2) if args.json else tables(result), flush=True)
    except BrokenPipeError:
        # The reader (head, less) stopped reading: not an error; keep Python from complaining at exit.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
