"""Comment sentiment of a textmine model against SnowNLP, in one run, on the test fifth
of the real review sets in ``../shared/data`` (records no shipped model trains on, see
:func:`textmine.public.is_test_record`), and how often category polarity contradicts a
negative verdict.

    python benchmarks/bench_sentiment.py [--model models/default.npz] [--limit N] [--skip-snownlp]

Prints, for ``waimai_10k.csv`` and ``online_shopping_9_cats.csv``: accuracy (score >= 0.5
means positive) of textmine and of ``SnowNLP(text).sentiments``; and, of the comments
labelled negative where the model finds a single category, the share given polarity 1.
Then the characters per second of each scorer in one process (textmine's figure
includes its normalisation and segmentation).
"""
from __future__ import annotations

import argparse
import sys
import time

from _corpus import SHARED_DATA


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", help="model file (default: the shipped model)")
    parser.add_argument("--limit", type=int, default=0, help="use only the first N test records of each file (0: all)")
    parser.add_argument("--skip-snownlp", action="store_true", help="measure textmine only")
    args = parser.parse_args()
    if not SHARED_DATA.is_dir():
        print(f"skipped: {SHARED_DATA} not found (the shared review sets are needed)")
        return 0

    import numpy as np

    import textmine
    from textmine.public import PUBLIC_SETS, read_public_reviews
    from textmine.sentiment import SnowNLPScorer

    model = textmine.load_model(args.model)
    snow = SnowNLPScorer().fit()
    test = read_public_reviews(SHARED_DATA, part="test")
    print(f"{'test fifth of':<28}{'rows':>7}{'textmine':>10}{'SnowNLP':>10}"
          f"{'negative, one category':>24}{'given +1':>10}")
    speeds = {"textmine": [0, 0.0], "SnowNLP": [0, 0.0]}
    for name in PUBLIC_SETS:
        keep = [i for i, f in enumerate(test.files) if f == name][:args.limit or None]
        texts = [test.texts[i] for i in keep]
        gold = np.array([test.labels[i] for i in keep])
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
        results = model.analyze_documents(docs)
        single = [r for r, g in zip(results, gold) if g == 0 and len(r.categories) == 1]
        praised = sum(1 in r.categories.values() for r in single)
        print(f"{name:<28}{len(texts):>7}{acc:>10.4f}{snow_acc:>10.4f}{len(single):>24}"
              f"{praised / max(len(single), 1):>10.1%}", flush=True)
    for name, (chars, seconds) in speeds.items():
        if seconds:
            print(f"{name} scoring speed, one process: {chars / seconds:,.0f} chars/s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
