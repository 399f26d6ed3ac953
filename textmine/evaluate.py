"""Metrics for multi-label categories with polarities, returned as plain dicts."""
from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence

from .taxonomy import format_labels

__all__ = ["label_metrics", "category_confusion", "evaluate_model", "compare_models"]


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
        known), ``complaints_as_praise`` (of the (comment, category) pairs labelled
        -1 that are predicted, the share predicted 1), ``praise_as_complaints`` (the
        same for pairs labelled 1 and predicted -1) and ``n`` (comments).
    """
    if len(true) != len(pred):
        raise ValueError(f"{len(true)} gold label sets but {len(pred)} predictions")
    cats = sorted({c for labels in list(true) + list(pred) for c in labels})
    counts = {c: [0, 0, 0] for c in cats}
    triple = [0, 0, 0]
    flips = {-1: [0, 0], 1: [0, 0]}  # gold polarity -> [found, found with the opposite polarity]
    for gold, guess in zip(true, pred):
        for c, p in gold.items():
            if p in flips and c in guess:
                flips[p][0] += 1
                flips[p][1] += guess[c] == -p
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
        "complaints_as_praise": round(flips[-1][1] / flips[-1][0], 4) if flips[-1][0] else 0.0,
        "praise_as_complaints": round(flips[1][1] / flips[1][0], 4) if flips[1][0] else 0.0,
        "per_category": per,
    }


def category_confusion(true: Sequence[Mapping[str, int | None]], pred: Sequence[Mapping[str, int | None]]) -> dict:
    """How often a gold category was missed while another was predicted instead:
    ``{gold: {predicted instead: count}}``, counted over comments where the gold category
    is missing from the prediction and the predicted one is missing from the gold."""
    table: dict[str, Counter] = {}
    for gold, guess in zip(true, pred):
        missed = [c for c in gold if c not in guess]
        extra = [c for c in guess if c not in gold]
        for m in missed:
            for e in extra:
                table.setdefault(m, Counter())[e] += 1
    return {m: dict(c.most_common()) for m, c in sorted(table.items())}


def evaluate_model(model, texts: Sequence[object], labels: Sequence[Mapping[str, int | None]] | None = None, *,
                   sentiment: Sequence[int | None] | None = None, worst: int = 20) -> dict:
    """Analyse ``texts`` with ``model`` (a :class:`~textmine.bundle.ModelBundle`) and
    score it.

    With ``labels``: the metrics of :func:`label_metrics`, ``confusion`` (see
    :func:`category_confusion`) and ``worst``, the comments with the most wrong
    (category, polarity) pairs. With ``sentiment`` (1 positive, 0 negative, None
    unknown, per text): ``sentiment_accuracy`` (score >= 0.5 means positive) and
    ``sentiment_n``."""
    results = model.analyze(texts)
    report: dict = {"n": len(results)}
    if labels is not None and any(labels):
        pred = [r.categories for r in results]
        report.update(label_metrics(labels, pred))
        report["confusion"] = category_confusion(labels, pred)
        scored = []
        for text, gold, guess in zip(texts, labels, pred):
            wrong = len(set(gold.items()) ^ set(guess.items()))
            if wrong:
                scored.append((wrong, str(text), format_labels(gold), format_labels(guess)))
        scored.sort(key=lambda t: -t[0])
        report["worst"] = [{"text": t, "gold": g, "predicted": p} for _, t, g, p in scored[:worst]]
    if sentiment is not None:
        pairs = [(r.sentiment >= 0.5, bool(s)) for r, s in zip(results, sentiment) if s is not None]
        report["sentiment_n"] = len(pairs)
        report["sentiment_accuracy"] = round(sum(a == b for a, b in pairs) / len(pairs), 4) if pairs else 0.0
    return report


def compare_models(old, new, texts: Sequence[object], labels: Sequence[Mapping[str, int | None]], *,
                   tolerance: float = 0.01, category_drop: float = 0.05, min_support: int = 20) -> dict:
    """Measure two models on the same labelled comments, side by side, over the
    categories both know.

    Only the shared categories are scored, in the gold labels and in both models'
    predictions alike: a category one model lacks would otherwise count as all misses
    for it. When the categories differ, ``warnings`` says so and lists them; when none
    is shared, the verdict is ``"not comparable"``. Otherwise the verdict is
    ``"worse"`` when the new model's micro-F1 is more than ``tolerance`` below the old
    one's, or any category with at least ``min_support`` examples loses more than
    ``category_drop`` F1; ``"better"`` when its micro-F1 is more than ``tolerance``
    above; otherwise ``"same"``.

    Returns
    -------
    dict
        ``shared``, ``only_old`` and ``only_new`` (category names, sorted), ``old`` and
        ``new`` (each from :func:`label_metrics` on the shared categories),
        ``per_category`` rows (category, support, old F1, new F1, change), ``verdict``,
        ``reasons`` and ``warnings`` (one line each).
    """
    from .errors import CATEGORIES_DIFFER, NO_SHARED_CATEGORIES

    in_old, in_new = set(old.categories), set(new.categories)
    shared, only_old, only_new = sorted(in_old & in_new), sorted(in_old - in_new), sorted(in_new - in_old)
    warnings = []
    if only_old or only_new:
        warnings.append((CATEGORIES_DIFFER if shared else NO_SHARED_CATEGORIES).format(
            only_old=", ".join(only_old) or "none", only_new=", ".join(only_new) or "none",
            shared=", ".join(shared)))

    def restrict(rows):
        return [{c: p for c, p in row.items() if c in in_old and c in in_new} for row in rows]

    gold = restrict(labels)
    a = label_metrics(gold, restrict(r.categories for r in old.analyze(texts)))
    b = label_metrics(gold, restrict(r.categories for r in new.analyze(texts)))
    rows, reasons = [], []
    for cat in shared:
        fa, fb = a["per_category"].get(cat, {}).get("f1", 0.0), b["per_category"].get(cat, {}).get("f1", 0.0)
        support = a["per_category"].get(cat, {}).get("support", 0)
        rows.append({"category": cat, "support": support, "old_f1": fa, "new_f1": fb, "change": round(fb - fa, 4)})
        if support >= min_support and fa - fb > category_drop:
            reasons.append(f"{cat} F1 fell from {fa:.3f} to {fb:.3f}")
    delta = b["micro_f1"] - a["micro_f1"]
    if delta < -tolerance:
        reasons.insert(0, f"micro-F1 fell from {a['micro_f1']:.4f} to {b['micro_f1']:.4f}")
    verdict = "not comparable" if not shared else "worse" if reasons else "better" if delta > tolerance else "same"
    return {"shared": shared, "only_old": only_old, "only_new": only_new, "old": a, "new": b,
            "per_category": rows, "verdict": verdict, "reasons": reasons, "warnings": warnings}
