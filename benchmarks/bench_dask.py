"""``textmine classify`` on a Dask cluster against the same run on one machine.

Builds ``--rows`` distinct comments, each two random real comments of
``../shared/data`` (waimai_10k and online_shopping_9_cats) joined with "，", writes them
as ``--partitions`` Parquet partitions, then in one run:

1. the local run: ``textmine classify`` of the same rows as one Parquet file (all cores);
2. a ``dask scheduler`` and two ``dask worker`` processes on 127.0.0.1, and
   ``textmine classify FOLDER -o OUT --scheduler ...``;
3. the same with one worker killed (SIGKILL) half-way through and a new one started;
4. ``textmine summarize`` of the local output and of the partitioned output with
   ``--scheduler``, comparing their Pareto and pain-point tables.

Prints wall times, their ratio, and whether every output is identical, row for row, to
the local run. Every process it starts listens on 127.0.0.1 only and is stopped at the end.

    python benchmarks/bench_dask.py [--rows 200000] [--partitions 8]
"""
from __future__ import annotations

import argparse
import csv
import random
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from _corpus import SHARED_DATA, workdir


def real_comments() -> list[str]:
    """Every review of waimai_10k.csv and online_shopping_9_cats.csv."""
    texts = []
    for name in ("waimai_10k.csv", "online_shopping_9_cats.csv"):
        with open(SHARED_DATA / name, encoding="utf-8", newline="") as f:
            texts += [row["review"] for row in csv.DictReader(f) if row.get("review")]
    return texts


def make_comments(n: int, seed: int = 0) -> list[str]:
    """``n`` distinct comments, each two random real comments joined with "，"."""
    pool, rng, seen = real_comments(), random.Random(seed), set()
    while len(seen) < n:
        seen.add(rng.choice(pool) + "，" + rng.choice(pool))
    out = sorted(seen)
    rng.shuffle(out)
    return out


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def textmine(*args: str) -> float:
    """Run the textmine command; its wall time in seconds."""
    start = time.monotonic()
    subprocess.run([sys.executable, "-m", "textmine", *args, "--quiet"], check=True)
    return time.monotonic() - start


def start_worker(address: str, folder: Path) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "distributed.cli.dask_worker", address, "--nthreads", "1",
                             "--nworkers", "1", "--host", "127.0.0.1", "--no-dashboard",
                             "--local-directory", str(folder)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)


def stop(process: subprocess.Popen, sig: int = signal.SIGTERM) -> None:
    import os

    try:
        os.killpg(process.pid, sig)
    except ProcessLookupError:
        return
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def same_rows(local: Path, outdir: Path) -> bool:
    import pandas as pd

    from textmine.dask import read_outputs

    return read_outputs(outdir).reset_index(drop=True).equals(pd.read_parquet(local).reset_index(drop=True))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--partitions", type=int, default=8)
    parser.add_argument("--workdir", type=Path, help="where to write the data (default: a new temporary folder)")
    args = parser.parse_args()
    if not SHARED_DATA.is_dir():
        print(f"skipped: {SHARED_DATA} is absent", file=sys.stderr)
        return 0
    import pandas as pd

    folder = workdir(args.workdir, "bench_dask_")
    for old in ("out", "out-killed", "report-local", "report-dask", "local.parquet"):
        path = folder / old
        shutil.rmtree(path) if path.is_dir() else path.unlink(missing_ok=True)
    texts = make_comments(args.rows)
    dump = folder / "dump"
    dump.mkdir(exist_ok=True)
    size = -(-len(texts) // args.partitions)
    for k in range(args.partitions):
        pd.DataFrame({"id": range(k * size, min((k + 1) * size, len(texts))), "review": texts[k * size:(k + 1) * size]}
                     ).to_parquet(dump / f"part-{k:03d}.parquet", index=False)
    whole = folder / "all.parquet"
    pd.DataFrame({"id": range(len(texts)), "review": texts}).to_parquet(whole, index=False)
    print(f"{len(texts):,} distinct comments, {sum(map(len, texts)):,} characters, {args.partitions} partitions")

    local = folder / "local.parquet"
    t_local = textmine("classify", str(whole), "-o", str(local))
    print(f"local classify (all cores): {t_local:.1f} s")

    port = free_port()
    address = f"tcp://127.0.0.1:{port}"
    scheduler = subprocess.Popen([sys.executable, "-m", "distributed.cli.dask_scheduler", "--host", "127.0.0.1",
                                  "--port", str(port), "--no-dashboard"],
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    workers = []
    try:
        time.sleep(2)
        workers = [start_worker(address, folder / "w") for _ in range(2)]
        time.sleep(3)
        out = folder / "out"
        t_dask = textmine("classify", str(dump), "-o", str(out), "--scheduler", address)
        print(f"dask classify (scheduler + 2 workers, start-up of the command included): {t_dask:.1f} s, "
              f"{t_dask / t_local:.2f}x the local run; identical rows: {same_rows(local, out)}")

        out2 = folder / "out-killed"
        run = subprocess.Popen([sys.executable, "-m", "textmine", "classify", str(dump), "-o", str(out2),
                                "--scheduler", address, "--quiet"])
        time.sleep(t_dask / 2)
        stop(workers[0], signal.SIGKILL)
        print("killed one worker half-way; starting a new one")
        workers[0] = start_worker(address, folder / "w")
        code = run.wait()
        print(f"with a worker killed half-way: exit {code}; identical rows: {same_rows(local, out2)}")

        report_local, report_dask = folder / "report-local", folder / "report-dask"
        t_sum_local = textmine("summarize", str(local), "-o", str(report_local))
        t_sum_dask = textmine("summarize", str(out), "-o", str(report_dask), "--scheduler", address)
        for name in ("pareto.csv", "pain_points.csv"):
            a, b = pd.read_csv(report_local / name), pd.read_csv(report_dask / name)
            print(f"summarize {name}: identical: {a.equals(b)}")
        print(f"summarize: local {t_sum_local:.1f} s, with --scheduler {t_sum_dask:.1f} s")
    finally:
        for w in workers:
            stop(w)
        stop(scheduler)
    return 0


if __name__ == "__main__":
    sys.exit(main())
