"""Did the fix work? Two dumps of analysed comments compared, category by category.

The module is named ``changes`` so that ``textmine.diff`` stays the function
(``import textmine.diff`` would otherwise replace it by the module).

:func:`diff` takes the :class:`~textmine.bundle.Result` objects of a BEFORE and an AFTER
dump and returns a :class:`Diff`:

- per category, the complaint rate (comments with the category at polarity -1 per
  analysed comment) on each side, the change (after minus before) with Newcombe's hybrid
  Wilson interval, a two-proportion test (Fisher's exact test for small counts),
  Benjamini-Hochberg q-values over the categories and a verdict; and the minimum
  change the two sides could detect, so that "no clear change" on a side too small to
  see a halving says so;
- the change of the mean comment sentiment (Welch);
- the pain-point phrases that rose or fell most (weighted log-odds with an informative
  Dirichlet prior);
- optionally, the same per group.

:func:`diff_files` reads two files (or one file cut at a date), raw or already
classified, and :func:`write` writes ``diff.csv`` and the other tables and a
self-contained ``report.html``.
"""
from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from .errors import BAD_SPLIT, EMPTY_SIDE, SIDE_NEEDS_SPLIT, InputError

__all__ = ["DIFF_COLUMNS", "PHRASE_COLUMNS", "SentimentChange", "Diff", "category_changes", "phrase_changes",
           "diff", "diff_files", "write"]

DIFF_COLUMNS = ["category", "before_comments", "before_complaints", "before_rate", "after_comments",
                "after_complaints", "after_rate", "change", "ci_low", "ci_high", "p_value", "q_value", "verdict"]
POWER_COLUMNS = ["category", "before_rate", "min_detectable_change", "can_detect_halving"]
PHRASE_COLUMNS = ["category", "phrase", "before_comments", "after_comments", "log_odds", "z", "direction"]


@dataclass(frozen=True)
class SentimentChange:
    """Mean comment sentiment (in [0, 1], higher is more positive) on each side and its
    change with Welch's interval; ``verdict`` is ``better`` when it rose significantly."""

    before_comments: int
    before_mean: float
    after_comments: int
    after_mean: float
    change: float
    ci_low: float
    ci_high: float
    p_value: float
    verdict: str


@dataclass(frozen=True)
class Diff:
    """A before/after comparison.

    Attributes
    ----------
    categories : DataFrame
        One row per category: :data:`DIFF_COLUMNS`, then ``test`` (``z`` or ``exact``),
        ``min_detectable_change`` (the smallest fall of the before rate detected with 80%
        power) and ``can_detect_halving``.
    sentiment : SentimentChange
    phrases : DataFrame
        :data:`PHRASE_COLUMNS`: the phrases that rose most (``direction`` ``rose``,
        largest z first), then those that fell most.
    groups : DataFrame
        ``group`` then :data:`DIFF_COLUMNS` per group present on both sides (q-values
        within each group); empty without groups.
    alpha : float
        Significance level of the verdicts (on q for categories, on p for sentiment).
    """

    categories: "pandas.DataFrame"
    sentiment: SentimentChange
    phrases: "pandas.DataFrame"
    groups: "pandas.DataFrame | None" = None
    alpha: float = 0.05


def _verdict(change: float, significance: float, alpha: float, *, lower_is_better: bool = True) -> str:
    if not significance < alpha or change == 0:
        return "no clear change"
    return "better" if (change < 0) == lower_is_better else "worse"


def _analysed(results: Sequence, side: str) -> list:
    kept = [r for r in results if not r.error]
    if not kept:
        raise InputError(EMPTY_SIDE.format(side=side, rows=len(results)))
    return kept


def category_changes(before: Sequence, after: Sequence, *, categories: Sequence[str] | None = None,
                     alpha: float = 0.05) -> "pandas.DataFrame":
    """The per-category table of :attr:`Diff.categories` for two lists of Results.

    Comments with an error are left out of both the counts and the rates. ``categories``
    defaults to every category seen on either side (sorted).

    Raises
    ------
    InputError
        When a side has no analysed comment.
    """
    import pandas as pd

    from .stats import benjamini_hochberg, compare_proportions

    sides = _analysed(before, "BEFORE"), _analysed(after, "AFTER")
    if categories is None:
        categories = sorted({c for side in sides for r in side for c in r.categories})
    counts = [Counter(c for r in side for c, p in r.categories.items() if p == -1) for side in sides]
    (n1, n2) = (len(s) for s in sides)
    rows = []
    for cat in categories:
        x1, x2 = counts[0][cat], counts[1][cat]
        result = compare_proportions(x1, n1, x2, n2, alpha=alpha)
        rows.append({"category": cat, "before_comments": n1, "before_complaints": x1, "before_rate": x1 / n1,
                     "after_comments": n2, "after_complaints": x2, "after_rate": x2 / n2, "change": result.change,
                     "ci_low": result.ci_low, "ci_high": result.ci_high, "p_value": result.p_value,
                     "test": result.test, "min_detectable_change": result.min_detectable_change,
                     "can_detect_halving": result.can_detect_halving})
    frame = pd.DataFrame(rows, columns=DIFF_COLUMNS[:-2] + ["test", "min_detectable_change", "can_detect_halving"])
    q = benjamini_hochberg(list(frame["p_value"]))
    frame.insert(DIFF_COLUMNS.index("q_value"), "q_value", q)
    frame.insert(DIFF_COLUMNS.index("verdict"), "verdict",
                 [_verdict(c, qv, alpha) for c, qv in zip(frame["change"], q)])
    return frame


def _sentiment_change(before: Sequence, after: Sequence, alpha: float) -> SentimentChange:
    from .stats import welch

    b = [r.sentiment for r in _analysed(before, "BEFORE")]
    a = [r.sentiment for r in _analysed(after, "AFTER")]
    change, low, high, p = welch(b, a, alpha=alpha)
    return SentimentChange(len(b), sum(b) / len(b), len(a), sum(a) / len(a), change, low, high, p,
                           _verdict(change, p, alpha, lower_is_better=False))


def _phrase_comments(results: Sequence, segmenter) -> tuple[Counter, dict]:
    """(category, opinion) -> comments making that complaint in any wording, and the
    wordings seen (see :func:`textmine.summarize.phrase_opinions`)."""
    import re

    from .summarize import phrase_opinions

    counts: Counter = Counter()
    wordings: dict[tuple[str, str], Counter] = defaultdict(Counter)
    for r in results:
        if r.error:
            continue
        for cat in sorted(c for c, p in r.categories.items() if p == -1):
            clauses = re.split(r"[，,]", r.evidence.get(cat, r.text))
            pairs = {pair for clause in clauses for pair in phrase_opinions(clause, segmenter)}
            for phrase, opinion in pairs:
                wordings[(cat, opinion)][phrase] += 1
            counts.update({(cat, opinion) for _, opinion in pairs})
    return counts, wordings


def phrase_changes(before: Sequence, after: Sequence, *, segmenter=None, top: int = 15, min_comments: int = 3,
                   prior_size: float = 500.0) -> "pandas.DataFrame":
    """The pain points (see :func:`textmine.summarize.phrase_opinions`) that rose and
    fell most from ``before`` to ``after``: each (category, opinion) is counted once per
    comment and shown in its commonest wording, scored by :func:`textmine.stats.weighted_log_odds`, and the ``top`` with the
    largest positive and the ``top`` with the largest negative z-scores are returned
    (:data:`PHRASE_COLUMNS`); phrases seen in fewer than ``min_comments`` comments over
    both sides are left out. Cost: one part-of-speech cut per complaint clause."""
    import pandas as pd

    from .segment import default_segmenter
    from .stats import weighted_log_odds

    segmenter = segmenter or default_segmenter()
    (b, b_words), (a, a_words) = _phrase_comments(before, segmenter), _phrase_comments(after, segmenter)
    scores = weighted_log_odds(b, a, prior_size=prior_size)
    rows = []
    for key, (delta, z) in scores.items():
        if b[key] + a[key] < min_comments:
            continue
        wording = (b_words[key] + a_words[key]).most_common(1)[0][0]
        rows.append({"category": key[0], "phrase": wording, "before_comments": b[key], "after_comments": a[key],
                     "log_odds": delta, "z": z, "direction": "rose" if z > 0 else "fell"})
    frame = pd.DataFrame(rows, columns=PHRASE_COLUMNS)
    rose = frame[frame["z"] > 0].sort_values("z", ascending=False).head(top)
    fell = frame[frame["z"] < 0].sort_values("z").head(top)
    return pd.concat([rose, fell], ignore_index=True)


def diff(before: Sequence, after: Sequence, *, categories: Sequence[str] | None = None, alpha: float = 0.05,
         phrases: bool = True, segmenter=None, groups_before: Sequence | None = None,
         groups_after: Sequence | None = None) -> Diff:
    """Compare two dumps of analysed comments.

    Parameters
    ----------
    before, after : sequence of Result
        From :meth:`ModelBundle.analyze`; comments with an error are left out.
    categories : sequence of str, optional
        The categories to compare (default: all seen), e.g. ``model.categories``.
    alpha : float, default=0.05
        A category is ``better`` or ``worse`` when its q-value is below ``alpha``.
    phrases : bool, default=True
        Also find the phrases that rose and fell (see :func:`phrase_changes`).
    segmenter : Segmenter, optional
        Cuts the evidence clauses into phrases (default: the default segmenter).
    groups_before, groups_after : sequence, optional
        One group per comment of each side: adds :attr:`Diff.groups`.

    Raises
    ------
    InputError
        When a side has no analysed comment, or a group list differs in length from
        its side.
    """
    import pandas as pd

    table = category_changes(before, after, categories=categories, alpha=alpha)
    frames = []
    if groups_before is not None and groups_after is not None:
        for side, results, groups in (("BEFORE", before, groups_before), ("AFTER", after, groups_after)):
            if len(groups) != len(results):
                raise InputError(f"{side}: {len(results)} comments but {len(groups)} groups")
        keys = sorted({str(g) for g in groups_before} & {str(g) for g in groups_after})
        for key in keys:
            b = [r for r, g in zip(before, groups_before) if str(g) == key]
            a = [r for r, g in zip(after, groups_after) if str(g) == key]
            if any(not r.error for r in b) and any(not r.error for r in a):
                part = category_changes(b, a, categories=list(table["category"]), alpha=alpha)[DIFF_COLUMNS]
                frames.append(part.assign(group=key)[["group"] + DIFF_COLUMNS])
    groups = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=["group"] + DIFF_COLUMNS)
    changes = (phrase_changes(before, after, segmenter=segmenter) if phrases
               else pd.DataFrame(columns=PHRASE_COLUMNS))
    return Diff(table, _sentiment_change(before, after, alpha), changes, groups, alpha)


def _split_by_date(frame, date_col: str, split: str, path) -> tuple[list[int], list[int], list[dict]]:
    """Positions before ``split``, positions on or after it, and a data-quality row for
    each unreadable date (dates read by :func:`textmine.dates.read_dates`)."""
    from .dates import parse_date, read_dates

    cut = parse_date(split)
    if cut is None:
        raise InputError(BAD_SPLIT.format(value=split))
    stamps = read_dates(frame[date_col].tolist(), column=date_col, path=str(path)).stamps
    rows = frame.attrs.get("rows", list(range(len(frame))))
    before = [i for i, s in enumerate(stamps) if s is not None and s < cut]
    after = [i for i, s in enumerate(stamps) if s is not None and s >= cut]
    bad = [{"side": "", "row": rows[i], "problem": f"column {date_col!r}: {str(frame[date_col].iloc[i])[:40]!r} "
            "is not a date; left out of both sides", "text": ""} for i, s in enumerate(stamps) if s is None]
    return before, after, bad


def diff_files(before_path: str | Path, after_path: str | Path | None, outdir: str | Path, *, model=None,
               text_col: str | None = None, score_col: str | None = None, group_col: str | None = None,
               date_col: str | None = None, split: str | None = None, scale: str = "auto", alpha: float = 0.05,
               format: str | None = None, encoding: str | None = None, progress=None) -> tuple[Diff, dict[str, Path]]:
    """Compare two files, or one file cut at a date, and write the results into
    ``outdir`` (see :func:`write`).

    Each input is a raw dump (classified here with ``model``, default the shipped model)
    or the output of ``textmine classify`` (recognised by its ``categories`` and
    ``sentiment`` columns). With ``after_path`` None, ``date_col`` and ``split``
    (``YYYY-MM-DD``) cut ``before_path``: rows dated before ``split`` are BEFORE, the
    others AFTER; rows with an unreadable date are listed in ``data_quality.csv`` and
    left out. With ``score_col``, ``scores.csv`` (per side and per side and group) and
    ``drivers.csv`` (both sides together) are written; unusable scores are listed in
    ``data_quality.csv``. Returns ``(diff, files)``.

    Raises
    ------
    InputError
        A missing file or column (naming the file and the columns found), a side
        without analysed comments, a bad ``split``, or a score column with no usable score.
    """
    import pandas as pd

    from .batch import read_results

    if after_path is None and not (date_col and split):
        raise InputError(SIDE_NEEDS_SPLIT)
    read = dict(model=model, text_col=text_col, columns=(date_col if after_path is None else None, score_col, group_col),
                format=format, encoding=encoding, progress=progress)
    frames, sides, quality = [], [], []
    if after_path is None:
        whole, _, results = read_results(before_path, **read)
        before, after, quality = _split_by_date(whole, date_col, split, before_path)
        for name, positions in (("before", before), ("after", after)):
            part = whole.iloc[positions].reset_index(drop=True)
            part.attrs["rows"] = [whole.attrs["rows"][i] for i in positions]
            frames.append((name, part))
            sides.append([results[i] for i in positions])
    else:
        for name, path in (("before", before_path), ("after", after_path)):
            frame, _, results = read_results(path, **read)
            frames.append((name, frame))
            sides.append(results)
    for (name, frame), results in zip(frames, sides):
        quality += [{"side": name, "row": row, "problem": r.error, "text": ""}
                    for row, r in zip(frame.attrs["rows"], results) if r.error]
    groups = [frames[k][1][group_col].tolist() for k in (0, 1)] if group_col else [None, None]
    result = diff(sides[0], sides[1], alpha=alpha, segmenter=model.segmenter if model is not None else None,
                  groups_before=groups[0], groups_after=groups[1])
    files, sections = {}, []
    if score_col:
        from .drivers import write_scores

        values = frames[0][1][score_col].tolist() + frames[1][1][score_col].tolist()
        periods = ["before"] * len(sides[0]) + ["after"] * len(sides[1])
        more, section, problems = write_scores(
            sides[0] + sides[1], values, outdir, column=score_col, scale=scale, periods=periods,
            groups=[f"{p} {g}" for p, g in zip(periods, groups[0] + groups[1])] if group_col else None)
        files.update(more)
        sections.append(section)
        rows = [(name, row) for name, frame in frames for row in frame.attrs["rows"]]
        quality += [{"side": rows[p["position"]][0], "row": rows[p["position"]][1], "problem": p["problem"],
                     "text": p["text"]} for p in problems]
    files.update(write(result, outdir, sections=sections, quality=pd.DataFrame(quality,
                                                                              columns=["side", "row", "problem", "text"])))
    return result, files


def _forest_plot(table) -> bytes:
    from .report import _chart, _label, _png

    rows = table.iloc[::-1]
    with _chart((8, 0.45 * len(rows) + 1.2)) as (fig, ax):
        colours = {"better": "#27ae60", "worse": "#c0392b", "no clear change": "#7f8c8d"}
        y = range(len(rows))
        for k, r in zip(y, rows.itertuples()):
            ax.errorbar(100 * r.change, k, xerr=[[100 * (r.change - r.ci_low)], [100 * (r.ci_high - r.change)]],
                        fmt="o", color=colours[r.verdict], capsize=3)
        ax.axvline(0, color="#2c3e50", linewidth=0.8)
        ax.set_yticks(list(y), [_label(c) for c in rows["category"]])
        ax.set_xlabel("投诉率变化 change of complaint rate (percentage points, after - before, 95% CI)")
        ax.set_title("前后对比 Before / after")
        return _png(fig)


def write(result: Diff, outdir: str | Path, *, sections: Sequence[str] = (),
          quality: "pandas.DataFrame | None" = None) -> dict[str, Path]:
    """Write a :class:`Diff` into ``outdir``, each file atomically: ``diff.csv`` (exactly
    :data:`DIFF_COLUMNS`), ``power.csv`` (minimum detectable change per category),
    ``sentiment.csv``, ``phrases.csv``, ``diff_groups.csv`` (with groups),
    ``data_quality.csv`` (when ``quality`` is given: rows left out and why) and a
    self-contained ``report.html`` (forest plot, tables, phrases; ``sections`` are
    extra HTML fragments). Returns the paths by name."""
    import pandas as pd

    from .io import write_table
    from .report import _img, _label, _table, write_page

    out = Path(outdir)
    table = result.categories
    files = {"diff": write_table(table[DIFF_COLUMNS], out / "diff.csv"),
             "power": write_table(table[POWER_COLUMNS], out / "power.csv"),
             "sentiment": write_table(pd.DataFrame([vars(result.sentiment)]), out / "sentiment.csv"),
             "phrases": write_table(result.phrases, out / "phrases.csv")}
    if result.groups is not None and len(result.groups):
        files["diff_groups"] = write_table(result.groups, out / "diff_groups.csv")
    if quality is not None:
        files["data_quality"] = write_table(quality, out / "data_quality.csv")

    def pct(x: float) -> str:
        return f"{100 * x:+.1f}" if not math.isnan(x) else ""

    s = result.sentiment
    parts = ["<h1>前后对比 Before / after</h1>",
             f"<p>之前 before: {table['before_comments'].iloc[0]:,} 条评论；之后 after: "
             f"{table['after_comments'].iloc[0]:,} 条评论。<span class=note>verdict: q &lt; {result.alpha} "
             "(Benjamini-Hochberg over the categories); interval: Newcombe hybrid Wilson score; test: two-proportion "
             "z, Fisher's exact when an expected count is below 5.</span></p>",
             _img(_forest_plot(table), "forest plot"),
             _table(["类别 category", "之前 before", "之后 after", "变化 change (pp)", "95% CI (pp)", "p", "q",
                     "结论 verdict", "可检测的最小下降 min. detectable fall (pp)"],
                    [[_label(r.category), f"{r.before_complaints} ({100 * r.before_rate:.1f}%)",
                      f"{r.after_complaints} ({100 * r.after_rate:.1f}%)", pct(r.change),
                      f"{pct(r.ci_low)} to {pct(r.ci_high)}", f"{r.p_value:.3g}", f"{r.q_value:.3g}",
                      r.verdict + ("" if r.can_detect_halving or r.verdict != "no clear change"
                                   else " (too few comments to detect a halving)"),
                      f"{100 * r.min_detectable_change:.1f}"] for r in table.itertuples()]),
             "<h2>情感 Mean sentiment</h2>",
             _table(["之前 before", "之后 after", "变化 change", "95% CI", "p", "结论 verdict"],
                    [[f"{s.before_mean:.3f} (n={s.before_comments})", f"{s.after_mean:.3f} (n={s.after_comments})",
                      f"{s.change:+.3f}", f"{s.ci_low:+.3f} to {s.ci_high:+.3f}", f"{s.p_value:.3g}", s.verdict]]),
             "<h2>痛点短语 Pain-point phrases that rose or fell</h2>"
             "<p class=note>weighted log-odds with an informative Dirichlet prior (Monroe et al. 2008); "
             "z above 1.96 or below -1.96 is a clear change.</p>",
             _table(["方向 direction", "类别 category", "短语 phrase", "之前 before", "之后 after", "z"],
                    [[r.direction, _label(r.category), r.phrase, r.before_comments, r.after_comments, f"{r.z:+.2f}"]
                     for r in result.phrases.itertuples()])]
    if result.groups is not None and len(result.groups):
        changed = result.groups[result.groups["verdict"] != "no clear change"]
        parts.append("<h2>分组 By group</h2>" + (_table(
            ["分组 group", "类别 category", "之前 before", "之后 after", "变化 change (pp)", "q", "结论 verdict"],
            [[r.group, _label(r.category), r.before_complaints, r.after_complaints, pct(r.change), f"{r.q_value:.3g}",
              r.verdict] for r in changed.itertuples()]) if len(changed) else "<p>各组均无明显变化 No clear change in any group.</p>"))
    parts.extend(sections)
    if quality is not None and len(quality):
        parts.append("<h2>数据质量 Data quality</h2><p class=note>Rows left out of the comparison, and why.</p>")
        parts.append(_table(["side", "row", "problem"], [[r.side, r.row, r.problem] for r in quality.head(50).itertuples()]))
    files["report"] = write_page(out / "report.html", "前后对比 Before / after", parts)
    return files
