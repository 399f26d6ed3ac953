"""A trained model as one file plus a manifest: :class:`ModelBundle`.

The model file holds arrays and JSON only (see :mod:`textmine.modelfile`): loading one
cannot run code. Beside it, ``<file>.json`` records the format, the library versions,
the categories, the SHA-256 of the model file and of its training data, metrics and the
date; :func:`load_model` reads a model only when its manifest is present and matches.
Models of the old pickle format load only with ``trust_pickle=True``.
"""
from __future__ import annotations

import json
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from . import modelfile
from .errors import EMPTY_TEXT, ModelError
from .features import share_clause_counts
from .modelfile import manifest_path
from .resources import resource_path
from .taxonomy import format_labels

__all__ = ["Result", "ModelBundle", "load_model", "manifest_path", "result_columns", "DEFAULT_MODEL",
           "RESULT_COLUMNS"]

DEFAULT_MODEL = "default.npz"
DEFAULT_NAME = "default"  # names the shipped model wherever a model path is accepted
# the columns a Result adds to an output row (see Result.to_row), in this order
RESULT_COLUMNS = ("categories", "sentiment", "sentiment_label", "evidence", "error")


@dataclass(frozen=True)
class Result:
    """The analysis of one comment.

    Attributes
    ----------
    text : str
        The normalised comment (personal data masked).
    categories : dict
        Category -> polarity (-1, 0, 1), most probable category first; empty when
        ``error`` is set, or when no category passes and the taxonomy has no fallback
        category (see :meth:`~textmine.classify.IssueClassifier.decide`).
    probabilities : dict
        Category -> probability, for the categories found.
    evidence : dict
        Category -> the clause(s) of the comment that raised it.
    sentiment : float
        Probability that the comment is positive, in [0, 1]; 0.5 for an empty comment.
    sentiment_label : str
        ``negative`` (< 0.4), ``neutral`` or ``positive`` (> 0.6).
    error : str or None
        Why the comment could not be analysed (``"empty text"``), else None.
    """

    text: str
    categories: dict[str, int] = field(default_factory=dict)
    probabilities: dict[str, float] = field(default_factory=dict)
    evidence: dict[str, str] = field(default_factory=dict)
    sentiment: float = 0.5
    sentiment_label: str = "neutral"
    error: str | None = None

    @property
    def labels(self) -> str:
        """The categories in the label format, e.g. ``logistics:-1|food:1``."""
        return format_labels(self.categories)

    @property
    def evidence_text(self) -> str:
        """The evidence as ``category:clause|category:clause``."""
        return "|".join(f"{c}:{e}" for c, e in self.evidence.items())

    def to_row(self) -> dict[str, object]:
        """The output columns of this comment, as ``classify`` writes them: ``categories``
        (label format), ``sentiment`` (float), ``sentiment_label``, ``evidence``
        (``category:clause|...``) and ``error`` (``""`` when there is none), in the order
        of :data:`RESULT_COLUMNS`. The text and the probabilities are not included."""
        return {"categories": self.labels, "sentiment": self.sentiment, "sentiment_label": self.sentiment_label,
                "evidence": self.evidence_text, "error": self.error or ""}

    @classmethod
    def from_row(cls, row: Mapping[str, object], *, text: object = "") -> "Result":
        """The Result that :meth:`to_row` wrote as ``row`` (values may be strings, as read
        back from a file), for the comment ``text`` (normalised here).

        ``categories`` and ``sentiment`` are required; a missing or empty ``evidence`` or
        ``error`` counts as none; an empty ``sentiment`` as 0.5; a category without a
        polarity gets 0. ``probabilities`` is left empty (rows do not keep it) and
        ``sentiment_label`` is derived from the score.

        Raises
        ------
        KeyError
            When ``row`` has no ``categories`` or ``sentiment``.
        LabelError
            When ``categories`` is not in the label format.
        """
        from .normalise import normalise_text
        from .sentiment import sentiment_label
        from .taxonomy import parse_labels

        cats, score = str(row["categories"]), str(row["sentiment"])
        labels = {c: (p if p is not None else 0) for c, p in parse_labels(cats).items()} if cats.strip() else {}
        evidence = dict(part.partition(":")[::2] for part in str(row.get("evidence", "")).split("|") if ":" in part)
        value = float(score) if score.strip() else 0.5
        return cls(normalise_text(text), labels, {}, evidence, value, sentiment_label(value),
                   str(row.get("error", "")) or None)

    def to_dict(self) -> dict[str, object]:
        """A JSON-ready dict of every field: ``text``, ``categories`` (category ->
        polarity), ``probabilities``, ``evidence`` (category -> clause), ``sentiment``,
        ``sentiment_label`` and ``error`` (None when there is none)."""
        return {"text": self.text, "categories": dict(self.categories), "probabilities": dict(self.probabilities),
                "evidence": dict(self.evidence), "sentiment": self.sentiment,
                "sentiment_label": self.sentiment_label, "error": self.error}


def result_columns(results: Sequence[Result]) -> dict[str, list]:
    """The output columns (:data:`RESULT_COLUMNS`) of ``results``, one value per result in
    order: what :meth:`Result.to_row` gives, by column."""
    rows = [r.to_row() for r in results]
    return {name: [row[name] for row in rows] for name in RESULT_COLUMNS}


class ModelBundle:
    """Everything needed to analyse comments: segmenter, category classifier,
    comment sentiment scorer and per-category polarity model.

    Parameters
    ----------
    segmenter : Segmenter
    classifier : IssueClassifier
    sentiment : SentimentScorer or SnowNLPScorer
    polarity : AspectPolarity
    manifest : dict, optional
        Metadata written beside the model file by :meth:`save`.
    clause_index : dict, optional
        The n-gram index the three models share, as saved with them (see
        :meth:`textmine.features.ClauseCounts.index`); built from their vocabularies
        when absent or when it does not fit them.
    """

    def __init__(self, segmenter, classifier, sentiment, polarity, manifest: dict | None = None, *,
                 clause_index: dict | None = None):
        self.segmenter = segmenter
        self.classifier = classifier
        self.sentiment = sentiment
        self.polarity = polarity
        self.manifest = dict(manifest or {})
        self.evaluation: dict | None = None  # held-out measurement from training, saved beside the model
        self.holdout_data = None  # the held-out LabelledData of that measurement (not saved)
        # the three models read the same clauses: n-gram each new clause once for all
        self._clause_counts = share_clause_counts(
            [getattr(part, "vectorizer_", None) for part in (classifier, sentiment)] + polarity.vectorizers,
            index=clause_index)

    @property
    def categories(self) -> list[str]:
        """The categories this model knows."""
        return [str(c) for c in self.classifier.classes_]

    def analyze_documents(self, docs: Sequence, *, sentiment=None) -> list[Result]:
        """Analyse segmented comments (see :meth:`analyze`)."""
        from .polarity import AspectExample, find_evidence, side_with_verdict, with_scores
        from .sentiment import sentiment_label

        scorer = sentiment if sentiment is not None else self.sentiment
        if not len(docs):
            return []
        proba = self.classifier.predict_proba(docs)
        cats = self.classifier.labels_from(proba)
        positive = scorer.predict_proba(docs)[:, 1]
        own = positive if scorer is self.sentiment else self.sentiment.predict_proba(docs)[:, 1]
        evidence = find_evidence(docs, cats, self.classifier)
        examples = [AspectExample(c, ev[c], doc) for doc, cs, ev in zip(docs, cats, evidence) for c in cs]
        if self.polarity.scored_:  # the polarity reads the model's own scorer, whichever scores the comments
            examples = with_scores(examples, self.sentiment)
        polarities = iter(self.polarity.predict(examples).tolist())
        column = {c: j for j, c in enumerate(self.classifier.classes_)}
        results = []
        for doc, p, cs, ev, pos, verdict in zip(docs, proba, cats, evidence, positive, own):
            pols = {c: int(next(polarities)) for c in cs}
            if len(pols) == 1:  # a comment's only category: the comment's verdict is its verdict
                pols = {c: side_with_verdict(pol, float(verdict)) for c, pol in pols.items()}
            if not doc.text:
                results.append(Result(doc.text, error=EMPTY_TEXT))
                continue
            results.append(Result(
                text=doc.text,
                categories=pols,
                probabilities={c: round(float(p[column[c]]), 4) for c in cs},
                evidence={c: ev[c].text for c in cs},
                sentiment=round(float(pos), 4),
                sentiment_label=sentiment_label(float(pos)),
            ))
        return results

    def analyze(self, texts: Sequence[object], *, sentiment=None) -> list[Result]:
        """Analyse comments: one :class:`Result` per input, same order; a comment that
        cannot be analysed gets ``Result.error`` instead of raising.

        Parameters
        ----------
        texts : sequence
            Comments; ``None``, NaN and numbers count as empty.
        sentiment : estimator, optional
            Another comment scorer, e.g. :class:`~textmine.sentiment.SnowNLPScorer`.
        """
        return self.analyze_documents(self.segmenter.transform(list(texts)), sentiment=sentiment)

    def analyze_frame(self, frame, text_col: str | None = None, *, sentiment=None):
        """Return a copy of a pandas DataFrame with the columns ``categories``,
        ``sentiment``, ``sentiment_label``, ``evidence`` and ``error`` added."""
        from .io import find_text_column

        col = find_text_column(list(frame.columns), text_col)
        results = self.analyze(frame[col].tolist(), sentiment=sentiment)
        return frame.assign(**result_columns(results))

    def save(self, path: str | Path, *, extra: dict | None = None) -> Path:
        """Write the model file (arrays and JSON, see :mod:`textmine.modelfile`) and its
        manifest, atomically, and, when the model was measured on held-out data, that
        evaluation as ``<file>.evaluation.json``; returns the model path."""
        from .io import atomic_path

        path = Path(path)
        parts = {"segmenter": self.segmenter, "classifier": self.classifier, "sentiment": self.sentiment,
                 "polarity": self.polarity}
        if self._clause_counts is not None:
            parts["clause_index"] = self._clause_counts.index()
        self.manifest = modelfile.write(path, parts, {**self.manifest, **(extra or {}), "categories": self.categories})
        if self.evaluation:
            with atomic_path(Path(str(path) + ".evaluation.json")) as tmp:
                tmp.write_text(json.dumps(self.evaluation, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        return path

    @classmethod
    def load(cls, path: str | Path, *, trust_pickle: bool = False) -> "ModelBundle":
        """Load a model file after checking it against its manifest (see
        :func:`textmine.modelfile.read`).

        Parameters
        ----------
        trust_pickle : bool, default=False
            Also read a model of the old pickle format (format 1), which can run code
            when loaded: only for files whose source you trust.

        Raises
        ------
        ModelError
            When the file or its manifest is missing, the hash, the format, the
            scikit-learn version or the categories differ, or the file is a pickle and
            ``trust_pickle`` is false; the message names the file and the field.
        """
        parts, manifest = modelfile.read(path, trust_pickle=trust_pickle)
        bundle = cls(parts["segmenter"], parts["classifier"], parts["sentiment"], parts["polarity"], manifest,
                     clause_index=parts.get("clause_index"))
        if bundle.categories != manifest.get("categories"):
            raise ModelError(f"{path}: categories {bundle.categories} differ from the manifest's {manifest.get('categories')}")
        return bundle


_default_lock = threading.Lock()
_default_models: dict[Path, ModelBundle] = {}


def load_model(path: str | Path | None = None, *, trust_pickle: bool = False) -> ModelBundle:
    """Load a model bundle; ``None`` or the name ``"default"`` gives the shipped default
    model (loaded once and shared); a file called ``default`` is read as ``./default``.
    See :meth:`ModelBundle.load` for the checks made and ``trust_pickle``."""
    if path is not None and str(path) != DEFAULT_NAME:
        return ModelBundle.load(path, trust_pickle=trust_pickle)
    default = resource_path("models", DEFAULT_MODEL)
    with _default_lock:
        if default not in _default_models:
            _default_models[default] = ModelBundle.load(default)
        return _default_models[default]
