"""Writing a :class:`~textmine.summarize.Summary` for people: CSV tables, word clouds
and charts that render Chinese, and one self-contained ``report.html``.

The Chinese font is the subset of WenQuanYi Micro Hei that ships with textmine; when it
is missing, a CJK font installed on the system is used; when there is none either,
:func:`cjk_font_path` raises an error saying what to install. Nothing is downloaded.
"""
from __future__ import annotations

import base64
import html
import io as _io
from pathlib import Path

from .io import atomic_path, write_table
from .taxonomy import CHINESE_NAMES

__all__ = ["cjk_font_path", "wordcloud_image", "write"]

_SYSTEM_FONT_NAMES = ("Noto Sans CJK SC", "Noto Sans SC", "WenQuanYi Micro Hei", "WenQuanYi Zen Hei",
                      "Source Han Sans SC", "SimHei", "Microsoft YaHei", "PingFang SC", "Heiti SC")


def cjk_font_path() -> Path:
    """A font file that has Chinese glyphs: the shipped one, else a system CJK font.

    Raises
    ------
    FileNotFoundError
        When neither exists, naming what to install.
    """
    from .resources import resource_path

    try:
        return resource_path("fonts", "wqy-microhei-gb2312.ttf")
    except FileNotFoundError:
        pass
    from matplotlib import font_manager

    for font in font_manager.fontManager.ttflist:
        if font.name in _SYSTEM_FONT_NAMES:
            return Path(font.fname)
    raise FileNotFoundError("no Chinese font found: reinstall textmine (it ships one) or install a CJK font "
                            "such as fonts-noto-cjk or fonts-wqy-microhei")


def _label(category: str) -> str:
    name = CHINESE_NAMES.get(category)
    return f"{name} {category}" if name else category


def wordcloud_image(frequencies: dict[str, int], *, width: int = 800, height: int = 400):
    """A PIL image of a word cloud of ``frequencies`` drawn with the Chinese font."""
    from wordcloud import WordCloud

    cloud = WordCloud(font_path=str(cjk_font_path()), width=width, height=height, background_color="white",
                      max_words=120, prefer_horizontal=0.95, collocations=False, random_state=0)
    return cloud.generate_from_frequencies(frequencies).to_image()


def _png(image_or_figure) -> bytes:
    buffer = _io.BytesIO()
    if hasattr(image_or_figure, "savefig"):
        image_or_figure.savefig(buffer, format="png", dpi=110, bbox_inches="tight")
        import matplotlib.pyplot as plt

        plt.close(image_or_figure)
    else:
        image_or_figure.save(buffer, format="PNG")
    return buffer.getvalue()


def _figure():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib import font_manager

    path = str(cjk_font_path())
    font_manager.fontManager.addfont(path)
    plt.rcParams["font.family"] = font_manager.FontProperties(fname=path).get_name()
    plt.rcParams["axes.unicode_minus"] = False
    return plt


def _pareto_chart(summary) -> bytes:
    plt = _figure()
    fig, ax = plt.subplots(figsize=(9, 4.2))
    rows = summary.pareto
    names = [_label(r.category) for r in rows]
    ax.bar(names, [r.complaints for r in rows], color=["#c0392b" if r.vital_few else "#95a5a6" for r in rows])
    ax.set_ylabel("投诉条数 complaints")
    ax.tick_params(axis="x", rotation=35)
    twin = ax.twinx()
    twin.plot(names, [r.cumulative_share * 100 for r in rows], color="#2c3e50", marker="o")
    twin.axhline(80, color="#2c3e50", linestyle="--", linewidth=0.8)
    twin.set_ylim(0, 105)
    twin.set_ylabel("累计占比 cumulative %")
    ax.set_title("投诉帕累托图 Pareto of complaints")
    return _png(fig)


def _sentiment_chart(summary) -> bytes:
    plt = _figure()
    fig, ax = plt.subplots(figsize=(6, 3))
    ax.bar([f"{k / 10:.1f}" for k in range(10)], summary.sentiment_histogram, color="#2980b9")
    ax.set_xlabel("情感得分 sentiment score (0 负面 - 1 正面)")
    ax.set_ylabel("评论数 comments")
    ax.set_title("情感分布 Sentiment distribution")
    return _png(fig)


def _trend_chart(summary, top: list[str]) -> bytes:
    plt = _figure()
    fig, ax = plt.subplots(figsize=(9, 4))
    for cat in top:
        points = [t for t in summary.trend if t["category"] == cat]
        ax.plot([t["period"] for t in points], [t["complaints"] for t in points], marker="o", label=_label(cat))
    ax.set_ylabel("投诉条数 complaints")
    ax.set_title("投诉趋势 Complaints per period")
    ax.tick_params(axis="x", rotation=35)
    ax.legend(fontsize=8)
    return _png(fig)


def _table(headers: list[str], rows: list[list]) -> str:
    head = "".join(f"<th>{html.escape(str(h))}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _img(png: bytes, alt: str) -> str:
    return f'<img alt="{html.escape(alt)}" src="data:image/png;base64,{base64.b64encode(png).decode()}">'


_CSS = """body{font-family:"Noto Sans CJK SC","PingFang SC","Microsoft YaHei",sans-serif;margin:2em auto;max-width:1100px;color:#222}
table{border-collapse:collapse;margin:.5em 0 1.5em}td,th{border:1px solid #ccc;padding:4px 8px;text-align:left;font-size:14px}
th{background:#f3f3f3}h2{border-bottom:2px solid #c0392b;padding-bottom:4px;margin-top:2em}img{max-width:100%}
.vital{color:#c0392b;font-weight:bold}.note{color:#666;font-size:13px}"""


def write(summary, outdir: str | Path, *, top_clouds: int = 3, title: str = "客户反馈分析报告") -> dict[str, Path]:
    """Write the summary into ``outdir``: ``pareto.csv``, ``pain_points.csv``,
    ``category_polarity.csv``, ``data_quality.csv``, ``trend.csv`` and ``alerts.csv`` (with
    dates), ``groups.csv`` (with groups), ``wordcloud_all.png`` and one
    ``wordcloud_<category>.png`` for each of the ``top_clouds`` largest complaint
    categories, and ``report.html`` with every image inlined. Each file is written
    atomically. Returns the paths by name."""
    import pandas as pd

    out = Path(outdir)
    out.mkdir(parents=True, exist_ok=True)
    files: dict[str, Path] = {}

    def table(name: str, frame: pd.DataFrame) -> None:
        files[name] = write_table(frame, out / f"{name}.csv")

    table("pareto", pd.DataFrame([vars(r) for r in summary.pareto],
                                 columns=["category", "complaints", "share", "cumulative_share", "vital_few"]))
    table("pain_points", pd.DataFrame([vars(p) for ps in summary.pain_points.values() for p in ps],
                                      columns=["category", "phrase", "comments", "example"]))
    table("category_polarity", pd.DataFrame(
        [{"category": c, "negative": v.get(-1, 0), "neutral": v.get(0, 0), "positive": v.get(1, 0)}
         for c, v in summary.polarity_table.items()], columns=["category", "negative", "neutral", "positive"]))
    q = summary.quality
    quality_rows = ([{"position": i, "problem": "empty", "same_as": "", "text": ""} for i in q.empty]
                    + [{"position": i, "problem": "meaningless", "same_as": "", "text": summary.texts[i]} for i in q.meaningless]
                    + [{"position": i, "problem": "duplicate", "same_as": j, "text": summary.texts[i]} for i, j in q.duplicates]
                    + [{"position": i, "problem": "near duplicate", "same_as": j, "text": summary.texts[i]} for i, j in q.near_duplicates])
    table("data_quality", pd.DataFrame(quality_rows, columns=["position", "problem", "same_as", "text"]))
    if summary.trend:
        table("trend", pd.DataFrame(summary.trend))
        table("alerts", pd.DataFrame([vars(a) for a in summary.alerts], columns=[
            "category", "phrase", "period", "complaints", "comments", "rate", "baseline_rate", "upper_limit"]))
    if summary.groups:
        table("groups", pd.DataFrame(summary.groups).fillna(0))

    clouds: dict[str, bytes] = {}
    everything: dict[str, int] = {}
    for counts in summary.phrase_counts.values():
        for phrase, n in counts.items():
            everything[phrase] = everything.get(phrase, 0) + n
    top = [r.category for r in summary.pareto[:top_clouds]]
    for name, freq in [("all", everything)] + [(c, summary.phrase_counts.get(c, {})) for c in top]:
        if freq:
            clouds[name] = _png(wordcloud_image(freq))
            with atomic_path(out / f"wordcloud_{name}.png") as tmp:
                tmp.write_bytes(clouds[name])
            files[f"wordcloud_{name}"] = out / f"wordcloud_{name}.png"

    parts = [f"<h1>{html.escape(title)}</h1>",
             f"<p>评论 {summary.comments:,} 条，纳入统计 {summary.analysed:,} 条，其中投诉（含负面类别）"
             f"{summary.complaints:,} 条。<span class=note>Comments {summary.comments:,}; analysed {summary.analysed:,}; "
             f"with a complaint {summary.complaints:,}.</span></p>"]
    parts.append("<h2>投诉帕累托 Pareto of complaints</h2>")
    if summary.pareto:
        vital = "、".join(_label(r.category) for r in summary.pareto if r.vital_few)
        parts.append(f"<p class=vital>关键少数（合计约 80% 投诉）: {html.escape(vital)}</p>")
        parts.append(_img(_pareto_chart(summary), "Pareto chart"))
        parts.append(_table(["类别 category", "投诉 complaints", "占比 share", "累计 cumulative", "关键少数 vital few"],
                            [[_label(r.category), r.complaints, f"{r.share:.1%}", f"{r.cumulative_share:.1%}",
                              "✔" if r.vital_few else ""] for r in summary.pareto]))
    parts.append("<h2>主要痛点 Top pain points</h2>")
    for row in summary.pareto:
        points = summary.pain_points.get(row.category, [])
        if points:
            parts.append(f"<h3>{html.escape(_label(row.category))}</h3>")
            parts.append(_table(["痛点 phrase", "评论数 comments", "例句 example"],
                                [[p.phrase, p.comments, p.example] for p in points]))
    parts.append("<h2>词云 Word clouds</h2>")
    for name, png in clouds.items():
        parts.append(f"<h3>{'全部投诉 all complaints' if name == 'all' else html.escape(_label(name))}</h3>{_img(png, name)}")
    parts.append("<h2>类别 × 极性 Category × polarity</h2>")
    parts.append(_table(["类别 category", "负面 -1", "中性 0", "正面 1"],
                        [[_label(c), v.get(-1, 0), v.get(0, 0), v.get(1, 0)] for c, v in summary.polarity_table.items()]))
    parts.append("<h2>情感分布 Sentiment</h2>" + _img(_sentiment_chart(summary), "sentiment histogram"))
    if summary.trend:
        parts.append(f"<h2>趋势与预警 Trend and alerts (period: {html.escape(summary.period)})</h2>")
        parts.append(_img(_trend_chart(summary, [r.category for r in summary.pareto[:5]]), "trend chart"))
        parts.append("<p class=note>预警规则 Alert rule: p 控制图，最近一期投诉率超过历史均值 + 3σ 上控制限，且至少 5 条投诉。"
                     " The latest period's complaint rate is above the p-chart upper control limit of its own history"
                     " (mean + 3 sigma), with at least 5 complaints.</p>")
        parts.append(_table(["类别 category", "痛点 phrase", "期 period", "投诉 complaints", "评论 comments", "投诉率 rate",
                             "历史 baseline", "上控制限 UCL"],
                            [[_label(a.category), a.phrase, a.period, a.complaints, a.comments, f"{a.rate:.1%}",
                              f"{a.baseline_rate:.1%}", f"{a.upper_limit:.1%}"] for a in summary.alerts])
                     if summary.alerts else "<p>无预警 No alerts.</p>")
    if summary.groups:
        cats = [r.category for r in summary.pareto]
        parts.append("<h2>分组 By group</h2>")
        parts.append(_table(["分组 group", "评论 comments", "投诉 complaints"] + [_label(c) for c in cats],
                            [[g["group"], g["comments"], g["complaints"]] + [g.get(c, 0) for c in cats] for g in summary.groups]))
    parts.append("<h2>数据质量 Data quality</h2>")
    parts.append(_table(["问题 problem", "条数 comments"], [["空评论 empty", len(q.empty)], ["无意义 meaningless", len(q.meaningless)],
                                                        ["重复 duplicates", len(q.duplicates)], ["近似重复 near duplicates", len(q.near_duplicates)]]))
    shown = [r for r in quality_rows if r["problem"] != "empty"][:30]
    if shown:
        parts.append("<p class=note>以上评论默认不计入统计；示例 Left out of the statistics by default; examples:</p>")
        parts.append(_table(["位置 position", "问题 problem", "同 same as", "内容 text"],
                            [[r["position"], r["problem"], r["same_as"], r["text"]] for r in shown]))
    page = (f"<!DOCTYPE html><html lang=zh-CN><head><meta charset=utf-8><title>{html.escape(title)}</title>"
            f"<style>{_CSS}</style></head><body>{''.join(parts)}</body></html>")
    with atomic_path(out / "report.html") as tmp:
        tmp.write_text(page, encoding="utf-8")
    files["report"] = out / "report.html"
    return files
