"""The Dask engine: the same partitions as futures on a Dask distributed cluster, the model shipped once per worker.

Partitions are submitted as futures rather than through a dask.bag graph: the driver keeps a bounded window of
them in flight (memory stays bounded whatever the corpus size) and records each partition in the ledger the
moment it finishes, which is what makes a Dask run resumable exactly like a local one.
"""

from __future__ import annotations

import io
from concurrent.futures import Future
from pathlib import Path
from typing import Any

import joblib
from distributed import Client, LocalCluster, WorkerPlugin, get_worker, wait

from stancemap.artifacts import check_serving_bytes
from stancemap.bulk.engine import PartResult, model_payload, peak_rss_mb, run_partition
from stancemap.bulk.records import Article
from stancemap.errors import DataError, ModelError
from stancemap.runtime import StanceModel

PLUGIN_NAME = "stancemap-model"


class ModelPlugin(WorkerPlugin):
    """Carries the verified model to each worker once, and loads it there once, in ``setup``.

    What travels is the file serving loads (the compiled heads, or the pipelines of a version without them), as
    bytes rather than a path, so workers need no access to the driver's disk; they are checked against the
    manifest before anything is unpickled, as a local load would. Unlike a local load, a worker does not fall
    back to the pipelines when the compiled heads cannot be unpickled: the plugin's setup fails instead.
    """

    name = PLUGIN_NAME

    def __init__(self, artifact: bytes, manifest: dict[str, Any], metrics: dict[str, Any]):
        self.artifact: bytes | None = artifact
        self.manifest = manifest
        self.metrics = metrics
        self.model: StanceModel | None = None

    def setup(self, worker: Any) -> None:
        """Verify and load the model on this worker."""
        assert self.artifact is not None
        check_serving_bytes(self.artifact, self.manifest, f"worker {worker.address}")
        self.model = StanceModel(joblib.load(io.BytesIO(self.artifact)), self.manifest, self.metrics)
        self.artifact = None  # the loaded model is all a task needs; the bytes would double the worker's memory


def _dask_task(index: int, articles: list[Article], jsonl: bool) -> PartResult:
    plugin = get_worker().plugins[PLUGIN_NAME]
    return run_partition(plugin.model, index, articles, jsonl)


def _worker_peak_rss() -> float:
    return round(peak_rss_mb(), 1)


class DaskRunner:
    """Submit partitions to a Dask cluster: the one at ``scheduler``, the given ``client``'s, or a LocalCluster."""

    def __init__(self, model_path: Path, *, workers: int, scheduler: str | None = None, client: Any = None):
        self.cluster = None
        self.own_client = client is None
        try:
            if client is not None:
                self.client = client
            elif scheduler:
                self.client = Client(scheduler, timeout="30s")
            else:
                # One thread per worker process: the model's work is pure Python, which threads would serialise.
                self.cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                                            host="127.0.0.1", dashboard_address=None)
                self.client = Client(self.cluster)
        except OSError as exc:
            raise DataError(f"cannot reach the Dask scheduler {scheduler}: {exc}") from exc
        self.workers = max(len(self.client.scheduler_info().get("workers", {})), 1)
        try:
            self.client.register_plugin(ModelPlugin(*model_payload(model_path)), name=PLUGIN_NAME)
        except ModelError:
            self.close()
            raise

    def submit(self, index: int, articles: list[Article], jsonl: bool) -> Future:
        # Keys are named by partition, and pure=False: a resubmitted partition is computed, never reused stale.
        return self.client.submit(_dask_task, index, articles, jsonl, pure=False, key=f"stancemap-part-{index:06d}")

    def wait(self, pending: set[Any]) -> tuple[set[Any], set[Any]]:
        done, rest = wait(list(pending), return_when="FIRST_COMPLETED")
        return set(done), set(rest)

    def worker_rss_mb(self) -> dict[str, float]:
        try:
            peaks = self.client.run(_worker_peak_rss)
        except Exception:  # a worker lost at the end must not hide the job's result
            return {}
        return {f"worker {i}": peaks[address] for i, address in enumerate(sorted(peaks))}

    def close(self, abort: bool = False) -> None:
        # Closing our client releases its futures: the scheduler drops the partitions still queued.
        if self.own_client:
            self.client.close()
        if self.cluster is not None:
            self.cluster.close()
