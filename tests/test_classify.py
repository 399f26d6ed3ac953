import numpy as np
import pytest

from textmine.classify import IssueClassifier, best_threshold, text_folds
from textmine.errors import NotFittedError
from textmine.segment import Segmenter

from conftest import TINY_CORPUS


def _fit(**params):
    texts = [t for t, _ in TINY_CORPUS]
    labels = [[part.split(":")[0] for part in l.split("|")] for _, l in TINY_CORPUS]
    return IssueClassifier(threshold_folds=0, **params).fit(texts, labels)


def test_classify_learns_categories_from_words():
    clf = _fit()
    assert set(clf.classes_) == {"logistics", "food", "service", "other"}
    labels = clf.predict_labels(["快递太慢了", "菜很难吃", "客服态度很差"])
    assert labels[0][0] == "logistics" and labels[1][0] == "food" and labels[2][0] == "service"


def test_classify_every_comment_gets_at_least_one_category():
    clf = _fit()
    Y = clf.predict(["", "嗯", "送餐太慢菜也难吃"])
    assert (Y.sum(axis=1) >= 1).all()


def test_classify_predict_proba_shape_and_range():
    clf = _fit()
    P = clf.predict_proba(["送餐太慢", "好吃"])
    assert P.shape == (2, len(clf.classes_))
    assert ((P >= 0) & (P <= 1)).all()


def test_classify_unfitted_raises_clear_error():
    with pytest.raises(NotFittedError, match="fit"):
        IssueClassifier().predict(["送餐太慢"])


def test_classify_mismatched_lengths_rejected():
    with pytest.raises(ValueError, match="2 comments"):
        IssueClassifier().fit(["a", "b"], [["food"]])


def test_classify_catch_all_category_stands_only_alone():
    clf = _fit()
    col = {c: j for j, c in enumerate(clf.classes_)}
    proba = np.full((2, len(clf.classes_)), 0.1)
    proba[0, [col["other"], col["food"]]] = [0.9, 0.8]  # other passes beside food: dropped
    proba[1, col["other"]] = 0.3  # nothing passes: other is the fallback
    assert clf.labels_from(proba) == [["food"], ["other"]]
    clf.set_params(catch_all=None)
    assert clf.labels_from(proba) == [["other", "food"], ["other"]]


def test_classify_tuned_thresholds_are_set_per_category():
    texts = [t for t, _ in TINY_CORPUS] * 2
    labels = [[part.split(":")[0] for part in l.split("|")] for _, l in TINY_CORPUS] * 2
    clf = IssueClassifier(threshold_folds=3).fit(texts, labels)
    assert clf.thresholds_.shape == (len(clf.classes_),)
    assert ((clf.thresholds_ >= 0.05) & (clf.thresholds_ <= 0.95)).all()


def test_classify_best_threshold_separates_scores():
    y = np.array([0, 0, 1, 1])
    cut = best_threshold(y, np.array([0.1, 0.2, 0.7, 0.9]))
    assert 0.2 < cut <= 0.7


def test_classify_composes_in_a_pipeline():
    from sklearn.pipeline import Pipeline

    from textmine.segment import Segmenter

    texts = [t for t, _ in TINY_CORPUS]
    labels = [[part.split(":")[0] for part in l.split("|")] for _, l in TINY_CORPUS]
    pipe = Pipeline([("segment", Segmenter()), ("classify", IssueClassifier(threshold_folds=0))]).fit(texts, labels)
    assert pipe.predict(["送餐太慢"]).shape == (1, 4)


@pytest.mark.parametrize("nb_weighting", [True, False])
def test_classify_stacked_scores_equal_one_vs_rest_scores(nb_weighting):
    clf = _fit(nb_weighting=nb_weighting)
    texts = ["快递太慢了", "菜很难吃，客服也不理人", ""]
    features = clf.vectorizer_.transform(Segmenter().transform(texts))
    assert np.allclose(clf.predict_proba(texts), clf.model_.predict_proba(features))


def test_classify_clause_scores_are_each_clause_alone():
    clf = _fit()
    got = clf.predict_clause_proba(["快递太慢了，菜很难吃"])
    assert got.shape == (2, len(clf.classes_))
    assert np.allclose(got, clf.predict_proba(["快递太慢了", "菜很难吃"]))


def test_classify_refit_replaces_the_stacked_weights():
    clf = _fit()
    before = clf.predict_proba(["快递太慢了"])
    texts = [t for t, _ in TINY_CORPUS]
    labels = [["other"] if i % 2 else ["food"] for i in range(len(texts))]
    clf.fit(texts, labels)
    assert clf.predict_proba(["快递太慢了"]).shape[1] == 2 != before.shape[1]


def test_classify_nb_weighting_changes_the_model_and_old_pickles_load_without_it():
    import pickle

    with_nb, without = _fit(), _fit(nb_weighting=False)
    assert not np.allclose(with_nb.predict_proba(["快递太慢了"]), without.predict_proba(["快递太慢了"]))
    state = without.__getstate__()
    del state["nb_weighting"]  # as saved before the option existed
    old = IssueClassifier.__new__(IssueClassifier)
    old.__setstate__(state)
    assert old.nb_weighting is False
    assert np.allclose(pickle.loads(pickle.dumps(old)).predict_proba(["快递太慢了"]), without.predict_proba(["快递太慢了"]))


def test_classify_text_folds_do_not_move_when_comments_are_added():
    docs = Segmenter().transform([t for t, _ in TINY_CORPUS])
    more = Segmenter().transform(["发票一直没开", "电子发票秒开"]) + docs
    folds, folds_more = text_folds(docs, 4), text_folds(more, 4)
    assert set(folds.tolist()) <= {0, 1, 2, 3} and len(set(folds.tolist())) > 1
    assert (folds_more[2:] == folds).all()
    assert (text_folds(docs, 4, seed=1) != folds).any()


def test_classify_score_takes_fit_labels_and_predict_output():
    clf = _fit()
    texts = [t for t, _ in TINY_CORPUS]
    labels = [[part.split(":")[0] for part in l.split("|")] for _, l in TINY_CORPUS]
    exact = np.mean([set(p) == set(t) for p, t in zip(clf.predict_labels(texts), labels)])
    assert clf.score(texts, labels) == pytest.approx(exact)
    assert 0 < exact < 1 or exact == 1  # the value is a share
    assert clf.score(texts, clf.predict(texts)) == 1.0
    wrong = [["food"] if t != ["food"] else ["service"] for t in labels]
    assert clf.score(texts, wrong) < clf.score(texts, labels)


@pytest.mark.parametrize("bad_y,message", [
    (np.eye(3, dtype=int)[[0, 1, 2, 0]], r"y\[0\] holds 1, not a category name"),
    (["food", "other", "food", "other"], r"y\[0\] is 'food'"),
    ([["food"], ["other"], ["food"], [3]], r"y\[3\] holds 3"),
    ("food", r"y is 'food'"),
])
def test_classify_fit_rejects_y_that_is_not_category_names(bad_y, message):
    from textmine.errors import InputError

    with pytest.raises(InputError, match=message):
        IssueClassifier().fit(["送餐太慢", "味道很好", "客服很差", "还行"], bad_y)


def test_classify_one_category_is_rejected_with_its_name():
    from textmine.errors import InputError

    with pytest.raises(InputError, match=r"at least two categories.*'food'"):
        IssueClassifier().fit(["送餐太慢", "味道很好"], [["food"], ["food"]])

def test_classify_without_fallback_category_a_comment_may_get_none():
    texts = [t for t, _ in TINY_CORPUS]
    labels = [[part.split(":")[0] for part in l.split("|")] for _, l in TINY_CORPUS]
    without = IssueClassifier().fit(*zip(*[(t, l) for t, l in zip(texts, labels) if "other" not in l]))
    low = np.full((2, len(without.classes_)), 0.1)
    low[1, 0] = 0.9
    assert without.decide(low).sum(axis=1).tolist() == [0, 1]
    with_other = _fit()
    assert (with_other.decide(np.full((1, len(with_other.classes_)), 0.1)).sum(axis=1) == 1).all()
