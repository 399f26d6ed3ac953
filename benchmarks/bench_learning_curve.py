"""Learning curve on the car-topic set: labels chosen at random against labels chosen by
``textmine suggest`` (active learning).

Uses the fixed split of ``../shared/data/ccf_bdci2018_car_topics.csv`` (see
``bench_car_topics.py``). Random: train on 100, 200, 400, 800 and all train comments
drawn at random. Active: start from the same first 100 random comments, then in rounds
of ``--step`` let ``suggest`` pick the next comments from the rest of the train split
(their gold labels play the annotator) up to 800. Prints test topic micro-F1 of each,
for every seed in ``--seeds`` and, with several seeds, their mean (one draw of 800
random comments scores anywhere within about ±0.01 of another, so a few seeds are
needed), and at which size active learning reaches random's F1 at 800.

    python benchmarks/bench_learning_curve.py [--sizes 100,200,400,800] [--seeds 0,1,2,3,4,5,6,7] [--step 100]
"""
from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import numpy as np

from bench_car_topics import CAR, split


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100,200,400,800")
    parser.add_argument("--seeds", default="0,1,2,3,4,5,6,7", help="comma-separated seeds of the random draws")
    parser.add_argument("--step", type=int, default=100, help="comments suggested per round")
    args = parser.parse_args()
    if not CAR.exists():
        print(f"skipped: {CAR} not found")
        return 0
    from textmine.active import suggest
    from textmine.evaluate import label_metrics
    from textmine.training import read_labelled, train

    long = dict(text_col="content", id_col="content_id", label_col="subject", polarity_col="sentiment_value")
    train_path, test_path = split(Path(tempfile.mkdtemp(prefix="car-")))
    pool, test = read_labelled(train_path, **long), read_labelled(test_path, **long)
    sizes = [int(s) for s in args.sizes.split(",")]
    seeds = [int(s) for s in args.seeds.split(",")]

    def score(index, seed: int):
        model = train(pool.subset(list(index)), sentiment_data=None, holdout=0, force=True, random_state=seed)
        return label_metrics(test.labels, [r.categories for r in model.analyze(test.texts)])["micro_f1"], model

    print(f"pool {len(pool)} comments, test {len(test)}")
    print(f"all {len(pool)}: micro-F1 {score(range(len(pool)), seeds[0])[0]:.4f}", flush=True)
    random_f1, active_f1 = {}, {}
    for seed in seeds:
        order = np.random.default_rng(seed).permutation(len(pool))
        for size in sizes:
            f1, model = score(order[:size], seed)
            random_f1.setdefault(size, []).append(f1)
            print(f"seed {seed} random {size:>5}: micro-F1 {f1:.4f}", flush=True)
            if size == sizes[0]:  # the active rounds start from this model
                first = f1, model
        chosen = list(order[:sizes[0]])
        f1, model = first
        active_f1.setdefault(len(chosen), []).append(f1)
        while len(chosen) < sizes[-1]:
            taken = set(chosen)
            rest = [i for i in range(len(pool)) if i not in taken]
            picks = suggest(model, [pool.texts[i] for i in rest], min(args.step, sizes[-1] - len(chosen)),
                            random_state=seed + len(chosen))
            chosen += [rest[p.position] for p in picks]
            f1, model = score(chosen, seed)
            active_f1.setdefault(len(chosen), []).append(f1)
            print(f"seed {seed} active {len(chosen):>5}: micro-F1 {f1:.4f}", flush=True)
    if len(seeds) > 1:
        print(f"mean over seeds {args.seeds}:")
        for name, curve in (("random", random_f1), ("active", active_f1)):
            print(f"  {name}: " + ", ".join(f"{n} {np.mean(v):.4f}" for n, v in sorted(curve.items())))
    target = np.mean(random_f1[sizes[-1]])
    reached = [n for n, v in sorted(active_f1.items()) if np.mean(v) >= target]
    print(f"random {sizes[-1]}: {target:.4f}; active reaches it at "
          f"{f'{reached[0]} labels' if reached else f'no size up to {sizes[-1]}'}")
    # per seed: the first size at which active reaches that seed's own random draw of the largest size
    own = [next((n for n, v in sorted(active_f1.items()) if v[k] >= random_f1[sizes[-1]][k]), None)
           for k in range(len(seeds))]
    print(f"per seed, active reaches its own random {sizes[-1]} at: "
          + ", ".join(f"seed {s} {n or 'never'}" for s, n in zip(seeds, own)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
