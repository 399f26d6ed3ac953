import pytest

from textmine.bundle import Result
from textmine.dates import parse_date
from textmine.errors import InputError
from textmine.segment import Segmenter
from textmine.summarize import (data_quality, overlap, p_chart_alerts, pain_phrases, pareto, phrase_opinions,
                                 summarize, summarize_tally, tally)


def test_summarize_pareto_arithmetic_and_vital_few():
    rows = pareto({"food": 50, "logistics": 30, "service": 15, "price": 5, "none": 0})
    assert [r.category for r in rows] == ["food", "logistics", "service", "price"]
    assert [r.comments for r in rows] == [r.mentions for r in rows] == [50, 30, 15, 5]
    assert [r.share for r in rows] == [0.5, 0.3, 0.15, 0.05]
    assert [r.cumulative_share for r in rows] == [0.5, 0.8, 0.95, 1.0]
    assert [r.vital_few for r in rows] == [True, True, False, False]


def test_summarize_pareto_counts_each_complaining_comment_once():
    both, late, slow, cold = (frozenset({"logistics", "responsiveness"}), frozenset({"logistics"}),
                              frozenset({"responsiveness"}), frozenset({"food"}))
    rows = pareto({both: 74, late: 100, slow: 29, cold: 50})
    assert [(r.category, r.comments, r.mentions) for r in rows] == [
        ("logistics", 174, 174), ("food", 50, 50), ("responsiveness", 29, 103)]
    assert sum(r.comments for r in rows) == 74 + 100 + 29 + 50
    assert rows[-1].cumulative_share == 1.0
    covered = pareto({both: 5, late: 3})
    assert [(r.category, r.comments, r.mentions, r.vital_few) for r in covered] == [
        ("logistics", 8, 8, True), ("responsiveness", 0, 5, False)]


def test_summarize_overlap_lists_pairs_raised_together():
    pairs = overlap({frozenset({"logistics", "responsiveness"}): 74, frozenset({"logistics"}): 100,
                     frozenset({"responsiveness"}): 29, frozenset({"food", "logistics", "price"}): 6})
    first = pairs[0]
    assert (first["category"], first["with"], first["comments"]) == ("logistics", "responsiveness", 74)
    assert first["share_of_with"] == round(74 / 103, 4) and first["share_of_category"] == round(74 / 180, 4)
    assert {(p["category"], p["with"]) for p in pairs[1:]} == {("logistics", "food"), ("logistics", "price"),
                                                               ("food", "price")}


def test_summarize_pareto_single_dominant_category():
    rows = pareto({"a": 90, "b": 6, "c": 4})
    assert [r.vital_few for r in rows] == [True, False, False]


@pytest.mark.parametrize("clause,phrase", [
    ("客服答非所问", "客服答非所问"),
    ("送餐太慢了", "送餐太慢"),
    ("房间隔音很差", "隔音很差"),
    ("菜太咸了", "菜太咸"),
    ("汤洒了一半", "汤洒了"),
])
def test_summarize_phrases_join_aspect_and_opinion(clause, phrase):
    assert phrase in pain_phrases(clause, Segmenter())


def test_summarize_phrases_have_no_single_characters_or_stopwords():
    seg = Segmenter()
    for clause in ["的了吗", "我", "太慢了", "就是有点咸"]:
        for p in pain_phrases(clause, seg):
            assert len(p) >= 2 and p not in ("的", "了", "就是")


def test_summarize_near_duplicates_and_meaningless():
    texts = ["送餐太慢了,饭都凉了,真的服了", "送餐太慢了,饭都凉了,真的服了!!", "送餐太慢了饭都凉了真的服了啊",
             "好好好好", "。。。", "", "默认好评", "很好吃", "很好吃", "房间很干净,前台很热情"]
    q = data_quality(texts)
    assert q.empty == [5]
    assert set(q.meaningless) == {3, 4, 6}
    assert q.duplicates == [(8, 7)]
    assert {i for i, _ in q.near_duplicates} == {1, 2}
    assert 9 not in q.excluded and 0 not in q.excluded


def test_summarize_p_chart_alert_rule():
    periods = ["w1", "w2", "w3", "w4"]
    totals = [100, 100, 100, 100]
    alerts = p_chart_alerts({"food": [5, 6, 4, 20], "logistics": [10, 11, 9, 12]}, totals, periods)
    assert [a.category for a in alerts] == ["food"]
    assert alerts[0].rate == 0.2 and alerts[0].baseline_rate == 0.05
    # too few complaints in the latest period: no alert even when the rate jumps
    assert p_chart_alerts({"x": [0, 0, 0, 3]}, [100, 100, 100, 10], periods) == []
    # not enough history
    assert p_chart_alerts({"food": [1, 30]}, [100, 100], ["w1", "w2"]) == []


def _result(text, cats, evidence=None, sentiment=0.2):
    return Result(text, cats, {}, evidence or {c: text for c in cats}, sentiment, "negative")


def test_summarize_counts_complaints_and_excludes_duplicates():
    results = [_result("送餐太慢了", {"logistics": -1}), _result("送餐太慢了", {"logistics": -1}),
               _result("客服答非所问", {"service": -1}), _result("很好吃", {"food": 1}, sentiment=0.9),
               _result("送餐很慢", {"logistics": -1})]
    s = summarize(results, min_comments=1)
    assert s.comments == 5 and s.analysed == 4
    assert [(r.category, r.comments) for r in s.pareto] == [("logistics", 2), ("service", 1)]
    top = s.pain_points["logistics"][0]
    assert top.comments == 2 and "慢" in top.phrase
    assert s.polarity_table["food"][1] == 1


def test_summarize_trend_and_groups():
    results, dates, groups = [], [], []
    for week in range(5):
        for k in range(20):
            bad = week == 4 and k < 12 or k == 0
            results.append(_result(f"第{week}周第{k}条评论的内容" + ("送餐太慢" if bad else "很好吃"),
                                   {"logistics": -1} if bad else {"food": 1}))
            dates.append(f"2026-03-{2 + week * 7:02d}")
            groups.append("A" if k % 2 else "B")
    s = summarize(results, dates=dates, groups=groups, period="W")
    assert s.period == "W"
    assert len({t["period"] for t in s.trend}) == 5
    assert any(a.category == "logistics" and a.phrase == "" for a in s.alerts)
    assert {g["group"] for g in s.groups} == {"A", "B"}


def _stores():
    """Comments of three stores: (result, store); written so that comments and
    mentions differ (a late delivery is often also a slow response)."""
    rows = []
    for k in range(60):
        store = "ABC"[k % 3]
        if k % 4 == 0:
            cats = {"logistics": -1, "responsiveness": -1}
        elif k % 5 == 0 or (store == "C" and k % 2):
            cats = {"food": -1, "logistics": 1}
        elif k % 7 == 0:
            cats = {"logistics": -1}
        else:
            cats = {"food": 1}
        rows.append((_result(f"第{k}条 店{store} 评论内容", cats), store))
    return rows


def test_summarize_group_rates_equal_hand_counts():
    rows = _stores()
    s = summarize([r for r, _ in rows], groups=[g for _, g in rows])
    assert sum(r.comments for r in s.pareto) == s.complaints <= s.analysed
    for g in s.groups:
        mine = [r for r, store in rows if store == g["group"]]
        complaining = [r for r in mine if -1 in r.categories.values()]
        assert g["comments"] == len(mine) and g["complaining"] == len(complaining)
        assert g["rate"] == round(len(complaining) / len(mine), 4)
        for cat in ("logistics", "responsiveness", "food"):
            hand = sum(1 for r in mine if r.categories.get(cat) == -1)
            assert (g[cat], g[f"{cat}_rate"]) == (hand, round(hand / len(mine), 4))
    assert sum(g["comments"] for g in s.groups) == s.analysed


def test_summarize_tally_of_chunks_combines_into_the_whole():
    rows = _stores()
    results, groups = [r for r, _ in rows], [g for _, g in rows]
    dates = [f"2026-03-{1 + k % 28:02d}" for k in range(len(rows))]
    whole = summarize(results, groups=groups, dates=dates, min_comments=1)
    days = [parse_date(d) for d in dates]
    parts = [tally(results[a:b], positions=range(a, b), days=days[a:b], groups=groups[a:b]) for a, b in ((0, 25), (25, 60))]
    combined = summarize_tally(parts[0].combine(parts[1]), rows=whole.rows, min_comments=1, dates=True, groups=True)
    assert combined.pareto == whole.pareto and combined.groups == whole.groups and combined.trend == whole.trend
    assert combined.pain_points == whole.pain_points and combined.overlap == whole.overlap
    assert combined.analysed == whole.analysed and combined.sentiment_histogram == whole.sentiment_histogram


def test_summarize_pain_points_group_variants_of_one_complaint():
    texts = ["太慢了", "送餐太慢", "速度太慢", "送太慢了", "送餐太慢了吧", "菜太咸了", "菜太咸", "太咸了"]
    results = [_result(f"{t}，第{k}次", {"logistics" if "慢" in t else "food": -1}, {}) for k, t in enumerate(texts)]
    s = summarize(results, min_comments=3)
    late = s.pain_points["logistics"]
    assert len(late) == 1 and late[0].comments == 5
    assert {v for v, _ in late[0].variants} == {"太慢", "送餐太慢", "速度太慢", "送太慢"}
    assert late[0].phrase == "送餐太慢" and dict(late[0].variants)["送餐太慢"] == 2
    assert [(p.phrase, p.comments) for p in s.pain_points["food"]] == [("菜太咸", 3)]


def test_summarize_pain_points_not_good_to_eat_is_bad_to_eat():
    texts = ["太难吃了", "菜很难吃", "不好吃", "菜不好吃", "一点也不新鲜", "菜不新鲜"]
    s = summarize([_result(f"{t}，第{k}次", {"food": -1}, {}) for k, t in enumerate(texts)], min_comments=1)
    assert [(p.comments, {v for v, _ in p.variants}) for p in s.pain_points["food"]] == [
        (4, {"难吃", "菜很难吃", "不好吃", "菜不好吃"}), (2, {"不新鲜", "菜不新鲜"})]


def test_summarize_pain_points_are_shown_in_their_commonest_chinese_wording():
    texts = ["n久", "时间久", "送餐等太久了", "送餐等太久"]
    s = summarize([_result(f"{t}，第{k}次", {"logistics": -1}, {}) for k, t in enumerate(texts)], min_comments=1)
    assert [(p.phrase, p.comments) for p in s.pain_points["logistics"]] == [("送餐等太久", 4)]
    s = summarize([_result(f"{t}，第{k}次", {"logistics": -1}, {}) for k, t in enumerate(texts[:2])], min_comments=1)
    assert [p.phrase for p in s.pain_points["logistics"]] == ["时间久"]


def test_summarize_pain_points_need_min_comments():
    results = [_result(f"客服答非所问{'!' * k}", {"service": -1}) for k in range(2)]
    assert summarize(results, min_comments=3).pain_points["service"] == []
    assert [p.comments for p in summarize(results, min_comments=2).pain_points["service"]] == [2]


@pytest.mark.parametrize("clause,fragment", [
    ("孩子都不吃", "不吃"), ("太难吃了吃不了", "不了"), ("等了两个小时才送过来", "小时送过来"),
    ("不知道怎么说", "不知"), ("味道不但差", "不但"), ("饭全凉了", "饭全"), ("等了快两个小时", "等快")])
def test_summarize_phrases_drop_fragments(clause, fragment):
    assert fragment not in pain_phrases(clause, Segmenter())


def test_summarize_pain_points_quote_the_customers_own_words_masked():
    originals = ["送餐太慢了？？？电话13812345678", "送餐太慢了！！！", "送餐太慢了，，"]
    from textmine.normalise import normalise_text

    results = [_result(normalise_text(t), {"logistics": -1}) for t in originals]
    s = summarize(results, originals=originals, min_comments=3)
    quote = s.pain_points["logistics"][0].example
    assert quote == "送餐太慢了，，"
    shortest_first = summarize(results[:2], originals=originals[:2], min_comments=2).pain_points["logistics"][0].example
    assert shortest_first == "送餐太慢了！！！"
    masked = summarize(results[:1], originals=originals[:1], min_comments=1).pain_points["logistics"][0].example
    assert "13812345678" not in masked and "PHONE" in masked and "？？？" in masked


class _Judge:
    """A stand-in classifier: '不好吃' is food, '时间太长' nothing, anything else price."""

    classes_ = ["food", "price", "other"]
    thresholds_ = [0.5, 0.5, 0.5]

    def predict_proba(self, docs):
        import numpy as np

        return np.array([[0.9, 0.1, 0.0] if "不好吃" in d.text else [0.1, 0.2, 0.3] if "时间" in d.text
                         else [0.1, 0.9, 0.0] for d in docs])


def test_summarize_pain_points_stay_in_the_category_of_their_clause():
    results = [_result(f"第{k}次", {"price": -1}, {"price": "价格太贵，不好吃，时间太长"}) for k in range(3)]
    s = summarize(results, classifier=_Judge(), min_comments=1)
    assert {p.phrase for p in s.pain_points["price"]} == {"价格太贵", "时间太长"}
    assert {p.phrase for p in summarize(results, min_comments=1).pain_points["price"]} == {"价格太贵", "不好吃", "时间太长"}


def test_summarize_trend_gives_rates_and_alerts_name_the_driving_group():
    results, dates, groups = [], [], []
    for week in range(5):
        for k in range(40):
            store = "AB"[k % 2]
            bad = (week == 4 and store == "B" and k < 30) or k == 0
            results.append(_result(f"第{week}周第{k}条评论" + ("送餐太慢" if bad else "很好吃"),
                                   {"logistics": -1} if bad else {"food": 1}))
            dates.append(f"2026年3月{2 + week * 7}日")
            groups.append(store)
    s = summarize(results, dates=dates, groups=groups, period="W")
    last = [t for t in s.trend if t["category"] == "logistics"][-1]
    assert (last["complaining"], last["comments"], last["rate"]) == (16, 40, 0.4)
    alert = next(a for a in s.alerts if a.category == "logistics" and a.phrase == "")
    assert (alert.group, alert.group_complaints, alert.group_comments) == ("B", 15, 20)
    assert s.dates_readable == 200


def test_summarize_dates_none_readable_raise():
    with pytest.raises(InputError, match="no readable date"):
        summarize([_result("送餐太慢", {"logistics": -1})], dates=["下周"])


@pytest.mark.parametrize("clause,opinion", [
    ("送餐太慢了", "慢"), ("速度太慢", "慢"), ("态度很差", "差"), ("性价比不高", "不高"), ("价格太高了", "高"),
    ("味道不太好", "不好"), ("态度不是很好", "不好"), ("菜不太好吃", "难吃"), ("一点也不好吃", "难吃")])
def test_summarize_opinions_keep_their_negation(clause, opinion):
    assert [o for _, o in phrase_opinions(clause, Segmenter())] == [opinion]

def test_summarize_counts_comments_in_no_category_as_uncategorised():
    results = [_result("送餐太慢", {"logistics": -1}), _result("今天天气不错", {}), _result("菜是凉的", {"food": -1})]
    summary = summarize(results, keep_all=True)
    assert summary.uncategorised == 1 and summary.complaints == 2
