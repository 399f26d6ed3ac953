from textmine.bundle import Result
from textmine.report import cjk_font_path, write
from textmine.summarize import summarize


def test_report_font_has_chinese_glyphs():
    from PIL import ImageFont

    font = ImageFont.truetype(str(cjk_font_path()), 32)
    # a glyph that exists has a box wider than the notdef box of an unknown character
    assert font.getbbox("送")[2] > 0
    assert font.getmask("送").getbbox() != font.getmask("\ue000").getbbox()


def test_report_files_and_sections(tmp_path):
    results = []
    for k in range(30):
        cats = {"logistics": -1} if k % 3 else {"food": -1, "service": 1}
        results.append(Result(f"第{k}单 送餐太慢了 菜也凉了", cats, {}, {c: "送餐太慢了" if c == "logistics" else "菜也凉了" for c in cats}, 0.2, "negative"))
    summary = summarize(results, dates=[f"2026-0{1 + k % 4}-10" for k in range(30)], groups=["A", "B"] * 15, keep_all=True)
    files = write(summary, tmp_path)
    for name in ("pareto", "pain_points", "category_polarity", "data_quality", "trend", "alerts", "groups",
                 "wordcloud_all", "report"):
        assert files[name].exists(), name
    html = files["report"].read_text(encoding="utf-8")
    for section in ("Pareto", "pain points", "Word clouds", "Category × polarity", "Sentiment", "Trend", "By group", "Data quality"):
        assert section in html, section
    assert html.count("data:image/png;base64,") >= 5
    assert "http://" not in html and "https://" not in html
    assert not list(tmp_path.glob("*.part"))
