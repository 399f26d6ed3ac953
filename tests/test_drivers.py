import math

import pytest

from textmine.bundle import Result
from textmine.drivers import DRIVER_COLUMNS, SCORE_COLUMNS, key_drivers, parse_scores, score_stat, score_table
from textmine.errors import InputError


def test_drivers_parse_scores_lists_non_numeric_and_out_of_range():
    scores = parse_scores(["10", "", "abc", "11", "7.5", " 0 ", "3"], column="nps")
    assert scores.scale == "nps"
    assert scores.values == [10, None, None, None, None, 0, 3]
    assert [p[0] for p in scores.problems] == [2, 3, 4]
    assert "'abc' is not a number" in scores.problems[0][2] and "column 'nps'" in scores.problems[0][2]
    assert "not an integer from 0 to 10" in scores.problems[1][2]


def test_drivers_parse_scores_detects_csat_and_checks_its_range():
    assert parse_scores(["1", "5", "4"]).scale == "csat"
    scores = parse_scores(["1", "6", "4"], scale="csat")
    assert scores.values == [1, None, 4] and len(scores.problems) == 1
    with pytest.raises(InputError, match="no usable"):
        parse_scores(["x", "y", ""])
    with pytest.raises(InputError, match="scale='stars' is not allowed"):
        parse_scores(["1"], scale="stars")


def test_drivers_nps_by_hand():
    values = [10, 9, 9, 8, 7, 6, 3, 0, 10, 5]  # 4 promoters, 2 passives, 4 detractors
    stat = score_stat(values, "nps")
    assert (stat.high, stat.middle, stat.low, stat.responses) == (4, 2, 4, 10)
    assert stat.score == pytest.approx(0.0)
    half = 1.959963984540054 * 100 * math.sqrt((0.4 + 0.4 - 0.0) / 10)
    assert (stat.ci_low, stat.ci_high) == pytest.approx((-half, half))


def test_drivers_csat_is_share_of_four_and_five_with_wilson():
    from statsmodels.stats.proportion import proportion_confint

    stat = score_stat([5, 4, 4, 3, 1, 2, 5, 5], "csat")
    assert stat.score == pytest.approx(62.5) and (stat.high, stat.middle, stat.low) == (5, 1, 2)
    low, high = proportion_confint(5, 8, method="wilson")
    assert (stat.ci_low, stat.ci_high) == pytest.approx((100 * low, 100 * high))


def test_drivers_score_table_overall_period_and_group():
    scores = parse_scores(["10", "0", "9", "9", "x"])
    table = score_table(scores, periods=["a", "a", "b", "b", "b"], groups=["g", "h", "g", "g", "h"])
    assert list(table.columns) == SCORE_COLUMNS
    rows = {(s, k): v for s, k, v in zip(table["scope"], table["key"], table["score"])}
    assert rows[("overall", "all")] == pytest.approx(50.0)
    assert rows[("period", "a")] == pytest.approx(0.0) and rows[("period", "b")] == pytest.approx(100.0)
    assert rows[("group", "h")] == pytest.approx(-100.0)


def _r(cats, error=None):
    return Result("评论", cats, {}, {}, 0.5, "neutral", error)


def test_drivers_key_drivers_rank_by_gap_times_frequency():
    results = ([_r({"logistics": -1})] * 10 + [_r({"food": -1})] * 10 + [_r({"food": 1})] * 20
               + [_r({"service": -1})] * 2 + [_r({"logistics": -1}, error="empty text")])
    values = [3, 4] * 5 + [7, 8] * 5 + [9, 10] * 10 + [5, 6] + [0]
    table = key_drivers(results, parse_scores([str(v) for v in values]))
    assert list(table.columns) == DRIVER_COLUMNS
    top = table.iloc[0]
    assert top["category"] == "logistics" and top["rank"] == 1 and top["complaints"] == 10
    without = (sum([7, 8] * 5) + sum([9, 10] * 10) + 11) / 32
    assert top["mean_score_with"] == pytest.approx(3.5) and top["mean_score_without"] == pytest.approx(without)
    assert top["gap"] == pytest.approx(without - 3.5) and top["impact"] == pytest.approx((without - 3.5) * 10 / 42)
    assert top["ci_low"] < top["gap"] < top["ci_high"]
    assert list(table["category"]) == ["logistics", "service", "food"] and table["impact"].iloc[2] < 0
    with pytest.raises(InputError, match="2 comments but 1 scores"):
        key_drivers(results[:2], parse_scores(["3"]))


def test_drivers_summarize_cli_writes_scores_drivers_and_servqual(tmp_path):
    import pandas as pd

    from textmine.cli import main
    from textmine.servqual import SERVQUAL_COLUMNS

    from conftest import write_csv

    kinds = [("logistics:-1", "送餐太慢了", "1"), ("food:-1", "饭菜凉了", "6"), ("food:1", "很好吃", "10"),
             ("service:1", "小哥很有礼貌", "9")]
    rows = [(f"{text}，第{k}单", labels, "0.2", f"{labels.split(':')[0]}:{text}", "", score if k != 5 else "很好",
             "2026-03-02" if k < 20 else "2026-04-06") for k, (labels, text, score) in enumerate(kinds * 10)]
    dump = write_csv(tmp_path / "c.csv", ["text", "categories", "sentiment", "evidence", "error", "score", "date"], rows)
    out = tmp_path / "rep"
    assert main(["summarize", str(dump), "-o", str(out), "--score-col", "score", "--date-col", "date", "--quiet"]) == 0
    drivers = pd.read_csv(out / "drivers.csv")
    assert list(drivers["category"][:2]) == ["logistics", "food"] and drivers["rank"][0] == 1
    scores = pd.read_csv(out / "scores.csv")
    overall = scores[scores["scope"] == "overall"].iloc[0]
    # row 5 ("很好") is a food complaint: 39 usable scores, 20 promoters (10 and 9), 19 detractors (1 and 6)
    assert overall["responses"] == 39 and overall["score"] == pytest.approx(100 * (20 - 19) / 39)
    periods = sorted(scores[scores["scope"] == "period"]["key"])  # weeks, as the summary's trend
    assert len(periods) == 2 and periods[0].startswith("2026-03-02") and periods[1].startswith("2026-04-06")
    servqual = pd.read_csv(out / "servqual.csv")
    assert list(servqual.columns) == SERVQUAL_COLUMNS
    assert servqual.set_index("dimension").loc["reliability", "complaints"] == 20
    quality = pd.read_csv(out / "data_quality.csv")
    assert quality["problem"].str.contains("'很好' is not a number").any()
    page = (out / "report.html").read_text(encoding="utf-8")
    assert "SERVQUAL" in page and "Key drivers" in page
