"""textmine: mine Chinese customer-feedback comments.

Three lines::

    import textmine
    model = textmine.load_model()            # the shipped default model
    results = model.analyze(["送餐太慢了，饭都凉了"])  # one Result per comment

``results[0].labels`` is ``"food:-1|logistics:-1"``; ``results[0].sentiment`` is the
probability that the comment is positive. Importing textmine is cheap: jieba,
scikit-learn and pandas load on first use.
"""
from __future__ import annotations

import importlib

__version__ = "0.1.0"

__all__ = [
    "__version__",
    "load_model",
    "ModelBundle",
    "Result",
    "train",
    "read_labelled",
    "evaluate_model",
    "compare_models",
    "suggest",
    "normalise_text",
    "tokenize",
    "Segmenter",
    "IssueClassifier",
    "SentimentScorer",
    "SnowNLPScorer",
    "AspectPolarity",
    "classify_file",
    "parse_labels",
    "format_labels",
    "diff",
    "diff_files",
]

_WHERE = {
    "load_model": "bundle", "ModelBundle": "bundle", "Result": "bundle",
    "train": "training", "read_labelled": "training", "evaluate_model": "evaluate",
    "compare_models": "evaluate", "suggest": "active",
    "normalise_text": "normalise", "tokenize": "segment", "Segmenter": "segment",
    "IssueClassifier": "classify", "SentimentScorer": "sentiment", "SnowNLPScorer": "sentiment",
    "AspectPolarity": "polarity", "classify_file": "batch",
    "parse_labels": "taxonomy", "format_labels": "taxonomy",
    "diff": "changes", "diff_files": "changes",
}


def __getattr__(name: str):
    if name in _WHERE:
        value = getattr(importlib.import_module(f".{_WHERE[name]}", __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'textmine' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)
