"""Throughput on distinct real comments: ``textmine classify``, start-up included, against
single-process ``jieba.lcut`` and the naive per-row pipeline, side by side in one run.

Reads the reviews of ``waimai_10k.csv`` and ``online_shopping_9_cats.csv`` from
``../shared/data`` (each distinct text once: 57,233 comments) and prints:

1. cuts: how often the segmenter's two backends (rjieba, jieba; both with the project
   dictionary and the HMM) cut a comment identically, raw and after textmine's own
   clean-up, and the characters per second of each;
2. the whole ``textmine classify`` command (a fresh process, all cores, start-up
   included) on the 57,233 comments against single-process ``jieba.lcut`` on the same
   texts (characters per second);
3. ``textmine classify`` on the 11,837 waimai comments, start-up included, against the
   naive per-row jieba + scikit-learn + SnowNLP pipeline of ``bench_throughput.py``
   (its training excluded; ``--naive-rows`` spread rows timed, as rows per second);
4. with ``--million``: a million distinct comments, each two random real comments
   joined with "，" (fixed seed), through ``textmine classify``: characters per second
   against ``jieba.lcut`` (timed on ``--jieba-rows`` of them), peak memory summed over
   every process of the run (PSS, sampled every 0.2 s from ``/proc``), and one output
   row per input row.

    python benchmarks/bench_distinct.py [--jobs N] [--naive-rows 2000] [--million] [--jieba-rows 200000]
"""
from __future__ import annotations

import argparse
import csv
import random
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from _corpus import SHARED_DATA, corpus_texts

FILES = ("waimai_10k.csv", "online_shopping_9_cats.csv")


def read_reviews(name: str) -> list[str]:
    """The ``review`` column of a shared data set, in file order."""
    with open(SHARED_DATA / name, encoding="utf-8", newline="") as f:
        return [row["review"] for row in csv.DictReader(f)]


def write_csv(path: Path, texts: list[str]) -> Path:
    with open(path, "w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["id", "text"])
        writer.writerows(enumerate(texts))
    return path


def _tree_pss_kib(root: int) -> int:
    """PSS (KiB) summed over ``root`` and all its descendants, from /proc."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        todo += children.get(pid, [])
        try:
            for line in open(f"/proc/{pid}/smaps_rollup"):
                if line.startswith("Pss:"):
                    total += int(line.split()[1])
        except OSError:
            pass
    return total


def classify(src: Path, out: Path, jobs: int | None) -> tuple[float, int, int]:
    """Run the ``textmine classify`` command; (seconds, peak PSS KiB of its process tree,
    output rows)."""
    command = [sys.executable, "-m", "textmine", "classify", str(src), "-o", str(out), "--quiet"]
    if jobs:
        command += ["--jobs", str(jobs)]
    peak = [0]
    start = time.perf_counter()
    process = subprocess.Popen(command, stderr=subprocess.PIPE, text=True)

    def sample() -> None:
        while process.poll() is None:
            peak[0] = max(peak[0], _tree_pss_kib(process.pid))
            time.sleep(0.2)

    sampler = threading.Thread(target=sample)
    sampler.start()
    _, err = process.communicate()
    seconds = time.perf_counter() - start
    sampler.join()
    if process.returncode:
        sys.exit(f"textmine classify failed: {err.strip()}")
    with open(out, encoding="utf-8-sig", newline="") as f:
        rows = sum(1 for _ in csv.reader(f)) - 1
    return seconds, peak[0], rows


def jieba_seconds(texts: list[str]) -> float:
    """Seconds of single-process ``jieba.lcut`` over ``texts`` (initialisation excluded)."""
    import jieba

    jieba.initialize()
    start = time.perf_counter()
    for text in texts:
        jieba.lcut(text)
    return time.perf_counter() - start


def compare_cuts(texts: list[str]) -> None:
    from textmine.segment import Segmenter

    fast, slow = Segmenter(backend="rjieba"), Segmenter(backend="jieba")
    chars = sum(map(len, texts))
    cuts = []
    for name, segmenter in (("rjieba", fast), ("jieba", slow)):
        tokenizer = segmenter._state()[0]
        cut = tokenizer.cut if name == "rjieba" else (lambda text, hmm: tokenizer.lcut(text, HMM=hmm))
        start = time.perf_counter()
        cuts.append([cut(text, True) for text in texts])
        print(f"  {name:<7} raw cut: {chars / (time.perf_counter() - start):12,.0f} chars/s")
    same = sum(a == b for a, b in zip(*cuts))
    tokens = [[d.tokens for d in s.transform(texts)] for s in (fast, slow)]
    same_tokens = sum(a == b for a, b in zip(*tokens))
    print(f"  identical cuts: raw {same / len(texts):.2%} ({same:,} of {len(texts):,}); "
          f"textmine tokens {same_tokens / len(texts):.2%}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, help="classify worker processes (default: all cores)")
    parser.add_argument("--naive-rows", type=int, default=2_000, help="waimai rows the naive pipeline is timed on")
    parser.add_argument("--million", action="store_true", help="also run the million distinct comments")
    parser.add_argument("--jieba-rows", type=int, default=200_000, help="million-run comments jieba.lcut is timed on")
    parser.add_argument("--skip-cuts", action="store_true", help="skip the segmenter comparison")
    args = parser.parse_args()
    if not all((SHARED_DATA / name).is_file() for name in FILES):
        print(f"skipped: {SHARED_DATA} does not hold {' and '.join(FILES)}")
        return 0

    waimai = list(dict.fromkeys(read_reviews(FILES[0])))
    texts = list(dict.fromkeys(waimai + read_reviews(FILES[1])))
    chars = sum(map(len, texts))
    print(f"{len(texts):,} distinct comments, {chars:,} characters")
    if not args.skip_cuts:
        print("1. segmenter backends")
        compare_cuts(texts)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        ours, peak, rows = classify(write_csv(tmp / "all.csv", texts), tmp / "all.out.csv", args.jobs)
        plain = jieba_seconds(texts)
        print("2. whole CLI, start-up included, against single-process jieba.lcut")
        print(f"  textmine classify: {ours:7.1f} s {chars / ours:11,.0f} chars/s  rows out {rows:,}  "
              f"peak PSS {peak / 1024:,.0f} MiB")
        print(f"  jieba.lcut:        {plain:7.1f} s {chars / plain:11,.0f} chars/s")
        print(f"  ratio: {plain / ours:.2f}x (target at least 2.0x)")

        ours_w, _, rows_w = classify(write_csv(tmp / "waimai.csv", waimai), tmp / "waimai.out.csv", args.jobs)
        from bench_throughput import naive_pipeline
        from textmine.taxonomy import parse_labels

        with open(Path(__file__).resolve().parents[1] / "corpora" / "feedback_labelled.csv", encoding="utf-8") as f:
            labels = [list(parse_labels(r["labels"])) for r in csv.DictReader(f)]
        run = naive_pipeline(corpus_texts(), labels)
        step = max(1, len(waimai) // args.naive_rows)
        sample = waimai[::step][:args.naive_rows]
        start = time.perf_counter()
        for text in sample:
            run(text)
        naive_rate = len(sample) / (time.perf_counter() - start)
        ours_rate = len(waimai) / ours_w
        print(f"3. {len(waimai):,} waimai comments, start-up included, against the naive per-row pipeline")
        print(f"  textmine classify: {ours_w:7.1f} s {ours_rate:9,.0f} rows/s  rows out {rows_w:,}")
        print(f"  naive per-row:     {naive_rate:9,.1f} rows/s (on {len(sample):,} spread rows; "
              f"{len(waimai) / naive_rate:,.0f} s for all)")
        print(f"  ratio: {ours_rate / naive_rate:.1f}x (target at least 50x)")

        if args.million:
            rng = random.Random(0)
            joined: dict[str, None] = {}
            while len(joined) < 1_000_000:
                joined[f"{rng.choice(texts)}，{rng.choice(texts)}"] = None
            million = list(joined)
            chars_m = sum(map(len, million))
            ours_m, peak_m, rows_m = classify(write_csv(tmp / "million.csv", million), tmp / "million.out.csv", args.jobs)
            part = million[:args.jieba_rows]
            plain_rate = sum(map(len, part)) / jieba_seconds(part)
            print(f"4. {len(million):,} distinct comments of two real ones, {chars_m:,} characters")
            print(f"  textmine classify: {ours_m:7.1f} s {chars_m / ours_m:11,.0f} chars/s  rows out {rows_m:,}  "
                  f"peak PSS (all processes) {peak_m / 1024 ** 2:.2f} GiB (target at most 1.5)")
            print(f"  jieba.lcut:        {plain_rate:11,.0f} chars/s (on the first {len(part):,})")
            print(f"  ratio: {chars_m / ours_m / plain_rate:.2f}x (target at least 2.0x); "
                  f"one row per input row: {rows_m == len(million)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
