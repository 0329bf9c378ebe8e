"""Model tier: bulk analysis end to end: determinism across processes and engines, kill and resume, timeline."""

from __future__ import annotations

import csv
import json
import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from stancemap.artifacts import version_dir
from stancemap.bulk.engine import model_payload, run_job
from stancemap.errors import ModelError
from tests.live import ROOT
from training.batch import main as batch_cli
from training.timeline import main as timeline_cli

pytestmark = pytest.mark.model

ARTICLES = 240
PARTITION = 8  # 30 partitions: small enough that a kill lands between two of them


def corpus_texts() -> list[str]:
    texts = set()
    for path in sorted((ROOT / "data" / "corpus").glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            texts.add(json.loads(line)["text"])
    return sorted(texts)


@pytest.fixture(scope="module")
def articles() -> list[dict]:
    """Small articles of three corpus sentences each, dated over four months."""
    texts, pick = corpus_texts(), random.Random(8)
    return [{"id": f"art-{i:04d}", "text": " ".join(pick.sample(texts, 3)),
             "date": f"2026-{pick.randint(1, 4):02d}-{pick.randint(1, 28):02d}", "outlet": pick.choice("ABC")}
            for i in range(ARTICLES)]


@pytest.fixture(scope="module")
def news(tmp_path_factory: pytest.TempPathFactory, articles: list[dict]) -> Path:
    path = tmp_path_factory.mktemp("news") / "news.jsonl"
    lines = [json.dumps(a, ensure_ascii=False) for a in articles]
    lines.insert(100, '{"id": "broken", "text": ')  # one bad record, reported and never analysed
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory, news: Path, models_dir: Path) -> Path:
    """One uninterrupted in-process run: what every other run must reproduce byte for byte."""
    out = tmp_path_factory.mktemp("reference") / "out"
    assert batch_cli([str(news), "--out", str(out), "--model", str(models_dir), "--workers", "1",
                      "--partition-size", str(PARTITION), "--quiet", "--period", "month"]) == 0
    return out


def dyad_files(out: Path) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in sorted((out / "dyads").glob("part-*"))}


def test_reference_run_writes_dyads_rejects_and_graph(reference: Path, news: Path, articles, model):
    table = pq.read_table(reference / "dyads")
    assert table.num_rows > ARTICLES and set(table["model_version"].to_pylist()) == {model.version}
    assert set(table["stance"].to_pylist()) <= {"support", "oppose", "neutral"}
    row = table.slice(0, 1).to_pylist()[0]
    assert row["article_id"] == "art-0000" and row["evidence"] and row["sentiment"] in {"positive", "negative",
                                                                                        "neutral"}
    assert len(dyad_files(reference)) == ARTICLES // PARTITION
    [reject] = [json.loads(line) for line in (reference / "rejects.jsonl").read_text().splitlines()]
    assert (reject["file"], reject["line"], reject["field"]) == (str(news), 101, "record")
    graph = pq.read_table(reference / "graph-month.parquet")
    assert sum(graph["dyads"].to_pylist()) == table.num_rows
    assert {p[:7] for p in graph["period"].to_pylist()} <= {"2026-01", "2026-02", "2026-03", "2026-04"}
    summary = json.loads((reference / "summary.json").read_text())
    assert (summary["articles"], summary["rejects"], summary["dyads"]) == (ARTICLES, 1, table.num_rows)


def test_two_processes_and_other_input_formats_give_byte_identical_dyads(reference, articles, models_dir, tmp_path):
    # Half the articles as CSV, half as Parquet: the same records in the same order, the same partitions.
    with (tmp_path / "a.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=["id", "text", "date", "outlet"])
        writer.writeheader()
        writer.writerows(articles[:100])
    pq.write_table(pa.Table.from_pylist(articles[100:]), tmp_path / "b.parquet")
    summary = run_job([tmp_path / "a.csv", tmp_path / "b.parquet"], tmp_path / "out", models_dir, workers=2,
                      partition_size=PARTITION)
    assert summary.workers == 2 and summary.articles == ARTICLES
    assert dyad_files(tmp_path / "out") == dyad_files(reference)


def test_dask_local_cluster_gives_the_local_engine_dyads(reference, news, models_dir, tmp_path):
    from distributed import Client, LocalCluster

    cluster = LocalCluster(n_workers=2, processes=True, threads_per_worker=1, host="127.0.0.1",
                           dashboard_address=None)
    try:
        with Client(cluster) as client:
            summary = run_job([news], tmp_path / "out", models_dir, engine="dask", client=client,
                              partition_size=PARTITION)
            # The model went to each worker once, through the plugin, not with every task.
            # What went was the compiled heads, so the workers never imported scikit-learn.
            loaded = client.run(lambda dask_worker: (type(dask_worker.plugins["stancemap-model"].model.stance.fast)
                                                     .__name__, "sklearn" in sys.modules))
    finally:
        cluster.close()
    assert list(loaded.values()) == [("FastHead", False)] * 2
    assert summary.engine == "dask" and summary.workers == 2 and summary.articles == ARTICLES
    assert dyad_files(tmp_path / "out") == dyad_files(reference)


def test_killed_run_resumes_without_losing_or_repeating_an_article(reference, news, models_dir, tmp_path, capsys):
    out, partitions = tmp_path / "out", ARTICLES // PARTITION
    command = [sys.executable, "-m", "training.batch", str(news), "--out", str(out), "--model", str(models_dir),
               "--workers", "1", "--partition-size", str(PARTITION), "--quiet", "--period", "month"]
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               start_new_session=True)
    ledger = out / "ledger.jsonl"
    deadline = time.monotonic() + 60
    try:
        while time.monotonic() < deadline and process.poll() is None:
            if ledger.is_file() and ledger.read_text().count("\n") >= partitions // 3:
                break
            time.sleep(0.01)
    finally:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    before = len(ledger.read_text().splitlines())
    assert 1 <= before < partitions, "the kill must land midway: after one partition and before the last"

    assert batch_cli(command[3:]) == 0
    printed = capsys.readouterr().out
    entries = [json.loads(line) for line in ledger.read_text().splitlines()]
    done = Counter(entry["partition"] for entry in entries)
    assert sorted(done) == list(range(partitions)) and set(done.values()) == {1}, "each partition recorded once"
    assert sum(entry["articles"] for entry in entries) == ARTICLES
    ids = pq.read_table(out / "dyads", columns=["article_id"])["article_id"].to_pylist()
    reference_ids = pq.read_table(reference / "dyads", columns=["article_id"])["article_id"].to_pylist()
    assert ids == reference_ids  # every article's dyads once, in input order
    assert dyad_files(out) == dyad_files(reference)
    assert (out / "graph-month.parquet").read_bytes() == (reference / "graph-month.parquet").read_bytes()
    summary = json.loads((out / "summary.json").read_text())
    assert summary["articles_resumed"] + summary["articles_analysed"] == ARTICLES
    assert summary["articles_resumed"] == before * PARTITION and f"{before * PARTITION} from an earlier run" in printed
    with capsys.disabled():
        print(f"\nkill-and-resume: {before}/{partitions} partitions ({before * PARTITION} articles) done when killed; "
              f"the rerun analysed {summary['articles_analysed']} and skipped {summary['articles_resumed']}; "
              f"{len(set(ids))} article ids with dyads, each once; {len(ids)} dyads, as uninterrupted")


def test_ctrl_c_stops_the_pool_quickly_and_keeps_finished_partitions(news, models_dir, tmp_path):
    out = tmp_path / "out"
    process = subprocess.Popen(
        [sys.executable, "-m", "training.batch", str(news), "--out", str(out), "--model", str(models_dir),
         "--workers", "2", "--partition-size", str(PARTITION), "--quiet"],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and process.poll() is None and not (out / "ledger.jsonl").is_file():
        time.sleep(0.01)
    process.send_signal(signal.SIGINT)
    try:
        _, err = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
    assert process.returncode == 130
    assert "rerun the same command to continue" in err and "Traceback" not in err
    assert 1 <= len((out / "ledger.jsonl").read_text().splitlines()) < ARTICLES // PARTITION


def test_a_rerun_with_another_job_is_refused(reference, news, models_dir, capsys):
    assert batch_cli([str(news), "--out", str(reference), "--model", str(models_dir), "--partition-size", "9"]) == 2
    err = capsys.readouterr().err
    assert "holds another job (different partition_size)" in err and "Traceback" not in err


def test_timeline_prints_the_table_and_draws_a_png(reference, capsys):
    graph = pq.read_table(reference / "graph-month.parquet").to_pylist()
    pairs = Counter()
    for row in graph:
        pairs[(row["source"], row["target"])] += row["dyads"]
    (source, target), _ = pairs.most_common(1)[0]
    png = reference / "pair.png"
    assert timeline_cli([str(reference), "--pair", source, target, "--period", "month", "--png", str(png)]) == 0
    printed = capsys.readouterr().out
    rows = [row for row in graph if (row["source"], row["target"]) == (source, target)]
    assert f"{source} -> {target}, by month" in printed
    for row in rows:
        assert f"{row['period']}  " in printed and f"{row['mean_score']:+.3f}" in printed
    data = png.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR"
    width, height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    assert (width, height) == (1000, 600)
    assert timeline_cli([str(reference), "--pair", "Atlantis", "Lemuria", "--period", "month"]) == 2
    assert "no dated dyad" in capsys.readouterr().err


def test_dask_plugin_refuses_modified_bytes_and_ships_pipelines_for_older_versions(models_dir, model, tmp_path):
    import shutil
    from types import SimpleNamespace

    from stancemap.bulk.dask_engine import ModelPlugin

    worker = SimpleNamespace(address="tcp://127.0.0.1:1")
    data, manifest, metrics = model_payload(models_dir)
    changed = bytearray(data)
    changed[len(changed) // 2] ^= 0xFF
    with pytest.raises(ModelError, match="compiled model is corrupt or was modified"):
        ModelPlugin(bytes(changed), manifest, metrics).setup(worker)
    # A version written before compiled heads were: its pipelines travel, checked as the artifact.
    older = tmp_path / "older"
    shutil.copytree(version_dir(models_dir), older)
    manifest = json.loads((older / "manifest.json").read_text())
    del manifest["serving"]
    (older / "manifest.json").write_text(json.dumps(manifest))
    (older / "serving.joblib").unlink()
    plugin = ModelPlugin(*model_payload(older))
    plugin.setup(worker)
    text = "Paris a condamné Moscou."
    assert plugin.model.predict([(text, "France", "Russia")]) == model.predict([(text, "France", "Russia")])
