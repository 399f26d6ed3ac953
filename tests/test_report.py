import csv
import shutil

import pytest

from textmine.bundle import Result
from textmine.report import cjk_font_path, measure_layout, write
from textmine.summarize import summarize
from textmine.taxonomy import CHINESE_NAMES, DEFAULT_CATEGORIES


def test_report_font_has_chinese_glyphs():
    from PIL import ImageFont

    font = ImageFont.truetype(str(cjk_font_path()), 32)
    # a glyph that exists has a box wider than the notdef box of an unknown character
    assert font.getbbox("送")[2] > 0
    assert font.getmask("送").getbbox() != font.getmask("\ue000").getbbox()


def _summary(**kwargs):
    results = []
    for k in range(30):
        cats = {"logistics": -1} if k % 3 else {"food": -1, "service": 1}
        results.append(Result(f"第{k}单 送餐太慢了 菜也凉了", cats, {}, {c: "送餐太慢了" if c == "logistics" else "菜也凉了" for c in cats}, 0.2, "negative"))
    return summarize(results, dates=[f"2026-0{1 + k % 4}-10" for k in range(30)], groups=["A", "B"] * 15, **kwargs)


def _rows(path):
    with open(path, encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f))


def test_report_files_and_sections(tmp_path):
    files = write(_summary(keep_all=True), tmp_path)
    for name in ("pareto", "overlap", "pain_points", "category_polarity", "data_quality", "trend", "alerts", "groups",
                 "wordcloud_all", "report"):
        assert files[name].exists(), name
    html = files["report"].read_text(encoding="utf-8")
    for section in ("Pareto", "pain points", "raised together", "Word clouds", "Category × polarity", "Sentiment",
                    "Trend", "By group", "Data quality"):
        assert section in html, section
    assert html.count("data:image/png;base64,") >= 5
    assert "http://" not in html and "https://" not in html
    assert not list(tmp_path.glob("*.part"))


def test_report_leaves_matplotlib_settings_as_it_found_them(tmp_path):
    import matplotlib

    before = matplotlib.rcParams.copy()
    with matplotlib.rc_context({"font.family": "serif", "axes.unicode_minus": True}):
        files = write(_summary(keep_all=True), tmp_path)
        assert matplotlib.rcParams["font.family"] == ["serif"] and matplotlib.rcParams["axes.unicode_minus"]
    assert matplotlib.rcParams.copy() == before
    assert files["report"].read_text(encoding="utf-8").count("data:image/png;base64,") >= 3


def test_report_tables_say_what_they_count(tmp_path):
    summary = _summary(keep_all=True)
    files = write(summary, tmp_path)
    pareto = _rows(files["pareto"])
    assert list(pareto[0]) == ["category", "comments", "share", "cumulative_share", "mentions", "vital_few"]
    assert sum(int(r["comments"]) for r in pareto) == summary.complaints
    groups = {r["group"]: r for r in _rows(files["groups"])}
    assert groups["A"]["comments"] == "15" and float(groups["A"]["rate"]) == int(groups["A"]["complaining"]) / 15
    trend = _rows(files["trend"])
    assert list(trend[0]) == ["period", "category", "complaining", "comments", "rate"]
    assert all(abs(float(t["rate"]) - int(t["complaining"]) / int(t["comments"])) < 1e-4 for t in trend)
    points = _rows(files["pain_points"])
    assert points[0]["variants"].startswith(points[0]["phrase"])


def test_report_labels_zh_names_categories_in_chinese(tmp_path):
    files = write(_summary(), tmp_path, labels="zh")
    assert [r["category"] for r in _rows(files["pareto"])] == [CHINESE_NAMES["logistics"], CHINESE_NAMES["food"]]
    assert f"{CHINESE_NAMES['logistics']}_rate" in _rows(files["groups"])[0]
    html = files["report"].read_text(encoding="utf-8")
    assert "物流配送 logistics" not in html and "物流配送" in html


def test_report_data_quality_rows_are_the_input_rows(tmp_path):
    results = [Result(t, {"food": -1}, {}, {"food": t}, 0.2, "negative") for t in ["菜太咸了", "好好好好", "菜太咸了"]]
    summary = summarize(results, rows=[2, 3, 5])
    quality = _rows(write(summary, tmp_path)["data_quality"])
    assert [(r["row"], r["problem"], r["same_as_row"]) for r in quality] == [("3", "meaningless", ""),
                                                                             ("5", "duplicate", "2")]


@pytest.mark.skipif(not any(shutil.which(b) for b in ("chromium", "chromium-browser", "google-chrome")),
                    reason="no Chromium installed (apt-get install chromium) to lay the report out")
def test_report_tables_fit_a_1280px_page(tmp_path):
    results, groups = [], []
    cats = [c for c in DEFAULT_CATEGORIES if c != "other"]
    for k in range(240):
        results.append(Result(f"第{k}条 评论", {cats[k % len(cats)]: -1, cats[(k + 5) % len(cats)]: -1}, {},
                              {}, 0.2, "negative"))
        groups.append(f"一家名字很长很长的门店第{k % 9}分店 Store number {k % 9} with a long name")
    files = write(summarize(results, groups=groups), tmp_path)
    layout = measure_layout(files["report"], width=1280)
    assert layout["tables"] >= 4
    assert layout["overflowing"] == 0 and layout["widest_right"] <= layout["page_width"]
    assert layout["scroll_width"] <= layout["page_width"]
