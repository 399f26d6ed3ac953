"""Whole-comment sentiment: a score in [0, 1] per comment.

- :class:`SentimentScorer`: logistic regression on word and character n-grams;
  ``predict_proba(X)[:, 1]`` is the probability that a comment is positive.
- :class:`SnowNLPScorer`: the same contract over ``SnowNLP(text).sentiments``, for
  comparison; SnowNLP is imported only when this backend is used.

The polarity of each category within a comment is :mod:`textmine.polarity`'s.

A comment with no token (empty, punctuation only) scores 0.5, neutral, with no error.
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ._estimator import BaseEstimator, ClassifierMixin
from .errors import NotFittedError
from .classify import linear_proba
from .features import DocumentVectorizer, NBScaling, as_documents
from .segment import Document

__all__ = [
    "NEGATIVE_BELOW",
    "POSITIVE_ABOVE",
    "sentiment_label",
    "SentimentScorer",
    "NBScaling",
    "SnowNLPScorer",
]

NEGATIVE_BELOW = 0.4
POSITIVE_ABOVE = 0.6


def sentiment_label(score: float) -> str:
    """``"negative"`` below 0.4, ``"positive"`` above 0.6, else ``"neutral"``."""
    if score < NEGATIVE_BELOW:
        return "negative"
    if score > POSITIVE_ABOVE:
        return "positive"
    return "neutral"


def _with_neutral_empty(docs: list[Document], positive: np.ndarray) -> np.ndarray:
    empty = np.array([not d.clause_tokens for d in docs], dtype=bool)
    positive = np.where(empty, 0.5, positive)
    return np.column_stack([1 - positive, positive])


class SentimentScorer(ClassifierMixin, BaseEstimator):
    """Comment-level sentiment from TF-IDF n-grams and logistic regression.

    Parameters
    ----------
    C : float or "auto", default="auto"
        Inverse regularisation strength; ``"auto"`` picks it from ``C_grid`` by
        ``cv``-fold cross-validated accuracy on the training data.
    min_df : int, default=2
        Passed to :class:`~textmine.features.DocumentVectorizer`.
    C_grid : tuple of float, default=(0.25, 0.5, 1, 2, 4, 8)
    cv : int, default=3
    nb_weighting : bool, default=True
        Scale each feature by its naive-Bayes log-count ratio (how much more often it
        occurs in positive than in negative training comments) before the regression
        (NB-LR, Wang & Manning 2012): a feature's weight starts from its evidence.

    Attributes
    ----------
    classes_ : ndarray, ``[0, 1]`` (negative, positive)
    C_ : float, the regularisation strength used
    nb_ratio_ : ndarray or None, the log-count ratio of each feature
    vectorizer_, model_ : the fitted features and regression
    """

    def __init__(self, *, C: float | str = "auto", min_df: int = 2, C_grid: tuple = (0.25, 0.5, 1, 2, 4, 8),
                 cv: int = 3, nb_weighting: bool = True):
        self.C = C
        self.min_df = min_df
        self.C_grid = C_grid
        self.cv = cv
        self.nb_weighting = nb_weighting

    def __setstate__(self, state):
        # scorers saved before NB weighting existed had none
        state.setdefault("nb_weighting", False)
        state.setdefault("nb_ratio_", None)
        self.__dict__.update(state)

    def _features(self, docs: list[Document]):
        features = self.vectorizer_.transform(docs)
        return features if self.nb_ratio_ is None else features.multiply(self.nb_ratio_).tocsr()

    def fit(self, X: Sequence[object], y: Sequence[int]):
        """Learn from comments and 0/1 labels (1 = positive); returns self."""
        from sklearn.linear_model import LogisticRegression
        from sklearn.pipeline import make_pipeline

        docs = as_documents(X)
        y = np.asarray(y, dtype=int)
        if len(docs) != len(y):
            raise ValueError(f"X has {len(docs)} comments but y has {len(y)} labels")
        if set(np.unique(y)) != {0, 1}:
            raise ValueError(f"y must hold both 0 (negative) and 1 (positive), got {sorted(set(y.tolist()))}")
        self.vectorizer_ = DocumentVectorizer(min_df=self.min_df)
        features = self.vectorizer_.fit_transform(docs)

        def regression(c: float):
            model = LogisticRegression(C=c, solver="liblinear", max_iter=2000)
            return make_pipeline(NBScaling(), model) if self.nb_weighting else model

        if self.C == "auto":
            from sklearn.model_selection import StratifiedKFold, cross_val_score

            # the NB ratios are learnt inside each fold, from its training part only
            folds = StratifiedKFold(self.cv, shuffle=True, random_state=0)
            scores = [cross_val_score(regression(c), features, y, cv=folds, scoring="accuracy").mean()
                      for c in self.C_grid]
            self.C_ = float(self.C_grid[int(np.argmax(scores))])
        else:
            self.C_ = float(self.C)
        fitted = regression(self.C_).fit(features, y)
        self.nb_ratio_ = fitted[0].ratio_ if self.nb_weighting else None
        self.model_ = fitted[-1] if self.nb_weighting else fitted
        self.classes_ = self.model_.classes_
        return self

    def predict_proba(self, X: Sequence[object]) -> np.ndarray:
        """Shape ``(n, 2)``: probability negative, probability positive; 0.5/0.5 for a
        comment with no token."""
        if not hasattr(self, "model_"):
            raise NotFittedError(self)
        docs = as_documents(X)
        return _with_neutral_empty(docs, linear_proba(self.model_, self._features(docs))[:, 1])

    def predict(self, X: Sequence[object]) -> np.ndarray:
        """1 where the positive probability is at least 0.5, else 0."""
        return (self.predict_proba(X)[:, 1] >= 0.5).astype(int)


class SnowNLPScorer(ClassifierMixin, BaseEstimator):
    """``SnowNLP(text).sentiments`` behind the :class:`SentimentScorer` contract.

    Nothing is learned: ``fit`` only records the classes. Slow (about 4,000 characters
    a second); meant for comparison.
    """

    def fit(self, X=None, y=None):
        """Returns self; SnowNLP ships its own trained model."""
        self.classes_ = np.array([0, 1])
        return self

    def predict_proba(self, X: Sequence[object]) -> np.ndarray:
        """Shape ``(n, 2)`` like :meth:`SentimentScorer.predict_proba`."""
        from snownlp import SnowNLP

        docs = as_documents(X)
        positive = np.array([SnowNLP(d.text).sentiments if d.clause_tokens else 0.5 for d in docs])
        return _with_neutral_empty(docs, positive)

    def predict(self, X: Sequence[object]) -> np.ndarray:
        """1 where SnowNLP's score is at least 0.5, else 0."""
        return (self.predict_proba(X)[:, 1] >= 0.5).astype(int)
