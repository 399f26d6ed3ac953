"""Comment sentiment accuracy of a textmine model against SnowNLP, in one run, on the
real review sets in ``../shared/data`` (which no shipped model was trained on).

    python benchmarks/bench_sentiment.py [--model models/default.joblib] [--limit N]

Prints accuracy (score >= 0.5 means positive) on ``waimai_10k.csv`` and on the
``label`` column of ``online_shopping_9_cats.csv``, for textmine and for
``SnowNLP(text).sentiments``, and the characters per second of each scorer in one
process (textmine's figure includes its normalisation and segmentation).
"""
from __future__ import annotations

import argparse
import sys
import time

from _corpus import SHARED_DATA


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", help="model file (default: the shipped model)")
    parser.add_argument("--limit", type=int, default=0, help="use only the first N rows of each file (0: all)")
    parser.add_argument("--skip-snownlp", action="store_true", help="measure textmine only")
    args = parser.parse_args()
    if not SHARED_DATA.is_dir():
        print(f"skipped: {SHARED_DATA} not found (the shared review sets are needed)")
        return 0

    import numpy as np
    import pandas as pd

    import textmine
    from textmine.sentiment import SnowNLPScorer

    model = textmine.load_model(args.model)
    snow = SnowNLPScorer().fit()
    print(f"{'data set':<28}{'rows':>8}{'textmine':>10}{'SnowNLP':>10}")
    speeds = {"textmine": [0, 0.0], "SnowNLP": [0, 0.0]}
    for name, path in [("waimai_10k", "waimai_10k.csv"), ("online_shopping_9_cats", "online_shopping_9_cats.csv")]:
        frame = pd.read_csv(SHARED_DATA / path, dtype={"review": str}, keep_default_na=False)
        if args.limit:
            frame = frame.head(args.limit)
        texts, gold = frame["review"].tolist(), frame["label"].astype(int).to_numpy()
        chars = sum(map(len, texts))
        start = time.perf_counter()
        docs = model.segmenter.transform(texts)
        ours = model.sentiment.predict_proba(docs)[:, 1]
        speeds["textmine"][0] += chars
        speeds["textmine"][1] += time.perf_counter() - start
        acc = float(((ours >= 0.5) == gold).mean())
        snow_acc = float("nan")
        if not args.skip_snownlp:
            start = time.perf_counter()
            theirs = snow.predict_proba(docs)[:, 1]
            speeds["SnowNLP"][0] += chars
            speeds["SnowNLP"][1] += time.perf_counter() - start
            snow_acc = float(((theirs >= 0.5) == gold).mean())
        print(f"{name:<28}{len(texts):>8}{acc:>10.4f}{snow_acc:>10.4f}", flush=True)
    for name, (chars, seconds) in speeds.items():
        if seconds:
            print(f"{name} scoring speed, one process: {chars / seconds:,.0f} chars/s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
