"""The Dask path, on a LocalCluster of two worker processes and the tiny model."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

pytest.importorskip("distributed")

import pandas as pd  # noqa: E402

from textmine import batch  # noqa: E402
from textmine.dask import SUCCESS_MARKER, analyze, classify_partitions, partitions, read_outputs  # noqa: E402
from textmine.errors import InputError  # noqa: E402

from conftest import TINY_CORPUS  # noqa: E402

TEXTS = [t for t, _ in TINY_CORPUS] + ["", "服务员态度很差，菜也凉了", "包装破了，汤洒了一半"]


@pytest.fixture(scope="module")
def scheduler():
    from distributed import LocalCluster

    with LocalCluster(n_workers=2, processes=True, threads_per_worker=1, dashboard_address=None) as cluster:
        yield cluster.scheduler_address


@pytest.fixture
def dump(tmp_path: Path) -> Path:
    """A folder of three partitions: two CSV files and one Parquet file."""
    folder = tmp_path / "dump"
    folder.mkdir()
    pd.DataFrame({"id": range(10), "review": TEXTS[:10]}).to_csv(folder / "part-0.csv", index=False)
    pd.DataFrame({"id": range(10, 20), "review": TEXTS[10:20]}).to_csv(folder / "part-1.csv", index=False)
    pd.DataFrame({"id": [str(i) for i in range(20, len(TEXTS))], "review": TEXTS[20:]}).to_parquet(folder / "part-2.parquet")
    return folder


def _local(part: Path, tmp_path: Path, model) -> pd.DataFrame:
    out = tmp_path / "local" / (part.stem + ".parquet")
    batch.classify_file(part, out, model=model, jobs=1, progress=batch.Progress("", enabled=False))
    return pd.read_parquet(out)


def test_dask_partitions_of_folder_glob_and_file(dump: Path):
    assert [p.name for p in partitions(dump)] == ["part-0.csv", "part-1.csv", "part-2.parquet"]
    assert [p.name for p in partitions(dump / "*.csv")] == ["part-0.csv", "part-1.csv"]
    assert partitions(dump / "part-1.csv") == [dump / "part-1.csv"]
    with pytest.raises(InputError, match="no CSV"):
        partitions(dump / "*.xlsx")


def test_dask_classify_partitions_equals_local_run_row_for_row(dump, tmp_path, scheduler, tiny_model_path):
    from textmine.bundle import load_model

    out = tmp_path / "out"
    stats = classify_partitions(dump, out, scheduler=scheduler, model=tiny_model_path)
    assert stats["failed"] == [] and stats["written"] == 3 and stats["rows"] == len(TEXTS)
    model = load_model(tiny_model_path)
    for part in partitions(dump):
        pd.testing.assert_frame_equal(pd.read_parquet(out / (part.stem + ".parquet")), _local(part, tmp_path, model))
    marker = json.loads((out / SUCCESS_MARKER).read_text(encoding="utf-8"))
    assert marker["partitions"] == ["part-0.parquet", "part-1.parquet", "part-2.parquet"]
    assert read_outputs(out)["review"].tolist() == TEXTS


def test_dask_resume_skips_written_partitions(dump, tmp_path, scheduler, tiny_model_path):
    out = tmp_path / "out"
    classify_partitions(dump, out, scheduler=scheduler, model=tiny_model_path)
    kept = (out / "part-0.parquet").stat().st_mtime_ns
    (out / "part-1.parquet").unlink()
    with pytest.raises(InputError, match="--resume"):
        classify_partitions(dump, out, scheduler=scheduler, model=tiny_model_path)
    stats = classify_partitions(dump, out, scheduler=scheduler, model=tiny_model_path, resume=True)
    assert (stats["written"], stats["skipped"]) == (1, 2)
    assert (out / "part-0.parquet").stat().st_mtime_ns == kept
    assert read_outputs(out)["review"].tolist() == TEXTS and (out / SUCCESS_MARKER).exists()


def test_dask_bad_partition_is_named_and_others_finish(dump, tmp_path, scheduler, tiny_model_path):
    (dump / "part-3.parquet").write_bytes(b"this is not parquet")
    out = tmp_path / "out"
    stats = classify_partitions(dump, out, scheduler=scheduler, model=tiny_model_path)
    assert len(stats["failed"]) == 1 and "part-3.parquet" in stats["failed"][0]
    assert stats["written"] == 3 and read_outputs(out)["review"].tolist() == TEXTS
    assert not (out / SUCCESS_MARKER).exists()


def test_dask_analyze_equals_analyze_frame(scheduler, tiny_model_path):
    import dask.dataframe as dd
    from distributed import Client

    from textmine.bundle import load_model

    frame = pd.DataFrame({"review": TEXTS, "n": range(len(TEXTS))})
    with Client(scheduler):
        got = analyze(dd.from_pandas(frame, npartitions=3), "review", model=tiny_model_path).compute()
    want = load_model(tiny_model_path).analyze_frame(frame, "review")
    pd.testing.assert_frame_equal(got.reset_index(drop=True), want.reset_index(drop=True), check_dtype=False)


def test_dask_cli_classify_with_scheduler(dump, tmp_path, scheduler, tiny_model_path, capsys):
    from textmine.cli import main

    out = tmp_path / "out"
    assert main(["classify", str(dump), "-o", str(out), "--scheduler", scheduler, "--model", str(tiny_model_path)]) == 0
    assert (out / SUCCESS_MARKER).exists() and len(read_outputs(out)) == len(TEXTS)
    (dump / "broken.csv").write_bytes(b"\xff\xfe\x00")
    assert main(["classify", str(dump), "-o", str(out), "--scheduler", scheduler, "--model", str(tiny_model_path),
                 "--resume"]) == 1
    assert "broken.csv" in capsys.readouterr().err


def test_dask_summarize_partitions_equals_local_summary(dump, tmp_path, scheduler, tiny_model_path):
    from textmine.bundle import load_model
    from textmine.dask import summarize_partitions

    # duplicates and near-duplicates across partitions, and a date and a group per row
    extra = pd.DataFrame({"id": ["a", "b", "c"], "review": [TEXTS[1], TEXTS[5] + "。", "。。。"]})
    extra.to_csv(dump / "part-3.csv", index=False)
    frames = [pd.read_parquet(p) if p.suffix == ".parquet" else pd.read_csv(p, dtype=str) for p in partitions(dump)]
    whole = pd.concat([f.astype(str) for f in frames], ignore_index=True)
    whole["day"] = [f"2024-0{1 + i % 6}-1{i % 9}" for i in range(len(whole))]
    whole["store"] = [f"s{i % 3}" for i in range(len(whole))]
    for p in partitions(dump):
        p.unlink()
    bounds = [0, 9, 20, 27, len(whole)]
    for k in range(4):
        whole.iloc[bounds[k]:bounds[k + 1]].to_csv(dump / f"part-{k}.csv", index=False)
    whole.to_csv(tmp_path / "whole.csv", index=False)

    got, files = summarize_partitions(dump, tmp_path / "report-dask", scheduler=scheduler, model=tiny_model_path,
                                      date_col="day", group_col="store")
    want, _ = batch.summarize_file(tmp_path / "whole.csv", tmp_path / "report-local", model=load_model(tiny_model_path),
                                   date_col="day", group_col="store", progress=batch.Progress("", enabled=False))
    assert got.quality == want.quality and got.quality.duplicates and got.quality.meaningless
    for name in ("comments", "analysed", "complaints", "pareto", "pain_points", "polarity_table", "groups", "trend",
                 "overlap", "sentiment_histogram"):
        assert getattr(got, name) == getattr(want, name), name
    assert files["report"].exists()
    assert {got.rows[i] for i, _ in got.quality.duplicates} <= {f"part-{k}.csv:{r}" for k in range(4) for r in range(2, 30)}
