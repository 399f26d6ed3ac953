import numpy as np
import pytest

from textmine.errors import NotFittedError
from textmine.segment import Segmenter
from textmine.sentiment import SentimentScorer, SnowNLPScorer, find_evidence, sentiment_label

POS = ["好吃", "很好吃", "非常好吃", "味道好", "速度快", "态度好", "很满意", "不错", "推荐", "喜欢",
       "质量好", "服务好", "很新鲜", "超级棒", "干净", "方便"]
NEG = ["难吃", "不好吃", "太难吃", "味道差", "速度慢", "态度差", "很失望", "垃圾", "不推荐", "讨厌",
       "质量差", "服务差", "不新鲜", "太差了", "脏", "不方便"]


@pytest.fixture(scope="module")
def scorer():
    return SentimentScorer(min_df=1).fit(POS + NEG, [1] * len(POS) + [0] * len(NEG))


def test_sentiment_negation_flips_polarity(scorer):
    p = scorer.predict_proba(["好吃", "不好吃"])[:, 1]
    assert p[0] > 0.5 > p[1]


def test_sentiment_scores_within_bounds(scorer):
    p = scorer.predict_proba(POS + NEG + ["", "。。。"])
    assert ((p >= 0) & (p <= 1)).all()
    assert np.allclose(p.sum(axis=1), 1)


def test_sentiment_empty_and_punctuation_only_are_neutral(scorer):
    p = scorer.predict_proba(["", "。。！！", None])[:, 1]
    assert (p == 0.5).all()


def test_sentiment_label_thresholds():
    assert sentiment_label(0.1) == "negative"
    assert sentiment_label(0.5) == "neutral"
    assert sentiment_label(0.9) == "positive"


def test_sentiment_fit_needs_both_classes():
    with pytest.raises(ValueError, match="both"):
        SentimentScorer().fit(["好吃", "不错"], [1, 1])


def test_sentiment_snownlp_backend_contract():
    p = SnowNLPScorer().fit().predict_proba(["这个东西非常好，我很喜欢", "", "质量太差了，非常失望"])
    assert p.shape == (3, 2)
    assert p[1, 1] == 0.5
    assert p[0, 1] > p[2, 1]


def test_sentiment_evidence_picks_the_clause_of_each_category(tiny_model):
    docs = Segmenter().transform(["送餐太慢了，不过菜很好吃"])
    ev = find_evidence(docs, [["logistics", "food"]], tiny_model.classifier)[0]
    assert "送餐" in ev["logistics"].text and "好吃" not in ev["logistics"].text
    assert "好吃" in ev["food"].text and "送餐" not in ev["food"].text


def test_sentiment_mixed_comment_gets_two_polarities(tiny_model):
    result = tiny_model.analyze(["送餐太慢了，等了一个小时，不过菜很好吃，口味正宗"])[0]
    assert result.categories.get("logistics") == -1
    assert result.categories.get("food") == 1


def test_sentiment_degree_words_do_not_break_polarity(tiny_model):
    r = tiny_model.analyze(["非常好吃", "太难吃了"])
    assert r[0].categories.get("food") == 1 and r[1].categories.get("food") == -1


def test_sentiment_backend_switch_changes_scores(tiny_model):
    texts = ["这个东西非常好，我很喜欢", "质量太差了"]
    ours = [r.sentiment for r in tiny_model.analyze(texts)]
    snow = [r.sentiment for r in tiny_model.analyze(texts, sentiment=SnowNLPScorer().fit())]
    assert ours != snow


def test_sentiment_nb_ratio_follows_the_evidence(scorer):
    vocab = scorer.vectorizer_.words_.vocabulary_
    assert scorer.nb_ratio_[vocab["推荐"]] > 0 > scorer.nb_ratio_[vocab["垃圾"]]


def test_sentiment_without_nb_weighting_learns_too():
    plain = SentimentScorer(min_df=1, nb_weighting=False).fit(POS + NEG, [1] * len(POS) + [0] * len(NEG))
    assert plain.nb_ratio_ is None
    p = plain.predict_proba(["好吃", "难吃"])[:, 1]
    assert p[0] > 0.5 > p[1]


def test_sentiment_nb_scaling_composes_in_a_pipeline():
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    from textmine.features import DocumentVectorizer
    from textmine.sentiment import NBScaling

    features = DocumentVectorizer().fit_transform(POS + NEG)
    y = [1] * len(POS) + [0] * len(NEG)
    pipe = make_pipeline(NBScaling(), LogisticRegression()).fit(features, y)
    assert (pipe.predict(features) == y).mean() > 0.9
    with pytest.raises(NotFittedError):
        NBScaling().transform(features)


def test_sentiment_polarity_view_with_and_without_nb_weighting():
    from textmine.sentiment import AspectExample, PolarityView

    seg = Segmenter()
    texts = POS + NEG
    X = [AspectExample("food", d) for d in seg.transform(texts)]
    y = [1] * len(POS) + [-1] * len(NEG)
    for model in (PolarityView(), PolarityView(nb_weighting=False, C=4.0)):
        model.fit(X, y)
        proba = model.predict_proba(X)
        assert np.allclose(proba.sum(axis=1), 1)
        assert np.allclose(proba, model.model_.predict_proba(model._features(X, fit=False)))
        assert (model.predict(X) == np.array(y)).mean() > 0.9
    three = PolarityView().fit(X + X[:3], y + [0, 0, 0])  # three polarities: three regressions
    assert np.allclose(three.predict_proba(X), three.model_.predict_proba(three._features(X, fit=False)))
    flipped = three.fit(X, [-p for p in y])  # a refit forgets the earlier fit's weights
    assert (flipped.predict(X) == -np.array(y)).mean() > 0.9


def _named_only(seg):
    """Examples whose evidence only names the category; the rest of the comment
    carries the polarity."""
    from textmine.sentiment import AspectExample

    evidence = seg.transform(["说说价格"])[0]
    comments = seg.transform([f"说说价格，{t}" for t in POS + NEG])
    return [AspectExample("price", evidence, c) for c in comments], [1] * len(POS) + [-1] * len(NEG)


def test_sentiment_aspect_polarity_reads_the_comment_when_the_evidence_is_silent():
    from textmine.sentiment import AspectPolarity

    X, y = _named_only(Segmenter())
    stacked = AspectPolarity(stack_folds=4).fit(X, y)
    assert stacked.combiner_ is not None and list(stacked.classes_) == [-1, 1]
    assert np.allclose(stacked.predict_proba(X).sum(axis=1), 1)
    assert (stacked.predict(X) == np.array(y)).mean() > 0.9
    alone = AspectPolarity(comment_view=False).fit(X, y)  # the evidence is the same for all
    assert alone.combiner_ is None and (alone.predict(X) == np.array(y)).mean() <= 0.5
    few = AspectPolarity(stack_folds=50).fit(X, y)  # fewer examples of a polarity than folds
    assert few.combiner_ is None and few.comment_model_ is None


def test_sentiment_aspect_polarity_loads_a_pickle_from_before_the_comment_view():
    from textmine.sentiment import AspectPolarity, PolarityView

    X, y = _named_only(Segmenter())
    view = PolarityView().fit(X, y)
    old = AspectPolarity.__new__(AspectPolarity)
    old.__setstate__({"C": 1.0, "nb_weighting": True, "classes_": view.classes_, "model_": view.model_,
                      "vectorizer_": view.vectorizer_, "category_vectorizer_": view.category_vectorizer_})
    assert old.combiner_ is None and len(old.vectorizers) == 1
    assert np.allclose(old.predict_proba(X), view.predict_proba(X))
