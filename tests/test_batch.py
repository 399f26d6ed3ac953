import gc
import sys
import pandas as pd
import pytest

from textmine.batch import Progress, classify_file, summarize_file
from textmine.errors import BROKEN_QUOTING, INVALID_CHARACTERS

from conftest import write_csv


def _dump(tmp_path, n=30, *, long_text=1_000_000):
    texts = ["送餐太慢了", "", "味道很好，非常好吃", None, "客服态度差", "a" * long_text]
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
    assert [(r.category, r.comments) for r in raw.pareto] == [(r.category, r.comments) for r in again.pareto]
    assert files["report"].exists()


def test_batch_leaves_a_host_freeze_in_place(tiny_model, tmp_path):
    gc.freeze()  # the host application's own freeze
    try:
        classify_file(_dump(tmp_path, 8), tmp_path / "o.csv", model=tiny_model, jobs=1,
                      progress=Progress("t", enabled=False))
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()


def test_batch_segment_file_every_row_in_order(tmp_path):
    from textmine.batch import segment_file
    from textmine.segment import Segmenter

    texts = ["送餐太慢了，饭都凉了", "", "客服态度差！", "味道很好"] * 3
    dump = write_csv(tmp_path / "d.csv", ["id", "comment"], list(enumerate(texts)))
    out = tmp_path / "seg.csv"
    stats = segment_file(dump, out, chunk_size=5, progress=Progress("t", enabled=False))
    frame = pd.read_csv(out, dtype=str, keep_default_na=False)
    assert stats["rows"] == len(frame) == 12 and stats["errors"] == 3 and stats["text_column"] == "comment"
    assert list(frame["id"]) == [str(i) for i in range(12)] and list(frame["comment"]) == texts
    docs = Segmenter().transform(texts)
    assert list(frame["tokens"]) == [" ".join(d.tokens) for d in docs]
    assert list(frame["clauses"]) == ["|".join(d.clauses) for d in docs]
    assert list(frame["error"]) == ["" if t else "empty text" for t in texts]


def _quiet():
    return Progress("t", enabled=False)


def _read_csv(path):
    """An output CSV read back with the csv module alone: header, rows."""
    import csv

    csv.field_size_limit(1 << 24)
    with open(path, encoding="utf-8-sig", newline="") as f:
        header, *rows = list(csv.reader(f))
    return header, rows


def test_batch_input_columns_never_overwritten(tiny_model, tmp_path):
    dump = write_csv(tmp_path / "d.csv", ["error", "review", "categories"], [("mine", "送餐太慢了", "x"), ("", "", "y")])
    out = tmp_path / "o.csv"
    stats = classify_file(dump, out, model=tiny_model, jobs=1, progress=_quiet())
    header, rows = _read_csv(out)
    assert header == ["error", "review", "categories", "textmine_categories", "sentiment", "sentiment_label",
                      "evidence", "textmine_error"]
    assert [r[:3] for r in rows] == [["mine", "送餐太慢了", "x"], ["", "", "y"]]
    assert rows[0][3].startswith("logistics:") and rows[1][7] == "empty text"
    assert stats["columns"]["error"] == "textmine_error"


def test_batch_duplicated_text_column_refused_before_output(tiny_model, tmp_path):
    from textmine.errors import InputError

    dump = tmp_path / "d.csv"
    dump.write_text("id,review,review\n1,好吃,太慢\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"d.csv: the text column 'review' appears 2 times"):
        classify_file(dump, tmp_path / "o.csv", model=tiny_model, jobs=1, progress=_quiet())
    assert not (tmp_path / "o.csv").exists() and not (tmp_path / "o.csv.lock").exists()


def test_batch_output_equal_to_input_refused(tiny_model, tmp_path):
    from textmine.errors import InputError

    dump = _dump(tmp_path, 6, long_text=100)
    before = dump.read_bytes()
    for target in (dump, tmp_path / "." / "dump.csv"):
        with pytest.raises(InputError, match="dump.csv: the output is the input file"):
            classify_file(dump, target, model=tiny_model, jobs=1, progress=_quiet())
    assert dump.read_bytes() == before


def test_batch_xlsx_row_limit_refused_before_any_work(tiny_model, tmp_path, monkeypatch):
    import textmine.io as tio
    from textmine.errors import InputError

    monkeypatch.setattr(tio, "XLSX_MAX_ROWS", 10)
    calls = []

    class Counting:
        manifest = {}

        def analyze(self, texts, **kw):
            calls.append(len(texts))
            return tiny_model.analyze(texts, **kw)

    with pytest.raises(InputError, match=r"o.xlsx: 12 rows do not fit in an .xlsx sheet \(at most 9\)"):
        classify_file(_dump(tmp_path, 12, long_text=100), tmp_path / "o.xlsx", model=Counting(), jobs=1,
                      progress=_quiet())
    assert calls == [] and not (tmp_path / "o.xlsx").exists()
    book = tmp_path / "in.xlsx"
    with pd.ExcelWriter(book) as writer:  # 5 + 7 rows over two sheets
        for name, n in (("a", 5), ("b", 7)):
            pd.DataFrame({"review": ["好吃"] * n}).to_excel(writer, sheet_name=name, index=False)
    with pytest.raises(InputError, match=r"o.xlsx: 12 rows do not fit"):
        classify_file(book, tmp_path / "o.xlsx", model=Counting(), jobs=1, progress=_quiet())
    assert calls == []
    stats = classify_file(_dump(tmp_path, 9, long_text=100), tmp_path / "o.xlsx", model=Counting(), jobs=1,
                          progress=_quiet())
    assert stats["rows"] == 9 and len(pd.read_excel(tmp_path / "o.xlsx")) == 9


def test_batch_resume_refuses_other_options(tiny_model, tmp_path):
    from textmine.errors import InputError

    dump, out = _dump(tmp_path, 24, long_text=100), tmp_path / "out.csv"
    seen = {"n": 0}

    class Stops:
        manifest = tiny_model.manifest

        def analyze(self, texts, **kw):
            seen["n"] += 1
            if seen["n"] == 2:
                raise KeyboardInterrupt
            return tiny_model.analyze(texts, **kw)

    with pytest.raises(KeyboardInterrupt):
        classify_file(dump, out, model=Stops(), chunk_size=8, jobs=1, progress=_quiet())
    with pytest.raises(InputError, match=r"out.csv: cannot resume: out.csv.partial was made with other options "
                                         r"\(text_col was None, now 'comment'; formula_guard was False, now True\)"):
        classify_file(dump, out, model=tiny_model, chunk_size=8, jobs=1, resume=True, text_col="comment",
                      formula_guard=True, progress=_quiet())
    stats = classify_file(dump, out, model=tiny_model, chunk_size=8, jobs=1, resume=True, progress=_quiet())
    assert stats["resumed_after"] == 8 and [r[0] for r in _read_csv(out)[1]] == [str(i) for i in range(24)]


# The issue's inputs, one file each; every case: rows in == rows out, and the affected rows' content.
_ISSUE_CASES = {
    "late_jsonl_key": ("d.jsonl", '{"review":"好吃"}\n{"review":"太慢","x":"1"}\n'.encode(),
                       ["review", "x"], [["好吃", ""], ["太慢", "1"]], ["", ""]),
    "unterminated_quote": ("d.csv", 'id,review\n1,"好吃\n2,太慢\n3,一般\n'.encode(),
                           ["id", "review"], [["1", '"好吃'], ["2", "太慢"], ["3", "一般"]], ["broken", "", ""]),
    "tsv_leading_quote": ("d.tsv", 'id\treview\n1\t"好吃\n2\t太慢\n'.encode(),
                          ["id", "review"], [["1", '"好吃'], ["2", "太慢"]], ["broken", ""]),
    "lone_surrogate": ("d.jsonl", '{"review":"好\\udc00吃"}\n{"review":"太慢"}\n'.encode(),
                       ["review"], [["好\ufffd吃"], ["太慢"]], ["surrogates", ""]),
    "bare_cr": ("d.csv", 'id,review\n1,"好\r吃"\n2,太慢\n'.encode(), ["id", "review"], [["1", "好\r吃"], ["2", "太慢"]],
                ["", ""]),
    "formula": ("d.csv", 'id,review\n1,"=HYPERLINK(""http://x.invalid"",""点"")"\n2,@SUM(1)\n'.encode(),
                ["id", "review"], [["1", '=HYPERLINK("http://x.invalid","点")'], ["2", "@SUM(1)"]], ["", ""]),
    "control_character": ("d.csv", 'id,review\n1,好\x01吃\n2,太慢\n'.encode(), ["id", "review"],
                          [["1", "好\x01吃"], ["2", "太慢"]], ["", ""]),
}


_PROBLEMS = {"": "", "broken": BROKEN_QUOTING, "surrogates": INVALID_CHARACTERS}


@pytest.mark.parametrize("case", sorted(_ISSUE_CASES))
@pytest.mark.parametrize("suffix", [".csv", ".xlsx", ".jsonl"])
def test_batch_issue_inputs_keep_every_row(tiny_model, tmp_path, case, suffix):
    from textmine.io import read_table

    name, data, columns, values, errors = _ISSUE_CASES[case]
    dump = tmp_path / name
    dump.write_bytes(data)
    out = tmp_path / f"out{suffix}"
    stats = classify_file(dump, out, model=tiny_model, chunk_size=1, jobs=1, progress=_quiet())
    frame = read_table(out)
    assert len(frame) == len(values) == stats["rows"]
    got = frame[columns].values.tolist()
    if suffix == ".xlsx":  # what an .xlsx cell cannot hold is replaced, and counted
        values = [[v.replace("\x01", "\ufffd").replace("\r", "\n") for v in row] for row in values]
        assert stats["replaced_cells"] == (case in ("control_character", "bare_cr"))
    assert got == values
    assert list(frame["error"]) == [_PROBLEMS[e] for e in errors]
    assert not any(c.startswith("categories") and c != "categories" for c in frame.columns)
    assert all(frame["categories"] != "1")


# A run in its own process whose model waits, at each chunk, until a file appears; each
# process that analyses writes its pid first. argv: model, input, output, jobs, folder.
_WAITING_RUN = """
import os, sys, time
from pathlib import Path
from textmine.batch import Progress, classify_file
from textmine.bundle import load_model

model_path, dump, out, jobs, folder = sys.argv[1:]
model, folder = load_model(model_path), Path(folder)

class Waits:
    manifest = model.manifest

    def analyze(self, texts, **kw):
        (folder / f"pid-{os.getpid()}").touch()
        while not (folder / "go").exists():
            time.sleep(0.05)
        return model.analyze(texts, **kw)

classify_file(dump, out, model=Waits(), jobs=int(jobs), chunk_size=2, progress=Progress("t", enabled=False))
"""


def _start_waiting_run(tiny_model_path, dump, out, jobs, folder):
    import subprocess
    import sys

    folder.mkdir()
    return subprocess.Popen([sys.executable, "-c", _WAITING_RUN, str(tiny_model_path), str(dump), str(out), str(jobs),
                             str(folder)], stderr=subprocess.PIPE, text=True)


def _wait_for(condition, seconds=60.0):
    import time

    end = time.monotonic() + seconds
    while not condition() and time.monotonic() < end:
        time.sleep(0.05)
    return condition()


def test_batch_two_runs_on_one_output_one_refuses(tiny_model_path, tmp_path, capsys):
    from textmine.cli import ExitStatus, main

    dump, out, folder = _dump(tmp_path, 12, long_text=100), tmp_path / "out.csv", tmp_path / "signals"
    first = _start_waiting_run(tiny_model_path, dump, out, 1, folder)
    try:
        assert _wait_for(lambda: any(folder.glob("pid-*"))), first.stderr.read() if first.poll() is not None else ""
        code = main(["classify", str(dump), "-o", str(out), "--model", str(tiny_model_path), "--quiet", "--jobs", "1"])
        err = capsys.readouterr().err
        assert code == ExitStatus.ERROR and err.count("\n") == 1
        assert f"out.csv: another textmine run is writing this file (pid {first.pid} " in err
    finally:
        (folder / "go").touch()
        assert first.wait(timeout=120) == 0, first.stderr.read()
    header, rows = _read_csv(out)
    assert header[:3] == ["id", "comment", "shop"] and [r[0] for r in rows] == [str(i) for i in range(12)]
    assert not (tmp_path / "out.csv.lock").exists() and not (tmp_path / "out.csv.partial").exists()


def _alive(pid: int) -> bool:
    """Whether ``pid`` is a live process (a zombie, dead but not reaped yet, is not)."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_batch_workers_end_when_the_parent_is_killed(tiny_model_path, tmp_path):
    import os
    import signal

    dump, folder = _dump(tmp_path, 16, long_text=100), tmp_path / "signals"
    parent = _start_waiting_run(tiny_model_path, dump, tmp_path / "out.csv", 2, folder)
    try:
        assert _wait_for(lambda: len(list(folder.glob("pid-*"))) == 2), parent.stderr.read() if parent.poll() else ""
        workers = [int(p.name[4:]) for p in folder.glob("pid-*")]
        assert parent.pid not in workers and all(_alive(w) for w in workers)
    finally:
        os.kill(parent.pid, signal.SIGKILL)
        parent.wait()
    try:
        assert _wait_for(lambda: not any(_alive(w) for w in workers), seconds=10)
    finally:  # a failing run leaves no process behind either
        for worker in filter(_alive, workers):
            os.kill(worker, signal.SIGKILL)
    assert not (tmp_path / "out.csv").exists()


_XLSX_CANNOT_HOLD = "\x00\x01\x02\x03\x04\x05\x06\x07\x08\x0b\x0c\x0e\x0f\x10\x11\x12\x13\x14\x15\x16\x17\x18\x19" \
                    "\x1a\x1b\x1c\x1d\x1e\x1f\r\ufffe\uffff"


def _tables(cell_characters, min_rows):
    """Tables of strings: a ``review`` column among up to three others, whose names may
    be the names of classify's own columns."""
    from hypothesis import strategies as st

    cells = st.text(cell_characters, max_size=12)
    names = st.lists(st.sampled_from(["id", "error", "categories", "sentiment", "店铺", "x y", "evidence"]),
                     max_size=3, unique=True)
    return names.flatmap(lambda others: st.tuples(
        st.permutations(["review", *others]),
        st.lists(st.lists(cells, min_size=len(others) + 1, max_size=len(others) + 1), min_size=min_rows,
                 max_size=8)))


@pytest.mark.parametrize("suffix", [".csv", ".tsv", ".jsonl", ".xlsx", ".parquet"])
def test_batch_any_table_gives_one_row_per_record_values_unchanged(tiny_model, suffix):
    """Property: for any table of strings written in a supported format, classify gives
    one row per record, in order, with the input's values unchanged."""
    import tempfile
    from pathlib import Path

    from hypothesis import given, settings
    from hypothesis import strategies as st

    from textmine.io import write_table

    characters = st.characters(exclude_categories=["Cs"],
                               exclude_characters=_XLSX_CANNOT_HOLD if suffix == ".xlsx" else "")

    @settings(max_examples=10, deadline=None)
    @given(_tables(characters, 1 if suffix == ".jsonl" else 0))  # an empty JSON-lines file has no columns
    def check(table):
        columns, rows = table
        with tempfile.TemporaryDirectory() as folder:
            dump, out = Path(folder) / f"in{suffix}", Path(folder) / "out.csv"
            write_table(pd.DataFrame(rows, columns=columns, dtype=object), dump)
            stats = classify_file(dump, out, model=tiny_model, text_col="review", chunk_size=3, jobs=1,
                                  progress=_quiet())
            header, got = _read_csv(out)
        assert stats["rows"] == len(got) == len(rows)
        assert header[:len(columns)] == columns and len(header) == len(columns) + 5
        assert [r[:len(columns)] for r in got] == [list(r) for r in rows]

    check()


def test_batch_a_dead_worker_is_a_one_line_error(tiny_model, tmp_path):
    import os

    from textmine.errors import TextmineError

    parent = os.getpid()

    class Dies:
        manifest = {}

        def analyze(self, texts, **kw):
            if os.getpid() != parent:
                os._exit(3)  # as the out-of-memory killer would end it
            return tiny_model.analyze(texts, **kw)

    with pytest.raises(TextmineError, match="a worker process died .*; run again with --resume") as info:
        classify_file(_dump(tmp_path, 8, long_text=100), tmp_path / "o.csv", model=Dies(), jobs=2, progress=_quiet())
    assert "\n" not in str(info.value) and not (tmp_path / "o.csv").exists()
