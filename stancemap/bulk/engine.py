"""Run a bulk job: fixed partitions of articles, each analysed once, written atomically and recorded in a ledger.

The same partition function runs on every engine (in-process, a local process pool, Dask workers), so the dyad
files do not depend on the engine, the number of processes, or whether the job was interrupted and resumed.

Output folder::

    job.json                  what the job is (inputs' hashes, model, partition size): a rerun must match it
    ledger.jsonl              one line per finished partition, appended after its files are in place
    dyads/part-000000.parquet the dyads of partition 0 (and part-000000.jsonl with --jsonl)
    rejects.jsonl             every refused record, with file, line, field and reason
    graph-week.parquet        the stance graph per period (see ``stancemap.bulk.aggregate``)
    summary.json              counts, rates and peak memory of the last run
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import resource
import signal
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor
from concurrent.futures import wait as wait_futures
from dataclasses import asdict, dataclass, field
from multiprocessing import get_context
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from stancemap.article import analyze
from stancemap.artifacts import read_manifest, read_metrics, serving_file, verify, version_dir
from stancemap.bulk.records import Article, Reject, check_inputs, fingerprint_inputs, read_articles
from stancemap.errors import DataError
from stancemap.runtime import StanceModel

JOB_FORMAT = 1
DEFAULT_PARTITION_SIZE = 1000
ENGINES = ("local", "dask")

DYAD_SCHEMA = pa.schema([
    ("article_id", pa.string()),
    ("date", pa.string()),
    ("outlet", pa.string()),
    ("lang", pa.string()),
    ("sentence", pa.int32()),
    ("source", pa.string()),
    ("target", pa.string()),
    ("stance", pa.string()),
    ("stance_support", pa.float64()),
    ("stance_oppose", pa.float64()),
    ("stance_neutral", pa.float64()),
    ("sentiment", pa.string()),
    ("sentiment_positive", pa.float64()),
    ("sentiment_negative", pa.float64()),
    ("sentiment_neutral", pa.float64()),
    ("evidence", pa.list_(pa.struct([("feature", pa.string()), ("weight", pa.float64())]))),
    ("model_version", pa.string()),
])


# --- the work on one partition, the same on every engine ---------------------------------------------------------

def analyze_partition(model: StanceModel, articles: list[Article]) -> pa.Table:
    """Analyse every article of a partition with :func:`stancemap.article.analyze`; one row per dyad."""
    rows: dict[str, list[Any]] = {name: [] for name in DYAD_SCHEMA.names}
    for article in articles:
        result = analyze(article.text, model, lang=article.lang)
        for dyad in result["dyads"]:
            stance, sentiment = dyad["stance"], dyad["sentiment"] or {"label": None, "scores": {}}
            values = {
                "article_id": article.id, "date": article.date, "outlet": article.outlet, "lang": result["lang"],
                "sentence": dyad["sentence"], "source": dyad["source"], "target": dyad["target"],
                "stance": stance["label"], "stance_support": stance["scores"].get("support"),
                "stance_oppose": stance["scores"].get("oppose"), "stance_neutral": stance["scores"].get("neutral"),
                "sentiment": sentiment["label"], "sentiment_positive": sentiment["scores"].get("positive"),
                "sentiment_negative": sentiment["scores"].get("negative"),
                "sentiment_neutral": sentiment["scores"].get("neutral"),
                "evidence": dyad["evidence"], "model_version": result["model_version"],
            }
            for name, value in values.items():
                rows[name].append(value)
    return pa.Table.from_pydict(rows, schema=DYAD_SCHEMA)


def encode_partition(table: pa.Table, jsonl: bool) -> tuple[bytes, bytes | None]:
    """Serialise a partition's dyads: Parquet bytes (and JSONL bytes), byte-stable for the same rows."""
    buffer = io.BytesIO()
    # No pandas metadata and a fixed schema: the bytes depend only on the rows and the pyarrow version.
    pq.write_table(table, buffer, compression="zstd")
    lines = None
    if jsonl:
        lines = "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in table.to_pylist()).encode()
    return buffer.getvalue(), lines


@dataclass
class PartResult:
    """What a worker sends back for one partition: its files' bytes and counts."""

    index: int
    parquet: bytes
    jsonl: bytes | None
    articles: int
    dyads: int


def run_partition(model: StanceModel, index: int, articles: list[Article], jsonl: bool) -> PartResult:
    """Analyse and encode one partition."""
    table = analyze_partition(model, articles)
    parquet, lines = encode_partition(table, jsonl)
    return PartResult(index, parquet, lines, len(articles), table.num_rows)


# --- the local engine: a process pool, one model load per worker process ------------------------------------------

_WORKER_MODEL: StanceModel | None = None


def _init_local_worker(model_path: str) -> None:
    """Load the model once in each pool process; the driver alone answers Ctrl-C."""
    global _WORKER_MODEL
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _WORKER_MODEL = StanceModel.load(model_path)


def _local_task(index: int, articles: list[Article], jsonl: bool) -> PartResult:
    assert _WORKER_MODEL is not None, "the pool initializer loads the model"
    return run_partition(_WORKER_MODEL, index, articles, jsonl)


def peak_rss_mb() -> float:
    """Return this process's peak resident memory, in MB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class _InlineRunner:
    """One process: the partitions run in the driver, with the model loaded once."""

    def __init__(self, model_path: Path):
        self.model = StanceModel.load(model_path)
        self.workers = 1

    def submit(self, index: int, articles: list[Article], jsonl: bool) -> Future:
        future: Future = Future()
        future.set_result(run_partition(self.model, index, articles, jsonl))
        return future

    def wait(self, pending: set[Future]) -> tuple[set[Future], set[Future]]:
        return set(pending), set()

    def worker_rss_mb(self) -> dict[str, float]:
        return {}

    def close(self, abort: bool = False) -> None:
        pass


class _PoolRunner:
    """A local process pool of ``workers`` processes, each loading the verified model once."""

    def __init__(self, model_path: Path, workers: int):
        self.workers = workers
        # spawn, not fork: the driver may already run threads (the progress bar's), which fork does not copy safely.
        self.pool = ProcessPoolExecutor(workers, mp_context=get_context("spawn"), initializer=_init_local_worker,
                                        initargs=(str(model_path),))

    def submit(self, index: int, articles: list[Article], jsonl: bool) -> Future:
        return self.pool.submit(_local_task, index, articles, jsonl)

    def wait(self, pending: set[Future]) -> tuple[set[Future], set[Future]]:
        done, rest = wait_futures(pending, return_when=FIRST_COMPLETED)
        return done, rest

    def worker_rss_mb(self) -> dict[str, float]:
        # Children's peak is known once they have exited: read after close().
        return {}

    def close(self, abort: bool = False) -> None:
        if abort:
            # Interrupted: the partitions in progress will run again on the rerun, so waiting for them (up to a
            # partition's time) would only delay the exit. The executor offers no public way to stop its workers.
            for process in list(getattr(self.pool, "_processes", {}).values()):
                process.terminate()
        self.pool.shutdown(wait=True, cancel_futures=True)


def children_peak_rss_mb() -> float:
    """Return the largest peak resident memory of the finished child processes, in MB."""
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


# --- the job: identity, ledger, driver loop -----------------------------------------------------------------------

@dataclass
class Summary:
    """What a run did: counts, time, rates, peak memory."""

    engine: str
    workers: int
    articles: int = 0
    rejects: int = 0
    partitions: int = 0
    partitions_resumed: int = 0
    articles_resumed: int = 0
    articles_analysed: int = 0
    dyads: int = 0
    dyads_analysed: int = 0
    seconds: float = 0.0
    articles_per_s: float = 0.0
    dyads_per_s: float = 0.0
    peak_rss_mb: dict[str, float] = field(default_factory=dict)
    model_version: str = ""


def _write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file and a rename: a reader never sees half a file."""
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    with tmp.open("wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)


def job_identity(paths: list[Path], model_path: Path, partition_size: int, jsonl: bool) -> tuple[dict[str, Any], int]:
    """Describe the job (what must be equal for a rerun to continue it) and count the input's records roughly."""
    folder = version_dir(model_path)
    manifest = read_manifest(folder)
    inputs, records = fingerprint_inputs(paths)
    identity = {"format": JOB_FORMAT, "inputs": inputs, "model_version": manifest["version"],
                "model_sha256": manifest["artifact"]["sha256"], "partition_size": partition_size, "jsonl": jsonl}
    return identity, records


def claim_output(out: Path, identity: dict[str, Any]) -> None:
    """Create ``out`` for this job, or check that the job it holds is this one (then the run continues it)."""
    out.mkdir(parents=True, exist_ok=True)
    job = out / "job.json"
    if job.is_file():
        try:
            held = json.loads(job.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            raise DataError(f"{job}: cannot read the job description: {exc}") from exc
        if held != identity:
            differs = sorted(k for k in set(held) | set(identity) if held.get(k) != identity.get(k))
            raise DataError(f"{out} holds another job (different {', '.join(differs)}): choose another --out, "
                            "or remove that folder to start over")
    elif any(out.iterdir()):
        raise DataError(f"{out} is not empty and holds no stancemap-batch job: choose another --out")
    else:
        _write_atomic(job, (json.dumps(identity, indent=2) + "\n").encode())
    (out / "dyads").mkdir(exist_ok=True)
    # Temporary files of a run killed while writing are never part of the output.
    for stale in [*out.glob(".*.tmp-*"), *(out / "dyads").glob(".*.tmp-*")]:
        stale.unlink(missing_ok=True)


def read_ledger(out: Path) -> dict[int, dict[str, Any]]:
    """Return the finished partitions recorded in the ledger whose files are in place.

    A line torn by a crash mid-append is ignored, and so is an entry whose Parquet file is missing or differs
    from the hash recorded: those partitions run again.
    """
    ledger = out / "ledger.jsonl"
    done: dict[int, dict[str, Any]] = {}
    if not ledger.is_file():
        return done
    for line in ledger.read_text(encoding="utf-8").splitlines():
        try:
            entry = json.loads(line)
            index = int(entry["partition"])
        except (json.JSONDecodeError, KeyError, TypeError, ValueError):
            continue
        part = part_path(out, index)
        if part.is_file() and hashlib.sha256(part.read_bytes()).hexdigest() == entry.get("sha256"):
            done[index] = entry
    return done


def part_path(out: Path, index: int, suffix: str = ".parquet") -> Path:
    """Return the file of partition ``index``."""
    return out / "dyads" / f"part-{index:06d}{suffix}"


def partitions(articles: Iterable[Article | Reject], size: int, on_reject: Callable[[Reject], None]
               ) -> Iterator[tuple[int, list[Article]]]:
    """Cut the valid articles, in input order, into partitions of ``size``; rejects go to ``on_reject``."""
    batch: list[Article] = []
    index = 0
    for item in articles:
        if isinstance(item, Reject):
            on_reject(item)
            continue
        batch.append(item)
        if len(batch) == size:
            yield index, batch
            index, batch = index + 1, []
    if batch:
        yield index, batch


def _record(out: Path, result: PartResult) -> dict[str, Any]:
    """Put a finished partition's files in place, then append it to the ledger (in that order: see read_ledger)."""
    if result.jsonl is not None:
        _write_atomic(part_path(out, result.index, ".jsonl"), result.jsonl)
    _write_atomic(part_path(out, result.index), result.parquet)
    entry = {"partition": result.index, "articles": result.articles, "dyads": result.dyads,
             "sha256": hashlib.sha256(result.parquet).hexdigest()}
    with (out / "ledger.jsonl").open("a", encoding="utf-8") as ledger:
        ledger.write(json.dumps(entry) + "\n")
        ledger.flush()
        os.fsync(ledger.fileno())
    return entry


def _progress(total: int, enabled: bool) -> Any:
    from tqdm import tqdm

    return tqdm(total=total or None, unit="article", unit_scale=True, smoothing=0.05, file=sys.stderr,
                disable=not enabled, dynamic_ncols=True)


def run_job(
    inputs: list[Path],
    out: Path,
    model_path: Path,
    *,
    engine: str = "local",
    workers: int | None = None,
    scheduler: str | None = None,
    partition_size: int = DEFAULT_PARTITION_SIZE,
    jsonl: bool = False,
    progress: bool = False,
    say: Callable[[str], None] = lambda message: None,
    client: Any = None,
) -> Summary:
    """Analyse every article of ``inputs`` into ``out``, continuing a job that was interrupted.

    Parameters
    ----------
    engine : {"local", "dask"}
        ``local``: ``workers`` processes on this machine (default: all cores; 1 runs in this process).
        ``dask``: a Dask cluster at ``scheduler``, or a ``LocalCluster`` of ``workers`` processes, or ``client``.
    partition_size : int
        Articles per partition; part of the job's identity, since it decides the dyad files.
    """
    if engine not in ENGINES:
        raise DataError(f"unknown engine {engine!r}; expected one of {', '.join(ENGINES)}")
    if partition_size < 1:
        raise DataError("--partition-size must be at least 1")
    inputs = check_inputs(inputs)
    # The version folder itself, not models/current: a retraining during the job must not change its model.
    model_path = version_dir(model_path)
    identity, approx_records = job_identity(inputs, model_path, partition_size, jsonl)
    claim_output(out, identity)
    done = read_ledger(out)
    if done:
        say(f"resuming: {len(done)} partition(s) already finished in {out}")
    workers = workers or os.cpu_count() or 1
    summary = Summary(engine=engine, workers=workers, model_version=identity["model_version"])
    rejects_tmp = out / f".rejects.jsonl.tmp-{os.getpid()}"
    shown = 0

    def on_reject(reject: Reject) -> None:
        nonlocal shown
        summary.rejects += 1
        rejects.write(json.dumps(reject.to_dict(), ensure_ascii=False, default=str) + "\n")
        if shown < 20:
            say(f"rejected: {reject}")
            shown += 1

    started = time.perf_counter()
    runner = _make_runner(engine, model_path, workers, scheduler, client)
    summary.workers = runner.workers
    # Two partitions in flight per worker keep every worker busy while bounding what the driver holds.
    window = 2 * runner.workers
    pending: set[Future] = set()
    bar = _progress(approx_records, progress)

    def drain(block_until: int) -> None:
        nonlocal pending
        while len(pending) > block_until:
            finished, pending = runner.wait(pending)
            for future in sorted(finished, key=lambda f: f.result().index):
                result = future.result()
                _record(out, result)
                summary.articles_analysed += result.articles
                summary.dyads_analysed += result.dyads
                bar.update(result.articles)

    aborted = True
    try:
        with rejects_tmp.open("w", encoding="utf-8") as rejects:
            for index, articles in partitions(read_articles(inputs), partition_size, on_reject):
                summary.partitions += 1
                summary.articles += len(articles)
                if index in done:
                    summary.partitions_resumed += 1
                    summary.articles_resumed += len(articles)
                    bar.update(len(articles))
                    continue
                drain(window - 1)
                pending.add(runner.submit(index, articles, jsonl))
            drain(0)
        os.replace(rejects_tmp, out / "rejects.jsonl")
        aborted = False
    finally:
        bar.close()
        worker_rss = {} if aborted else runner.worker_rss_mb()
        runner.close(abort=aborted)
        rejects_tmp.unlink(missing_ok=True)
    summary.seconds = round(time.perf_counter() - started, 3)
    summary.dyads = summary.dyads_analysed + sum(done[i]["dyads"] for i in done)
    if summary.seconds > 0:
        summary.articles_per_s = round(summary.articles_analysed / summary.seconds, 1)
        summary.dyads_per_s = round(summary.dyads_analysed / summary.seconds, 1)
    summary.peak_rss_mb = {"driver": round(peak_rss_mb(), 1), **worker_rss}
    if engine == "local" and runner.workers > 1:
        summary.peak_rss_mb["largest worker"] = round(children_peak_rss_mb(), 1)
    (out / "summary.json").write_text(json.dumps(asdict(summary), indent=2) + "\n", encoding="utf-8")
    return summary


def _make_runner(engine: str, model_path: Path, workers: int, scheduler: str | None, client: Any) -> Any:
    if engine == "dask":
        from stancemap.bulk.dask_engine import DaskRunner

        return DaskRunner(model_path, workers=workers, scheduler=scheduler, client=client)
    if workers == 1:
        return _InlineRunner(model_path)
    return _PoolRunner(model_path, workers)


def model_payload(model_path: Path) -> tuple[bytes, dict[str, Any], dict[str, Any]]:
    """Read the bytes a verified version is served from, its manifest and its metrics, to ship to remote workers.

    Each worker checks the bytes against the manifest again before unpickling them.
    """
    manifest, folder = verify(model_path)
    return serving_file(folder, manifest).read_bytes(), manifest, read_metrics(folder)
