"""Multi-label issue classifier, a scikit-learn estimator.

:class:`IssueClassifier` learns which categories a comment raises from TF-IDF word and
character n-grams with one logistic regression per category. Each category gets its own
decision threshold, tuned for F1 on cross-validated predictions of the training data.
Every comment gets at least one category: when none passes its threshold, the most
probable one (``other`` for a vague comment, in the default taxonomy).
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin

from .errors import NotFittedError
from .features import DocumentVectorizer, as_documents

__all__ = ["IssueClassifier", "best_threshold"]


def best_threshold(y_true: np.ndarray, scores: np.ndarray, *, default: float = 0.5) -> float:
    """The score cut-off that maximises F1 of ``scores >= cut`` against ``y_true``
    (0/1); ``default`` when there is no positive example."""
    positives = int(y_true.sum())
    if positives == 0:
        return default
    order = np.argsort(-scores, kind="stable")
    hits = np.cumsum(y_true[order])
    k = np.arange(1, len(order) + 1)
    f1 = 2 * hits / (k + positives)
    best = int(np.argmax(f1))
    upper = scores[order[best]]
    lower = scores[order[best + 1]] if best + 1 < len(order) else 0.0
    return float(min(max((upper + lower) / 2, 0.05), 0.95))


class IssueClassifier(ClassifierMixin, BaseEstimator):
    """Put comments into zero or more issue categories.

    Parameters
    ----------
    C : float, default=8.0
        Inverse regularisation strength of each logistic regression.
    class_weight : {"balanced", None}, default="balanced"
        Weight each category's positive examples by their rarity (rare categories are
        otherwise under-predicted).
    min_df : int, default=1
        Passed to :class:`~textmine.features.DocumentVectorizer`.
    threshold_folds : int, default=4
        Folds of the cross-validation that tunes the per-category thresholds; 0 or 1
        keeps 0.5 for every category.
    random_state : int, default=0
        Seed of the fold split.

    Attributes
    ----------
    classes_ : ndarray of str
        The categories, in the column order of :meth:`predict_proba`.
    thresholds_ : ndarray of float
        The tuned decision threshold of each category.
    vectorizer_ : DocumentVectorizer
        The fitted feature extractor.
    """

    def __init__(self, *, C: float = 8.0, class_weight: str | None = "balanced", min_df: int = 1,
                 threshold_folds: int = 4, random_state: int = 0):
        self.C = C
        self.class_weight = class_weight
        self.min_df = min_df
        self.threshold_folds = threshold_folds
        self.random_state = random_state

    def _model(self):
        from sklearn.linear_model import LogisticRegression
        from sklearn.multiclass import OneVsRestClassifier

        return OneVsRestClassifier(LogisticRegression(C=self.C, class_weight=self.class_weight, solver="liblinear",
                                                      max_iter=1000))

    def fit(self, X: Sequence[object], y: Iterable[Iterable[str]]):
        """Learn from comments ``X`` and their categories ``y`` (one iterable of
        category names per comment, e.g. ``[["logistics", "food"], ["other"]]``).

        Raises
        ------
        ValueError
            When ``X`` and ``y`` differ in length or a category has no example.
        """
        from sklearn.model_selection import KFold
        from sklearn.preprocessing import MultiLabelBinarizer

        docs = as_documents(X)
        label_sets = [list(labels) for labels in y]
        if len(docs) != len(label_sets):
            raise ValueError(f"X has {len(docs)} comments but y has {len(label_sets)} label sets")
        binarizer = MultiLabelBinarizer()
        Y = binarizer.fit_transform(label_sets)
        if len(binarizer.classes_) < 2:
            raise ValueError(f"need at least two categories to learn, got {list(binarizer.classes_)}")
        self.classes_ = binarizer.classes_
        self.thresholds_ = np.full(len(self.classes_), 0.5)
        if self.threshold_folds and self.threshold_folds > 1:
            scores = np.zeros(Y.shape, dtype=float)
            folds = KFold(self.threshold_folds, shuffle=True, random_state=self.random_state)
            for train, test in folds.split(docs):
                vec = DocumentVectorizer(min_df=self.min_df)
                Xtr = vec.fit_transform([docs[i] for i in train])
                cols = Y[train].sum(axis=0) > 0
                model = self._model().fit(Xtr, Y[train][:, cols])
                scores[np.ix_(test, np.flatnonzero(cols))] = model.predict_proba(vec.transform([docs[i] for i in test]))
            self.thresholds_ = np.array([best_threshold(Y[:, j], scores[:, j]) for j in range(Y.shape[1])])
        self.vectorizer_ = DocumentVectorizer(min_df=self.min_df)
        self.model_ = self._model().fit(self.vectorizer_.fit_transform(docs), Y)
        self.__dict__.pop("_stacked", None)  # weights stacked from an earlier fit
        return self

    def _check_fitted(self):
        if not hasattr(self, "model_"):
            raise NotFittedError(self)

    def __getstate__(self):
        state = dict(self.__dict__)
        state.pop("_stacked", None)
        return state

    def _proba(self, features) -> np.ndarray:
        """``model_.predict_proba(features)`` in one matrix product: the one-vs-rest
        regressions' weights stacked side by side (built on first use)."""
        from scipy.special import expit

        stacked = self.__dict__.get("_stacked")
        if stacked is None:
            estimators = self.model_.estimators_
            if not all(hasattr(e, "coef_") for e in estimators):  # a constant predictor
                return self.model_.predict_proba(features)
            stacked = self.__dict__["_stacked"] = (np.vstack([e.coef_ for e in estimators]).T,
                                                   np.concatenate([e.intercept_ for e in estimators]))
        weights, intercepts = stacked
        return expit(features @ weights + intercepts)

    def predict_proba(self, X: Sequence[object]) -> np.ndarray:
        """Probability of each category, shape ``(n_comments, n_categories)``; the
        columns follow ``classes_``. Rows need not sum to 1 (multi-label)."""
        self._check_fitted()
        return self._proba(self.vectorizer_.transform(as_documents(X)))

    def predict_clause_proba(self, X: Sequence[object]) -> np.ndarray:
        """Probability of each category for each clause of each comment taken alone,
        shape ``(total clauses, n_categories)``, clauses in order."""
        self._check_fitted()
        return self._proba(self.vectorizer_.transform_clauses(as_documents(X)))

    def decide(self, proba: np.ndarray) -> np.ndarray:
        """Indicator matrix from probabilities: thresholds, then at least one category
        per row (the most probable when none passes)."""
        self._check_fitted()
        Y = (proba >= self.thresholds_).astype(int)
        empty = Y.sum(axis=1) == 0
        Y[np.flatnonzero(empty), proba[empty].argmax(axis=1)] = 1
        return Y

    def predict(self, X: Sequence[object]) -> np.ndarray:
        """Indicator matrix ``(n_comments, n_categories)``; at least one 1 per row."""
        return self.decide(self.predict_proba(X))

    def predict_labels(self, X: Sequence[object]) -> list[list[str]]:
        """The category names of each comment, most probable first."""
        return self.labels_from(self.predict_proba(X))

    def labels_from(self, proba: np.ndarray) -> list[list[str]]:
        """The categories :meth:`decide` picks from ``proba``, by name, most probable first."""
        order = np.argsort(-proba, axis=1, kind="stable")
        return [[self.classes_[j] for j in ranked if row[j]]
                for ranked, row in zip(order.tolist(), self.decide(proba).tolist())]
