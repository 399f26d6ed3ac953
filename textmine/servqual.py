"""Complaints and praise along the five SERVQUAL dimensions (Parasuraman, Zeithaml and
Berry 1988): tangibles, reliability, responsiveness, assurance, empathy.

The default taxonomy maps onto them as follows (:data:`DEFAULT_MAPPING`):

================  ===========================================================
dimension         categories, and why
================  ===========================================================
tangibles         environment (premises, facilities), packaging (what arrives,
                  and how it looks)
reliability       logistics (delivered as promised), quality and food (the
                  product or dish as promised), order_error (the order done
                  right)
responsiveness    responsiveness (waiting, speed of replies), after_sales
                  (willingness to put things right)
assurance         service (courtesy and competence of staff)
empathy           location and process (convenience for the customer: access,
                  procedures, the app)
================  ===========================================================

``price`` and ``other`` belong to no dimension and are left out. A user with a taxonomy
of their own gives a small CSV or TSV file with the columns ``category,dimension`` (one
row per category; an empty dimension leaves the category out), read by
:func:`read_mapping`.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from .errors import BAD_DIMENSION, CATEGORY_TWICE, InputError

__all__ = ["DIMENSIONS", "DEFAULT_MAPPING", "SERVQUAL_COLUMNS", "read_mapping", "servqual", "servqual_chart",
           "write_servqual"]

DIMENSIONS = ("tangibles", "reliability", "responsiveness", "assurance", "empathy")
DIMENSION_NAMES = {"tangibles": "有形性", "reliability": "可靠性", "responsiveness": "响应性",
                   "assurance": "保证性", "empathy": "移情性"}
DEFAULT_MAPPING = {
    "environment": "tangibles", "packaging": "tangibles",
    "logistics": "reliability", "quality": "reliability", "food": "reliability", "order_error": "reliability",
    "responsiveness": "responsiveness", "after_sales": "responsiveness",
    "service": "assurance",
    "location": "empathy", "process": "empathy",
}
SERVQUAL_COLUMNS = ["dimension", "categories", "complaints", "share", "praise"]


def read_mapping(path: str | Path, *, format: str | None = None, encoding: str | None = None) -> dict[str, str]:
    """Read a ``category,dimension`` file into category -> dimension.

    Raises
    ------
    InputError
        Naming the file and row when a column is missing, a dimension is not one of
        :data:`DIMENSIONS`, or a category appears twice.
    """
    from .batch import require_columns
    from .io import read_table

    frame = read_table(path, format=format, encoding=encoding)
    require_columns(frame, ("category", "dimension"), path=path)
    mapping: dict[str, str] = {}
    for row, category, dimension in zip(frame.attrs["rows"], frame["category"], frame["dimension"]):
        category, dimension = category.strip(), dimension.strip().lower()
        if category in mapping:
            raise InputError(CATEGORY_TWICE.format(category=category), path=str(path), row=row)
        if dimension and dimension not in DIMENSIONS:
            raise InputError(BAD_DIMENSION.format(value=dimension, allowed=", ".join(DIMENSIONS)), path=str(path),
                             row=row)
        if category and dimension:
            mapping[category] = dimension
    return mapping


def servqual(results: Sequence, mapping: Mapping[str, str] | None = None) -> "pandas.DataFrame":
    """Complaints and praise per SERVQUAL dimension, one row per dimension in
    :data:`DIMENSIONS` order (columns :data:`SERVQUAL_COLUMNS`).

    ``complaints`` counts comments with a complaint (polarity -1) about any category of
    the dimension, ``praise`` those with praise (1); ``share`` is the dimension's part of
    all dimension complaints (the shares add up to 1 unless there is none); comments
    with an error are skipped. ``categories`` lists the dimension's categories, ``|``
    separated. ``mapping`` defaults to :data:`DEFAULT_MAPPING`.
    """
    import pandas as pd

    mapping = DEFAULT_MAPPING if mapping is None else mapping
    complaints = dict.fromkeys(DIMENSIONS, 0)
    praise = dict.fromkeys(DIMENSIONS, 0)
    for r in results:
        if r.error:
            continue
        for counts, polarity in ((complaints, -1), (praise, 1)):
            for dimension in {mapping[c] for c, p in r.categories.items() if p == polarity and c in mapping}:
                counts[dimension] += 1
    total = sum(complaints.values())
    return pd.DataFrame([{"dimension": d, "categories": "|".join(sorted(c for c, m in mapping.items() if m == d)),
                          "complaints": complaints[d], "share": round(complaints[d] / total, 4) if total else 0.0,
                          "praise": praise[d]} for d in DIMENSIONS], columns=SERVQUAL_COLUMNS)


def servqual_chart(frame: "pandas.DataFrame") -> bytes:
    """A PNG bar chart of complaints and praise per dimension (``frame`` from
    :func:`servqual`)."""
    from .report import _chart, _png

    with _chart((7, 3.4)) as (fig, ax):
        names = [f"{DIMENSION_NAMES[d]}\n{d}" for d in frame["dimension"]]
        x = range(len(names))
        ax.bar([k - 0.2 for k in x], frame["complaints"], width=0.4, color="#c0392b", label="投诉 complaints")
        ax.bar([k + 0.2 for k in x], frame["praise"], width=0.4, color="#27ae60", label="好评 praise")
        ax.set_xticks(list(x), names)
        ax.set_ylabel("评论数 comments")
        ax.set_title("SERVQUAL 五维度 five dimensions")
        ax.legend(fontsize=8)
        return _png(fig)


def write_servqual(results: Sequence, outdir: str | Path, mapping: Mapping[str, str] | None = None) -> tuple[dict, str]:
    """Write ``servqual.csv`` (:func:`servqual`) into ``outdir``, atomically; returns the
    path by name and the report section (table and chart), or ``({}, "")`` when no
    category of the results is mapped to a dimension (a taxonomy of one's own without a
    mapping file)."""
    from .io import write_table
    from .report import _img, _table

    mapping = DEFAULT_MAPPING if mapping is None else mapping
    if not any(c in mapping for r in results for c in r.categories):
        return {}, ""
    frame = servqual(results, mapping)
    files = {"servqual": write_table(frame, Path(outdir) / "servqual.csv")}
    html = ("<h2>SERVQUAL 五维度 dimensions</h2>" + _img(servqual_chart(frame), "SERVQUAL chart")
            + _table(["维度 dimension", "类别 categories", "投诉 complaints", "占比 share", "好评 praise"],
                     [[f"{DIMENSION_NAMES[r.dimension]} {r.dimension}", r.categories.replace("|", ", "), r.complaints,
                       f"{r.share:.1%}", r.praise] for r in frame.itertuples()]))
    return files, html
