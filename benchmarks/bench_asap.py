"""The default model on long real restaurant reviews (ASAP), an evaluation-only set.

Reads ``../shared/data/asap_restaurant_300.csv`` at run time, maps its aspects to the
taxonomy as ``../shared/README.md`` says (where several aspects of one category are
mentioned, the category's polarity is the sign of their sum) and scores the model over
the six mapped categories only, gold and prediction alike: category micro-F1,
category+polarity micro-F1, complaints read as praise (of the (comment, category) pairs
labelled -1 that the model finds, the share it gives 1) and praise read as complaint.

    python benchmarks/bench_asap.py [--model PATH]
"""
from __future__ import annotations

import argparse
import csv
import sys

from _corpus import SHARED_DATA, print_per_category

ASAP = SHARED_DATA / "asap_restaurant_300.csv"
ASPECTS = {
    "location": ["location_traffic", "location_distance_from_business_district", "location_easy_to_find",
                 "service_parking_convenience"],
    "responsiveness": ["service_wait_time", "service_serving_speed"],
    "service": ["service_waiters_attitude"],
    "price": ["price_level", "price_cost_effective", "price_discount"],
    "environment": ["environment_decoration", "environment_noise", "environment_space", "environment_cleaness"],
    "food": ["dish_portion", "dish_taste", "dish_look"],
}


def load() -> tuple[list[str], list[dict[str, int]]]:
    """(reviews, gold ``{category: polarity}`` over the six mapped categories)."""
    texts, labels = [], []
    with open(ASAP, encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            gold = {}
            for cat, aspects in ASPECTS.items():
                values = [int(row[a]) for a in aspects if int(row[a]) != -2]
                if values:
                    total = sum(values)
                    gold[cat] = (total > 0) - (total < 0)
            texts.append(row["reviewbody"])
            labels.append(gold)
    return texts, labels


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", help="model file (default: the shipped model)")
    args = parser.parse_args()
    if not ASAP.is_file():
        print(f"skipped: {ASAP} not found")
        return 0
    import textmine
    from textmine.evaluate import label_metrics

    texts, gold = load()
    results = textmine.load_model(args.model).analyze(texts)
    pred = [{c: p for c, p in r.categories.items() if c in ASPECTS} for r in results]
    m = label_metrics(gold, pred)
    print(f"ASAP restaurant reviews n={m['n']}  category micro-F1 {m['micro_f1']:.4f}  "
          f"category+polarity F1 {m['category_polarity_f1']:.4f}  "
          f"complaints read as praise {m['complaints_as_praise']:.1%}  "
          f"praise read as complaint {m['praise_as_complaints']:.1%}")
    print_per_category(m)
    return 0


if __name__ == "__main__":
    sys.exit(main())
