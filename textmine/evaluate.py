"""Metrics for multi-label categories with polarities, returned as plain dicts."""
from __future__ import annotations

from collections.abc import Mapping, Sequence

__all__ = ["label_metrics", "evaluate_model"]


def _prf(tp: int, fp: int, fn: int) -> dict[str, float]:
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return {"precision": round(p, 4), "recall": round(r, 4), "f1": round(f, 4)}


def label_metrics(true: Sequence[Mapping[str, int | None]], pred: Sequence[Mapping[str, int | None]]) -> dict:
    """Compare gold and predicted labels, one ``{category: polarity}`` dict per comment.

    Returns
    -------
    dict
        ``per_category`` (precision, recall, f1, support of each category), ``micro_f1``
        and ``macro_f1`` over categories, ``category_polarity_f1`` (F1 over
        (comment, category, polarity) triples, counted only where the gold polarity is
        known) and ``n`` (comments).
    """
    if len(true) != len(pred):
        raise ValueError(f"{len(true)} gold label sets but {len(pred)} predictions")
    cats = sorted({c for labels in list(true) + list(pred) for c in labels})
    counts = {c: [0, 0, 0] for c in cats}
    triple = [0, 0, 0]
    for gold, guess in zip(true, pred):
        for c in cats:
            g, h = c in gold, c in guess
            counts[c][0] += g and h
            counts[c][1] += h and not g
            counts[c][2] += g and not h
        if any(p is None for p in gold.values()):
            continue
        gold_t = {(c, p) for c, p in gold.items()}
        guess_t = {(c, p) for c, p in guess.items()}
        triple[0] += len(gold_t & guess_t)
        triple[1] += len(guess_t - gold_t)
        triple[2] += len(gold_t - guess_t)
    per = {c: {**_prf(*counts[c]), "support": counts[c][0] + counts[c][2]} for c in cats}
    total = [sum(v[i] for v in counts.values()) for i in range(3)]
    supported = [per[c]["f1"] for c in cats if per[c]["support"]]
    return {
        "n": len(true),
        "micro_f1": _prf(*total)["f1"],
        "micro_precision": _prf(*total)["precision"],
        "micro_recall": _prf(*total)["recall"],
        "macro_f1": round(sum(supported) / len(supported), 4) if supported else 0.0,
        "category_polarity_f1": _prf(*triple)["f1"],
        "per_category": per,
    }


def evaluate_model(model, texts: Sequence[object], labels: Sequence[Mapping[str, int | None]], *,
             sentiment: Sequence[int] | None = None) -> dict:
    """Analyse ``texts`` with ``model`` (a :class:`~textmine.bundle.ModelBundle`) and
    score the result against ``labels``; with ``sentiment`` (0/1 per text) also the
    accuracy of the comment sentiment (score >= 0.5 means positive)."""
    results = model.analyze(texts)
    report = label_metrics(labels, [r.categories for r in results])
    if sentiment is not None:
        hits = sum((r.sentiment >= 0.5) == bool(s) for r, s in zip(results, sentiment))
        report["sentiment_accuracy"] = round(hits / len(results), 4) if results else 0.0
    return report
