"""Before/after comparison and key drivers on a real dump, by hand (never a test).

Reads ../shared/data/waimai_10k.csv, classifies it once with the default model (cached
under /tmp, never in the repository) and checks three things:

1. planted change: two random halves as BEFORE and AFTER; in AFTER, 60% of the comments
   whose only complaint is logistics are replaced by complaint-free comments from outside
   both halves. ``textmine diff`` must call logistics ``better`` (q < 0.05) and no other
   category better or worse;
2. no change: 20 random splits into two halves must give at most 2 categories called
   better or worse in total;
3. key drivers: a synthetic 0-10 score, 4 points lower for ``logistics:-1`` comments and 1
   point lower for ``food:-1`` ones, plus noise; ``textmine summarize --score-col`` must
   rank logistics first and food second in drivers.csv, and its NPS must equal one counted
   by hand.

    python benchmarks/bench_diff.py [--data ../shared/data/waimai_10k.csv] [--cache DIR] [--seed 0]
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
DATA = HERE.parents[1] / "shared" / "data" / "waimai_10k.csv"


def classified(data: Path, cache: Path) -> tuple[pd.DataFrame, list]:
    """The dump classified by the default model (from the cache when it is there), and
    its Results."""
    from textmine.batch import classify_file, read_results

    target = cache / f"{data.stem}.classified.csv"
    if not target.exists():
        start = time.perf_counter()
        classify_file(data, target, jobs=1)
        print(f"classified {data.name} once in {time.perf_counter() - start:.0f} s -> {target}")
    frame, _, results = read_results(target)
    return frame, results


def planted(frame: pd.DataFrame, neg: list[set[str]], rng, out: Path) -> bool:
    from textmine.cli import main

    free = [i for i in range(len(frame)) if not neg[i] and not frame["error"].iloc[i]]
    reserve = set(rng.choice(free, size=1500, replace=False).tolist())
    rest = rng.permutation([i for i in range(len(frame)) if i not in reserve])  # the halves: a fresh shuffle
    half = len(rest) // 2
    before, after = list(rest[:half]), list(rest[half:])
    only_logistics = [k for k, i in enumerate(after) if neg[i] == {"logistics"}]
    replace = rng.choice(only_logistics, size=round(0.6 * len(only_logistics)), replace=False)
    pool = iter(sorted(reserve))
    for k in replace:
        after[k] = next(pool)
    print(f"planted change: BEFORE {len(before):,} comments, AFTER {len(after):,}; "
          f"{len(replace)} of the {len(only_logistics)} logistics-only complaints of AFTER replaced")
    frame.iloc[before].to_csv(out / "before.csv", index=False)
    frame.iloc[after].to_csv(out / "after.csv", index=False)
    start = time.perf_counter()
    code = main(["diff", str(out / "before.csv"), str(out / "after.csv"), "-o", str(out / "planted"), "--quiet"])
    print(f"textmine diff exit {code} in {time.perf_counter() - start:.1f} s")
    table = pd.read_csv(out / "planted" / "diff.csv")
    print(table[["category", "before_rate", "after_rate", "change", "ci_low", "ci_high", "q_value", "verdict"]]
          .to_string(index=False, float_format=lambda x: f"{x:.4g}"))
    verdicts = dict(zip(table["category"], table["verdict"]))
    others = {c: v for c, v in verdicts.items() if c != "logistics" and v != "no clear change"}
    q = float(table.set_index("category").loc["logistics", "q_value"])
    ok = verdicts.get("logistics") == "better" and q < 0.05 and not others
    print(f"PLANTED: logistics {verdicts.get('logistics')} (q = {q:.3g}); other categories called better/worse: "
          f"{others or 'none'} -> {'holds' if ok else 'FAILS'}")
    fell = pd.read_csv(out / "planted" / "phrases.csv").query("direction == 'fell'").head(5)
    print("phrases that fell most:", ", ".join(f"{c}/{p} ({b} -> {a}, z {z:.1f})" for c, p, b, a, z in zip(
        fell["category"], fell["phrase"], fell["before_comments"], fell["after_comments"], fell["z"])))
    return ok


def no_change(results: list, rng, splits: int = 20) -> bool:
    from textmine.changes import diff

    called = []
    start = time.perf_counter()
    for k in range(splits):
        order = rng.permutation(len(results))
        half = len(order) // 2
        result = diff([results[i] for i in order[:half]], [results[i] for i in order[half:]], phrases=False)
        table = result.categories
        called += [(k, c, v) for c, v in zip(table["category"], table["verdict"]) if v != "no clear change"]
    ok = len(called) <= 2
    print(f"NO CHANGE: {splits} random half splits in {time.perf_counter() - start:.1f} s; categories called "
          f"better/worse in total: {len(called)} {called or ''} -> {'holds' if ok else 'FAILS'} (at most 2)")
    return ok


def drivers(frame: pd.DataFrame, neg: list[set[str]], rng, out: Path) -> bool:
    from textmine.cli import main

    base = 9 + rng.normal(0, 1.5, len(frame))
    drop = np.array([4 * ("logistics" in n) + 1 * ("food" in n) for n in neg])
    scores = np.clip(np.rint(base - drop), 0, 10).astype(int)
    scored = frame.assign(score=scores.astype(str))
    scored.to_csv(out / "scored.csv", index=False)
    start = time.perf_counter()
    code = main(["summarize", str(out / "scored.csv"), "-o", str(out / "drivers"), "--score-col", "score", "--quiet"])
    print(f"textmine summarize --score-col exit {code} in {time.perf_counter() - start:.1f} s")
    table = pd.read_csv(out / "drivers" / "drivers.csv")
    print(table.head(6).to_string(index=False, float_format=lambda x: f"{x:.3f}"))
    hand = 100 * (int((scores >= 9).sum()) - int((scores <= 6).sum())) / len(scores)  # every score is usable
    overall = pd.read_csv(out / "drivers" / "scores.csv").query("scope == 'overall'").iloc[0]
    top = list(table["category"][:2])
    ok = top == ["logistics", "food"] and abs(overall["score"] - hand) < 1e-9
    print(f"DRIVERS: ranks 1-2 {top}; NPS {overall['score']:.4f} (95% CI {overall['ci_low']:.2f} to "
          f"{overall['ci_high']:.2f}, n={overall['responses']}) vs by hand {hand:.4f} -> {'holds' if ok else 'FAILS'}")
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--cache", type=Path, default=Path("/tmp/textmine_bench_diff"))
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    if not args.data.exists():
        print(f"skipped: {args.data} is absent (the shared data sets are needed)")
        return 0
    args.cache.mkdir(parents=True, exist_ok=True)
    frame, results = classified(args.data, args.cache)
    neg = [{c for c, p in r.categories.items() if p == -1} for r in results]
    rng = np.random.default_rng(args.seed)
    ok = [planted(frame, neg, rng, args.cache), no_change(results, rng), drivers(frame, neg, rng, args.cache)]
    return 0 if all(ok) else 1


if __name__ == "__main__":
    sys.exit(main())
