"""Writing a :class:`~textmine.summarize.Summary` for people: CSV tables, word clouds
and charts that render Chinese, and one self-contained ``report.html``.

The Chinese font is the subset of WenQuanYi Micro Hei that ships with textmine; when it
is missing, a CJK font installed on the system is used; when there is none either,
:func:`cjk_font_path` raises an error saying what to install. Nothing is downloaded.
"""
from __future__ import annotations

import base64
import functools
import html
import io as _io
from contextlib import contextmanager
import re
from pathlib import Path

from .io import atomic_path, write_table
from .taxonomy import CHINESE_NAMES

__all__ = ["cjk_font_path", "wordcloud_image", "write", "write_page", "measure_layout"]

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


def _label(category: str, labels: str = "en") -> str:
    """How a category is named: ``"物流配送 logistics"`` (``labels="en"``, in the page),
    ``"物流配送"`` (``"zh"``); a category of the user's own taxonomy keeps its name."""
    name = CHINESE_NAMES.get(category)
    if not name:
        return category
    return name if labels == "zh" else f"{name} {category}"


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
    else:
        image_or_figure.save(buffer, format="PNG")
    return buffer.getvalue()


@contextmanager
def _chart(figsize: tuple[float, float]):
    """A matplotlib Figure of its own (no pyplot, so no backend is chosen) and its axes,
    with the Chinese font in effect inside the block only: matplotlib's global settings
    are left as the host set them. Draw and render it (:func:`_png`) inside the block."""
    import matplotlib
    from matplotlib import font_manager
    from matplotlib.figure import Figure

    path = str(cjk_font_path())
    font_manager.fontManager.addfont(path)
    style = {"font.family": font_manager.FontProperties(fname=path).get_name(), "axes.unicode_minus": False}
    with matplotlib.rc_context(style):
        fig = Figure(figsize=figsize)
        yield fig, fig.subplots()


def _pareto_chart(summary, labels: str) -> bytes:
    with _chart((10, 4.8)) as (fig, ax):
        rows = summary.pareto
        names = [_label(r.category, labels) for r in rows]
        x = range(len(rows))
        ax.bar(x, [r.comments for r in rows], color=["#c0392b" if r.vital_few else "#95a5a6" for r in rows],
               label="评论（每条只计一次）comments, each counted once")
        ax.scatter(x, [r.mentions for r in rows], marker="_", s=300, color="#2c3e50", zorder=3,
                   label="提及 mentions (all comments with this complaint)")
        ax.set_xticks(list(x), names, rotation=40, ha="right", fontsize=9)
        ax.set_ylabel("投诉评论数 complaining comments")
        twin = ax.twinx()
        twin.plot(list(x), [r.cumulative_share * 100 for r in rows], color="#2c3e50", marker="o", linewidth=1)
        twin.axhline(80, color="#2c3e50", linestyle="--", linewidth=0.8)
        twin.set_ylim(0, 105)
        twin.set_ylabel("累计占投诉评论 cumulative % of complaining comments")
        ax.legend(loc="center right", fontsize=8, frameon=False)
        ax.set_title("投诉帕累托图 Pareto of complaining comments")
        fig.tight_layout()
        return _png(fig)


def _sentiment_chart(summary) -> bytes:
    with _chart((6, 3)) as (fig, ax):
        ax.bar([f"{k / 10:.1f}" for k in range(10)], summary.sentiment_histogram, color="#2980b9")
        ax.set_xlabel("情感得分 sentiment score (0 负面 - 1 正面)")
        ax.set_ylabel("评论数 comments")
        ax.set_title("情感分布 Sentiment distribution")
        return _png(fig)


def _trend_chart(summary, top: list[str], labels: str) -> bytes:
    with _chart((10, 4)) as (fig, ax):
        for cat in top:
            points = [t for t in summary.trend if t["category"] == cat]
            ax.plot([t["period"] for t in points], [t["rate"] * 100 for t in points], marker="o",
                    label=_label(cat, labels))
        ax.set_ylabel("投诉率 % of the period's comments")
        ax.set_title("投诉率趋势 Complaint rate per period")
        ax.tick_params(axis="x", rotation=40, labelsize=8)
        ax.set_ylim(bottom=0)
        ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1), frameon=False)
        fig.tight_layout()
        return _png(fig)


def _table(headers: list[str], rows: list[list], *, css: str = "") -> str:
    head = "".join(f"<th>{html.escape(str(h))}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in row) + "</tr>" for row in rows)
    cls = f' class="{css}"' if css else ""
    return f"<table{cls}><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _img(png: bytes, alt: str) -> str:
    return f'<img alt="{html.escape(alt)}" src="data:image/png;base64,{base64.b64encode(png).decode()}">'


# Tables never grow wider than the page: cells wrap anywhere rather than overflow.
_CSS = """body{font-family:"Noto Sans CJK SC","PingFang SC","Microsoft YaHei",textmine-cjk,sans-serif;margin:2em auto;max-width:1100px;
padding:0 1em;color:#222}table{border-collapse:collapse;margin:.5em 0 1.5em;max-width:100%}
table.wide{width:100%;table-layout:fixed}td,th{border:1px solid #ccc;padding:4px 6px;text-align:left;font-size:13px;
overflow-wrap:anywhere;word-break:break-word}th{background:#f3f3f3}h2{border-bottom:2px solid #c0392b;padding-bottom:4px;
margin-top:2em}img{max-width:100%}table.pains th:nth-child(1){width:14%}table.pains th:nth-child(2){width:9%}
table.pains th:nth-child(3){width:42%}.vital{color:#c0392b;font-weight:bold}.note{color:#666;font-size:13px}"""
_GROUP_CATEGORIES = 6  # category columns of the per-group table in the page (groups.csv has all)


def _font_face(text: str) -> str:
    """A CSS ``@font-face`` with the Chinese font cut down to the characters of
    ``text``, inlined, so the page reads the same where no CJK font is installed; ``""``
    when the font cannot be read."""
    from fontTools import subset
    from fontTools.ttLib import TTFont

    try:
        font = TTFont(str(cjk_font_path()))
    except (OSError, FileNotFoundError):
        return ""
    options = subset.Options()
    options.layout_features, options.name_IDs, options.notdef_outline = [], [], True
    cutter = subset.Subsetter(options)
    cutter.populate(text="".join(sorted(set(text))))
    cutter.subset(font)
    buffer = _io.BytesIO()
    font.save(buffer)
    return ("@font-face{font-family:textmine-cjk;src:url(data:font/ttf;base64,"
            f"{base64.b64encode(buffer.getvalue()).decode()}) format('truetype')}}")


def _percent(n: int, total: int) -> str:
    return f"{n / total:.1%} ({n:,})" if total else "-"


def _variants(point, most: int | None = None) -> str:
    """The wordings of a pain point with their comments; past ``most``, how many more."""
    shown = point.variants[:most] if most else point.variants
    more = len(point.variants) - len(shown)
    return "; ".join(f"{phrase} {n}" for phrase, n in shown) + (f" …（另 {more} 种 {more} more）" if more else "")


def write(summary, outdir: str | Path, *, top_clouds: int = 3, title: str = "客户反馈分析报告",
          labels: str = "en", sections: tuple[str, ...] = (), extra_quality: tuple[dict, ...] = ()) -> dict[str, Path]:
    """Write the summary into ``outdir``: ``pareto.csv``, ``overlap.csv``,
    ``pain_points.csv``, ``category_polarity.csv``, ``data_quality.csv``, ``trend.csv``
    and ``alerts.csv`` (with dates), ``groups.csv`` (with groups), ``wordcloud_all.png``
    and one ``wordcloud_<category>.png`` for each of the ``top_clouds`` largest complaint
    categories, and ``report.html`` with every image inlined. Each file is written
    atomically. Every table names what it counts; rows are numbered as error messages
    number them (``Summary.rows``).

    Parameters
    ----------
    labels : {"en", "zh"}, default="en"
        Category names: ids in the CSV files and "中文 id" in the page (``en``), or the
        Chinese names everywhere (``zh``).
    sections : tuple of str
        HTML fragments added to the page before the data-quality section.
    extra_quality : tuple of dict
        More data-quality rows (``position``, ``problem``, ``text``), numbered like the rest.

    Returns
    -------
    dict
        The paths written, by name (``pareto``, ``report`` ...).

    Raises
    ------
    InputError
        When ``labels`` is not ``en`` or ``zh``.
    """
    import pandas as pd

    from .errors import BAD_CHOICE, InputError

    if labels not in ("en", "zh"):
        raise InputError(BAD_CHOICE.format(name="labels", value=labels, allowed="en, zh"))
    out = Path(outdir)
    out.mkdir(parents=True, exist_ok=True)
    files: dict[str, Path] = {}
    name = (lambda c: _label(c, "zh")) if labels == "zh" else str
    shown = functools.partial(_label, labels=labels)

    def table(key: str, frame: pd.DataFrame) -> None:
        files[key] = write_table(frame, out / f"{key}.csv")

    table("pareto", pd.DataFrame([{**vars(r), "category": name(r.category)} for r in summary.pareto],
                                 columns=["category", "comments", "share", "cumulative_share", "mentions", "vital_few"]))
    table("overlap", pd.DataFrame([{**o, "category": name(o["category"]), "with": name(o["with"])} for o in summary.overlap],
                                  columns=["category", "with", "comments", "share_of_category", "share_of_with"]))
    points = [p for ps in summary.pain_points.values() for p in ps]
    table("pain_points", pd.DataFrame([{"category": name(p.category), "phrase": p.phrase, "comments": p.comments,
                                        "variants": _variants(p), "example": p.example} for p in points],
                                      columns=["category", "phrase", "comments", "variants", "example"]))
    table("category_polarity", pd.DataFrame(
        [{"category": name(c), "negative": v.get(-1, 0), "neutral": v.get(0, 0), "positive": v.get(1, 0)}
         for c, v in summary.polarity_table.items()], columns=["category", "negative", "neutral", "positive"]))
    q, rows = summary.quality, summary.rows
    quality_rows = ([{"row": rows[i], "problem": "empty", "same_as_row": "", "text": ""} for i in q.empty]
                    + [{"row": rows[i], "problem": "meaningless", "same_as_row": "", "text": summary.texts[i]}
                       for i in q.meaningless]
                    + [{"row": rows[i], "problem": "duplicate", "same_as_row": rows[j], "text": summary.texts[i]}
                       for i, j in q.duplicates]
                    + [{"row": rows[i], "problem": "near duplicate", "same_as_row": rows[j], "text": summary.texts[i]}
                       for i, j in q.near_duplicates]
                    + [{"row": rows[r["position"]], "problem": r["problem"], "same_as_row": "", "text": r["text"]}
                       for r in extra_quality])
    table("data_quality", pd.DataFrame(quality_rows, columns=["row", "problem", "same_as_row", "text"]))
    alert_columns = ["category", "phrase", "period", "complaints", "comments", "rate", "baseline_rate", "upper_limit",
                     "group", "group_complaints", "group_comments"]
    if summary.dates_readable is not None:
        table("trend", pd.DataFrame([{**t, "category": name(t["category"])} for t in summary.trend],
                                    columns=["period", "category", "complaining", "comments", "rate"]))
        table("alerts", pd.DataFrame([{**vars(a), "category": name(a.category)} for a in summary.alerts],
                                     columns=alert_columns))
    if summary.groups:
        table("groups", pd.DataFrame(summary.groups).rename(
            columns={k: name(k) if not k.endswith("_rate") else f"{name(k[:-5])}_rate" for k in summary.groups[0]
                     if k not in ("group", "comments", "complaining", "rate")}))

    clouds: dict[str, bytes] = {}
    everything: dict[str, int] = {}
    for counts in summary.phrase_counts.values():
        for phrase, n in counts.items():
            everything[phrase] = everything.get(phrase, 0) + n
    top = [r.category for r in summary.pareto[:top_clouds]]
    for key, freq in [("all", everything)] + [(c, summary.phrase_counts.get(c, {})) for c in top]:
        if freq:
            clouds[key] = _png(wordcloud_image(freq))
            with atomic_path(out / f"wordcloud_{key}.png") as tmp:
                tmp.write_bytes(clouds[key])
            files[f"wordcloud_{key}"] = out / f"wordcloud_{key}.png"

    parts = [f"<h1>{html.escape(title)}</h1>",
             f"<p>评论 {summary.comments:,} 条，纳入统计 {summary.analysed:,} 条，其中含投诉的评论 "
             f"{summary.complaints:,} 条（{summary.complaints / max(summary.analysed, 1):.1%}）。"
             f"<span class=note> Comments {summary.comments:,}; analysed {summary.analysed:,}; "
             f"comments with at least one complaint {summary.complaints:,}.</span></p>"]
    if summary.dates_readable is not None:
        parts.append(f"<p class=note>有可读日期的评论 {summary.dates_readable:,} / {summary.comments:,} 条 "
                     f"Comments with a readable date: {summary.dates_readable:,} of {summary.comments:,}.</p>")
    if summary.uncategorised:
        parts.append(f"<p>未归入任何类别 {summary.uncategorised:,} 条。<span class=note>In none of the model's "
                     f"categories: {summary.uncategorised:,}.</span></p>")
    parts.append("<h2>投诉帕累托 Pareto of complaints</h2>")
    if summary.pareto:
        vital = "、".join(shown(r.category) for r in summary.pareto if r.vital_few)
        parts.append(f"<p class=vital>关键少数（合计约 80% 含投诉评论）: {html.escape(vital)}</p>")
        parts.append("<p class=note>每条含投诉的评论只计一次，计入排名最靠前的类别，合计等于含投诉评论数；“提及”为含该类投诉的全部评论"
                     "（与上方类别重叠的也计）。 Each complaining comment is counted once, under the highest-ranked"
                     " category it complains about, so the comments add up to the complaining comments; mentions count"
                     " every comment with a complaint of the category, including those counted above.</p>")
        parts.append(_img(_pareto_chart(summary, labels), "Pareto chart"))
        parts.append(_table(["类别 category", "评论 comments", "占比 share", "累计 cumulative", "提及 mentions",
                             "关键少数 vital few"],
                            [[shown(r.category), f"{r.comments:,}", f"{r.share:.1%}", f"{r.cumulative_share:.1%}",
                              f"{r.mentions:,}", "✔" if r.vital_few else ""] for r in summary.pareto]))
    parts.append("<h2>同时出现的投诉 Complaints raised together</h2>")
    if not summary.overlap:
        parts.append("<p>没有评论同时投诉两类。 No comment complains about two categories.</p>")
    else:
        parts.append("<p class=note>两类投诉出现在同一条评论中的评论数，及其占各类提及的比例。 Comments that complain"
                     " about both categories, and their share of each one's mentions.</p>")
        parts.append(_table(["类别 category", "同时 with", "评论 comments", "占前者 share of category", "占后者 share of with"],
                            [[shown(o["category"]), shown(o["with"]), f"{o['comments']:,}", f"{o['share_of_category']:.1%}",
                              f"{o['share_of_with']:.1%}"] for o in summary.overlap]))
    parts.append("<h2>主要痛点 Top pain points</h2>")
    parts.append("<p class=note>同一问题的不同说法合为一行；评论数为以任一说法提出该问题的评论。 Wordings of one complaint"
                 " are one row; comments counts the comments that make it in any wording.</p>")
    for row in summary.pareto:
        found = summary.pain_points.get(row.category, [])
        if found:
            parts.append(f"<h3>{html.escape(shown(row.category))}</h3>")
            parts.append(_table(["痛点 pain point", "评论 comments", "说法 wordings (comments)", "例句 example"],
                                [[p.phrase, p.comments, _variants(p, 8), p.example] for p in found], css="wide pains"))
    parts.append("<h2>词云 Word clouds</h2>")
    for key, png in clouds.items():
        parts.append(f"<h3>{'全部投诉 all complaints' if key == 'all' else html.escape(shown(key))}</h3>{_img(png, key)}")
    parts.append("<h2>类别 × 极性 Category × polarity (comments)</h2>")
    parts.append(_table(["类别 category", "负面 -1", "中性 0", "正面 1"],
                        [[shown(c), v.get(-1, 0), v.get(0, 0), v.get(1, 0)] for c, v in summary.polarity_table.items()]))
    parts.append("<h2>情感分布 Sentiment</h2>" + _img(_sentiment_chart(summary), "sentiment histogram"))
    if summary.trend:
        parts.append(f"<h2>趋势与预警 Trend and alerts (period: {html.escape(summary.period)})</h2>")
        parts.append(_img(_trend_chart(summary, [r.category for r in summary.pareto[:5]], labels), "trend chart"))
        parts.append("<p class=note>投诉率 = 该期含此类投诉的评论 / 该期评论。预警规则：p 控制图，最近一期投诉率超过历史均值 + 3σ"
                     " 上控制限，且至少 5 条投诉；分组为超出历史投诉率最多的分组。 Rate: comments with a complaint of the"
                     " category over the period's comments. Alert: the latest period's rate is above the p-chart upper"
                     " control limit of its own history (mean + 3 sigma), with at least 5 complaints; the group is the"
                     " one with the most complaints above the baseline rate.</p>")
        parts.append(_table(["类别 category", "痛点 pain point", "期 period", "投诉率 rate (comments)", "历史 baseline",
                             "上控制限 UCL", "主要分组 driving group"],
                            [[shown(a.category), a.phrase, a.period, _percent(a.complaints, a.comments),
                              f"{a.baseline_rate:.1%}", f"{a.upper_limit:.1%}",
                              f"{a.group}: {_percent(a.group_complaints, a.group_comments)}" if a.group else ""]
                             for a in summary.alerts], css="wide")
                     if summary.alerts else "<p>无预警 No alerts.</p>")
    if summary.groups:
        cats = [r.category for r in summary.pareto[:_GROUP_CATEGORIES]]
        parts.append("<h2>分组 By group</h2>")
        parts.append("<p class=note>投诉率（评论数）：含投诉的评论占该分组评论的比例。前 "
                     f"{len(cats)} 类，全部类别见 groups.csv。 Rate (comments): comments with a complaint over the group's"
                     f" comments; the first {len(cats)} categories, all of them in groups.csv.</p>")
        parts.append(_table(["分组 group", "评论 comments", "含投诉 complaining"] + [shown(c) for c in cats],
                            [[g["group"], f"{g['comments']:,}", _percent(g["complaining"], g["comments"])]
                             + [_percent(g[c], g["comments"]) for c in cats] for g in summary.groups], css="wide"))
    parts.extend(sections)
    parts.append("<h2>数据质量 Data quality</h2>")
    parts.append(_table(["问题 problem", "条数 comments"], [["空评论 empty", len(q.empty)], ["无意义 meaningless", len(q.meaningless)],
                                                        ["重复 duplicates", len(q.duplicates)], ["近似重复 near duplicates", len(q.near_duplicates)]]))
    listed = [r for r in quality_rows if r["problem"] != "empty"][:30]
    if listed:
        parts.append("<p class=note>以上评论默认不计入统计；行号同错误信息。 Left out of the statistics by default; rows"
                     " numbered as in error messages. Examples:</p>")
        parts.append(_table(["行 row", "问题 problem", "同 same as row", "内容 text"],
                            [[r["row"], r["problem"], r["same_as_row"], r["text"]] for r in listed], css="wide"))
    files["report"] = write_page(out / "report.html", title, parts)
    return files


def write_page(path: str | Path, title: str, parts: list[str]) -> Path:
    """Write the HTML fragments ``parts`` as one self-contained page (UTF-8, the
    report's style sheet and the Chinese font, cut to the page's characters, inlined) to
    ``path``, atomically; returns ``path``."""
    body = "".join(parts)
    page = (f"<!DOCTYPE html><html lang=zh-CN><head><meta charset=utf-8><title>{html.escape(title)}</title>"
            f"<style>{_font_face(re.sub(r'<[^>]*>', '', body) + title)}{_CSS}</style></head><body>{body}</body></html>")
    with atomic_path(path) as tmp:
        tmp.write_text(page, encoding="utf-8")
    return Path(path)


_MEASURE = """<script>(function () {
  var page = document.documentElement.clientWidth, wide = 0, right = 0;
  document.querySelectorAll("table, img").forEach(function (el) {
    var r = el.getBoundingClientRect().right;
    right = Math.max(right, r);
    if (r > page + 0.5 || el.scrollWidth > el.clientWidth + 1) wide += 1;
  });
  document.body.setAttribute("data-layout", JSON.stringify({page_width: page, widest_right: Math.round(right),
    overflowing: wide, tables: document.querySelectorAll("table").length,
    scroll_width: document.documentElement.scrollWidth}));
})();</script>"""


def measure_layout(report: str | Path, *, width: int = 1280, browser: str | None = None,
                   screenshot: str | Path | None = None) -> dict:
    """Lay ``report`` out in a headless Chromium ``width`` pixels wide and measure it.

    A copy of the page with a measuring script is loaded with ``--dump-dom``; the page
    itself is not changed. With ``screenshot``, a PNG of the original page (``width`` x
    2000 pixels) is written there too. Nothing is fetched from the network.

    Returns
    -------
    dict
        ``page_width`` (CSS pixels), ``widest_right`` (the right edge of the widest
        table or image), ``overflowing`` (tables and images wider than the page or
        their own box), ``tables`` and ``scroll_width`` (the page's).

    Raises
    ------
    FileNotFoundError
        When no Chromium is installed (``apt-get install chromium``).
    """
    import json
    import re
    import shutil
    import subprocess
    import tempfile

    browser = browser or next((b for b in ("chromium", "chromium-browser", "google-chrome") if shutil.which(b)), None)
    if browser is None:
        raise FileNotFoundError("no Chromium found: install it (apt-get install chromium) to measure the report")
    report = Path(report)
    with tempfile.TemporaryDirectory() as tmp:
        flags = [browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", f"--user-data-dir={tmp}/profile",
                 f"--window-size={width},2000"]
        probe = Path(tmp) / "probe.html"
        probe.write_text(report.read_text(encoding="utf-8").replace("</body>", _MEASURE + "</body>"), encoding="utf-8")
        dom = subprocess.run(flags + ["--dump-dom", probe.as_uri()], capture_output=True, text=True, timeout=120).stdout
        if screenshot is not None:
            subprocess.run(flags + [f"--screenshot={Path(screenshot).resolve()}", report.resolve().as_uri()],
                           capture_output=True, timeout=120, check=True)
    found = re.search(r'data-layout="([^"]*)"', dom)
    if found is None:
        raise RuntimeError(f"{report}: Chromium gave no measurement")
    return json.loads(html.unescape(found.group(1)))
