"""Start-up: ``textmine classify`` on a one-row file against jieba's own import and
initialisation, and ``textmine.load_model()``, side by side in one run.

Each command runs ``--runs`` times in a fresh Python process, the three interleaved
(after one untimed run of each, so that every one starts from a warm disk cache and
jieba from its own dictionary cache); the medians are compared.

    python benchmarks/bench_startup.py [--runs 3]
"""
from __future__ import annotations

import argparse
import csv
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def timed(command: list[str]) -> float:
    """Wall-clock seconds of one run of ``command``; exits when it fails."""
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if done.returncode:
        sys.exit(f"{' '.join(command)} failed: {done.stderr.strip()}")
    return seconds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="timed runs of each command; medians are compared")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        one = Path(tmp) / "one.csv"
        with open(one, "w", encoding="utf-8", newline="") as f:
            csv.writer(f).writerows([["text"], ["送餐太慢了，饭都凉了，客服也不回消息"]])
        commands = {
            "jieba: import + initialize": [sys.executable, "-c", "import jieba; jieba.initialize()"],
            "textmine classify, one row": [sys.executable, "-m", "textmine", "classify", str(one),
                                           "-o", str(Path(tmp) / "out.csv"), "--quiet"],
            "textmine.load_model()": [sys.executable, "-c", "import textmine; textmine.load_model()"],
        }
        times: dict[str, list[float]] = {name: [] for name in commands}
        for command in commands.values():
            timed(command)
        for _ in range(args.runs):
            for name, command in commands.items():
                times[name].append(timed(command))
        rows = sum(1 for _ in csv.reader(open(Path(tmp) / "out.csv", encoding="utf-8-sig"))) - 1
    medians = {name: statistics.median(t) for name, t in times.items()}
    for name, t in times.items():
        print(f"{name:<30} median {medians[name]:6.2f} s   runs: {', '.join(f'{x:.2f}' for x in t)}")
    ratio = medians["textmine classify, one row"] / medians["jieba: import + initialize"]
    print(f"classify one row / jieba import + initialize: {ratio:.2f}x (target at most 2.0x); output rows: {rows}")
    print(f"textmine.load_model() in a fresh process, import included: {medians['textmine.load_model()']:.2f} s "
          "(target at most 1 s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
