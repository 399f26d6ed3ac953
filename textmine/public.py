"""The public review sets that may train the shipped model, read from a folder given
at run time (never copied into the project).

``waimai_10k.csv`` (``label,review``) and ``online_shopping_9_cats.csv``
(``cat,label,review``) give 0/1 sentiment labels. Two kinds of their records never
train a model: the *test fifth* of each file (record ``r`` of file ``f`` is test when
``int(md5(f"{f}:{r}"), 16) % 5 == 0``, record 1 being the first row after the header)
and the records of the project's hand-labelled benchmark samples.
"""
from __future__ import annotations

import csv
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from .errors import InputError

__all__ = ["PUBLIC_SETS", "is_test_record", "PublicReviews", "read_public_reviews", "benchmark_records"]

PUBLIC_SETS = ("waimai_10k.csv", "online_shopping_9_cats.csv")


def is_test_record(name: str, record: int) -> bool:
    """Whether record ``record`` (1 = first row after the header) of file ``name`` is in
    the fixed test fifth."""
    return int(hashlib.md5(f"{name}:{record}".encode()).hexdigest(), 16) % 5 == 0


@dataclass
class PublicReviews:
    """Reviews of the public sets with their 0/1 sentiment labels.

    Attributes
    ----------
    texts, labels : list
        The reviews and their labels (1 positive, 0 negative), in file order.
    files, records : list
        The file name and record number of each review.
    sources : dict
        File name -> ``{"sha256", "records", "used", "test_fifth", "excluded"}``:
        the file's fingerprint and how many of its records were read, kept, held out
        as test fifth and left out as benchmark rows.
    """

    texts: list[str] = field(default_factory=list)
    labels: list[int] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    records: list[int] = field(default_factory=list)
    sources: dict = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.texts)


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def benchmark_records(paths: Iterable[str | Path]) -> set[tuple[str, int]]:
    """The (file, record) pairs named by label files of the benchmark samples
    (``file,record,labels`` CSVs, such as ``benchmarks/dev_labels.csv``)."""
    out = set()
    for path in paths:
        with open(path, encoding="utf-8", newline="") as f:
            out.update((row["file"], int(row["record"])) for row in csv.DictReader(f))
    return out


def read_public_reviews(folder: str | Path, *, part: str = "train",
                        exclude: Iterable[tuple[str, int]] = ()) -> PublicReviews:
    """Read the labelled reviews of :data:`PUBLIC_SETS` from ``folder``.

    Parameters
    ----------
    folder : path
        Where ``waimai_10k.csv`` and ``online_shopping_9_cats.csv`` lie.
    part : {"train", "test"}, default="train"
        ``"train"``: every record outside the test fifth and outside ``exclude``;
        ``"test"``: the test fifth only.
    exclude : iterable of (file name, record)
        Records that never train (the benchmark samples, see :func:`benchmark_records`).

    Returns
    -------
    PublicReviews
        Empty reviews are skipped; labels other than 0/1 raise.

    Raises
    ------
    InputError
        A file is missing, lacks a ``label`` or ``review`` column, or has a bad label;
        the message names the file and row.
    """
    if part not in ("train", "test"):
        raise InputError(f"part={part!r} is not allowed; choose 'train' or 'test'")
    folder = Path(folder)
    excluded = set(exclude)
    out = PublicReviews()
    for name in PUBLIC_SETS:
        path = folder / name
        if not path.is_file():
            raise InputError(f"public review set {name} not found in {folder}", path=str(path))
        counts = {"sha256": _sha256(path), "records": 0, "used": 0, "test_fifth": 0, "excluded": 0}
        with open(path, encoding="utf-8", newline="") as f:
            reader = csv.DictReader(f)
            if not {"label", "review"} <= set(reader.fieldnames or ()):
                raise InputError(f"columns 'label' and 'review' needed (columns found: {reader.fieldnames})", path=str(path))
            for record, row in enumerate(reader, start=1):
                counts["records"] += 1
                test = is_test_record(name, record)
                counts["test_fifth"] += test
                if (name, record) in excluded and not test:
                    counts["excluded"] += 1
                    continue
                if test != (part == "test") or not (row["review"] or "").strip():
                    continue
                if row["label"] not in ("0", "1"):
                    raise InputError(f"label {row['label']!r} is not 0 or 1", path=str(path), row=record + 1)
                out.texts.append(row["review"].strip())
                out.labels.append(int(row["label"]))
                out.files.append(name)
                out.records.append(record)
                counts["used"] += 1
        out.sources[name] = counts
    return out
