"""Extending the default taxonomy with a category of one's own, without harming the rest.

Holds out 20% of the project corpus (fixed seed), then trains two models on the other
80%: the default recipe, and the same plus ``benchmarks/new_category_invoice.csv`` (200
comments written for the project: 150 about invoices, category ``invoice``, 50 about
other things). Both are measured on the held-out corpus; prints the F1 of every old
category for both and the largest change, and how the extended model reads two new
sentences about invoices.

    python benchmarks/bench_extend_taxonomy.py [--tune-thresholds]
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

EXTRA = Path(__file__).with_name("new_category_invoice.csv")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tune-thresholds", action="store_true", help="train both as train --tune-thresholds")
    args = parser.parse_args()
    from textmine.evaluate import label_metrics
    from textmine.training import default_corpus, read_labelled, train

    corpus = default_corpus()
    order = np.random.default_rng(0).permutation(len(corpus))
    cut = int(len(corpus) * 0.8)
    base, held = corpus.subset(order[:cut]), corpus.subset(order[cut:])
    extra = read_labelled(EXTRA)
    plain = train(base, sentiment_data=None, holdout=0, tune_thresholds=args.tune_thresholds)
    extended = train(base + extra, sentiment_data=None, holdout=0, tune_thresholds=args.tune_thresholds)
    a = label_metrics(held.labels, [r.categories for r in plain.analyze(held.texts)])
    b = label_metrics(held.labels, [r.categories for r in extended.analyze(held.texts)])
    print(f"held-out corpus comments: {len(held)}; extra comments: {len(extra)} "
          f"({sum('invoice' in l for l in extra.labels)} with 'invoice')")
    print(f"{'category':<16}{'default':>9}{'extended':>10}{'change':>9}")
    changes = []
    for cat, m in a["per_category"].items():
        fb = b["per_category"].get(cat, {}).get("f1", 0.0)
        changes.append(fb - m["f1"])
        print(f"{cat:<16}{m['f1']:>9.3f}{fb:>10.3f}{fb - m['f1']:>+9.3f}")
    print(f"micro-F1 {a['micro_f1']:.4f} -> {b['micro_f1']:.4f}; old categories' F1: largest drop "
          f"{max(0.0, -min(changes)):.3f}, largest rise {max(0.0, max(changes)):.3f}")
    print(f"new model categories: {', '.join(extended.categories)}")
    invoice = [r.categories.get("invoice") for r in extended.analyze(["发票到现在都没开，催了三次", "电子发票秒开，点赞"])]
    print(f"invoice polarity on two new sentences: {invoice}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
