import numpy as np
import pytest

from test_sentiment import NEG, POS
from textmine.polarity import find_evidence
from textmine.segment import Segmenter


def test_polarity_evidence_picks_the_clause_of_each_category(tiny_model):
    docs = Segmenter().transform(["送餐太慢了，不过菜很好吃"])
    ev = find_evidence(docs, [["logistics", "food"]], tiny_model.classifier)[0]
    assert "送餐" in ev["logistics"].text and "好吃" not in ev["logistics"].text
    assert "好吃" in ev["food"].text and "送餐" not in ev["food"].text


def test_polarity_mixed_comment_gets_two_polarities(tiny_model):
    result = tiny_model.analyze(["送餐太慢了，等了一个小时，不过菜很好吃，口味正宗"])[0]
    assert result.categories.get("logistics") == -1
    assert result.categories.get("food") == 1


def test_polarity_degree_words_do_not_break_polarity(tiny_model):
    r = tiny_model.analyze(["非常好吃", "太难吃了"])
    assert r[0].categories.get("food") == 1 and r[1].categories.get("food") == -1


def test_polarity_polarity_view_with_and_without_nb_weighting():
    from textmine.polarity import AspectExample, PolarityView

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
    from textmine.polarity import AspectExample

    evidence = seg.transform(["说说价格"])[0]
    comments = seg.transform([f"说说价格，{t}" for t in POS + NEG])
    return [AspectExample("price", evidence, c) for c in comments], [1] * len(POS) + [-1] * len(NEG)


def test_polarity_aspect_polarity_reads_the_comment_when_the_evidence_is_silent():
    from textmine.polarity import AspectPolarity

    X, y = _named_only(Segmenter())
    stacked = AspectPolarity(stack_folds=4).fit(X, y)
    assert stacked.combiner_ is not None and list(stacked.classes_) == [-1, 1]
    assert np.allclose(stacked.predict_proba(X).sum(axis=1), 1)
    assert (stacked.predict(X) == np.array(y)).mean() > 0.9
    alone = AspectPolarity(comment_view=False).fit(X, y)  # the evidence is the same for all
    assert alone.combiner_ is None and (alone.predict(X) == np.array(y)).mean() <= 0.5
    few = AspectPolarity(stack_folds=50).fit(X, y)  # fewer examples of a polarity than folds
    assert few.combiner_ is None and few.comment_model_ is None


def test_polarity_clause_cues_mark_context():
    from textmine.polarity import clause_cues

    assert "negated" in clause_cues("骑手从来没准时过")
    assert "negated" in clause_cues("水果一点都不新鲜")
    assert "negated" not in clause_cues("水果很新鲜")
    assert "excess" in clause_cues("汤咸了点") and "excess" in clause_cues("价格偏贵")
    assert "excess" not in clause_cues("太好吃了")
    assert "wish" in clause_cues("下次要是再便宜点就好了")
    assert "contrast" in clause_cues("虽然贵但是值")
    assert "question" in clause_cues("难道不用打电话的吗？")
    assert "sarcasm" in clause_cues("呵呵，真行")
    assert clause_cues("东西收到了") == []


def test_polarity_cues_are_features_tied_to_the_category():
    from textmine.polarity import AspectExample, _aspect_tokens

    doc = Segmenter().transform(["配送要是再快点就好了"])[0]
    tokens = _aspect_tokens(AspectExample("logistics", doc))
    assert "CUE=wish" in tokens and "logistics/CUE=wish" in tokens and "CAT=logistics" in tokens


class _LengthScorer:
    """A stand-in comment scorer: the longer the text, the more positive."""

    def predict_proba(self, docs):
        p = np.array([min(len(d.text), 20) / 20 for d in docs])
        return np.column_stack([1 - p, p])


def test_polarity_with_scores_reads_evidence_lowest_clause_and_comment():
    from textmine.polarity import AspectExample, with_scores

    seg = Segmenter()
    comment = seg.transform(["一二三四五六七八九十，一二"])[0]
    evidence = seg.transform(["一二三四五六七八九十一二三四五六七八九十，一二"])[0]
    [x] = with_scores([AspectExample("food", evidence, comment)], _LengthScorer())
    ev, low, whole = x.scores
    assert ev == 1.0 and low == 0.1 and whole == min(len(comment.text), 20) / 20
    assert with_scores([], _LengthScorer()) == []


def test_polarity_scores_decide_where_the_words_are_silent():
    from textmine.polarity import AspectExample, AspectPolarity

    seg = Segmenter()
    silent = seg.transform(["说说价格"])[0]
    scores = np.random.default_rng(0).permutation(np.linspace(0.02, 0.98, 60))

    def examples(word):
        comments = seg.transform([f"第{i}{word}说说价格" for i in range(60)])
        return [AspectExample("price", silent, c, (s, s, s)) for c, s in zip(comments, scores)]

    X, new = examples("次"), examples("回")
    y = np.where(scores > 0.5, 1, -1)
    model = AspectPolarity(stack_folds=4).fit(X, y)
    assert model.scored_ and model.combiner_.coef_.shape[1] == 2 * 2 + 3
    assert (model.predict(new) == y).mean() > 0.9
    unscored = AspectPolarity(stack_folds=4).fit([x._replace(scores=None) for x in X], y)
    assert not unscored.scored_ and (unscored.predict(new) == y).mean() < 0.8


def test_polarity_side_with_verdict_only_overturns_a_clear_contradiction():
    from textmine.polarity import side_with_verdict

    assert side_with_verdict(1, 0.05) == -1 and side_with_verdict(-1, 0.95) == 1
    assert side_with_verdict(1, 0.5) == 1 and side_with_verdict(-1, 0.45) == -1
    assert side_with_verdict(0, 0.01) == 0 and side_with_verdict(1, 0.9) == 1


# The shipped default model on patterns that used to read complaints as praise; every
# comment written for these tests.
SHIPPED_CASES = [
    ("服务很差劲", {"service": -1}),
    ("对服务非常不满", {"service": -1}),
    ("外卖从来没准时过", {"logistics": -1}),
    ("这本书写得很烂", {"other": -1}),
    ("菜咸了点", {"food": -1}),
    ("虽然价格便宜，但是质量太差了", {"price": 1, "quality": -1}),
    ("呵呵，送了整整两个小时，真是快啊", {"logistics": -1}),
    ("送了两个小时才到，难道不该说声抱歉吗？", {"logistics": -1}),
    ("包装一点都不严实，汤都洒了", {"packaging": -1}),
    ("希望下次配送能快一点", {"logistics": -1}),
    ("客服态度很好，耐心解答", {"service": 1}),
    ("送餐很快，味道也很好", {"logistics": 1, "food": 1}),
]


@pytest.mark.parametrize("text, expected", SHIPPED_CASES)
def test_polarity_shipped_model_reads_complaints_in_context(text, expected):
    import textmine

    categories = textmine.load_model().analyze([text])[0].categories
    assert {c: categories.get(c) for c in expected} == expected
