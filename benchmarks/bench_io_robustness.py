"""Whether ``textmine classify`` keeps every row and refuses what it cannot do, through the CLI.

Three checks, in one run:

1. Two runs started together on one output (real reviews from ``../shared/data/waimai_10k.csv``):
   each run's exit status, the rows in the finished output, the refusing run's message.
2. ``kill -9`` of a run with ``--jobs 2``: how many of its worker processes are still alive
   ``--grace`` seconds later.
3. The broken inputs of the fuzzing report, each written here from texts of this script
   (no shared data): rows in, rows out, rows with an error, the exit status, and whether the
   affected rows hold what they should.
4. One row more than an ``.xlsx`` sheet holds, to ``.xlsx``: refused before the work, and when.

Checks 1 and 2 need ``../shared/data`` and are skipped with a message when it is absent.

    python benchmarks/bench_io_robustness.py [--rows 4000] [--grace 10]
"""
from __future__ import annotations

import argparse
import contextlib
import csv
import io
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "waimai_10k.csv"
COMMAND = [sys.executable, "-m", "textmine"]


def read_output(path: Path) -> tuple[list[str], list[list[str]]]:
    """Header and rows of an output CSV, read with the csv module alone."""
    csv.field_size_limit(1 << 30)
    with open(path, encoding="utf-8-sig", newline="") as f:
        header, *rows = list(csv.reader(f))
    return header, rows


def sample_input(folder: Path, rows: int) -> Path:
    """The first ``rows`` reviews of the shared set, copied to a temporary file."""
    with open(DATA, encoding="utf-8", newline="") as f:
        reader = csv.reader(f)
        header, records = next(reader), [r for _, r in zip(range(rows), reader)]
    path = folder / "reviews.csv"
    with open(path, "w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows([header, *records])
    return path


def two_runs(folder: Path, dump: Path, rows: int) -> None:
    out = folder / "same.csv"
    runs = [subprocess.Popen([*COMMAND, "classify", str(dump), "-o", str(out), "--jobs", "1", "--quiet"],
                             stderr=subprocess.PIPE, text=True) for _ in range(2)]
    codes = [run.wait() for run in runs]
    messages = [run.stderr.read().strip().splitlines()[-1:] for run in runs]
    header, written = read_output(out)
    print(f"1. two runs on one output ({rows:,} rows in): exit statuses {codes}; output rows {len(written):,}; "
          f"header {'present' if header[:2] == ['label', 'review'] else 'MISSING'}; "
          f"complete {[r[1] for r in written] == [r[1] for r in read_output(dump)[1]]}")
    for code, message in zip(codes, messages):
        print(f"   exit {code}: {message[0] if message else ''}")


def children(pid: int) -> list[int]:
    """The processes whose parent is ``pid`` (from /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError, IndexError):
                if int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1]) == pid:
                    found.append(int(entry.name))
    return found


def alive(pid: int) -> bool:
    try:
        return (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def killed_parent(folder: Path, dump: Path, grace: float) -> None:
    run = subprocess.Popen([*COMMAND, "classify", str(dump), "-o", str(folder / "killed.csv"), "--jobs", "2",
                            "--quiet", "--chunk-size", "50"], stderr=subprocess.DEVNULL)
    end = time.monotonic() + 120
    workers: list[int] = []
    while len(workers) < 2 and time.monotonic() < end and run.poll() is None:
        time.sleep(0.1)
        workers = children(run.pid)
    if len(workers) < 2:
        print("2. kill -9: the run ended before two workers were seen; give more --rows")
        run.kill()
        run.wait()
        return
    os.kill(run.pid, signal.SIGKILL)
    run.wait()
    time.sleep(grace)
    survivors = [w for w in workers if alive(w)]
    print(f"2. kill -9 of the parent (--jobs 2): {len(survivors)} of {len(workers)} workers alive {grace:g} s later")
    for worker in survivors:  # leave nothing behind
        os.kill(worker, signal.SIGKILL)


def broken_inputs(folder: Path) -> None:
    """The fuzzing report's inputs; each row: rows in, out, with an error, exit status, content right."""
    from textmine.cli import main as textmine
    from textmine.io import read_table

    gbk = "".join(f"{i},送餐太慢了，饭都凉了，第{i}次这样\n" for i in range(20))
    lines = gbk.splitlines(keepends=True)
    cases = {
        "JSON key first seen in row 2": ("a.jsonl", '{"review":"好吃"}\n{"review":"太慢","x":"1"}\n'.encode(), 2,
                                        lambda f: list(f["x"]) == ["", "1"] and f["categories"][1] != "1"),
        "unterminated quote": ("b.csv", 'id,review\n1,"好吃\n2,太慢\n3,一般\n'.encode(), 3,
                               lambda f: list(f["review"]) == ['"好吃', "太慢", "一般"]),
        "TSV field starting with a quote": ("c.tsv", 'id\treview\n1\t"好吃\n2\t太慢\n'.encode(), 2,
                                            lambda f: list(f["review"]) == ['"好吃', "太慢"]),
        "bare CR in a field": ("d.csv", 'id,review\n1,"好\r吃"\n2,太慢\n'.encode(), 2,
                               lambda f: list(f["review"]) == ["好\r吃", "太慢"]),
        "lone surrogate in JSON lines": ("e.jsonl", '{"review":"好\\ud800吃"}\n{"review":"太慢"}\n'.encode(), 2,
                                         lambda f: list(f["review"]) == ["好\ufffd吃", "太慢"]),
        "control character to .xlsx": ("f.csv", "id,review\n1,好\x01吃\n2,太慢\n".encode(), 2,
                                       lambda f: list(f["review"]) == ["好\ufffd吃", "太慢"]),
        "formula to .xlsx": ("g.csv", 'id,review\n1,"=HYPERLINK(""http://x.invalid"",""点"")"\n'.encode(), 1,
                             lambda f: f["review"][0].startswith("=HYPERLINK")),
        "input columns error, categories": ("h.csv", "error,review,categories\nmine,好吃,x\n".encode(), 1,
                                            lambda f: [f["error"][0], f["categories"][0]] == ["mine", "x"]),
        "GBK file with one UTF-8 line": ("i.csv", ("id,review\n" + "".join(lines[:9])).encode("gbk")
                                         + lines[9].encode() + "".join(lines[10:]).encode("gbk"), 20,
                                         lambda f: list(f["review"]) == [l.split(",", 1)[1].strip() for l in lines]),
        "first 2,500 JSON lines no object": ("k.jsonl", b"[1]\n" * 2500 + '{"review":"好吃"}\n'.encode(), 2501,
                                             lambda f: f["review"].iloc[-1] == "好吃"),
        "Big5 file": ("j.csv", "id,review\n1,送餐太慢了，飯都涼了\n2,客服態度很好，耐心解答問題\n".encode("big5"), 2,
                      lambda f: list(f["review"]) == ["送餐太慢了，飯都涼了", "客服態度很好，耐心解答問題"]),
    }
    print("3. broken inputs                    rows in  out  errors  exit  content (.xlsx: and no formula cell)")
    for name, (file, data, rows, right) in cases.items():
        path = folder / file
        path.write_bytes(data)
        out = folder / (file + (".xlsx" if "xlsx" in name else ".out.csv"))
        with contextlib.redirect_stderr(io.StringIO()) as err:
            code = textmine(["classify", str(path), "-o", str(out), "--jobs", "1", "--quiet"])
        frame = read_table(out) if out.exists() else None
        got = len(frame) if frame is not None else 0
        errors = int((frame.filter(like="error").iloc[:, -1] != "").sum()) if frame is not None else 0
        ok = frame is not None and right(frame)
        if out.suffix == ".xlsx" and out.exists():
            from openpyxl import load_workbook

            cells = [c for row in load_workbook(out).active.iter_rows() for c in row]
            ok = ok and not any(c.data_type == "f" for c in cells)
        print(f"   {name:<34}{rows:>5}{got:>5}{errors:>8}{code:>6}  {'right' if ok else 'WRONG'}"
              + "".join(f"  ({line[:160]})" for line in err.getvalue().splitlines() if "warning" in line))
    path = folder / "twice.csv"
    path.write_text("id,review,review\n1,好吃,太慢\n", encoding="utf-8")
    with contextlib.redirect_stderr(io.StringIO()) as err:
        code = textmine(["classify", str(path), "-o", str(folder / "twice.out.csv"), "--quiet"])
    print(f"   text column named twice: exit {code}: {err.getvalue().strip()}")
    path = folder / "b.csv"
    before = path.read_bytes()
    with contextlib.redirect_stderr(io.StringIO()) as err:
        code = textmine(["classify", str(path), "-o", str(path), "--quiet"])
    print(f"   -o equal to the input: exit {code}, input unchanged {path.read_bytes() == before}: "
          f"{err.getvalue().strip()}")


def too_many_for_xlsx(folder: Path) -> None:
    """An input one row over an .xlsx sheet's limit, to .xlsx: refused, and how soon."""
    from textmine.io import XLSX_MAX_ROWS

    path = folder / "many.csv"
    with open(path, "w", encoding="utf-8") as f:
        f.write("id,review\n")
        f.writelines(f"{i},第{i}条：送餐太慢了\n" for i in range(XLSX_MAX_ROWS))
    start = time.monotonic()
    run = subprocess.run([*COMMAND, "classify", str(path), "-o", str(folder / "many.xlsx"), "--quiet"],
                         stderr=subprocess.PIPE, text=True)
    print(f"4. {XLSX_MAX_ROWS:,} rows to .xlsx (one over): exit {run.returncode} after "
          f"{time.monotonic() - start:.1f} s (start-up included), output written "
          f"{(folder / 'many.xlsx').exists()}: {run.stderr.strip()}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=4000, help="reviews in checks 1 and 2")
    parser.add_argument("--grace", type=float, default=10.0, help="seconds to wait after kill -9")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        if DATA.exists():
            dump = sample_input(folder, args.rows)
            two_runs(folder, dump, args.rows)
            killed_parent(folder, dump, args.grace)
        else:
            print(f"checks 1 and 2 skipped: {DATA} is absent")
        broken_inputs(folder)
        too_many_for_xlsx(folder)


if __name__ == "__main__":
    main()
