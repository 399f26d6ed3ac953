"""A million comments through ``textmine classify``, against plain ``jieba.lcut``.

Builds ``--rows`` comments of realistic length from the project's corpus (each joins
clauses drawn at random from different corpus comments up to a length drawn from the
corpus' own comment lengths, so that the rows are varied but speak its language), writes them as a CSV, runs the
``textmine classify`` command on it (all cores, as a user would) and, in the same run,
plain single-process ``jieba.lcut`` over the same texts. Prints rows per second,
characters per second and the peak memory of the classify processes (the largest
single process, from the operating system's accounting), and checks that the output
has one row per input row.

    python benchmarks/bench_million.py [--rows 1000000] [--jobs 2]
"""
from __future__ import annotations

import argparse
import csv
import random
import re
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _corpus import corpus_texts


def make_comments(n: int, seed: int = 0) -> list[str]:
    """``n`` comments recombined from the corpus' clauses (fixed seed): each draws a target
    length from the corpus' own comment lengths and joins random clauses until it is
    reached."""
    texts = corpus_texts()
    clauses = [c for t in texts for c in re.split(r"[，。！？,.!?\s]+", t) if c]
    lengths = [len(t) for t in texts]
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        target, parts, size = rng.choice(lengths), [], 0
        while size < target:
            clause = rng.choice(clauses)
            parts.append(clause)
            size += len(clause) + 1
        out.append("，".join(parts) + rng.choice(("", "", "。", "！", "~")))
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--jobs", type=int, default=None, help="classify worker processes (default: all cores)")
    args = parser.parse_args()

    import jieba

    texts = make_comments(args.rows)
    chars = sum(map(len, texts))
    with tempfile.TemporaryDirectory() as tmp:
        src, out = Path(tmp) / "comments.csv", Path(tmp) / "classified.csv"
        with open(src, "w", encoding="utf-8", newline="") as f:
            writer = csv.writer(f)
            writer.writerow(["id", "text"])
            writer.writerows(enumerate(texts))
        command = [sys.executable, "-m", "textmine", "classify", str(src), "-o", str(out), "--quiet", "--json"]
        if args.jobs:
            command += ["--jobs", str(args.jobs)]
        start = time.perf_counter()
        done = subprocess.run(command, capture_output=True, text=True)
        ours = time.perf_counter() - start
        if done.returncode:
            sys.exit(done.stderr)
        peak_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        with open(out, encoding="utf-8-sig", newline="") as f:
            out_rows = sum(1 for _ in csv.reader(f)) - 1
        jieba.initialize()
        start = time.perf_counter()
        for text in texts:
            jieba.lcut(text)
        plain = time.perf_counter() - start
    print(f"{len(texts):,} comments, {chars:,} characters (mean {chars / len(texts):.1f}); output rows: {out_rows:,}")
    print(f"textmine classify: {ours:8.1f} s  {len(texts) / ours:10,.0f} rows/s  {chars / ours:12,.0f} chars/s  "
          f"peak memory {peak_kib / 1024:,.0f} MiB (largest process)")
    print(f"plain jieba.lcut:  {plain:8.1f} s  {len(texts) / plain:10,.0f} rows/s  {chars / plain:12,.0f} chars/s")
    print(f"classify / plain segmentation speed: {plain / ours:.2f}x")
    return 0 if out_rows == len(texts) else 1


if __name__ == "__main__":
    sys.exit(main())
