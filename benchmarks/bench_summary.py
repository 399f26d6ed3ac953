"""The summary of a real dump checked against hand counts, and its report laid out in a
browser.

``../shared/data/waimai_10k.csv`` gets a date column (``日期``, Chinese form, 2% of
cells unreadable) and a store column (``门店``), drawn with a fixed seed; a share of
the negative comments that mention slowness land in one store in the last week, so the
trend has something to find. The augmented file and its classification (default model)
are written under ``--workdir`` (default: a new temporary folder), never into the
repository. Then:

1. ``textmine summarize`` runs on the classified file with ``--date-col`` and
   ``--group-col``;
2. the sum of the Pareto's comment counts is compared with the complaining comments,
   and every rate of ``groups.csv`` with a count made here from the classified file
   (leaving out the rows ``data_quality.csv`` lists);
3. the top pain points of the two largest categories are printed with their wordings,
   and three ways of grouping wordings are compared side by side on the same phrases:
   the wording with degree words and particles removed (``exact``), wordings within an
   edit distance of a third of their length (``edit``), and the opinion they share
   (``opinion``, what the summary uses);
4. with Chromium installed, the report is laid out 1280 px wide: tables wider than the
   page are counted and a screenshot is written.

    python benchmarks/bench_summary.py [--workdir DIR]
"""
from __future__ import annotations

import argparse
import csv
import random
import sys
from collections import Counter, defaultdict
from datetime import date, timedelta
from pathlib import Path

from _corpus import SHARED_DATA, workdir

STORES = ["西湖店", "滨江店", "萧山店", "余杭店", "拱墅店", "上城店"]
WEIGHTS = [30, 22, 18, 14, 10, 6]
START = date(2024, 1, 1)


def augment(target: Path, seed: int = 7) -> Path:
    """Write waimai_10k with a date and a store column to ``target``."""
    rng = random.Random(seed)
    with open(SHARED_DATA / "waimai_10k.csv", encoding="utf-8", newline="") as f, \
            open(target, "w", encoding="utf-8", newline="") as g:
        out = csv.writer(g)
        out.writerow(["label", "review", "日期", "门店"])
        for row in csv.DictReader(f):
            store = rng.choices(STORES, WEIGHTS)[0]
            day = START + timedelta(days=rng.randrange(84))
            if row["label"] == "0" and "慢" in row["review"] and rng.random() < 0.3:
                store, day = STORES[1], START + timedelta(days=84 + rng.randrange(7))
            cell = f"{day.year}年{day.month}月{day.day}日" if rng.random() > 0.02 else "不详"
            out.writerow([row["label"], row["review"], cell, store])
    return target


def hand_counts(classified: Path, quality: Path) -> dict[str, list[int]]:
    """Per store: [comments, complaining comments], from the classified file, leaving
    out the rows of ``data_quality.csv`` and rows with an error."""
    with open(quality, encoding="utf-8-sig", newline="") as f:
        left_out = {int(r["row"]) for r in csv.DictReader(f)}
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    with open(classified, encoding="utf-8-sig", newline="") as f:
        for row_number, row in enumerate(csv.DictReader(f), 2):  # one line per record in this file
            if row_number in left_out or row["error"]:
                continue
            counts[row["门店"]][0] += 1
            counts[row["门店"]][1] += ":-1" in row["categories"]
    return counts


def _distance(a: str, b: str) -> int:
    previous = list(range(len(b) + 1))
    for i, x in enumerate(a, 1):
        current = [i]
        for j, y in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (x != y)))
        previous = current
    return previous[-1]


def groupings(wordings: Counter, category: str) -> dict[str, list[tuple[str, int, list[str]]]]:
    """Top 10 (label, comments, wordings) of ``category`` under three groupings."""
    from textmine.summarize import _DEGREE, _TAIL

    mine = [(o, w, n) for (c, o, w), n in wordings.items() if c == category]
    out = {}
    keyed = {"exact": lambda o, w: _DEGREE.sub("", _TAIL.sub("", w)) or w, "opinion": lambda o, w: o}
    for name, key in keyed.items():
        groups: dict[str, Counter] = defaultdict(Counter)
        for o, w, n in mine:
            groups[key(o, w)][w] += n
        out[name] = groups
    clusters: list[tuple[str, Counter]] = []
    for o, w, n in sorted(mine, key=lambda own: (-own[2], own[1])):
        for label, members in clusters:
            if _distance(label, w) <= max(1, len(label) // 3):
                members[w] += n
                break
        else:
            clusters.append((w, Counter({w: n})))
    out["edit"] = {label: members for label, members in clusters}
    return {name: sorted(((g.most_common(1)[0][0], sum(g.values()), [w for w, _ in g.most_common()])
                          for g in groups.values()), key=lambda r: -r[1])[:10]
            for name, groups in out.items()}


def contained(rows: list[tuple[str, int, list[str]]]) -> int:
    """Rows of a top list whose label contains, or is contained in, a higher row's label
    once degree words are removed: variants of one complaint left apart."""
    from textmine.summarize import _DEGREE

    labels = [_DEGREE.sub("", r[0]) for r in rows]
    return sum(any(a in b or b in a for a in labels[:k]) for k, b in enumerate(labels))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workdir", type=Path, help="folder for the augmented dump, its classification and the report")
    args = parser.parse_args()
    if not (SHARED_DATA / "waimai_10k.csv").is_file():
        print(f"skipped: {SHARED_DATA / 'waimai_10k.csv'} not found")
        return 0
    from textmine.batch import Progress, classify_file, summarize_file
    from textmine.report import measure_layout

    folder = workdir(args.workdir, "bench_summary_")
    dump = augment(folder / "waimai_aug.csv")
    classified = folder / "waimai_classified.csv"
    if not classified.exists():
        classify_file(dump, classified, jobs=1, progress=Progress("classify", enabled=False))
    summary, files = summarize_file(classified, folder / "report", date_col="日期", group_col="门店",
                                    progress=Progress("summarize", enabled=False))
    total = sum(r.comments for r in summary.pareto)
    print(f"comments {summary.comments:,}, analysed {summary.analysed:,}, complaining {summary.complaints:,}, "
          f"readable dates {summary.dates_readable:,}")
    print(f"Pareto comments add up to {total:,} (<= complaining {summary.complaints:,}: {total <= summary.complaints}); "
          f"mentions add up to {sum(r.mentions for r in summary.pareto):,}")
    hand = hand_counts(classified, files["data_quality"])
    with open(files["groups"], encoding="utf-8-sig", newline="") as f:
        groups = list(csv.DictReader(f))
    agree = 0
    for g in groups:
        n, x = hand[g["group"]]
        same = int(g["comments"]) == n and int(g["complaining"]) == x and float(g["rate"]) == round(x / n, 4)
        agree += same
        print(f"  {g['group']}: groups.csv {g['complaining']}/{g['comments']} = {float(g['rate']):.2%}; "
              f"hand {x}/{n} = {x / n:.2%} {'same' if same else 'DIFFERENT'}")
    print(f"group rates equal to the hand count: {agree} of {len(groups)}")
    for alert in summary.alerts[:5]:
        print(f"  alert {alert.category} {alert.phrase or ''} {alert.period}: {alert.complaints}/{alert.comments}, "
              f"driven by {alert.group} ({alert.group_complaints}/{alert.group_comments})")
    for row in summary.pareto[:2]:
        print(f"\ntop pain points of {row.category} ({row.mentions:,} mentions):")
        for p in summary.pain_points[row.category]:
            print(f"  {p.phrase} {p.comments}: " + "; ".join(f"{w} {n}" for w, n in p.variants[:8])
                  + (" ..." if len(p.variants) > 8 else ""))
        for name, top in groupings(summary.tally.wordings, row.category).items():
            print(f"  grouping {name:<8} variants left apart in the top 10: {contained(top)}; "
                  + ", ".join(f"{label} {n}" for label, n, _ in top))
    try:
        layout = measure_layout(files["report"], width=1280, screenshot=folder / "report_1280.png")
    except FileNotFoundError as exc:
        print(f"layout not checked: {exc}")
        return 0
    print(f"\nreport at 1280 px: {layout}; screenshot {folder / 'report_1280.png'}")
    return 0 if total <= summary.complaints and agree == len(groups) and layout["overflowing"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
