"""Multi-label issue classifier, a scikit-learn estimator.

:class:`IssueClassifier` learns which categories a comment raises from TF-IDF word and
character n-grams with one logistic regression per category, each on the n-grams scaled
by their naive-Bayes log-count ratios for that category (NB-LR). Each category has its own
decision threshold: 0.5, or (``threshold_folds``) tuned for F1 on cross-validated
predictions of the training data. A catch-all category (``other`` in the default
taxonomy) stands only alone: it is dropped when any other category passes. With a
catch-all among the categories, every comment gets at least one: when none passes its
threshold, the most probable one; without one ("none of these" cannot be said by a
category), such a comment gets no category.
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from numbers import Real

import numpy as np

from ._estimator import BaseEstimator, ClassifierMixin
from .errors import LABEL_NAME, LABEL_SETS, LENGTH_MISMATCH, TOO_FEW_CATEGORIES, InputError, NotFittedError
from .features import DocumentVectorizer, NBScaling, as_documents
from .taxonomy import OTHER

__all__ = ["IssueClassifier", "best_threshold", "linear_proba", "one_vs_rest_weights", "text_folds"]


def one_vs_rest_weights(estimators) -> tuple[np.ndarray, np.ndarray] | None:
    """The weights and intercepts of fitted binary linear models side by side, one column
    per model, so that ``expit(X @ weights + intercepts)`` gives every model's
    probability of its positive class in one matrix product. A model is a logistic
    regression, or a pipeline of :class:`~textmine.features.NBScaling` then one, whose
    ratios are folded into the weights (``(x * r) @ w == x @ (r * w)``). None when a
    model is neither (a one-vs-rest constant predictor), or there is none."""
    columns, intercepts = [], []
    for estimator in estimators:
        *scaling, model = [step for _, step in getattr(estimator, "steps", [("", estimator)])]
        if not hasattr(model, "coef_") or len(scaling) > 1 or not all(hasattr(s, "ratio_") for s in scaling):
            return None
        columns.append(model.coef_[0] * (scaling[0].ratio_ if scaling else 1))
        intercepts.append(model.intercept_[0])
    if not columns:
        return None
    return np.column_stack(columns), np.array(intercepts)


def linear_proba(model, features) -> np.ndarray:
    """``model.predict_proba(features)`` with numpy alone, from the fitted attributes of
    a scikit-learn ``LogisticRegression`` (two classes: the logistic of the decision;
    more: its softmax) or ``DummyClassifier`` (its class priors, or the most frequent
    class). A model loaded from a file then predicts without building scikit-learn's
    objects; the result is the same."""
    from scipy.special import expit, softmax

    if hasattr(model, "coef_"):
        decision = features @ model.coef_.T + model.intercept_
        if decision.shape[1] == 1:
            positive = expit(decision[:, 0])
            return np.column_stack([1 - positive, positive])
        return softmax(decision, axis=1)
    prior = np.asarray(model.class_prior_, float)
    if model._strategy == "most_frequent":
        prior = (np.arange(len(prior)) == prior.argmax()).astype(float)
    return np.tile(prior, (features.shape[0], 1))


def text_folds(docs: Sequence, k: int, seed: int = 0) -> np.ndarray:
    """The cross-validation fold (0 to ``k - 1``) of each comment, from a hash of its
    text and ``seed``: the same comment lands in the same fold whatever else is in
    the data."""
    import hashlib

    return np.array([int.from_bytes(hashlib.md5(f"{seed}:{d.text}".encode("utf-8")).digest()[:8], "little") % k
                     for d in docs], dtype=int)


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


def _label_sets(y, n_comments: int, classes: np.ndarray | None = None) -> list[list[str]]:
    """``y`` as one list of category names per comment, checked: an iterable of
    ``n_comments`` iterables of names. With ``classes`` (a fitted classifier's), a row of
    0/1 values, one per class (an indicator matrix, as :meth:`IssueClassifier.predict`
    returns), is read as the names of its 1s.

    Raises
    ------
    InputError
        Naming the first row that is not a collection of names, or the lengths.
    """
    if hasattr(y, "toarray"):  # a sparse indicator matrix
        y = y.toarray()
    if isinstance(y, (str, bytes)) or not isinstance(y, Iterable):
        raise InputError(LABEL_SETS.format(where="y", value=y))
    rows = list(y)
    if len(rows) != n_comments:
        raise InputError(LENGTH_MISMATCH.format(n_x=n_comments, n_y=len(rows)))
    sets = []
    for i, row in enumerate(rows):
        if isinstance(row, (str, bytes)) or not isinstance(row, Iterable):
            raise InputError(LABEL_SETS.format(where=f"y[{i}]", value=row))
        row = list(row)
        if classes is not None and len(row) == len(classes) and all(
                isinstance(v, (Real, np.bool_)) and v in (0, 1) for v in row):
            row = [c for c, v in zip(classes, row) if v]
        for name in row:
            if not isinstance(name, str):
                value = name.item() if isinstance(name, np.generic) else name
                raise InputError(LABEL_NAME.format(where=f"y[{i}]", value=value))
        sets.append(row)
    return sets


class IssueClassifier(ClassifierMixin, BaseEstimator):
    """Put comments into zero or more issue categories.

    Parameters
    ----------
    C : float, default=2.0
        Inverse regularisation strength of each logistic regression.
    class_weight : {"balanced", None}, default="balanced"
        Weight each category's positive examples by their rarity (rare categories are
        otherwise under-predicted).
    min_df : int, default=2
        Passed to :class:`~textmine.features.DocumentVectorizer`: an n-gram seen in
        one comment only gets no feature (its naive-Bayes ratio would be noise).
    nb_weighting : bool, default=True
        Scale the features of each category's regression by their naive-Bayes
        log-count ratios for that category (NB-LR, see
        :class:`~textmine.features.NBScaling`).
    threshold_folds : int, default=0
        Folds of the cross-validation that tunes the per-category thresholds (4 is a
        good choice); 0 or 1 keeps 0.5 for every category, which the balanced class
        weights already make a fair cut. Tuning pays off on a large, representative
        sample; on comments picked by :func:`~textmine.active.suggest` (hard ones, by
        design) it sets thresholds too low for the comments at large.
    random_state : int, default=0
        Seed of the fold split. A comment's fold follows from its text and the seed
        alone (see :func:`text_folds`), so adding comments to the training data does not
        reshuffle the folds of the others, and the thresholds move less.
    catch_all : str or None, default="other"
        The category for a comment that raises none of the others: it is kept only
        when no other category passes its threshold. When it is among the categories
        learned, a comment where no category passes gets the most probable one; when
        it is not (a taxonomy of one's own without it), such a comment gets none.
        None: no category is dropped for standing beside others; ``other``, when
        learned, still keeps every comment in at least one category.
    long_clauses : int or None, default=16
        A comment of at least this many clauses is also read clause by clause: in a
        long review the words of one aspect are too few among all the others to raise
        it, though its clause alone would. Each category's probability is then the
        higher of the comment's and its best clause's divided by ``clause_margin``.
        None reads every comment whole.
    clause_margin : float, default=1.3
        How much surer of a category a single clause must be than a whole comment.

    Attributes
    ----------
    classes_ : ndarray of str
        The categories, in the column order of :meth:`predict_proba`.
    thresholds_ : ndarray of float
        The decision threshold of each category (0.5 unless tuned).
    vectorizer_ : DocumentVectorizer
        The fitted feature extractor.
    """

    def __init__(self, *, C: float = 2.0, class_weight: str | None = "balanced", min_df: int = 2,
                 nb_weighting: bool = True, threshold_folds: int = 0, random_state: int = 0,
                 catch_all: str | None = OTHER, long_clauses: int | None = 16, clause_margin: float = 1.3):
        self.C = C
        self.class_weight = class_weight
        self.min_df = min_df
        self.nb_weighting = nb_weighting
        self.threshold_folds = threshold_folds
        self.random_state = random_state
        self.catch_all = catch_all
        self.long_clauses = long_clauses
        self.clause_margin = clause_margin

    def _model(self):
        from sklearn.linear_model import LogisticRegression
        from sklearn.multiclass import OneVsRestClassifier
        from sklearn.pipeline import make_pipeline

        regression = LogisticRegression(C=self.C, class_weight=self.class_weight, solver="liblinear", max_iter=1000)
        return OneVsRestClassifier(make_pipeline(NBScaling(), regression) if self.nb_weighting else regression)

    def fit(self, X: Sequence[object], y: Iterable[Iterable[str]]):
        """Learn from comments ``X`` and their categories ``y`` (one iterable of
        category names per comment, e.g. ``[["logistics", "food"], ["other"]]``).

        Raises
        ------
        InputError (a ValueError)
            When ``y`` is not one collection of category names per comment (a string,
            numbers, an indicator matrix), ``X`` and ``y`` differ in length, or ``y``
            names fewer than two categories.
        """
        from sklearn.preprocessing import MultiLabelBinarizer

        docs = as_documents(X)
        label_sets = _label_sets(y, len(docs))
        binarizer = MultiLabelBinarizer()
        Y = binarizer.fit_transform(label_sets)
        if len(binarizer.classes_) < 2:
            raise InputError(TOO_FEW_CATEGORIES.format(categories=list(binarizer.classes_)))
        self.classes_ = binarizer.classes_
        self.thresholds_ = np.full(len(self.classes_), 0.5)
        if self.threshold_folds and self.threshold_folds > 1:
            scores = np.zeros(Y.shape, dtype=float)
            fold_of = text_folds(docs, self.threshold_folds, self.random_state)
            for fold in range(self.threshold_folds):
                train, test = np.flatnonzero(fold_of != fold), np.flatnonzero(fold_of == fold)
                if not len(test) or not len(train):
                    continue
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

    def __setstate__(self, state):
        # classifiers saved before these options existed
        state.setdefault("nb_weighting", False)
        state.setdefault("catch_all", None)
        state.setdefault("long_clauses", None)
        state.setdefault("clause_margin", 1.3)
        self.__dict__.update(state)

    def _proba(self, features) -> np.ndarray:
        """``model_.predict_proba(features)`` in one matrix product (see
        :func:`one_vs_rest_weights`; built on first use)."""
        from scipy.special import expit

        stacked = self.__dict__.get("_stacked")
        if stacked is None:
            stacked = one_vs_rest_weights(self.model_.estimators_)
            if stacked is None:  # a constant predictor
                return self.model_.predict_proba(features)
            self.__dict__["_stacked"] = stacked
        weights, intercepts = stacked
        return expit(features @ weights + intercepts)

    def predict_proba(self, X: Sequence[object]) -> np.ndarray:
        """Probability of each category, shape ``(n_comments, n_categories)``; the
        columns follow ``classes_``. Rows need not sum to 1 (multi-label). A comment of
        at least ``long_clauses`` clauses gets the higher of its own and its best
        clause's (divided by ``clause_margin``)."""
        self._check_fitted()
        docs = as_documents(X)
        proba = self._proba(self.vectorizer_.transform(docs))
        long = [i for i, d in enumerate(docs) if self.long_clauses and len(d.clauses) >= self.long_clauses]
        if long:
            clause = self.predict_clause_proba([docs[i] for i in long]) / self.clause_margin
            owner = np.repeat(np.arange(len(long)), [len(docs[i].clauses) for i in long])
            best = np.zeros((len(long), proba.shape[1]))
            np.maximum.at(best, owner, clause)
            proba[long] = np.maximum(proba[long], best)
        return proba

    def predict_clause_proba(self, X: Sequence[object]) -> np.ndarray:
        """Probability of each category for each clause of each comment taken alone,
        shape ``(total clauses, n_categories)``, clauses in order."""
        self._check_fitted()
        return self._proba(self.vectorizer_.transform_clauses(as_documents(X)))

    def decide(self, proba: np.ndarray) -> np.ndarray:
        """Indicator matrix from probabilities: thresholds, the catch-all category
        dropped where another passes, then, when the taxonomy has a fallback category
        (the catch-all, or ``other``), at least one category per row (the most
        probable when none passes); without one, a row where none passes stays empty."""
        self._check_fitted()
        Y = (proba >= self.thresholds_).astype(int)
        if self.catch_all in self.classes_:
            j = int(np.flatnonzero(self.classes_ == self.catch_all)[0])
            Y[Y.sum(axis=1) > Y[:, j], j] = 0
        if self.catch_all in self.classes_ or OTHER in self.classes_:
            empty = Y.sum(axis=1) == 0
            Y[np.flatnonzero(empty), proba[empty].argmax(axis=1)] = 1
        return Y

    def predict(self, X: Sequence[object]) -> np.ndarray:
        """Indicator matrix ``(n_comments, n_categories)``; at least one 1 per row when
        the taxonomy has a fallback category (see :meth:`decide`)."""
        return self.decide(self.predict_proba(X))

    def score(self, X: Sequence[object], y, sample_weight=None) -> float:
        """Subset accuracy: the share of comments whose predicted categories are exactly
        the true ones (scikit-learn's multi-label accuracy); 0.0 for no comments.

        Parameters
        ----------
        y : iterable
            The true categories, as ``fit`` takes them (names per comment) or as
            ``predict`` returns them (an indicator matrix, columns in ``classes_``).
        sample_weight : array-like, optional
            Weight of each comment.

        Raises
        ------
        InputError (a ValueError)
            When ``y`` is neither (see :meth:`fit`).
        """
        self._check_fitted()
        docs = as_documents(X)
        truth = _label_sets(y, len(docs), self.classes_ if hasattr(self, "classes_") else None)
        hits = [set(p) == set(t) for p, t in zip(self.predict_labels(docs), truth)]
        return float(np.average(hits, weights=sample_weight)) if hits else 0.0

    def predict_labels(self, X: Sequence[object]) -> list[list[str]]:
        """The category names of each comment, most probable first."""
        return self.labels_from(self.predict_proba(X))

    def labels_from(self, proba: np.ndarray) -> list[list[str]]:
        """The categories :meth:`decide` picks from ``proba``, by name, most probable first."""
        order = np.argsort(-proba, axis=1, kind="stable")
        return [[self.classes_[j] for j in ranked if row[j]]
                for ranked, row in zip(order.tolist(), self.decide(proba).tolist())]
