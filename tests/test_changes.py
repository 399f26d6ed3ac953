import math

import pandas as pd
import pytest

from textmine.bundle import Result
from textmine.cli import ExitStatus, main
from textmine.changes import DIFF_COLUMNS, category_changes, diff, diff_files, write
from textmine.errors import InputError
from textmine.stats import compare_proportions

from conftest import write_csv

SLOW = ("logistics:-1", "送餐太慢了，等了一个小时", "logistics:送餐太慢了")
COLD = ("food:-1", "饭菜都凉了，不好吃", "food:饭菜都凉了")
GOOD = ("food:1", "味道很好，下次还点", "food:味道很好")


def _rows(counts: dict, start: int = 0) -> list[tuple]:
    """Classified rows (text, categories, sentiment, evidence, error): ``counts`` kind -> n."""
    rows, k = [], start
    for (labels, text, evidence), n in counts.items():
        for _ in range(n):
            rows.append((f"{text}（第{k}单）", labels, "0.9" if labels.endswith(":1") else "0.1", evidence, ""))
            k += 1
    return rows


def _results(counts: dict) -> list[Result]:
    return [Result(t, {c.split(":")[0]: int(c.split(":")[1])}, {}, {c.split(":")[0]: e.split(":")[1]}, float(s))
            for t, c, s, e, _ in _rows(counts)]


HEADER = ["text", "categories", "sentiment", "evidence", "error"]


def test_changes_category_table_matches_the_statistics():
    before = _results({SLOW: 60, COLD: 30, GOOD: 110})
    after = _results({SLOW: 20, COLD: 30, GOOD: 150})
    table = category_changes(before, after)
    assert list(table.columns[:len(DIFF_COLUMNS)]) == DIFF_COLUMNS
    row = table.set_index("category").loc["logistics"]
    ref = compare_proportions(60, 200, 20, 200)
    assert (row["before_rate"], row["after_rate"]) == (0.3, 0.1)
    assert row["change"] == pytest.approx(-0.2) and row["ci_low"] == pytest.approx(ref.ci_low)
    assert row["p_value"] == pytest.approx(ref.p_value) and row["verdict"] == "better"
    food = table.set_index("category").loc["food"]
    assert food["verdict"] == "no clear change" and food["q_value"] >= food["p_value"]


def test_changes_says_when_a_side_is_too_small_to_see_a_halving(tmp_path):
    table = category_changes(_results({SLOW: 2, GOOD: 8}), _results({SLOW: 1, GOOD: 9}))
    row = table.set_index("category").loc["logistics"]
    assert row["verdict"] == "no clear change" and not row["can_detect_halving"] and row["test"] == "exact"
    files = write(diff(_results({SLOW: 2, GOOD: 8}), _results({SLOW: 1, GOOD: 9}), phrases=False), tmp_path)
    assert "too few comments to detect a halving" in files["report"].read_text(encoding="utf-8")
    power = pd.read_csv(files["power"]).set_index("category")
    assert power.loc["logistics", "min_detectable_change"] == pytest.approx(row["min_detectable_change"])


def test_changes_sentiment_and_phrases():
    before = _results({SLOW: 60, COLD: 30, GOOD: 110})
    after = _results({SLOW: 10, COLD: 30, GOOD: 160})
    result = diff(before, after)
    assert result.sentiment.change > 0 and result.sentiment.verdict == "better"
    assert result.sentiment.before_mean == pytest.approx((90 * 0.1 + 110 * 0.9) / 200)
    fell = result.phrases[result.phrases["direction"] == "fell"]
    assert fell.iloc[0]["category"] == "logistics" and "慢" in fell.iloc[0]["phrase"]
    assert (fell.iloc[0]["before_comments"], fell.iloc[0]["after_comments"]) == (60, 10)


def test_changes_empty_side_is_an_error():
    with pytest.raises(InputError, match="AFTER has no comments"):
        diff(_results({SLOW: 3}), [Result("", error="empty text")])


def test_changes_files_end_to_end_with_scores_groups_and_report(tmp_path, capsys):
    before = [r + (s, g) for r, s, g in zip(_rows({SLOW: 60, COLD: 30, GOOD: 110}), ["3", "6", "10", "9"] * 50,
                                             ["A", "B"] * 100)]
    after = [r + (s, g) for r, s, g in zip(_rows({SLOW: 20, COLD: 30, GOOD: 150}, 500), ["9", "10", "abc", "7"] * 50,
                                            ["A", "B"] * 100)]
    b = write_csv(tmp_path / "before.csv", HEADER + ["nps", "shop"], before)
    a = write_csv(tmp_path / "after.csv", HEADER + ["nps", "shop"], after)
    out = tmp_path / "out"
    assert main(["diff", str(b), str(a), "-o", str(out), "--score-col", "nps", "--group-col", "shop", "--quiet"]) == 0
    assert "logistics better" in capsys.readouterr().err
    table = pd.read_csv(out / "diff.csv")
    assert list(table.columns) == DIFF_COLUMNS
    assert table.set_index("category").loc["logistics", "verdict"] == "better"
    scores = pd.read_csv(out / "scores.csv")
    before_nps = scores[(scores["scope"] == "period") & (scores["key"] == "before")].iloc[0]
    assert before_nps["score"] == pytest.approx(100 * (100 - 100) / 200)  # 2 promoters, 2 detractors per 4
    assert set(scores[scores["scope"] == "group"]["key"]) == {"before A", "before B", "after A", "after B"}
    quality = pd.read_csv(out / "data_quality.csv")
    assert len(quality) == 50 and set(quality["side"]) == {"after"} and "'abc' is not a number" in quality["problem"][0]
    assert quality["row"].min() == 4  # the third record of the file
    groups = pd.read_csv(out / "diff_groups.csv")
    assert list(groups.columns) == ["group"] + DIFF_COLUMNS and set(groups["group"]) == {"A", "B"}
    assert set(groups["before_comments"]) == {100}  # every row counts its group's 100 BEFORE comments
    assert (out / "drivers.csv").exists()
    page = (out / "report.html").read_text(encoding="utf-8")
    assert "data:image/png;base64," in page and "forest plot" in page and "Key drivers" in page


def test_changes_one_file_split_at_a_date(tmp_path):
    rows = _rows({SLOW: 30, GOOD: 30}) + _rows({SLOW: 5, GOOD: 55}, 100)
    dates = ["2026-03-01"] * 60 + ["2026-04-02"] * 59 + ["not a date"]
    dump = write_csv(tmp_path / "dump.csv", HEADER + ["date"], [r + (d,) for r, d in zip(rows, dates)])
    result, files = diff_files(dump, None, tmp_path / "out", date_col="date", split="2026-04-01")
    row = result.categories.set_index("category").loc["logistics"]
    assert (row["before_comments"], row["after_comments"]) == (60, 59) and row["verdict"] == "better"
    quality = pd.read_csv(files["data_quality"])
    assert list(quality["row"]) == [121] and "is not a date" in quality["problem"][0]


def test_changes_cli_bad_inputs_are_one_line_errors(tmp_path, capsys):
    good = write_csv(tmp_path / "good.csv", HEADER + ["nps"], [r + ("x",) for r in _rows({SLOW: 3, GOOD: 3})])
    empty = write_csv(tmp_path / "empty.csv", HEADER, [])
    notext = write_csv(tmp_path / "notext.csv", ["id", "categories", "sentiment"], [("1", "food:1", "0.9")])
    cases = [([str(good), str(empty)], "AFTER has no comments"),
             ([str(good), str(notext)], "notext.csv: no text column found"),
             ([str(good), str(good), "--score-col", "stars"], "good.csv: column 'stars' not found"),
             ([str(good), str(good), "--score-col", "nps"], "column 'nps' holds no usable score"),
             ([str(good)], "needs --date-col and --split")]
    for args, message in cases:
        assert main(["diff", *args, "-o", str(tmp_path / "o"), "--quiet"]) == ExitStatus.ERROR
        err = capsys.readouterr().err
        assert message in err and err.count("\n") == 1 and "Traceback" not in err


def test_changes_cli_classifies_raw_dumps(tiny_model_path, tmp_path):
    before = write_csv(tmp_path / "b.csv", ["review"], [("送餐太慢了",), ("菜太咸了",), ("配送很快",)] * 4)
    after = write_csv(tmp_path / "a.csv", ["review"], [("配送很快",), ("菜太咸了",), ("味道很好",)] * 4)
    assert main(["diff", str(before), str(after), "-o", str(tmp_path / "o"), "--model", str(tiny_model_path),
                 "--quiet"]) == 0
    table = pd.read_csv(tmp_path / "o" / "diff.csv").set_index("category")
    assert table.loc["logistics", "before_complaints"] == 4 and table.loc["logistics", "after_complaints"] == 0
    assert not math.isnan(table.loc["logistics", "p_value"])


def test_changes_diff_is_the_top_level_function_even_after_the_cli_ran():
    import textmine
    from textmine import cli  # noqa: F401  (the CLI imports textmine.changes)

    assert textmine.diff is diff and callable(textmine.diff)
