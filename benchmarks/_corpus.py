"""Shared helpers of the benchmarks: the project's own corpus texts, where the public data sets
lie, and a working folder."""
from __future__ import annotations

import csv
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = ROOT.parent / "shared" / "data"


def corpus_texts() -> list[str]:
    """Every comment of ``corpora/feedback_labelled.csv``, in file order."""
    with open(ROOT / "corpora" / "feedback_labelled.csv", encoding="utf-8", newline="") as f:
        return [row["text"] for row in csv.DictReader(f)]


def workdir(path: Path | None, prefix: str) -> Path:
    """``path`` (created if needed), or a new temporary folder named ``prefix...``."""
    folder = path or Path(tempfile.mkdtemp(prefix=prefix))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def print_per_category(metrics: dict) -> None:
    """Print the per-category precision, recall, F1 and support of ``label_metrics``."""
    print(f"{'category':<16}{'precision':>10}{'recall':>10}{'f1':>8}{'support':>9}")
    for cat, v in metrics["per_category"].items():
        print(f"{cat:<16}{v['precision']:>10.3f}{v['recall']:>10.3f}{v['f1']:>8.3f}{v['support']:>9}")
