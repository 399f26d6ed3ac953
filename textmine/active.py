"""Active learning: which unlabelled comments to label next, and the round trip through
an annotation tool.

:func:`suggest` picks the comments whose categories the model is least sure of (a
category probability closest to its decision threshold), spread across the categories
the model guesses and with no near-duplicates, so that every label an annotator gives
teaches the model something new. The picks are written as a CSV to fill in (the
``labels`` column, pre-filled with the model's guess) or as Label Studio tasks with the
guesses as pre-annotations; :func:`read_label_studio` turns an annotated Label Studio
export back into ``text,labels`` rows for ``train``.
"""
from __future__ import annotations

import json
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

__all__ = ["Suggestion", "suggest", "write_label_studio", "read_label_studio"]


@dataclass(frozen=True)
class Suggestion:
    """A comment worth labelling: its position in the input, text, the model's guess
    and how unsure the model is (0 sure ... 1 on a threshold)."""

    position: int
    text: str
    guess: str
    uncertainty: float


def suggest(model, texts: Sequence[object], n: int = 200, *, power: float = 2.0, near_threshold: float = 0.7,
            random_state: int = 0) -> list[Suggestion]:
    """Pick up to ``n`` comments to label.

    Each category's probability ``p_j`` is first put on a scale where its decision
    threshold ``t_j`` is 0.5; a comment's uncertainty is ``1 - max_j q_j``: 1 when it
    fits no category at all, 0 when one category is certain. Comments are drawn at
    random, without replacement, with chances in proportion to ``uncertainty ** power``
    (fixed by ``random_state``): the batch leans to what the model cannot place yet but
    is not the ``n`` most uncertain comments alone, which tend to be alike and
    unrepresentative. The draws are grouped by their most probable category and taken
    round-robin over the groups; empty comments and near-duplicates of a comment
    already taken (Jaccard of character 3-grams >= ``near_threshold``) are skipped.
    """
    from .summarize import NearDuplicates

    docs = model.segmenter.transform(list(texts))
    proba = model.classifier.predict_proba(docs)
    thresholds = model.classifier.thresholds_
    scaled = np.where(proba < thresholds, proba / (2 * thresholds),
                      0.5 + (proba - thresholds) / (2 * (1 - thresholds)))
    uncertainty = 1 - scaled.max(axis=1)
    # weighted sampling without replacement (Efraimidis-Spirakis): the largest log(r) / weight, r uniform
    weight = np.maximum(uncertainty, 1e-6) ** power
    keys = np.log(np.random.default_rng(random_state).random(len(docs))) / weight
    groups: dict[int, deque] = {}
    for i in np.argsort(-keys, kind="stable"):
        if docs[i].clause_tokens:
            groups.setdefault(int(proba[i].argmax()), deque()).append(int(i))
    queues = [groups[k] for k in sorted(groups, key=lambda k: -keys[groups[k][0]])]
    index = NearDuplicates(threshold=near_threshold, min_chars=4)
    seen_texts: set[str] = set()
    chosen: list[int] = []
    while len(chosen) < n and any(queues):
        for queue in queues:
            while queue:
                i = queue.popleft()
                text = docs[i].text
                if text in seen_texts or index.add(i, text) is not None:
                    continue
                seen_texts.add(text)
                chosen.append(i)
                break
            if len(chosen) >= n:
                break
    guesses = model.analyze_documents([docs[i] for i in chosen])
    return [Suggestion(i, str(texts[i]), guess.labels, round(float(uncertainty[i]), 4))
            for i, guess in zip(chosen, guesses)]


def write_label_studio(suggestions: Sequence[Suggestion], path: str | Path, *,
                       rows: Sequence[int] | None = None) -> Path:
    """Write Label Studio tasks (JSON): ``data.text``, ``data.row``, and the model's
    guess as a pre-annotation of a ``choices`` control named ``labels`` over ``text``
    (one choice per ``category:polarity``). ``data.row`` is ``rows[position]``: the
    row number error messages give the comment (``rows`` as read by
    :func:`textmine.io.read_table`), or ``position + 1`` without ``rows``."""
    from .io import atomic_path

    tasks = [{
        "data": {"text": s.text, "row": rows[s.position] if rows is not None else s.position + 1},
        "predictions": [{"model_version": "textmine", "score": 1 - s.uncertainty, "result": [{
            "from_name": "labels", "to_name": "text", "type": "choices",
            "value": {"choices": s.guess.split("|") if s.guess else []}}]}],
    } for s in suggestions]
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(tasks, ensure_ascii=False, indent=1), encoding="utf-8")
    return Path(path)


def read_label_studio(path: str | Path) -> list[tuple[str, str]]:
    """(text, labels) of every annotated task of a Label Studio JSON export; the last
    annotation of a task wins; tasks without an annotation are skipped.

    Raises
    ------
    InputError
        When the file is not a Label Studio JSON export.
    """
    from .errors import InputError

    try:
        tasks = json.loads(Path(path).read_text(encoding="utf-8"))
    except ValueError as exc:
        raise InputError(f"not a Label Studio JSON export: {exc}", path=str(path)) from exc
    if not isinstance(tasks, list):
        raise InputError("not a Label Studio JSON export: expected a list of tasks", path=str(path))
    rows = []
    for number, task in enumerate(tasks, 1):
        annotations = [a for a in task.get("annotations", []) if not a.get("was_cancelled")]
        if not annotations:
            continue
        choices = [c for r in annotations[-1].get("result", []) if r.get("type") == "choices"
                   for c in r.get("value", {}).get("choices", [])]
        if not choices:
            raise InputError(f"task {number} has an annotation with no choice", path=str(path))
        rows.append((task.get("data", {}).get("text", ""), "|".join(choices)))
    return rows
