"""Sentiment: a score in [0, 1] per comment, and a polarity per category it raises.

- :class:`SentimentScorer`: logistic regression on word and character n-grams;
  ``predict_proba(X)[:, 1]`` is the probability that a comment is positive.
- :class:`SnowNLPScorer`: the same contract over ``SnowNLP(text).sentiments``, for
  comparison; SnowNLP is imported only when this backend is used.
- :class:`AspectPolarity`: the polarity (-1, 0, 1) of one category within one comment,
  stacked from two :class:`PolarityView` models: one reads the clauses that raise the
  category (its *evidence*), one the whole comment, both with words tied to the
  category ("price/贵" is not "logistics/贵").

A comment with no token (empty, punctuation only) scores 0.5, neutral, with no error.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin

from .errors import NotFittedError
from .classify import one_vs_rest_weights
from .features import DocumentVectorizer, NBScaling, as_documents, count_ngrams, tfidf_of_counts
from .segment import Document

__all__ = [
    "NEGATIVE_BELOW",
    "POSITIVE_ABOVE",
    "sentiment_label",
    "SentimentScorer",
    "NBScaling",
    "SnowNLPScorer",
    "AspectExample",
    "PolarityView",
    "AspectPolarity",
    "find_evidence",
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
        return _with_neutral_empty(docs, self.model_.predict_proba(self._features(docs))[:, 1])

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


class AspectExample(NamedTuple):
    """One category within one comment: the category, its evidence clauses and the
    whole comment (``None``: the evidence is the whole comment)."""

    category: str
    evidence: Document
    comment: Document | None = None

    @property
    def whole(self) -> Document:
        """The whole comment (the evidence when no comment is given)."""
        return self.evidence if self.comment is None else self.comment


def find_evidence(docs: Sequence[Document], categories: Sequence[Sequence[str]], classifier) -> list[dict[str, Document]]:
    """For each comment and each of its categories, the clauses that raise it.

    The fitted ``classifier`` (:class:`~textmine.classify.IssueClassifier`) scores each
    clause alone; a clause is evidence for the one category of the comment it fits best
    (highest probability relative to the category's threshold), if it passes that
    threshold. A category no clause speaks for gets the clause that scores it highest.
    A comment with a single clause is its own evidence.

    Returns
    -------
    list of dict
        One dict per comment, category -> Document of the evidence clauses in order.
    """
    multi = [i for i, doc in enumerate(docs) if len(doc.clauses) > 1]
    owner = np.repeat(multi, [len(docs[i].clauses) for i in multi]).astype(int)
    column = {c: j for j, c in enumerate(classifier.classes_)}
    known = [[c for c in cats if c in column] for cats in categories]
    best, passing = [], []
    if multi:
        proba = classifier.predict_clause_proba([docs[i] for i in multi])
        # each clause speaks for the category of its comment that it fits best
        wanted = np.zeros((len(docs), len(column)), dtype=bool)
        pairs = [(i, column[c]) for i, cats in enumerate(known) for c in cats]
        if pairs:
            wanted[tuple(np.array(pairs).T)] = True
        ratio = np.where(wanted[owner], proba / classifier.thresholds_, -np.inf)
        best_col = ratio.argmax(axis=1)
        best, passing = best_col.tolist(), (ratio[np.arange(len(owner)), best_col] >= 1).tolist()
    starts = np.searchsorted(owner, np.arange(len(docs) + 1)).tolist()
    out = []
    for i, (doc, cats) in enumerate(zip(docs, categories)):
        found = {}
        first, stop = starts[i], starts[i + 1]
        if len(doc.clauses) > 1 and known[i]:
            for cat in known[i]:
                col = column[cat]
                chosen = [r - first for r in range(first, stop) if passing[r] and best[r] == col]
                if not chosen:  # no clause passes: the one that scores the category highest
                    chosen = [int(np.argmax(proba[first:stop, col]))]
                found[cat] = Document(
                    "，".join(doc.clauses[j] for j in chosen),
                    tuple(doc.clauses[j] for j in chosen),
                    tuple(doc.clause_tokens[j] for j in chosen),
                )
        out.append({cat: found.get(cat, doc) for cat in cats})
    return out


def _aspect_tokens(example: AspectExample) -> list[str]:
    cat = example.category
    return [f"CAT={cat}"] + [f"{cat}/{t}" for t in example.evidence.tokens]


class _PolarityModel(ClassifierMixin, BaseEstimator):
    """What the polarity models share: ``predict_proba`` and ``predict`` over
    :class:`AspectExample` lists, on top of a subclass's ``_predict_proba``."""

    @staticmethod
    def _checked(X: Sequence[AspectExample], y: Sequence[int]) -> np.ndarray:
        y = np.asarray(y, dtype=int)
        if len(X) != len(y):
            raise ValueError(f"X has {len(X)} examples but y has {len(y)} polarities")
        return y

    def predict_proba(self, X: Sequence[AspectExample]) -> np.ndarray:
        """Probability of each polarity in ``classes_``, shape ``(n, n_classes)``."""
        if not hasattr(self, "classes_"):
            raise NotFittedError(self)
        if not len(X):
            return np.zeros((0, len(self.classes_)))
        return self._predict_proba(X)

    def predict(self, X: Sequence[AspectExample]) -> np.ndarray:
        """The most probable polarity of each example."""
        proba = self.predict_proba(X)
        return self.classes_[proba.argmax(axis=1)] if len(proba) else np.zeros(0, dtype=int)


class PolarityView(_PolarityModel):
    """Polarity (-1, 0, 1) of a category read from one view of its comment.

    ``X`` is a list of :class:`AspectExample`; ``view="evidence"`` reads the clauses that
    raise the category, ``view="comment"`` the whole comment. Features are the view's
    n-grams, the same tokens tied to the category ("price/贵" is not "logistics/贵"),
    and the category itself. With ``nb_weighting`` the model is one logistic regression
    per polarity against the others, each on features scaled by that polarity's
    naive-Bayes ratios (:class:`NBScaling`); without, one multinomial logistic
    regression.

    Parameters
    ----------
    view : {"evidence", "comment"}, default="evidence"
    C : float, default=1.0
        Inverse regularisation strength.
    nb_weighting : bool, default=True

    Attributes
    ----------
    classes_ : ndarray of int, the polarities seen in training
    """

    def __init__(self, *, view: str = "evidence", C: float = 1.0, nb_weighting: bool = True):
        self.view = view
        self.C = C
        self.nb_weighting = nb_weighting

    def __getstate__(self):
        state = dict(self.__dict__)
        state.pop("_folded", None)
        return state

    def _read(self, X: Sequence[AspectExample]) -> list[AspectExample]:
        if self.view == "evidence":
            return list(X)
        if self.view == "comment":
            return [AspectExample(x.category, x.whole) for x in X]
        raise ValueError(f"view={self.view!r} is not allowed; choose 'evidence' or 'comment'")

    def _proba(self, features) -> np.ndarray:
        """``model_.predict_proba(features)``. For the NB one-vs-rest model each
        polarity's ratios are folded into its weights, so that one matrix product scores
        all polarities (see :func:`~textmine.classify.one_vs_rest_weights`; built on
        first use)."""
        from scipy.special import expit

        folded = self.__dict__.get("_folded")
        if folded is None:
            folded = one_vs_rest_weights(getattr(self.model_, "estimators_", []))
            if folded is None:
                return self.model_.predict_proba(features)
            self.__dict__["_folded"] = folded
        weights, intercepts = folded
        proba = expit(features @ weights + intercepts)
        if proba.shape[1] == 1:  # two polarities: one regression
            proba = np.column_stack([1 - proba[:, 0], proba[:, 0]])
        return proba / proba.sum(axis=1, keepdims=True)

    def _features(self, X: Sequence[AspectExample], fit: bool):
        import scipy.sparse as sp
        from sklearn.feature_extraction.text import TfidfVectorizer

        X = self._read(X)
        docs = [x.evidence for x in X]
        if fit:
            self.vectorizer_ = DocumentVectorizer(min_df=1)
            self.category_vectorizer_ = TfidfVectorizer(analyzer=_aspect_tokens, sublinear_tf=True, dtype=np.float32)
            return sp.hstack([self.vectorizer_.fit_transform(docs), self.category_vectorizer_.fit_transform(X)], format="csr")
        tied = tfidf_of_counts(self.category_vectorizer_,
                               count_ngrams(X, _aspect_tokens, self.category_vectorizer_.vocabulary_))
        return sp.hstack([self.vectorizer_.transform(docs), tied], format="csr")

    def fit(self, X: Sequence[AspectExample], y: Sequence[int]):
        """Learn from (category, evidence, comment) examples and their polarities;
        returns self."""
        from sklearn.dummy import DummyClassifier
        from sklearn.linear_model import LogisticRegression

        y = self._checked(X, y)
        features = self._features(X, fit=True)
        self.__dict__.pop("_folded", None)  # weights folded from an earlier fit
        if len(np.unique(y)) < 2:
            self.model_ = DummyClassifier(strategy="most_frequent").fit(features, y)
        elif self.nb_weighting:
            from sklearn.multiclass import OneVsRestClassifier
            from sklearn.pipeline import make_pipeline

            regression = LogisticRegression(C=self.C, solver="liblinear", max_iter=3000)
            self.model_ = OneVsRestClassifier(make_pipeline(NBScaling(), regression)).fit(features, y)
        else:
            self.model_ = LogisticRegression(C=self.C, max_iter=3000).fit(features, y)
        self.classes_ = self.model_.classes_
        return self

    def _predict_proba(self, X: Sequence[AspectExample]) -> np.ndarray:
        return self._proba(self._features(X, fit=False))


class AspectPolarity(_PolarityModel):
    """Polarity (-1, 0, 1) of a category within a comment, from two views stacked.

    One :class:`PolarityView` reads the category's evidence clauses, another the whole
    comment (what the comment says overall often decides a category whose own clause
    only names it). A multinomial logistic regression combines the log-probabilities of
    the two views; it is fitted on their out-of-fold predictions (``stack_folds``
    folds, all categories of one comment in the same fold), so that it learns how far
    to trust each view on comments it has not seen. Too little data for the folds
    (fewer than ``stack_folds`` examples of some polarity) or ``comment_view=False``:
    the evidence view alone.

    Parameters
    ----------
    C : float, default=1.0
        Inverse regularisation strength of the views.
    nb_weighting : bool, default=True
        Passed to each :class:`PolarityView`.
    comment_view : bool, default=True
    stack_folds : int, default=10
    random_state : int, default=0
        Seeds the fold of each comment (see :func:`~textmine.classify.text_folds`).

    Attributes
    ----------
    classes_ : ndarray of int, the polarities seen in training
    evidence_model_, comment_model_ : PolarityView (``comment_model_`` None when unused)
    combiner_ : LogisticRegression or None
    """

    def __init__(self, *, C: float = 1.0, nb_weighting: bool = True, comment_view: bool = True,
                 stack_folds: int = 10, random_state: int = 0):
        self.C = C
        self.nb_weighting = nb_weighting
        self.comment_view = comment_view
        self.stack_folds = stack_folds
        self.random_state = random_state

    def __setstate__(self, state):
        if "model_" in state:  # saved before the comment view: one evidence model
            view = PolarityView(C=state.get("C", 1.0), nb_weighting=state.get("nb_weighting", False))
            view.__dict__.update({k: state.pop(k) for k in ("vectorizer_", "category_vectorizer_", "model_")})
            view.classes_ = state["classes_"]
            state.update(evidence_model_=view, comment_model_=None, combiner_=None, comment_view=False,
                         stack_folds=10, random_state=0)
        state.setdefault("nb_weighting", False)
        self.__dict__.update(state)

    @property
    def vectorizers(self) -> list:
        """The fitted n-gram vectorizers of the views (see
        :func:`~textmine.features.share_clause_counts`)."""
        return [m.vectorizer_ for m in (self.evidence_model_, self.comment_model_) if m is not None]

    def _view(self, view: str) -> PolarityView:
        return PolarityView(view=view, C=self.C, nb_weighting=self.nb_weighting)

    def _stacked(self, models: Sequence[PolarityView], X: Sequence[AspectExample]) -> np.ndarray:
        """The views' log-probabilities side by side, in ``classes_`` order (a polarity a
        view never saw gets probability 0)."""
        blocks = []
        for model in models:
            proba = np.zeros((len(X), len(self.classes_)))
            proba[:, np.searchsorted(self.classes_, model.classes_)] = model.predict_proba(X)
            blocks.append(np.log(np.clip(proba, 1e-6, None)))
        return np.hstack(blocks)

    def fit(self, X: Sequence[AspectExample], y: Sequence[int]):
        """Learn from (category, evidence, comment) examples and their polarities;
        returns self."""
        from sklearn.linear_model import LogisticRegression

        from .classify import text_folds

        y = self._checked(X, y)
        self.classes_ = np.unique(y)
        self.evidence_model_ = self._view("evidence").fit(X, y)
        self.comment_model_ = self.combiner_ = None
        k = self.stack_folds
        if not self.comment_view or len(self.classes_) < 2 or np.bincount(np.searchsorted(self.classes_, y)).min() < k:
            return self
        fold = text_folds([x.whole for x in X], k, self.random_state)
        held_out = np.zeros((len(X), 2 * len(self.classes_)))
        for f in range(k):
            train, test = np.flatnonzero(fold != f), np.flatnonzero(fold == f)
            if not len(test):
                continue
            part = [X[i] for i in train]
            views = [self._view(v).fit(part, y[train]) for v in ("evidence", "comment")]
            held_out[test] = self._stacked(views, [X[i] for i in test])
        self.comment_model_ = self._view("comment").fit(X, y)
        self.combiner_ = LogisticRegression(max_iter=5000).fit(held_out, y)
        return self

    def _predict_proba(self, X: Sequence[AspectExample]) -> np.ndarray:
        if self.combiner_ is None:
            return self.evidence_model_.predict_proba(X)
        return self.combiner_.predict_proba(self._stacked([self.evidence_model_, self.comment_model_], X))
