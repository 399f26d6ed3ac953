"""A trained model as one file plus a manifest: :class:`ModelBundle`.

The model file is a joblib pickle; beside it, ``<file>.json`` records the format, the
library versions, the categories, the SHA-256 of the model file and of its training
data, metrics and the date. :func:`load_model` reads a pickle only when its manifest is
present and matches: pickles run code when loaded, so load only files you trust.
"""
from __future__ import annotations

import hashlib
import json
import platform
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from .errors import EMPTY_TEXT, ModelError
from .features import share_clause_counts
from .resources import resource_path
from .taxonomy import format_labels

__all__ = ["Result", "ModelBundle", "load_model", "manifest_path", "DEFAULT_MODEL"]

FORMAT_VERSION = 1
DEFAULT_MODEL = "default.joblib"


@dataclass(frozen=True)
class Result:
    """The analysis of one comment.

    Attributes
    ----------
    text : str
        The normalised comment (personal data masked).
    categories : dict
        Category -> polarity (-1, 0, 1), most probable category first; empty when
        ``error`` is set.
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


def manifest_path(model_path: str | Path) -> Path:
    """The manifest beside a model file: ``model.joblib`` -> ``model.joblib.json``."""
    return Path(str(model_path) + ".json")


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    out = {"python": platform.python_version()}
    for name in ("textmine", "scikit-learn", "numpy", "scipy", "jieba"):
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = "unknown"
    return out


def _major_minor(v: str) -> str:
    return ".".join(v.split(".")[:2])


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
    """

    def __init__(self, segmenter, classifier, sentiment, polarity, manifest: dict | None = None):
        self.segmenter = segmenter
        self.classifier = classifier
        self.sentiment = sentiment
        self.polarity = polarity
        self.manifest = dict(manifest or {})
        self.evaluation: dict | None = None  # held-out measurement from training, saved beside the model
        self.holdout_data = None  # the held-out LabelledData of that measurement (not saved)
        # the three models read the same clauses: n-gram each new clause once for all
        share_clause_counts([getattr(part, "vectorizer_", None) for part in (classifier, sentiment)]
                            + polarity.vectorizers)

    @property
    def categories(self) -> list[str]:
        """The categories this model knows."""
        return [str(c) for c in self.classifier.classes_]

    def analyze_documents(self, docs: Sequence, *, sentiment=None) -> list[Result]:
        """Analyse segmented comments (see :meth:`analyze`)."""
        from .sentiment import AspectExample, find_evidence, sentiment_label

        scorer = sentiment if sentiment is not None else self.sentiment
        if not len(docs):
            return []
        proba = self.classifier.predict_proba(docs)
        cats = self.classifier.labels_from(proba)
        positive = scorer.predict_proba(docs)[:, 1]
        evidence = find_evidence(docs, cats, self.classifier)
        examples = [AspectExample(c, ev[c], doc) for doc, cs, ev in zip(docs, cats, evidence) for c in cs]
        polarities = iter(self.polarity.predict(examples).tolist())
        column = {c: j for j, c in enumerate(self.classifier.classes_)}
        results = []
        for doc, p, cs, ev, pos in zip(docs, proba, cats, evidence, positive):
            pols = {c: int(next(polarities)) for c in cs}
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
        out = frame.copy()
        out["categories"] = [r.labels for r in results]
        out["sentiment"] = [r.sentiment for r in results]
        out["sentiment_label"] = [r.sentiment_label for r in results]
        out["evidence"] = [r.evidence_text for r in results]
        out["error"] = [r.error or "" for r in results]
        return out

    def save(self, path: str | Path, *, extra: dict | None = None) -> Path:
        """Write the model file and its manifest, atomically, and, when the model was
        measured on held-out data, that evaluation as ``<file>.evaluation.json``;
        returns the model path."""
        import joblib

        from .io import atomic_path

        path = Path(path)
        with atomic_path(path) as tmp:
            joblib.dump({"segmenter": self.segmenter, "classifier": self.classifier,
                         "sentiment": self.sentiment, "polarity": self.polarity}, tmp, compress=3)
            digest = _sha256(tmp)
        manifest = {
            **self.manifest, **(extra or {}),
            "format": FORMAT_VERSION,
            "categories": self.categories,
            "versions": _versions(),
            "sha256": digest,
            "saved": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        }
        with atomic_path(manifest_path(path)) as tmp:
            tmp.write_text(json.dumps(manifest, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        if self.evaluation:
            with atomic_path(Path(str(path) + ".evaluation.json")) as tmp:
                tmp.write_text(json.dumps(self.evaluation, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        self.manifest = manifest
        return path

    @classmethod
    def load(cls, path: str | Path) -> "ModelBundle":
        """Load a model file after checking it against its manifest.

        Raises
        ------
        ModelError
            When the file or its manifest is missing, the hash differs, the format or the
            scikit-learn version differs, or the categories differ; the message names
            the file and the field.
        """
        import joblib

        path = Path(path)
        mpath = manifest_path(path)
        if not path.is_file():
            raise ModelError(f"{path}: model file not found")
        if not mpath.is_file():
            raise ModelError(f"{path}: no manifest {mpath.name} beside it; refusing to load an unchecked pickle")
        try:
            manifest = json.loads(mpath.read_text(encoding="utf-8"))
        except (ValueError, OSError) as exc:
            raise ModelError(f"{mpath}: manifest is not valid JSON ({exc})") from exc
        if manifest.get("format") != FORMAT_VERSION:
            raise ModelError(f"{mpath}: format {manifest.get('format')!r}, this textmine reads format {FORMAT_VERSION}")
        if manifest.get("sha256") != _sha256(path):
            raise ModelError(f"{path}: sha256 does not match its manifest (file changed or corrupt)")
        wanted = manifest.get("versions", {}).get("scikit-learn", "")
        have = _versions()["scikit-learn"]
        if _major_minor(wanted) != _major_minor(have):
            raise ModelError(f"{path}: trained with scikit-learn {wanted}, installed is {have}; "
                             "install the same minor version or retrain")
        parts = joblib.load(path)
        bundle = cls(parts["segmenter"], parts["classifier"], parts["sentiment"], parts["polarity"], manifest)
        if bundle.categories != manifest.get("categories"):
            raise ModelError(f"{path}: categories {bundle.categories} differ from the manifest's {manifest.get('categories')}")
        return bundle


_default_lock = threading.Lock()
_default_models: dict[Path, ModelBundle] = {}


def load_model(path: str | Path | None = None) -> ModelBundle:
    """Load a model bundle; ``None`` gives the shipped default model (loaded once and
    shared). See :meth:`ModelBundle.load` for the checks made."""
    if path is not None:
        return ModelBundle.load(path)
    default = resource_path("models", DEFAULT_MODEL)
    with _default_lock:
        if default not in _default_models:
            _default_models[default] = ModelBundle.load(default)
        return _default_models[default]
