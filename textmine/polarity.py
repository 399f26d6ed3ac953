"""Per-category polarity: which clauses of a comment speak of each category it raises,
and whether they praise or complain.

- :func:`find_evidence`: the clauses that raise each category of a comment.
- :func:`clause_cues`: context marks of a clause that turn its words around (a negated
  positive word, excess, a wish, contrast, a rhetorical question, sarcasm).
- :func:`with_scores`: the comment sentiment scorer's reading of each example's
  evidence, of its most negative evidence clause and of the whole comment.
- :class:`AspectPolarity`: the polarity (-1, 0, 1) of one category within one comment,
  stacked from two :class:`PolarityView` models (one reads the evidence, one the whole
  comment, both with words and cues tied to the category: "price/贵" is not
  "logistics/贵") and, when the examples carry them, the sentiment scores.
"""
from __future__ import annotations

import re
from collections.abc import Sequence
from typing import NamedTuple

import numpy as np

from ._estimator import BaseEstimator, ClassifierMixin
from .classify import linear_proba, one_vs_rest_weights
from .errors import NotFittedError
from .features import DocumentVectorizer, NBScaling, count_ngrams, tfidf_of_counts
from .segment import Document

__all__ = ["AspectExample", "find_evidence", "clause_cues", "with_scores", "side_with_verdict", "PolarityView",
           "AspectPolarity"]

class AspectExample(NamedTuple):
    """One category within one comment: the category, its evidence clauses, the whole
    comment (``None``: the evidence is the whole comment) and, optionally, the comment
    scorer's positive probabilities of the evidence, of its most negative clause and of
    the whole comment (see :func:`with_scores`)."""

    category: str
    evidence: Document
    comment: Document | None = None
    scores: tuple[float, float, float] | None = None

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


# Context marks that turn a clause's words around; each is a token the polarity views
# learn a weight for, alone and tied to the category.
_POSITIVE = "好|准时|及时|快|新鲜|满意|热情|好吃|好喝|划算|干净|值|靠谱|专业|方便|便宜|耐心|清楚|正宗|合适|舒服|实惠|完整|到位"
_CUES = {
    # a negated positive word: 从来没准时过, 一点都不新鲜, 不太满意
    "negated": re.compile(rf"(?:不|没|没有|从来没|从没|从来不|并不|并没|一点也不|一点都不|不太|不够|不怎么|不是很|没那么)"
                          rf"(?:很|太|够|那么|怎么|算|是)?(?:{_POSITIVE})"),
    # excess and degree: 辣了点, 太咸, 偏贵, 有点慢, 过于油腻
    "excess": re.compile(r"太(?!好|棒|赞|快|值|爱|喜欢|满意|方便|感谢|谢谢|给力|划算|实惠|好吃|好喝|好用|干净|新鲜|舒服|漂亮|好看|合适)"
                         r"|过于|偏[咸甜辣油贵淡硬软小大慢少多]|.了[一]?点|有点|有些|略[微]?[咸甜辣油贵淡硬软小大慢少多]"),
    # a wish or a condition: 要是再快点就完美了, 希望改进, 建议
    "wish": re.compile(r"要是|如果|若是|假如|希望|建议|能不能|可不可以|能否|就好了|就完美了|就更好了|就好啦"
                       r"|再[快多大便宜热好早][一]?[点些]"),
    # contrast: 虽然……但是, 不过, 就是
    "contrast": re.compile(r"虽然|但是|不过|可是|然而|只是|就是|但"),
    # a rhetorical question: 难道, 怎么能, ……吗？
    "question": re.compile(r"难道|怎么[会能可]|凭什么|有没有搞错|[吗嘛呢][?？!！]*$|[?？]"),
    # sarcasm: 呵呵, 真是服了, 厉害了
    "sarcasm": re.compile(r"呵呵|服了|厉害了|好一个|真行|醉了|无语|佩服|谢谢了|也是醉"),
}


def clause_cues(text: str) -> list[str]:
    """The names of the context marks found in a clause (or several), in a fixed
    order: ``negated`` (a negated positive word), ``excess`` (too much, a little too),
    ``wish`` (a wish or condition), ``contrast``, ``question`` (rhetorical) and
    ``sarcasm``. A rule of thumb for the models to weigh, not a verdict: a cue alone
    decides nothing."""
    return [name for name, pattern in _CUES.items() if pattern.search(text)]


def with_scores(examples: Sequence[AspectExample], scorer) -> list[AspectExample]:
    """The examples with ``scores`` filled in by ``scorer`` (a fitted comment sentiment
    scorer, :class:`~textmine.sentiment.SentimentScorer`): the positive probability of
    the evidence read as one text, of its most negative clause read alone, and of the
    whole comment. Costs one scoring of every evidence, evidence clause and comment."""
    if not examples:
        return []
    clauses = [Document(c, (c,), (t,)) for x in examples for c, t in zip(x.evidence.clauses, x.evidence.clause_tokens)]
    counts = [len(x.evidence.clauses) for x in examples]
    scored = scorer.predict_proba([x.evidence for x in examples] + clauses + [x.whole for x in examples])[:, 1]
    n = len(examples)
    evidence, per_clause, whole = scored[:n], scored[n:n + len(clauses)], scored[n + len(clauses):]
    bounds = np.cumsum([0] + counts)
    lowest = [float(per_clause[a:b].min()) if b > a else float(e) for a, b, e in zip(bounds[:-1], bounds[1:], evidence)]
    return [x._replace(scores=(float(e), low, float(w))) for x, e, low, w in zip(examples, evidence, lowest, whole)]


def side_with_verdict(polarity: int, score: float) -> int:
    """The polarity of a comment's only category, made to agree with a clear verdict of
    the comment scorer: praise (1) of a comment scored negative (below
    :data:`~textmine.sentiment.NEGATIVE_BELOW`) becomes -1, a complaint (-1) of a comment
    scored positive (above :data:`~textmine.sentiment.POSITIVE_ABOVE`) becomes 1; a
    neutral polarity or an unclear score leaves it as it is."""
    from .sentiment import NEGATIVE_BELOW, POSITIVE_ABOVE

    if polarity == 1 and score < NEGATIVE_BELOW:
        return -1
    if polarity == -1 and score > POSITIVE_ABOVE:
        return 1
    return polarity


def _aspect_tokens(example: AspectExample) -> list[str]:
    cat = example.category
    cues = [f"CUE={c}" for clause in example.evidence.clauses for c in clause_cues(clause)]
    return [f"CAT={cat}"] + [f"{cat}/{t}" for t in example.evidence.tokens + cues] + cues


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
                return linear_proba(self.model_, features)
            self.__dict__["_folded"] = folded
        weights, intercepts = folded
        proba = expit(features @ weights + intercepts)
        if proba.shape[1] == 1:  # two polarities: one regression
            proba = np.column_stack([1 - proba[:, 0], proba[:, 0]])
        return proba / proba.sum(axis=1, keepdims=True)

    def _features(self, X: Sequence[AspectExample], fit: bool):
        import scipy.sparse as sp

        X = self._read(X)
        docs = [x.evidence for x in X]
        if fit:
            from sklearn.feature_extraction.text import TfidfVectorizer

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
    """Polarity (-1, 0, 1) of a category within a comment, from two views and the
    comment scorer's readings stacked.

    One :class:`PolarityView` reads the category's evidence clauses, another the whole
    comment (what the comment says overall often decides a category whose own clause
    only names it). When every training example carries ``scores`` (see
    :func:`with_scores`), the logits of the comment scorer's readings of the evidence,
    of its most negative clause and of the whole comment join the views'
    log-probabilities: a complaint clause about a category reads as one even where the
    category's words are praise words ("从来没准时过"). A multinomial logistic
    regression combines them; it is fitted on the views' out-of-fold predictions
    (``stack_folds`` folds, all categories of one comment in the same fold), so that it
    learns how far to trust each reading on comments it has not seen. Too little data
    for the folds (fewer than ``stack_folds`` examples of some polarity) or
    ``comment_view=False``: the evidence view alone.

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
    scored_ : bool
        Whether the combiner reads the examples' ``scores`` (False without a
        combiner); an example without them then counts as neutral (0.5) in each.
    """

    def __init__(self, *, C: float = 1.0, nb_weighting: bool = True, comment_view: bool = True,
                 stack_folds: int = 10, random_state: int = 0):
        self.C = C
        self.nb_weighting = nb_weighting
        self.comment_view = comment_view
        self.stack_folds = stack_folds
        self.random_state = random_state

    @property
    def vectorizers(self) -> list:
        """The fitted n-gram vectorizers of the views (see
        :func:`~textmine.features.share_clause_counts`)."""
        return [m.vectorizer_ for m in (self.evidence_model_, self.comment_model_) if m is not None]

    def _view(self, view: str) -> PolarityView:
        return PolarityView(view=view, C=self.C, nb_weighting=self.nb_weighting)

    def _stacked(self, models: Sequence[PolarityView], X: Sequence[AspectExample]) -> np.ndarray:
        """The views' log-probabilities side by side, in ``classes_`` order (a polarity a
        view never saw gets probability 0), then the logits of the scores when
        ``scored_``."""
        from scipy.special import logit

        blocks = []
        for model in models:
            proba = np.zeros((len(X), len(self.classes_)))
            proba[:, np.searchsorted(self.classes_, model.classes_)] = model.predict_proba(X)
            blocks.append(np.log(np.clip(proba, 1e-6, None)))
        if self.scored_:
            scores = np.array([x.scores or (0.5, 0.5, 0.5) for x in X], dtype=float).reshape(len(X), 3)
            blocks.append(logit(np.clip(scores, 1e-4, 1 - 1e-4)))
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
        self.scored_ = False
        k = self.stack_folds
        if not self.comment_view or len(self.classes_) < 2 or np.bincount(np.searchsorted(self.classes_, y)).min() < k:
            return self
        self.scored_ = all(x.scores is not None for x in X)
        fold = text_folds([x.whole for x in X], k, self.random_state)
        held_out = np.zeros((len(X), 2 * len(self.classes_) + 3 * self.scored_))
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
        return linear_proba(self.combiner_, self._stacked([self.evidence_model_, self.comment_model_], X))
