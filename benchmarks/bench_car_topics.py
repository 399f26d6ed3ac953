"""Retraining on a user's own multi-label data: the car-forum topic set.

Makes the fixed split of ``../shared/data/ccf_bdci2018_car_topics.csv`` (a comment is in
the test split when ``int(md5(content_id), 16) % 5 == 0``), trains with the
``textmine train`` command on the train split and measures with ``textmine evaluate``
on the test split; prints topic micro-F1 and topic+sentiment F1.

    python benchmarks/bench_car_topics.py [--workdir DIR]
"""
from __future__ import annotations

import argparse
import hashlib
import json
import subprocess
import sys
from pathlib import Path

from _corpus import SHARED_DATA, workdir

CAR = SHARED_DATA / "ccf_bdci2018_car_topics.csv"
LONG = ["--text-col", "content", "--id-col", "content_id", "--label-col", "subject", "--polarity-col", "sentiment_value"]


def split(folder: Path) -> tuple[Path, Path]:
    """Write train.csv and test.csv (records of the file, by the fixed rule) into folder."""
    import pandas as pd

    frame = pd.read_csv(CAR, dtype=str, keep_default_na=False)
    test = frame["content_id"].map(lambda c: int(hashlib.md5(c.encode()).hexdigest(), 16) % 5 == 0)
    frame[~test].to_csv(folder / "train.csv", index=False)
    frame[test].to_csv(folder / "test.csv", index=False)
    return folder / "train.csv", folder / "test.csv"


def textmine(*args: str) -> str:
    done = subprocess.run([sys.executable, "-m", "textmine", *args], capture_output=True, text=True)
    if done.returncode:
        sys.exit(done.stderr)
    return done.stdout


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workdir", type=Path, help="where the split and the model go (default: a temporary folder)")
    args = parser.parse_args()
    if not CAR.exists():
        print(f"skipped: {CAR} not found")
        return 0
    folder = workdir(args.workdir, "car-")
    train, test = split(folder)
    model = folder / "car.model"
    textmine("train", str(train), "-o", str(model), *LONG, "--holdout", "0")
    metrics = json.loads(textmine("evaluate", str(test), "--model", str(model), "--json", *LONG))
    print(f"test comments: {metrics['n']}")
    print(f"topic micro-F1: {metrics['micro_f1']:.4f}")
    print(f"topic+sentiment F1: {metrics['category_polarity_f1']:.4f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
