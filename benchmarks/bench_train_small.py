"""``textmine train`` on 50 labelled comments without sentiment labels, this checkout against another.

Trains on ``benchmarks/train_small_labels.csv`` (50 of the project's own comments in a
taxonomy of their own: 车况 计费 应用 客服; no sentiment column) with
``python -m textmine train FILE -o MODEL``, start-up included, once with this checkout
and once with the checkout given by ``--baseline`` (a source tree of an earlier
commit, e.g. ``git archive 765ccfb | tar -x -C /tmp/base``), one after the other in
this run, and prints both wall-clock times, the speed-up and the categories each
model learned. Then it runs this checkout's ``train --base default`` on the same file
and prints its stderr (the progress lines and the summary).

``--slips`` trains on the ``labels_with_slips`` column instead (three typing slips:
``计费:2``, ``应用-1``, ``车况：-1``), with ``--force``.

    python benchmarks/bench_train_small.py --baseline /tmp/base [--slips] [--no-base-default]
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

from _corpus import ROOT, workdir

LABELS = Path(__file__).resolve().parent / "train_small_labels.csv"


def run_train(checkout: Path, output: Path, *options: str) -> tuple[float, subprocess.CompletedProcess]:
    """Wall-clock seconds of ``python -m textmine train LABELS -o output *options`` run
    from ``checkout`` (first on ``PYTHONPATH``), and the finished process."""
    env = {**os.environ, "PYTHONPATH": str(checkout)}
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "textmine", "train", str(LABELS), "-o", str(output), *options],
                          capture_output=True, text=True, env=env, cwd=output.parent)
    return time.perf_counter() - start, done


def categories(model: Path) -> list[str]:
    manifest = Path(str(model) + ".json")
    return json.loads(manifest.read_text(encoding="utf-8"))["categories"] if manifest.exists() else []


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", type=Path, required=True, help="source tree of the code to compare with")
    parser.add_argument("--slips", action="store_true", help="train on the labels with three typing slips, --force")
    parser.add_argument("--no-base-default", action="store_true", help="skip the --base default run")
    parser.add_argument("--workdir", type=Path, help="where the models go (default: a temporary folder)")
    args = parser.parse_args()
    if not (args.baseline / "textmine" / "__init__.py").exists():
        print(f"{args.baseline}: not a textmine source tree", file=sys.stderr)
        return 2
    folder = workdir(args.workdir, "train-small-")
    options = ["--label-col", "labels_with_slips", "--force"] if args.slips else []
    print(f"{LABELS.name}: 50 comments, no sentiment column{' (labels with slips, --force)' if args.slips else ''}")
    times = {}
    for name, checkout in (("baseline", args.baseline.resolve()), ("this checkout", ROOT)):
        model = folder / f"{name.replace(' ', '_')}.joblib"
        seconds, done = run_train(checkout, model, *options)
        times[name] = seconds
        print(f"{name:<14} {seconds:8.1f} s  exit {done.returncode}  categories {categories(model)}")
        if done.returncode:
            print(done.stderr.strip().splitlines()[-1], file=sys.stderr)
    print(f"speed-up: {times['baseline'] / times['this checkout']:.1f}x")
    if not args.no_base_default:
        seconds, done = run_train(ROOT, folder / "base_default.joblib", "--base", "default", *options)
        print(f"\nthis checkout, --base default: {seconds:.1f} s, exit {done.returncode}; its stderr:")
        print(done.stderr.rstrip())
    return 0


if __name__ == "__main__":
    sys.exit(main())
