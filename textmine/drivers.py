"""Customer scores beside the comments: NPS and CSAT with intervals, and the complaints
that pull the score down most (key drivers).

A score column is read with :func:`parse_scores`. Scores from 0 to 10 give the Net
Promoter Score (promoters 9-10 minus detractors 0-6, in points from -100 to 100); scores
from 1 to 5 give CSAT (the share of 4 and 5, in percent). A value that is not an
integer of the scale is not used and is listed as a problem, never dropped silently.
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from .errors import BAD_CHOICE, BAD_SCORE, NO_USABLE_SCORE, InputError

__all__ = ["SCALES", "Scores", "ScoreStat", "parse_scores", "score_stat", "score_table", "key_drivers",
           "SCORE_COLUMNS", "DRIVER_COLUMNS", "write_scores"]

#: scale -> (lowest, highest, metric name)
SCALES = {"nps": (0, 10, "NPS"), "csat": (1, 5, "CSAT")}
SCORE_COLUMNS = ["scope", "key", "metric", "responses", "score", "ci_low", "ci_high", "high", "middle", "low"]
DRIVER_COLUMNS = ["category", "complaints", "mean_score_with", "mean_score_without", "gap", "ci_low", "ci_high",
                  "impact", "rank"]


@dataclass(frozen=True)
class Scores:
    """A parsed score column.

    Attributes
    ----------
    values : list of int or None
        One per input row, in order; None where the row gave no usable score.
    scale : {"nps", "csat"}
    problems : list of (position, value, problem)
        Rows whose value was present but not an integer of the scale (position counts
        from 0 in the input order). Empty cells are missing answers, not problems.
    """

    values: list[int | None]
    scale: str
    problems: list[tuple[int, str, str]] = field(default_factory=list)


@dataclass(frozen=True)
class ScoreStat:
    """NPS or CSAT of a set of responses. ``score`` is in points (NPS, -100 to 100) or
    percent (CSAT, 0 to 100); ``high``/``middle``/``low`` count promoters/passives/
    detractors (NPS: 9-10, 7-8, 0-6) or satisfied/neutral/dissatisfied (CSAT: 4-5, 3, 1-2)."""

    metric: str
    responses: int
    score: float
    ci_low: float
    ci_high: float
    high: int
    middle: int
    low: int


def _number(text: str) -> float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def parse_scores(values: Sequence, *, scale: str = "auto", column: str = "score") -> Scores:
    """Read a score column.

    Parameters
    ----------
    values : sequence
        One cell per row (strings or numbers); empty cells are missing answers.
    scale : {"auto", "nps", "csat"}, default="auto"
        ``auto``: NPS when any number is 0 or above 5, else CSAT.
    column : str
        The column's name, for the problem texts.

    Raises
    ------
    InputError
        When ``scale`` is unknown, or no row holds a usable score.
    """
    if scale not in ("auto", *SCALES):
        raise InputError(BAD_CHOICE.format(name="scale", value=scale, allowed=", ".join(("auto", *SCALES))))
    cells = ["" if v is None or (isinstance(v, float) and math.isnan(v)) else str(v).strip() for v in values]
    numbers = [_number(c) if c else None for c in cells]
    if scale == "auto":
        seen = [x for x in numbers if x is not None]
        scale = "nps" if any(x == 0 or x > 5 for x in seen) else "csat"
    lowest, highest, _ = SCALES[scale]
    parsed: list[int | None] = []
    problems = []
    for i, (cell, x) in enumerate(zip(cells, numbers)):
        if not cell:
            parsed.append(None)
        elif x is None or x != int(x) or not lowest <= x <= highest:
            parsed.append(None)
            what = "not a number" if x is None else f"not an integer from {lowest} to {highest}"
            problems.append((i, cell, BAD_SCORE.format(column=column, value=cell[:40], what=what)))
        else:
            parsed.append(int(x))
    if all(v is None for v in parsed):
        raise InputError(NO_USABLE_SCORE.format(column=column, bad=len(problems), empty=len(parsed) - len(problems)))
    return Scores(parsed, scale, problems)


def score_stat(values: Sequence[int], scale: str, *, alpha: float = 0.05) -> ScoreStat:
    """NPS (``scale="nps"``) or CSAT (``"csat"``) of the given scores, with a ``1 - alpha``
    interval: for NPS the normal interval of a difference of two shares of one
    multinomial, ``se = sqrt(p_hi + p_lo - (p_hi - p_lo)^2) / sqrt(n)``; for CSAT the
    Wilson interval. With no responses the score and interval are NaN."""
    from .stats import two_sided_z, wilson_interval

    lowest, highest, metric = SCALES[scale]
    top, bottom = (9, 6) if scale == "nps" else (4, 2)
    n = len(values)
    high = sum(1 for v in values if v >= top)
    low = sum(1 for v in values if v <= bottom)
    if not n:
        return ScoreStat(metric, 0, math.nan, math.nan, math.nan, 0, 0, 0)
    if scale == "nps":
        p_hi, p_lo = high / n, low / n
        value = 100 * (p_hi - p_lo)
        half = 100 * two_sided_z(alpha) * math.sqrt(max(p_hi + p_lo - (p_hi - p_lo) ** 2, 0.0) / n)
        ci = (max(value - half, -100.0), min(value + half, 100.0))
    else:
        value = 100 * high / n
        ci = tuple(100 * b for b in wilson_interval(high, n, alpha=alpha))
    return ScoreStat(metric, n, value, ci[0], ci[1], high, n - high - low, low)


def score_table(scores: Scores, *, periods: Sequence | None = None, groups: Sequence | None = None,
                alpha: float = 0.05) -> "pandas.DataFrame":
    """The score overall, per period and per group: one row per (scope, key) with the
    columns of :data:`SCORE_COLUMNS`; scope is ``overall``, ``period`` or ``group``.
    ``periods`` and ``groups`` hold one label per row (empty labels are skipped)."""
    import pandas as pd

    def row(scope: str, key: str, picked: list[int]) -> dict:
        return {"scope": scope, "key": key, **vars(score_stat(picked, scores.scale, alpha=alpha))}

    used = [(i, v) for i, v in enumerate(scores.values) if v is not None]
    rows = [row("overall", "all", [v for _, v in used])]
    for scope, labels in (("period", periods), ("group", groups)):
        if labels is None:
            continue
        keys = sorted({str(labels[i]) for i, _ in used if str(labels[i]).strip()})
        rows += [row(scope, k, [v for i, v in used if str(labels[i]) == k]) for k in keys]
    return pd.DataFrame(rows, columns=SCORE_COLUMNS)


def key_drivers(results: Sequence, scores: Scores, *, alpha: float = 0.05) -> "pandas.DataFrame":
    """Which complaints go with lower scores, one row per category (columns of
    :data:`DRIVER_COLUMNS`), strongest driver first.

    Only comments with a usable score and no error count. For each category,
    ``gap = mean_score_without - mean_score_with`` over comments with and without a
    complaint (polarity -1) about it, with Welch's ``1 - alpha`` interval; ``impact =
    gap * complaints / comments``, the points the overall mean score loses to that
    complaint; ``rank`` 1 is the largest impact (categories without complaints come last,
    unranked). ``results`` and ``scores.values`` are aligned row by row.

    Raises
    ------
    InputError
        When ``results`` and the scores differ in length.
    """
    import pandas as pd

    from .stats import welch

    if len(results) != len(scores.values):
        raise InputError(f"key_drivers: {len(results)} comments but {len(scores.values)} scores")
    used = [(r, v) for r, v in zip(results, scores.values) if v is not None and not r.error]
    categories = sorted({c for r, _ in used for c in r.categories})
    rows = []
    for cat in categories:
        with_ = [v for r, v in used if r.categories.get(cat) == -1]
        without = [v for r, v in used if r.categories.get(cat) != -1]
        if not with_ or not without:
            rows.append({"category": cat, "complaints": len(with_), "mean_score_with": math.nan,
                         "mean_score_without": math.nan, "gap": math.nan, "ci_low": math.nan, "ci_high": math.nan,
                         "impact": math.nan})
            continue
        gap, low, high, _ = welch(with_, without, alpha=alpha)
        rows.append({"category": cat, "complaints": len(with_), "mean_score_with": sum(with_) / len(with_),
                     "mean_score_without": sum(without) / len(without), "gap": gap, "ci_low": low, "ci_high": high,
                     "impact": gap * len(with_) / len(used)})
    frame = pd.DataFrame(rows, columns=DRIVER_COLUMNS[:-1])
    frame = frame.sort_values(["impact", "category"], ascending=[False, True], na_position="last", ignore_index=True)
    frame["rank"] = pd.array([k + 1 if not math.isnan(x) else None for k, x in enumerate(frame["impact"])],
                             dtype="Int64")
    return frame[DRIVER_COLUMNS]


def write_scores(results: Sequence, values: Sequence, outdir: str | Path, *, column: str, scale: str = "auto",
                 periods: Sequence | None = None, groups: Sequence | None = None) -> tuple[dict, str, list[dict]]:
    """Parse a score column and write ``scores.csv`` (:func:`score_table`) and
    ``drivers.csv`` (:func:`key_drivers`) into ``outdir``, atomically.

    Returns ``(files, html, problems)``: the paths by name, the report section, and one
    data-quality row (``position`` from 0 in the input order, ``problem``, ``text``) per
    unusable score.
    """
    import pandas as pd

    from .io import write_table
    from .report import _label, _table

    scores = parse_scores(values, scale=scale, column=column)
    table = score_table(scores, periods=periods, groups=groups)
    drivers = key_drivers(results, scores)
    out = Path(outdir)
    files = {"scores": write_table(table, out / "scores.csv"), "drivers": write_table(drivers, out / "drivers.csv")}
    metric = SCALES[scores.scale][2]
    unit = "分 points" if scores.scale == "nps" else "% satisfied (4-5)"
    html = (f"<h2>{metric} 评分 Scores</h2>"
            + _table(["范围 scope", "键 key", "回答 responses", f"{metric} ({unit})", "95% CI", "高 high", "中 middle",
                      "低 low"],
                     [[r.scope, r.key, r.responses, f"{r.score:.1f}", f"{r.ci_low:.1f} to {r.ci_high:.1f}", r.high,
                       r.middle, r.low] for r in table.itertuples()])
            + "<h2>关键驱动因素 Key drivers</h2><p class=note>gap = 无该投诉的平均分 - 有该投诉的平均分; impact = gap x "
              "投诉占比 (the points the mean score loses to the complaint); rank 1 = strongest.</p>"
            + _table(["排名 rank", "类别 category", "投诉 complaints", "有 with", "无 without", "gap", "95% CI", "impact"],
                     [["" if pd.isna(r.rank) else r.rank, _label(r.category), r.complaints,
                       f"{r.mean_score_with:.2f}", f"{r.mean_score_without:.2f}", f"{r.gap:.2f}",
                       f"{r.ci_low:.2f} to {r.ci_high:.2f}", f"{r.impact:.3f}"] for r in drivers.itertuples()]))
    problems = [{"position": i, "problem": problem, "text": results[i].text} for i, _, problem in scores.problems]
    return files, html, problems
