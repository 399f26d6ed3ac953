"""Texts for benchmarks: the project's own labelled corpus (never the shared data sets)."""
from __future__ import annotations

import csv
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = ROOT.parent / "shared" / "data"


def corpus_texts() -> list[str]:
    """Every comment of ``corpora/feedback_labelled.csv``, in file order."""
    with open(ROOT / "corpora" / "feedback_labelled.csv", encoding="utf-8", newline="") as f:
        return [row["text"] for row in csv.DictReader(f)]
