"""The default model on real comments it has never seen, labelled by hand.

``benchmarks/dev_labels.csv`` holds the labels (file, record number, labels in the
default taxonomy; no text) of 600 comments drawn at random from
``../shared/data/waimai_10k.csv`` and ``online_shopping_9_cats.csv`` (record 1 is the
first record after the header). The texts are read from ``../shared/data`` at run time.
Its errors have guided work on the corpus, so ``benchmarks/holdout_labels.csv`` holds
300 further comments of the same files, labelled the same way, that guide nothing: they
only check that what helps on the first sample helps on comments it was not chosen on.

    python benchmarks/bench_dev_sample.py [--model PATH] [--labels holdout_labels.csv]
"""
from __future__ import annotations

import argparse
import csv
import sys
from pathlib import Path

from _corpus import SHARED_DATA, print_per_category

LABELS = Path(__file__).with_name("dev_labels.csv")


def load(labels_file: Path = LABELS) -> tuple[list[str], list[dict], list[str]]:
    """(texts, labels, source file) of a hand-labelled sample."""
    from textmine.taxonomy import parse_labels

    cache: dict[str, list[str]] = {}
    texts, labels, files = [], [], []
    with open(labels_file, encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            name = row["file"]
            if name not in cache:
                with open(SHARED_DATA / name, encoding="utf-8", newline="") as g:
                    cache[name] = [r["review"] for r in csv.DictReader(g)]
            texts.append(cache[name][int(row["record"]) - 1])
            labels.append(parse_labels(row["labels"]))
            files.append(name)
    return texts, labels, files


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", help="model file (default: the shipped model)")
    parser.add_argument("--labels", type=Path, default=LABELS,
                        help="the sample's labels, a file beside this script or a path (default: dev_labels.csv)")
    args = parser.parse_args()
    if not SHARED_DATA.is_dir():
        print(f"skipped: {SHARED_DATA} not found")
        return 0
    import textmine
    from textmine.evaluate import label_metrics

    model = textmine.load_model(args.model)
    labels_file = args.labels if args.labels.is_file() else LABELS.parent / args.labels
    texts, labels, files = load(labels_file)
    results = model.analyze(texts)
    for name in sorted(set(files)) + ["all"]:
        keep = [i for i, f in enumerate(files) if name in ("all", f)]
        m = label_metrics([labels[i] for i in keep], [results[i].categories for i in keep])
        print(f"{name:<28} n={m['n']:<4} micro-F1 {m['micro_f1']:.4f}  macro-F1 {m['macro_f1']:.4f}  "
              f"category+polarity F1 {m['category_polarity_f1']:.4f}  "
              f"complaints as praise {m['complaints_as_praise']:.1%}  praise as complaint {m['praise_as_complaints']:.1%}")
    m = label_metrics(labels, [r.categories for r in results])
    print_per_category(m)
    return 0


if __name__ == "__main__":
    sys.exit(main())
