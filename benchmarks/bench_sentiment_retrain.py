"""Retraining comment sentiment on a user's own labels, through the CLI: waimai_10k 80/20.

Splits ``../shared/data/waimai_10k.csv`` 80/20 (shuffled with a fixed seed), trains with
``textmine train train.csv --text-col review --sentiment-col label`` (sentiment on top of
the shipped categories) and measures with ``textmine evaluate test.csv --json``; prints
the sentiment accuracy on the 20%.

    python benchmarks/bench_sentiment_retrain.py [--workdir DIR] [--seed 0]
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from _corpus import SHARED_DATA, workdir
from bench_car_topics import textmine

WAIMAI = SHARED_DATA / "waimai_10k.csv"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workdir", type=Path, help="keep the split and the model here")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    if not WAIMAI.exists():
        print(f"skipped: {WAIMAI} not found")
        return 0
    import pandas as pd

    folder = workdir(args.workdir, "waimai-")
    frame = pd.read_csv(WAIMAI, dtype=str, keep_default_na=False).sample(frac=1.0, random_state=args.seed)
    cut = int(len(frame) * 0.8)
    frame.iloc[:cut].to_csv(folder / "train.csv", index=False)
    frame.iloc[cut:].to_csv(folder / "test.csv", index=False)
    model = str(folder / "waimai.model")
    cols = ["--text-col", "review", "--sentiment-col", "label"]
    textmine("train", str(folder / "train.csv"), "-o", model, *cols, "--holdout", "0")
    report = json.loads(textmine("evaluate", str(folder / "test.csv"), "--model", model, *cols, "--json"))
    print(f"train {cut:,} comments, test {len(frame) - cut:,}")
    print(f"sentiment accuracy on the held-out 20%: {report['sentiment_accuracy']:.4f} (n={report['sentiment_n']:,})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
