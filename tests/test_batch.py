import gc
import pandas as pd
import pytest

from textmine.batch import Progress, classify_file, summarize_file

from conftest import write_csv


def _dump(tmp_path, n=30):
    texts = ["送餐太慢了", "", "味道很好，非常好吃", None, "客服态度差", "a" * 1_000_000]
    rows = [(i, texts[i % len(texts)] or "", f"s{i % 3}") for i in range(n)]
    return write_csv(tmp_path / "dump.csv", ["id", "comment", "shop"], rows)


@pytest.mark.parametrize("jobs", [1, 2])
def test_batch_every_row_out_in_order(tiny_model, tmp_path, jobs):
    out = tmp_path / "out.csv"
    stats = classify_file(_dump(tmp_path), out, model=tiny_model, chunk_size=4, jobs=jobs,
                          progress=Progress("t", enabled=False))
    frame = pd.read_csv(out, dtype=str, keep_default_na=False)
    assert len(frame) == 30 and stats["rows"] == 30
    assert list(frame["id"]) == [str(i) for i in range(30)]
    assert (frame.loc[frame["comment"] == "", "error"] == "empty text").all()
    assert stats["errors"] == (frame["error"] != "").sum() == 10
    assert gc.get_freeze_count() == 0  # the run gives the garbage collector its objects back


def test_batch_progress_goes_to_its_stream(tiny_model, tmp_path):
    import io

    stream = io.StringIO()
    classify_file(_dump(tmp_path, 10), tmp_path / "o.csv", model=tiny_model, jobs=1,
                  progress=Progress("classify", stream=stream, enabled=True, every=0))
    assert "10 rows" in stream.getvalue() and "rows/s" in stream.getvalue()


def test_batch_interrupted_run_resumes(tiny_model, tmp_path):
    dump = _dump(tmp_path, 40)
    out = tmp_path / "out.csv"
    calls = {"n": 0}
    analyze = tiny_model.analyze

    class Flaky:
        def __getattr__(self, name):
            return getattr(tiny_model, name)

        def analyze(self, texts, **kw):
            calls["n"] += 1
            if calls["n"] == 3:
                raise KeyboardInterrupt
            return analyze(texts, **kw)

    with pytest.raises(KeyboardInterrupt):
        classify_file(dump, out, model=Flaky(), chunk_size=8, jobs=1, progress=Progress("t", enabled=False))
    assert not out.exists() and (tmp_path / "out.csv.partial").exists()
    stats = classify_file(dump, out, model=tiny_model, chunk_size=8, jobs=1, resume=True,
                          progress=Progress("t", enabled=False))
    assert stats["resumed_after"] == 16
    frame = pd.read_csv(out, dtype=str, keep_default_na=False)
    assert list(frame["id"]) == [str(i) for i in range(40)]
    assert not (tmp_path / "out.csv.partial").exists()


def test_batch_missing_text_column_names_file_and_columns(tiny_model, tmp_path):
    from textmine.errors import InputError

    dump = write_csv(tmp_path / "d.csv", ["id", "foo"], [(1, "x")])
    with pytest.raises(InputError, match=r"d.csv.*'id', 'foo'"):
        classify_file(dump, tmp_path / "o.csv", model=tiny_model, jobs=1, progress=Progress("t", enabled=False))
    assert not (tmp_path / "o.csv").exists()


def test_batch_summarize_raw_and_classified_give_same_pareto(tiny_model, tmp_path):
    dump = write_csv(tmp_path / "d.csv", ["comment", "date"],
                     [(f"第{i}天 送餐太慢了" if i % 2 else f"第{i}天 客服态度差", f"2026-0{1 + i % 4}-01") for i in range(24)])
    raw, _ = summarize_file(dump, tmp_path / "r1", model=tiny_model, date_col="date", progress=Progress("t", enabled=False))
    classify_file(dump, tmp_path / "c.csv", model=tiny_model, jobs=1, progress=Progress("t", enabled=False))
    again, files = summarize_file(tmp_path / "c.csv", tmp_path / "r2", model=tiny_model, date_col="date")
    assert [(r.category, r.complaints) for r in raw.pareto] == [(r.category, r.complaints) for r in again.pareto]
    assert files["report"].exists()
