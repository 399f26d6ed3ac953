import numpy as np
import pytest

from textmine.errors import NotFittedError
from textmine.segment import Segmenter
from textmine.sentiment import SentimentScorer, SnowNLPScorer, sentiment_label

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
