"""From analysed comments to the answer a quality team wants: which few problems cause
most complaints, what customers say about them, and what is rising.

:func:`summarize` takes :class:`~textmine.bundle.Result` objects (and optionally a date
and a group per comment) and returns a :class:`Summary` of plain data:

- data quality first: empty, meaningless ("好好好好", "。。。", "默认好评") and duplicate
  or near-duplicate comments are counted, listed, and left out of the statistics;
- the Pareto table of complaint categories (polarity -1), marking the "vital few" that
  together reach 80% of complaints;
- pain-point phrases per complaint category, from the clause that raised the category:
  an aspect word joined with what went wrong ("客服 答非所问" -> "客服答非所问"), ranked
  by the number of distinct comments, near-duplicates merged ("送餐太慢" = "送餐很慢");
- with dates, complaints per category per period and alerts by a p-chart rule;
- with groups, complaints per category per group.
"""
from __future__ import annotations

import functools
import math
import re
import zlib
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

__all__ = [
    "ParetoRow", "PainPoint", "Alert", "DataQuality", "Summary", "NearDuplicates",
    "pareto", "pain_phrases", "data_quality", "p_chart_alerts", "summarize",
]

VITAL_SHARE = 0.8
PLACEHOLDERS = frozenset({
    "此用户没有填写评价", "此用户未填写评价内容", "用户未填写评价", "默认好评", "系统默认好评",
    "该用户觉得商品较好", "评价方未及时做出评价,系统默认好评", "无", "没有", "暂无",
})
_WORD_CHARS = re.compile(r"[\u4e00-\u9fffA-Za-z0-9]")
_DEGREE = re.compile(r"^(太|很|非常|特别|超级|有点|有些|比较|真的|实在|十分|极其|更)+")
_BARE_NEGATIONS = frozenset({"不过", "不是", "没有", "不会", "不能", "不要", "不用", "无法", "不到", "没", "不", "没法",
                             "不知道", "不然", "无论", "不管", "没想到"})
# Words jieba tags as adjectives that say nothing on their own.
_NOT_OPINIONS = frozenset({"根本", "完全", "直接", "实在", "真的", "其实", "可乐", "一般般的", "好多", "多少"})
_ASPECT_TAGS = frozenset({"n", "vn", "nz", "ng", "an", "nl", "eng"})


@dataclass(frozen=True)
class ParetoRow:
    """One complaint category in Pareto order."""

    category: str
    complaints: int
    share: float
    cumulative_share: float
    vital_few: bool


@dataclass(frozen=True)
class PainPoint:
    """A phrase customers use when a category is negative."""

    category: str
    phrase: str
    comments: int
    example: str


@dataclass(frozen=True)
class Alert:
    """A category (or a phrase of it) whose complaint rate in the latest period is above
    the upper control limit of its own history."""

    category: str
    phrase: str
    period: str
    complaints: int
    comments: int
    rate: float
    baseline_rate: float
    upper_limit: float


@dataclass(frozen=True)
class DataQuality:
    """Comments left out of the statistics, by reason. Positions count from 0 in the
    input order; a duplicate is ``(position, position of the first copy)``."""

    empty: list[int] = field(default_factory=list)
    meaningless: list[int] = field(default_factory=list)
    duplicates: list[tuple[int, int]] = field(default_factory=list)
    near_duplicates: list[tuple[int, int]] = field(default_factory=list)

    @property
    def excluded(self) -> set[int]:
        """Every position left out."""
        return (set(self.empty) | set(self.meaningless) | {i for i, _ in self.duplicates}
                | {i for i, _ in self.near_duplicates})


@dataclass(frozen=True)
class Summary:
    """The summary of a dump of analysed comments."""

    comments: int
    analysed: int
    complaints: int
    pareto: list[ParetoRow]
    polarity_table: dict[str, dict[int, int]]
    sentiment_histogram: list[int]
    pain_points: dict[str, list[PainPoint]]
    phrase_counts: dict[str, dict[str, int]]
    quality: DataQuality
    texts: list[str]
    trend: list[dict] = field(default_factory=list)
    alerts: list[Alert] = field(default_factory=list)
    groups: list[dict] = field(default_factory=list)
    period: str = ""


def pareto(counts: Mapping[str, int], *, cutoff: float = VITAL_SHARE) -> list[ParetoRow]:
    """Categories by complaint count, descending, with share and cumulative share. A
    category is among the vital few when the cumulative share *before* it is below
    ``cutoff`` (so the vital few are the smallest set reaching the cutoff)."""
    total = sum(counts.values())
    rows, running = [], 0
    for category, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])):
        if n <= 0:
            continue
        before = running / total
        running += n
        rows.append(ParetoRow(category, n, round(n / total, 4), round(running / total, 4), before < cutoff))
    return rows


def _canonical(phrase: str) -> str:
    """The form near-duplicate phrases share: degree words and trailing 了/啊 removed."""
    core = re.sub(r"[了啊呀吧的哦]+$", "", phrase)
    parts = [p for p in re.split(r"(?<=[\u4e00-\u9fff])(?=太|很|非常|特别|超级|有点|真的)", core) if p]
    return "".join(_DEGREE.sub("", p) or p for p in parts)


@functools.lru_cache(maxsize=1)
def _feedback_words() -> frozenset[str]:
    """Words of the feedback dictionary that say what went wrong (tagged v, a or l)."""
    from .resources import resource_path
    from .segment import load_word_list

    entries = [line.split() for line in load_word_list(resource_path("corpora", "feedback_dict.txt"))]
    return frozenset(e[0] for e in entries if len(e) == 3 and e[2] in ("v", "a", "l"))


def _is_opinion(word: str, tag: str, feedback_words: frozenset[str], *, alone: bool = False) -> bool:
    """Does the word say how something was? ``alone``: strict enough to stand as a phrase
    by itself (no adverbs, no set phrases outside the feedback dictionary)."""
    if word in feedback_words:
        return True
    if word in _NOT_OPINIONS:
        return False
    negated = word[:1] in "不没无" and len(word) >= 2 and word not in _BARE_NEGATIONS
    if alone:
        return negated or tag in ("a", "an", "i")
    return negated or tag[:1] == "a" or tag in ("l", "i", "z")


def pain_phrases(clause: str, segmenter, *, feedback_words: frozenset[str] | None = None) -> list[str]:
    """Phrases that say what went wrong in one clause: an aspect joined with the opinion
    that follows it ("客服" + "答非所问", "送餐" + "太慢"), or, in a clause with no aspect,
    an opinion of two or more characters on its own ("太贵"). An opinion is an adjective,
    an idiom, a negated word or a word of the feedback dictionary ("漏送", "洒了");
    stopwords, numbers and one-character entries are dropped. ``feedback_words``
    defaults to the problem words of the project dictionary."""
    feedback_words = _feedback_words() if feedback_words is None else feedback_words
    stop = segmenter._state()[1]
    words = [(w.strip(), f) for w, f in segmenter.pos_cut(clause)
             if w.strip() and _WORD_CHARS.search(w) and w.strip() not in stop and not f.startswith("m")]
    phrases, i = [], 0
    while i < len(words):
        word, tag = words[i]
        nxt = words[i + 1][1] if i + 1 < len(words) else ""
        if tag in _ASPECT_TAGS or (tag.startswith("v") and nxt.startswith(("a", "d"))):
            j = i + 1
            while j < len(words) and j - i <= 3 and words[j][1] not in _ASPECT_TAGS:
                j += 1
            if any(_is_opinion(w, f, feedback_words) for w, f in words[i + 1:j]):
                phrases.append("".join(w for w, _ in words[i:j]))
                i = j
                continue
        if len(word) >= 2 and _is_opinion(word, tag, feedback_words, alone=True):
            phrases.append(word)
        i += 1
    return [p for p in phrases if len(p) >= 2]


def _meaningless(text: str) -> bool:
    core = re.sub(r"[\s\W_]+", "", text)
    return (not _WORD_CHARS.search(text)) or text in PLACEHOLDERS or (len(core) >= 3 and len(set(core)) == 1)


def _shingles(text: str) -> set[str]:
    core = re.sub(r"[\s\W_]+", "", text)
    return {core[i:i + 3] for i in range(max(len(core) - 2, 1))}


class NearDuplicates:
    """Finds texts that nearly repeat an earlier one: Jaccard similarity of character
    3-grams at least ``threshold``, found with MinHash (``bands`` x ``rows`` hashes)
    and checked exactly. Texts shorter than ``min_chars`` are not compared, so short
    common comments ("好吃") are not near-duplicates of each other."""

    def __init__(self, *, threshold: float = 0.8, bands: int = 8, rows: int = 2, min_chars: int = 8):
        self.threshold = threshold
        self.rows = rows
        self.min_chars = min_chars
        self._salts = [zlib.crc32(str(k).encode()) for k in range(bands * rows)]
        self._buckets: dict[tuple, list[int]] = defaultdict(list)
        self._sets: dict[int, set[str]] = {}

    def add(self, key: int, text: str) -> int | None:
        """The key of an earlier near-duplicate of ``text``, else None (and ``text`` is
        remembered under ``key``)."""
        if len(text) < self.min_chars:
            return None
        sh = _shingles(text)
        hashes = [zlib.crc32(s.encode()) for s in sh]
        signature = [min((h ^ salt) * 2654435761 % 4294967311 for h in hashes) for salt in self._salts]
        bands = [(b, tuple(signature[b * self.rows:(b + 1) * self.rows])) for b in range(len(signature) // self.rows)]
        for band in bands:
            for other in self._buckets.get(band, ()):
                seen = self._sets[other]
                if len(sh & seen) / len(sh | seen) >= self.threshold:
                    return other
        self._sets[key] = sh
        for band in bands:
            self._buckets[band].append(key)
        return None


def data_quality(texts: Sequence[str], *, near_threshold: float = 0.8) -> DataQuality:
    """Find empty, meaningless, duplicate and near-duplicate texts (normalised); see
    :class:`NearDuplicates`."""
    empty, meaningless, dups, near = [], [], [], []
    seen: dict[str, int] = {}
    index = NearDuplicates(threshold=near_threshold)
    for i, text in enumerate(texts):
        if not text:
            empty.append(i)
        elif _meaningless(text):
            meaningless.append(i)
        elif text in seen:
            dups.append((i, seen[text]))
        else:
            seen[text] = i
            match = index.add(i, text)
            if match is not None:
                near.append((i, match))
    return DataQuality(empty, meaningless, dups, near)


def p_chart_alerts(counts: Mapping[str, Sequence[int]], totals: Sequence[int], periods: Sequence[str], *,
                   min_count: int = 5, min_history: int = 3, sigmas: float = 3.0, phrase: str = "") -> list[Alert]:
    """Alerts by the p-chart rule: for each key, the complaint rate of the latest period
    ``x/n`` is above ``p + sigmas * sqrt(p (1 - p) / n)``, where ``p`` is the rate over
    all earlier periods, with at least ``min_count`` complaints in the latest period and
    ``min_history`` earlier periods that have comments."""
    if len(periods) < min_history + 1 or totals[-1] == 0:
        return []
    history_n = sum(totals[:-1])
    if sum(1 for n in totals[:-1] if n) < min_history or history_n == 0:
        return []
    alerts = []
    n = totals[-1]
    for key, series in counts.items():
        x = series[-1]
        base = sum(series[:-1]) / history_n
        limit = base + sigmas * math.sqrt(max(base * (1 - base), 1e-12) / n)
        if x >= min_count and x / n > limit:
            cat, ph = (key, phrase) if not phrase else (phrase, key)
            alerts.append(Alert(cat, ph, periods[-1], x, n, round(x / n, 4), round(base, 4), round(limit, 4)))
    return sorted(alerts, key=lambda a: -(a.rate - a.upper_limit))


def summarize(results: Sequence, *, dates: Sequence | None = None, groups: Sequence | None = None,
              segmenter=None, sentiment=None, top_phrases: int = 10, period: str = "auto",
              keep_all: bool = False) -> Summary:
    """Summarise analysed comments.

    Parameters
    ----------
    results : sequence of Result
        From :meth:`ModelBundle.analyze`, in input order.
    dates : sequence, optional
        One date per comment (strings or datetimes; unparseable ones are ignored for
        the trend).
    groups : sequence, optional
        One group (store, product, channel) per comment.
    segmenter : Segmenter, optional
        Cuts and tags the evidence clauses (default: the default segmenter).
    sentiment : fitted sentiment scorer, optional
        When given (e.g. ``model.sentiment``), phrases it scores as praise (above 0.6)
        are not reported as pain points.
    top_phrases : int, default=10
        Pain-point phrases kept per category.
    period : {"auto", "W", "M"}
        Trend period: weeks, months, or months when the dates span over 26 weeks.
    keep_all : bool, default=False
        Keep duplicates and meaningless comments in the statistics.
    """
    from .segment import default_segmenter

    segmenter = segmenter or default_segmenter()
    texts = [r.text for r in results]
    quality = data_quality(texts)
    excluded = set() if keep_all else quality.excluded
    keep = [i for i, r in enumerate(results) if i not in excluded and not r.error]
    complaints = Counter()
    polarity: dict[str, dict[int, int]] = defaultdict(lambda: {-1: 0, 0: 0, 1: 0})
    histogram = [0] * 10
    phrase_comments: dict[str, dict[str, set[int]]] = defaultdict(lambda: defaultdict(set))
    surface: dict[tuple[str, str], Counter] = defaultdict(Counter)
    for i in keep:
        r = results[i]
        histogram[min(int(r.sentiment * 10), 9)] += 1
        for cat, pol in r.categories.items():
            polarity[cat][pol] += 1
            if pol == -1:
                complaints[cat] += 1
                for ph in pain_phrases(r.evidence.get(cat, r.text), segmenter):
                    key = _canonical(ph)
                    phrase_comments[cat][key].add(i)
                    surface[(cat, key)][ph] += 1
    if sentiment is not None:
        keys = sorted({key for (cat, key) in surface})
        praise = {k for k, p in zip(keys, sentiment.predict_proba(keys)[:, 1]) if p > 0.6} if keys else set()
        for cat in phrase_comments:
            for key in praise & set(phrase_comments[cat]):
                del phrase_comments[cat][key]
    ranking = pareto(complaints)
    pains: dict[str, list[PainPoint]] = {}
    clouds: dict[str, dict[str, int]] = {}
    for cat in (row.category for row in ranking):
        ranked = [(surface[(cat, key)].most_common(1)[0][0], ids)  # the commonest wording of each phrase
                  for key, ids in sorted(phrase_comments[cat].items(), key=lambda kv: (-len(kv[1]), kv[0]))[:200]]
        pains[cat] = [PainPoint(cat, phrase, len(ids), results[min(ids)].text) for phrase, ids in ranked[:top_phrases]]
        clouds[cat] = {phrase: len(ids) for phrase, ids in ranked}
    summary = dict(
        comments=len(results), analysed=len(keep), complaints=sum(1 for i in keep if -1 in results[i].categories.values()),
        pareto=ranking, polarity_table={c: dict(v) for c, v in sorted(polarity.items())},
        sentiment_histogram=histogram, pain_points=pains, phrase_counts=clouds, quality=quality, texts=texts,
    )
    if dates is not None:
        summary.update(_trend(results, keep, dates, period, phrase_comments, pains))
    if groups is not None:
        summary["groups"] = _by_group(results, keep, groups)
    return Summary(**summary)


def _trend(results, keep, dates, period, phrase_comments, pains) -> dict:
    import pandas as pd

    stamps = pd.to_datetime(pd.Series([dates[i] for i in keep], dtype=object), errors="coerce", format="mixed")
    valid = stamps.notna()
    if not valid.any():
        return {"trend": [], "alerts": [], "period": ""}
    if period == "auto":
        span = stamps[valid].max() - stamps[valid].min()
        period = "M" if span > pd.Timedelta(weeks=26) else "W"
    labels = stamps.dt.to_period(period).astype(str)
    order = sorted(labels[valid].unique())
    index = {p: k for k, p in enumerate(order)}
    totals = [0] * len(order)
    per_cat: dict[str, list[int]] = defaultdict(lambda: [0] * len(order))
    position_period: dict[int, int] = {}
    for pos, i in enumerate(keep):
        if not valid.iloc[pos]:
            continue
        k = index[labels.iloc[pos]]
        position_period[i] = k
        totals[k] += 1
        for cat, pol in results[i].categories.items():
            if pol == -1:
                per_cat[cat][k] += 1
    trend = [{"period": p, "category": c, "complaints": series[k], "comments": totals[k]}
             for c, series in sorted(per_cat.items()) for k, p in enumerate(order)]
    alerts = p_chart_alerts(per_cat, totals, order)
    for cat, points in pains.items():
        series = {}
        for point in points:
            key = _canonical(point.phrase)
            counts = [0] * len(order)
            for i in phrase_comments[cat][key]:
                if i in position_period:
                    counts[position_period[i]] += 1
            series[point.phrase] = counts
        alerts += p_chart_alerts(series, totals, order, phrase=cat)
    return {"trend": trend, "alerts": alerts, "period": period}


def _by_group(results, keep, groups) -> list[dict]:
    table: dict[str, Counter] = defaultdict(Counter)
    sizes = Counter()
    for i in keep:
        g = str(groups[i])
        sizes[g] += 1
        for cat, pol in results[i].categories.items():
            if pol == -1:
                table[g][cat] += 1
    return [{"group": g, "comments": sizes[g], "complaints": sum(table[g].values()),
             **{c: n for c, n in table[g].most_common()}} for g in sorted(sizes, key=lambda g: -sizes[g])]
