import pytest

from textmine.bundle import Result
from textmine.segment import Segmenter
from textmine.summarize import data_quality, p_chart_alerts, pain_phrases, pareto, summarize


def test_summarize_pareto_arithmetic_and_vital_few():
    rows = pareto({"food": 50, "logistics": 30, "service": 15, "price": 5, "none": 0})
    assert [r.category for r in rows] == ["food", "logistics", "service", "price"]
    assert [r.share for r in rows] == [0.5, 0.3, 0.15, 0.05]
    assert [r.cumulative_share for r in rows] == [0.5, 0.8, 0.95, 1.0]
    assert [r.vital_few for r in rows] == [True, True, False, False]


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
    s = summarize(results)
    assert s.comments == 5 and s.analysed == 4
    assert [(r.category, r.complaints) for r in s.pareto] == [("logistics", 2), ("service", 1)]
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
