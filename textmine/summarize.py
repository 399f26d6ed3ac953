"""From analysed comments to the answer a quality team wants: which few problems cause
most complaints, what customers say about them, and what is rising.

:func:`summarize` takes :class:`~textmine.bundle.Result` objects (and optionally a date
and a group per comment) and returns a :class:`Summary` of plain data. Every number
says what it counts:

- data quality first: empty, meaningless ("好好好好", "。。。", "默认好评") and duplicate
  or near-duplicate comments are counted, listed, and left out of the statistics;
- the Pareto table of complaint categories (polarity -1): each complaining comment is
  counted once, under the first category of the ranking it complains about, so the
  counts add up to the complaining comments; each row also gives its *mentions*, the
  comments with a complaint of the category whatever else they complain about, and
  the pairs of categories most often raised together are listed;
- pain points per complaint category: phrases from the clause that raised the
  category that say what went wrong ("客服答非所问", "送餐太慢"), variants of one complaint
  ("太慢", "送餐太慢", "速度太慢") grouped as one row by the opinion they share, each in
  at least a minimum number of comments, with a quote of the customer's own words;
- with dates, the complaint rate per category per period and alerts by a p-chart rule;
- with groups, comments and complaint rates per category per group, and the group
  that drives each alert.

The counts come from :class:`Tally` objects: a tally of any part of the comments can
be made on its own and tallies :meth:`Tally.combine` by addition, so a dump may be
counted in chunks (in parallel) and summarised once with :func:`summarize_tally`.
"""
from __future__ import annotations

import functools
import math
import re
import zlib
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

__all__ = [
    "ParetoRow", "PainPoint", "Alert", "DataQuality", "Summary", "NearDuplicates", "Tally",
    "QualityKey", "pareto", "overlap", "pain_phrases", "phrase_opinions", "jaccard", "quality_key", "quality_of_keys",
    "data_quality", "p_chart_alerts", "tally",
    "summarize_tally", "summarize",
]

VITAL_SHARE = 0.8
PLACEHOLDERS = frozenset({
    "此用户没有填写评价", "此用户未填写评价内容", "用户未填写评价", "默认好评", "系统默认好评",
    "该用户觉得商品较好", "评价方未及时做出评价,系统默认好评", "无", "没有", "暂无",
})
_WORD_CHARS = re.compile(r"[\u4e00-\u9fffA-Za-z0-9]")
_NOT_HAN = re.compile(r"[^\u4e00-\u9fff]")
_DEGREE = re.compile(r"^(太|很|非常|特别|超级|超|有点儿?|有些|比较|较|真的|真|实在|十分|极其|更|挺|蛮|略|偏|巨|贼|忒)+")
_TAIL = re.compile(r"(了|啊|呀|吧|的|哦|死了|死)+$")
_KEEP_HAO = frozenset("吃喝看用玩听闻")  # 好吃 is not 好 + 吃
_BARE_NEGATIONS = frozenset({"不过", "不是", "没有", "不会", "不能", "不要", "不用", "无法", "不到", "没", "不", "没法",
                             "不知道", "不然", "无论", "不管", "没想到"})
# Words jieba tags as adjectives that say nothing on their own.
_NOT_OPINIONS = frozenset({"根本", "完全", "直接", "实在", "真的", "其实", "可乐", "一般般的", "好多", "多少", "全", "快",
                           "不好意思"})
_ASPECT_TAGS = frozenset({"n", "vn", "nz", "ng", "an", "nl", "eng"})
# Words that negate the opinion after them ("性价比 不 高"); in an opinion they all read as 不.
_NEGATORS = frozenset({"不", "没", "没有", "不太", "不够", "不是", "不算", "不怎么", "并不", "一点也不", "一点都不"})
# Nouns that name no aspect: units of time and quantity, and words jieba mistags as nouns.
_NOT_ASPECTS = frozenset({"小时", "分钟", "时候", "天", "次", "点", "号", "个", "有点", "全", "下次", "今天", "昨天",
                          "中午", "晚上", "早上", "这次", "一次", "以后", "之前", "半天"})


@dataclass(frozen=True)
class ParetoRow:
    """One complaint category in Pareto order.

    ``comments`` counts the complaining comments counted under this category: those
    with a complaint of it and of no category ranked above it, so the ``comments`` of
    all rows add up to the complaining comments. ``share`` and ``cumulative_share``
    are shares of the complaining comments. ``mentions`` counts every comment with a
    complaint of the category, including those counted above.
    """

    category: str
    comments: int
    share: float
    cumulative_share: float
    mentions: int
    vital_few: bool


@dataclass(frozen=True)
class PainPoint:
    """A complaint customers make about a category: ``phrase`` is its commonest
    wording, ``variants`` every wording grouped with it (commonest first, with the
    number of comments using each), ``comments`` the comments that make the complaint
    in any wording, and ``example`` one of them as the customer wrote it (personal
    data masked)."""

    category: str
    phrase: str
    comments: int
    example: str
    variants: tuple[tuple[str, int], ...] = ()


@dataclass(frozen=True)
class Alert:
    """A category (or a pain point of it) whose complaint rate in the latest period is
    above the upper control limit of its own history. With groups, ``group`` is the one
    with the most complaints above the baseline rate in that period, and
    ``group_complaints`` of its ``group_comments`` comments complain."""

    category: str
    phrase: str
    period: str
    complaints: int
    comments: int
    rate: float
    baseline_rate: float
    upper_limit: float
    group: str = ""
    group_complaints: int = 0
    group_comments: int = 0


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
    """The summary of a dump of analysed comments.

    ``comments`` counts the input comments, ``analysed`` those kept in the statistics,
    ``complaints`` the analysed comments with at least one complaint. ``rows`` holds
    the row number of each input comment as error messages give it (``position + 1``
    when no file was read); ``texts`` the normalised comments. A summary made from parts
    of a dump on several machines holds ``texts`` and ``rows`` as mappings from
    position to value, for the positions that ``quality`` lists only. ``trend`` rows give, per period and category, the
    ``complaining`` comments of the ``comments`` of the period and their ``rate``;
    ``groups`` rows give, per group, its ``comments``, the ``complaining`` ones and
    their ``rate``, and per category the comments with a complaint of it and its rate
    (``<category>`` and ``<category>_rate``). ``dates_readable`` counts the input
    comments with a readable date (``None`` without dates). ``tally`` holds the counts
    the summary was made from (see :class:`Tally`).
    """

    comments: int
    analysed: int
    complaints: int
    pareto: list[ParetoRow]
    polarity_table: dict[str, dict[int, int]]
    sentiment_histogram: list[int]
    pain_points: dict[str, list[PainPoint]]
    phrase_counts: dict[str, dict[str, int]]
    quality: DataQuality
    texts: Sequence[str] | Mapping[int, str]
    trend: list[dict] = field(default_factory=list)
    alerts: list[Alert] = field(default_factory=list)
    groups: list[dict] = field(default_factory=list)
    period: str = ""
    overlap: list[dict] = field(default_factory=list)
    rows: Sequence[int] | Mapping[int, object] = field(default_factory=list)
    dates_readable: int | None = None
    tally: Tally | None = None
    uncategorised: int = 0  # analysed comments in none of the model's categories


def _signatures(counts: Mapping) -> Counter:
    """Complaint-category sets -> comments; a plain category key is a set of one."""
    return Counter({(frozenset([k]) if isinstance(k, str) else frozenset(k)): n for k, n in counts.items() if n > 0})


def pareto(counts: Mapping, *, cutoff: float = VITAL_SHARE) -> list[ParetoRow]:
    """Categories in Pareto order, each complaining comment counted once.

    Parameters
    ----------
    counts : mapping
        Complaining comments by the set of categories they complain about
        (``{frozenset({"logistics", "responsiveness"}): 74, ...}``); a plain category
        name as key stands for a set of one.

    Returns
    -------
    list of ParetoRow
        Greedy order: the next category is the one with the most complaining comments
        not yet counted (ties: more mentions, then the name); its ``comments`` are those
        comments. A category is among the vital few when the cumulative share *before*
        it is below ``cutoff`` (the smallest prefix reaching the cutoff). A category
        whose complaining comments are all counted above comes last with 0 comments;
        categories with no complaint are left out.
    """
    signatures = _signatures(counts)
    total = sum(signatures.values())
    mentions = Counter()
    for cats, n in signatures.items():
        for cat in cats:
            mentions[cat] += n
    rows, covered, left = [], 0, dict(signatures)
    while left:
        fresh = Counter()
        for cats, n in left.items():
            for cat in cats:
                fresh[cat] += n
        cat = min(fresh, key=lambda c: (-fresh[c], -mentions[c], c))
        before = covered / total
        covered += fresh[cat]
        rows.append(ParetoRow(cat, fresh[cat], round(fresh[cat] / total, 4), round(covered / total, 4),
                              mentions[cat], before < cutoff))
        left = {cats: n for cats, n in left.items() if cat not in cats}
    for cat in sorted(set(mentions) - {r.category for r in rows}, key=lambda c: (-mentions[c], c)):
        rows.append(ParetoRow(cat, 0, 0.0, 1.0, mentions[cat], False))  # every complaint counted above
    return rows


def overlap(counts: Mapping, *, top: int = 10) -> list[dict]:
    """The pairs of categories most often complained about together: ``category``,
    ``with``, the ``comments`` complaining about both, and that number as a share of
    each one's mentions (``share_of_category``, ``share_of_with``). ``counts`` is as
    for :func:`pareto`."""
    signatures = _signatures(counts)
    mentions, pairs = Counter(), Counter()
    for cats, n in signatures.items():
        for cat in cats:
            mentions[cat] += n
        ordered = sorted(cats)
        for k, a in enumerate(ordered):
            for b in ordered[k + 1:]:
                pairs[(a, b)] += n
    out = []
    for (a, b), n in sorted(pairs.items(), key=lambda kv: (-kv[1], kv[0]))[:top]:
        if mentions[a] < mentions[b]:  # the larger category first
            a, b = b, a
        out.append({"category": a, "with": b, "comments": n, "share_of_category": round(n / mentions[a], 4),
                    "share_of_with": round(n / mentions[b], 4)})
    return out


def _opinion_core(word: str, segmenter) -> str:
    """What an opinion says, without degree words, particles or the verb or noun before
    it: 太慢了, 送太慢 and 态度差 give 慢 and 差, the shortest ending that jieba tags as an
    adjective. A negated opinion keeps its negation and what follows it (味道不好 gives
    不好, 不太新鲜 gives 不新鲜), and 不好吃, 不好喝 ... are 难吃, 难喝."""
    core = _TAIL.sub("", word) or word
    core = re.sub(r"(不太|不是很|不怎么|不够|不算|并不|不是)", "不", core)
    if core.startswith("好") and len(core) == 2 and core[1] not in _KEEP_HAO:
        core = core[1]
    core = _DEGREE.sub("", core) or core
    negation = max(core.rfind(n) for n in "不没无")
    if negation >= 0:
        core = core[negation:]
        return "难" + core[2] if len(core) == 3 and core.startswith("不好") and core[2] in _KEEP_HAO else core
    for start in range(len(core) - 1, 0, -1):
        ending = core[start:]
        if _DEGREE.sub("", ending) != ending:
            break
        if _tag(segmenter, ending).startswith("a"):
            return ending
    return core


@functools.lru_cache(maxsize=65536)
def _tagged(segmenter, text: str) -> tuple[tuple[str, str], ...]:
    """``segmenter.pos_cut(text)``, remembered: short complaint clauses repeat a lot."""
    return tuple(segmenter.pos_cut(text))


def _tag(segmenter, word: str) -> str:
    """jieba's tag of ``word`` when it is one word, else ``""``."""
    cut = _tagged(segmenter, word)
    return cut[0][1] if len(cut) == 1 else ""


@functools.lru_cache(maxsize=1)
def _feedback_words() -> frozenset[str]:
    """Words of the feedback dictionary that say what went wrong (tagged v, a or l)."""
    from .resources import resource_path
    from .segment import load_word_list

    entries = [line.split() for line in load_word_list(resource_path("corpora", "feedback_dict.txt"))]
    return frozenset(e[0] for e in entries if len(e) == 3 and e[2] in ("v", "a", "l"))


def _is_opinion(word: str, tag: str, feedback_words: frozenset[str], *, alone: bool = False) -> bool:
    """Does the word say how something was? A negated word counts when what is negated
    is an adjective or a word of two or more characters ("不新鲜", "没送到", not "不吃",
    "不了"). ``alone``: strict enough to stand as a phrase by itself."""
    if word in feedback_words:
        return True
    if word in _NOT_OPINIONS or word in _BARE_NEGATIONS:
        return False
    if word[:1] in "不没无" and len(word) >= 2:
        return tag[:1] == "a" or (len(word) >= 3 and tag[:1] in "vli")
    if alone:
        return tag in ("a", "an", "i")
    return tag[:1] == "a" or tag == "i"


def phrase_opinions(clause: str, segmenter, *, feedback_words: frozenset[str] | None = None) -> list[tuple[str, str]]:
    """``(phrase, opinion)`` pairs that say what went wrong in one clause: an aspect
    joined with the opinion that follows it ("客服" + "答非所问", "送餐" + "太慢"), or an
    opinion of two or more characters on its own ("太贵"). ``opinion`` is the phrase's
    last opinion word without degree words or particles ("慢" for "送餐太慢了"): the
    key that groups the variants of one complaint. An opinion is an adjective, an
    idiom, a negated adjective or longer negated word, or a word of the feedback
    dictionary ("漏送", "洒了"); stopwords, numbers, and nouns of time or quantity
    ("小时") are not aspects. ``feedback_words`` defaults to the problem words of the
    project dictionary."""
    feedback_words = _feedback_words() if feedback_words is None else feedback_words
    stop = segmenter.stopword_set()
    words = [(w.strip(), f) for w, f in _tagged(segmenter, clause)
             if w.strip() and _WORD_CHARS.search(w) and w.strip() not in stop and not f.startswith("m")]
    found, i = [], 0
    while i < len(words):
        word, tag = words[i]
        nxt = words[i + 1][1] if i + 1 < len(words) else ""
        aspect = word not in _NOT_ASPECTS and (tag in _ASPECT_TAGS or (tag.startswith("v") and nxt.startswith(("a", "d"))))
        if aspect and word not in feedback_words:
            j, last = i + 1, None
            while j < len(words) and j - i <= 3 and (words[j][1] not in _ASPECT_TAGS or words[j][0] in _NOT_ASPECTS):
                if _is_opinion(*words[j], feedback_words):
                    last = j
                j += 1
            if last is not None:
                k = last - 1
                while k > i and _DEGREE.fullmatch(words[k][0]):  # 不 是很 好: the negation before the degree
                    k -= 1
                negated = k > i and words[k][0] in _NEGATORS
                opinion = _opinion_core(("不" if negated else "") + words[last][0], segmenter)
                found.append(("".join(w for w, _ in words[i:last + 1]), opinion))
                i = last + 1
                continue
        if len(word) >= 2 and _is_opinion(word, tag, feedback_words, alone=True):
            found.append((word, _opinion_core(word, segmenter)))
        i += 1
    return [(p, o) for p, o in found if len(p) >= 2]


def pain_phrases(clause: str, segmenter, *, feedback_words: frozenset[str] | None = None) -> list[str]:
    """The phrases of :func:`phrase_opinions`, without their opinion keys."""
    return [p for p, _ in phrase_opinions(clause, segmenter, feedback_words=feedback_words)]


def _meaningless(text: str) -> bool:
    core = re.sub(r"[\s\W_]+", "", text)
    return (not _WORD_CHARS.search(text)) or text in PLACEHOLDERS or (len(core) >= 3 and len(set(core)) == 1)


@functools.lru_cache(maxsize=1 << 16)
def _shingles(text: str) -> frozenset[str]:
    core = re.sub(r"[\s\W_]+", "", text)
    return frozenset(core[i:i + 3] for i in range(max(len(core) - 2, 1)))


def jaccard(a: str, b: str) -> float:
    """Jaccard similarity of the character 3-grams of two texts (punctuation and space
    left out)."""
    x, y = _shingles(a), _shingles(b)
    return len(x & y) / len(x | y)


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
        self._texts: dict[int, str] = {}

    def bands(self, text: str) -> list[tuple] | None:
        """The MinHash band keys of ``text``; None when it is too short to compare."""
        if len(text) < self.min_chars:
            return None
        hashes = [zlib.crc32(s.encode()) for s in _shingles(text)]
        signature = [min((h ^ salt) * 2654435761 % 4294967311 for h in hashes) for salt in self._salts]
        return [(b, tuple(signature[b * self.rows:(b + 1) * self.rows])) for b in range(len(signature) // self.rows)]

    def add(self, key: int, text: str) -> int | None:
        """The key of an earlier near-duplicate of ``text``, else None (and ``text`` is
        remembered under ``key``)."""
        bands = self.bands(text)
        if bands is None:
            return None
        self._texts[key] = text
        return self.add_bands(key, bands, lambda other: jaccard(text, self._texts[other]) >= self.threshold)

    def add_bands(self, key: int, bands: Sequence[tuple], similar: Callable[[int], bool]) -> int | None:
        """:meth:`add` for a text known by its :meth:`bands`: the key of the first earlier
        text sharing a band with it for which ``similar(key_of_earlier)`` holds, else
        None (and the bands are remembered under ``key``)."""
        for band in bands:
            for other in self._buckets.get(band, ()):
                if similar(other):
                    self._texts.pop(key, None)
                    return other
        for band in bands:
            self._buckets[band].append(key)
        return None


class QualityKey(NamedTuple):
    """What :func:`data_quality` needs to know of one normalised text: ``kind``
    (``"empty"``, ``"meaningless"`` or ``"text"``), a 128-bit ``digest`` of the text and
    its MinHash ``bands`` (None when too short to compare)."""

    kind: str
    digest: str = ""
    bands: list | None = None


def quality_key(text: str, index: NearDuplicates) -> QualityKey:
    """The :class:`QualityKey` of one normalised text, with ``index``'s MinHash."""
    import hashlib

    if not text:
        return QualityKey("empty")
    if _meaningless(text):
        return QualityKey("meaningless")
    return QualityKey("text", hashlib.blake2b(text.encode("utf-8"), digest_size=16).hexdigest(), index.bands(text))


def quality_of_keys(keys: Iterable[tuple[int, QualityKey]], similar: Callable[[int, int], bool], *,
                    near_threshold: float = 0.8) -> DataQuality:
    """:func:`data_quality` from ``(position, key)`` pairs in input order (see
    :func:`quality_key`): ``similar(i, j)`` says whether the text at ``i`` nearly repeats
    the one at ``j`` (Jaccard of 3-grams at least ``near_threshold``); it is asked only of
    texts that share a MinHash band. This is how a dump split across machines is checked
    as a whole: the keys are made where the texts are."""
    empty, meaningless, dups, near = [], [], [], []
    seen: dict[str, int] = {}
    index = NearDuplicates(threshold=near_threshold)
    for i, key in keys:
        if key.kind == "empty":
            empty.append(i)
        elif key.kind == "meaningless":
            meaningless.append(i)
        elif key.digest in seen:
            dups.append((i, seen[key.digest]))
        else:
            seen[key.digest] = i
            match = None if key.bands is None else index.add_bands(i, key.bands, functools.partial(similar, i))
            if match is not None:
                near.append((i, match))
    return DataQuality(empty, meaningless, dups, near)


def data_quality(texts: Sequence[str], *, near_threshold: float = 0.8) -> DataQuality:
    """Find empty, meaningless, duplicate and near-duplicate texts (normalised); see
    :class:`NearDuplicates`."""
    index = NearDuplicates(threshold=near_threshold)
    return quality_of_keys(((i, quality_key(t, index)) for i, t in enumerate(texts)),
                           lambda i, j: jaccard(texts[i], texts[j]) >= near_threshold, near_threshold=near_threshold)


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


def _quote(original: object) -> str:
    """The comment as the customer wrote it, with personal data masked; when that data
    is written in full-width characters, the whole quote is taken to half width (NFKC)
    so that it can be found and masked."""
    import unicodedata

    from .normalise import mask_personal_data

    text = str(original).strip() if isinstance(original, str) else ""
    masked = mask_personal_data(text)
    if masked != text:
        masked = re.sub(r" ?(URL|EMAIL|IDNO|PHONE) ?", r" \1 ", masked).strip()
    narrow = unicodedata.normalize("NFKC", masked)
    if mask_personal_data(narrow) != narrow:  # personal data in full-width characters
        return mask_personal_data(narrow).strip()
    return masked


@dataclass
class Tally:
    """Counts over some of the comments of a dump, made by :func:`tally`; the tallies of
    disjoint parts :meth:`combine` into the tally of the whole, and
    :func:`summarize_tally` turns a tally into a :class:`Summary`.

    Attributes
    ----------
    comments : int
        Comments given.
    analysed : int
        Comments kept in the statistics.
    cells : Counter
        ``(day, group, categories)`` -> analysed comments, where ``day`` is a
        ``datetime.date`` or None, ``group`` a str or None and ``categories`` the
        frozenset of categories the comment complains about (empty: none).
    polarity : Counter
        ``(category, polarity)`` -> analysed comments.
    histogram : list of int
        Analysed comments per tenth of the sentiment score.
    complaints : Counter
        ``(category, opinion)`` -> comments making that complaint in any wording.
    wordings : Counter
        ``(category, opinion, wording)`` -> comments using that wording.
    complaint_cells : Counter
        ``(category, opinion, day, group)`` -> comments making the complaint.
    examples : dict
        ``(category, opinion, wording)`` -> ``(length, position, quote)`` of the
        shortest comment using it (the first such in input order on ties).
    dates_readable : int
        Comments given with a readable date.
    uncategorised : int
        Analysed comments in none of the model's categories.
    """

    comments: int = 0
    analysed: int = 0
    cells: Counter = field(default_factory=Counter)
    polarity: Counter = field(default_factory=Counter)
    histogram: list[int] = field(default_factory=lambda: [0] * 10)
    complaints: Counter = field(default_factory=Counter)
    wordings: Counter = field(default_factory=Counter)
    complaint_cells: Counter = field(default_factory=Counter)
    examples: dict = field(default_factory=dict)
    dates_readable: int = 0
    uncategorised: int = 0

    def combine(self, other: "Tally") -> "Tally":
        """A new tally of both parts (the parts must not share a comment)."""
        examples = dict(self.examples)
        for key, value in other.examples.items():
            examples[key] = min(examples.get(key, value), value)
        return Tally(self.comments + other.comments, self.analysed + other.analysed, self.cells + other.cells,
                     self.polarity + other.polarity, [a + b for a, b in zip(self.histogram, other.histogram)],
                     self.complaints + other.complaints, self.wordings + other.wordings,
                     self.complaint_cells + other.complaint_cells, examples,
                     self.dates_readable + other.dates_readable, self.uncategorised + other.uncategorised)


class _PhraseJudge:
    """Decides which phrases are pain points of a category, with a fitted model's parts
    (each optional): a phrase the ``sentiment`` scorer does not read as negative (a
    score of 0.4 or more, read alone), or whose opinion it reads as praise (above 0.6:
    "送餐员特好" says 好), is none; a phrase that, read alone by the ``classifier``,
    passes the threshold of another category (not ``other``) and fits it better than
    its own belongs to that category ("不好吃" from a ``price`` clause). A phrase that
    passes no threshold stays with the clause it came from. Answers are cached per
    text."""

    def __init__(self, segmenter, sentiment=None, classifier=None):
        self.segmenter = segmenter
        self.sentiment = sentiment
        self.classifier = classifier
        self._scores: dict[str, float] = {}
        self._ratios: dict[str, dict[str, float]] = {}

    def learn(self, texts: Iterable[str]) -> None:
        """Score the phrases and opinions not seen yet, in one batch."""
        new = sorted({t for t in texts if t not in self._scores})
        if not new:
            return
        docs = self.segmenter.transform(new)
        scores = self.sentiment.predict_proba(docs)[:, 1].tolist() if self.sentiment is not None else [0.0] * len(new)
        self._scores.update(zip(new, scores))
        if self.classifier is not None:
            ratios = self.classifier.predict_proba(docs) / self.classifier.thresholds_
            names = [str(c) for c in self.classifier.classes_]
            for text, row in zip(new, ratios.tolist()):
                self._ratios[text] = dict(zip(names, row))

    def keep(self, category: str, phrase: str, opinion: str) -> bool:
        """Is ``phrase``, saying ``opinion`` (both scored by :meth:`learn`), a pain point
        of ``category``?"""
        if self._scores.get(phrase, 0.0) >= 0.4 or self._scores.get(opinion, 0.0) > 0.6:
            return False
        ratios = self._ratios.get(phrase)
        if not ratios or category not in ratios:
            return True
        own = ratios[category]
        return not any(r >= 1 and r > own for c, r in ratios.items() if c not in ("other", category))


def tally(results: Sequence, *, positions: Sequence[int] | None = None, excluded: Iterable[int] = (),
          days: Sequence | None = None, groups: Sequence | None = None, originals: Sequence | None = None,
          segmenter=None, judge: _PhraseJudge | None = None) -> Tally:
    """Count a part of a dump.

    Parameters
    ----------
    results : sequence of Result
        The part's analysed comments, in input order.
    positions : sequence of int, optional
        Each comment's position in the whole dump (default: 0, 1, ...); ``excluded``
        and the examples refer to them.
    excluded : iterable of int
        Positions left out of the statistics (see :func:`data_quality`).
    days : sequence, optional
        One ``datetime``/``date`` or None per comment.
    groups : sequence, optional
        One group per comment (made a str).
    originals : sequence, optional
        The comments as written, for the quotes (default: the normalised texts).
    segmenter : Segmenter, optional
        Cuts and tags the evidence clauses (default: the default segmenter).
    judge : optional
        Keeps only the phrases that read as negative and fit the category (default:
        keeps every phrase).
    """
    from .segment import default_segmenter

    segmenter = segmenter or default_segmenter()
    positions = range(len(results)) if positions is None else positions
    excluded = set(excluded)
    out = Tally(comments=len(results))
    found = []
    for k, (pos, r) in enumerate(zip(positions, results)):
        day = days[k] if days is not None else None
        day = day.date() if hasattr(day, "date") and callable(day.date) else day
        out.dates_readable += day is not None
        if pos in excluded or r.error:
            continue
        out.analysed += 1
        out.uncategorised += not r.categories
        out.histogram[min(int(r.sentiment * 10), 9)] += 1
        group = None if groups is None else str(groups[k])
        bad = frozenset(c for c, p in r.categories.items() if p == -1)
        out.cells[(day, group, bad)] += 1
        for cat, pol in r.categories.items():
            out.polarity[(cat, pol)] += 1
        for cat in sorted(bad):
            clauses = re.split(r"[，,]", r.evidence.get(cat, r.text))
            pairs = {pair for clause in clauses for pair in phrase_opinions(clause, segmenter)}
            found.append((k, pos, day, group, cat, pairs))
    if judge is not None:
        judge.learn(text for *_, pairs in found for pair in pairs for text in pair)
    for k, pos, day, group, cat, pairs in found:
        kept = {(p, o) for p, o in pairs if judge is None or judge.keep(cat, p, o)}
        for opinion in {o for _, o in kept}:
            out.complaints[(cat, opinion)] += 1
            out.complaint_cells[(cat, opinion, day, group)] += 1
        for phrase, opinion in kept:
            out.wordings[(cat, opinion, phrase)] += 1
            quote = (_quote(originals[k]) if originals is not None else "") or results[k].text
            key = (cat, opinion, phrase)
            out.examples[key] = min(out.examples.get(key, (len(quote), pos, quote)), (len(quote), pos, quote))
    return out


def _periods(days: Iterable, period: str) -> tuple[str, dict]:
    """The period actually used and each day's period label."""
    import pandas as pd

    days = sorted(d for d in set(days) if d is not None)
    if not days:
        return "", {}
    if period == "auto":
        period = "M" if days[-1] - days[0] > pd.Timedelta(weeks=26) else "W"
    labels = pd.PeriodIndex(pd.to_datetime(days), freq=period).astype(str)
    return period, dict(zip(days, labels))


def _driver(alert: Alert, by_group: Mapping[str, tuple[int, int]]) -> Alert:
    """The alert with the group that has the most complaints above the baseline rate."""
    if not by_group:
        return alert
    group, (x, n) = max(by_group.items(), key=lambda kv: (kv[1][0] - kv[1][1] * alert.baseline_rate, kv[0]))
    return Alert(**{**vars(alert), "group": group, "group_complaints": x, "group_comments": n})


def _trend(t: Tally, period: str, categories: Sequence[str], pains: Mapping[str, list[PainPoint]],
           opinions: Mapping[tuple[str, str], str]) -> dict:
    period, label = _periods((day for day, _, _ in t.cells), period)
    if not label:
        return {"trend": [], "alerts": [], "period": ""}
    order = sorted(set(label.values()))
    index = {p: k for k, p in enumerate(order)}
    totals = [0] * len(order)
    series = {c: [0] * len(order) for c in categories}
    last: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])  # (category, group) -> [x, n]
    for (day, group, bad), n in t.cells.items():
        if day is None:
            continue
        k = index[label[day]]
        totals[k] += n
        for cat in bad:
            series[cat][k] += n
        if k == len(order) - 1 and group is not None:
            for cat in [""] + list(categories):
                if not cat or cat in bad:
                    last[(cat, group)][0] += n if cat else 0
            last[("", group)][1] += n
    trend = [{"period": p, "category": c, "complaining": s[k], "comments": totals[k],
              "rate": round(s[k] / totals[k], 4) if totals[k] else 0.0}
             for c, s in series.items() for k, p in enumerate(order)]
    sizes = {g: xn[1] for (c, g), xn in last.items() if c == ""}
    alerts = [_driver(a, {g: (last[(a.category, g)][0], n) for g, n in sizes.items()})
              for a in p_chart_alerts(series, totals, order)]
    for cat, points in pains.items():
        phrase_series: dict[str, list[int]] = {p.phrase: [0] * len(order) for p in points}
        phrase_last: dict[str, Counter] = defaultdict(Counter)
        for (c, opinion, day, group), n in t.complaint_cells.items():
            phrase = opinions.get((c, opinion))
            if c == cat and day is not None and phrase in phrase_series:
                k = index[label[day]]
                phrase_series[phrase][k] += n
                if k == len(order) - 1 and group is not None:
                    phrase_last[phrase][group] += n
        alerts += [_driver(a, {g: (phrase_last[a.phrase][g], n) for g, n in sizes.items()})
                   for a in p_chart_alerts(phrase_series, totals, order, phrase=cat)]
    return {"trend": trend, "alerts": alerts, "period": period}


def _by_group(t: Tally, categories: Sequence[str]) -> list[dict]:
    sizes, complaining, per_cat = Counter(), Counter(), defaultdict(Counter)
    for (_, group, bad), n in t.cells.items():
        if group is None:
            continue
        sizes[group] += n
        if bad:
            complaining[group] += n
        for cat in bad:
            per_cat[group][cat] += n
    rows = []
    for g in sorted(sizes, key=lambda g: (-sizes[g], g)):
        row = {"group": g, "comments": sizes[g], "complaining": complaining[g],
               "rate": round(complaining[g] / sizes[g], 4)}
        for cat in categories:
            row[cat] = per_cat[g][cat]
            row[f"{cat}_rate"] = round(per_cat[g][cat] / sizes[g], 4)
        rows.append(row)
    return rows


def _pain_points(t: Tally, categories: Sequence[str], *, top: int, min_comments: int):
    """Pain points per category, the word-cloud counts, and the wording shown for each
    ``(category, opinion)``."""
    wordings: dict[tuple[str, str], list[tuple[str, int]]] = defaultdict(list)
    for (cat, opinion, phrase), n in t.wordings.items():
        wordings[(cat, opinion)].append((phrase, n))
    # the commonest wording; on ties one in Chinese characters only, then the shortest
    shown = {key: min(ws, key=lambda w: (-w[1], bool(_NOT_HAN.search(w[0])), len(w[0]), w[0]))[0]
             for key, ws in wordings.items()}
    pains, clouds = {}, {}
    for cat in categories:
        ranked = sorted(((o, n) for (c, o), n in t.complaints.items() if c == cat and n >= min_comments),
                        key=lambda on: (-on[1], on[0]))
        clouds[cat] = {shown[(cat, o)]: n for o, n in ranked[:200]}
        pains[cat] = [PainPoint(cat, shown[(cat, o)], n, t.examples[(cat, o, shown[(cat, o)])][2],
                                tuple(sorted(wordings[(cat, o)], key=lambda w: (-w[1], w[0]))))
                      for o, n in ranked[:top]]
    return pains, clouds, shown


def summarize_tally(t: Tally, *, quality: DataQuality | None = None, texts: Sequence[str] = (),
                    rows: Sequence[int] | None = None, top_phrases: int = 10, min_comments: int = 3,
                    period: str = "auto", dates: bool = False, groups: bool = False) -> Summary:
    """The :class:`Summary` of a (combined) tally; ``quality``, ``texts`` and ``rows``
    are passed through (see :func:`summarize`), ``dates`` and ``groups`` say whether
    the tally was made with them."""
    signatures = Counter()
    for (_, _, bad), n in t.cells.items():
        if bad:
            signatures[bad] += n
    ranking = pareto(signatures)
    categories = [r.category for r in ranking]
    pains, clouds, shown = _pain_points(t, categories, top=top_phrases, min_comments=min_comments)
    polarity: dict[str, dict[int, int]] = defaultdict(lambda: {-1: 0, 0: 0, 1: 0})
    for (cat, pol), n in t.polarity.items():
        polarity[cat][pol] += n
    parts = dict(
        comments=t.comments, analysed=t.analysed, complaints=sum(signatures.values()), pareto=ranking,
        polarity_table={c: dict(v) for c, v in sorted(polarity.items())}, sentiment_histogram=list(t.histogram),
        pain_points=pains, phrase_counts=clouds, quality=quality or DataQuality(), texts=texts if isinstance(texts, Mapping) else list(texts),
        overlap=overlap(signatures), rows=rows if isinstance(rows, Mapping) else list(rows if rows is not None else range(1, t.comments + 1)),
        dates_readable=t.dates_readable if dates else None, tally=t, uncategorised=t.uncategorised,
    )
    if dates:
        parts.update(_trend(t, period, categories, pains, shown))
    if groups:
        parts["groups"] = _by_group(t, categories)
    return Summary(**parts)


def summarize(results: Sequence, *, dates: Sequence | None = None, groups: Sequence | None = None,
              originals: Sequence | None = None, rows: Sequence[int] | None = None, segmenter=None,
              sentiment=None, classifier=None, top_phrases: int = 10, min_comments: int = 3,
              period: str = "auto", keep_all: bool = False) -> Summary:
    """Summarise analysed comments.

    Parameters
    ----------
    results : sequence of Result
        From :meth:`ModelBundle.analyze`, in input order.
    dates : sequence, optional
        One date per comment, in any form :func:`textmine.dates.parse_date` reads;
        comments without a readable one are left out of the trend.
    groups : sequence, optional
        One group (store, product, channel) per comment.
    originals : sequence, optional
        The comments as the customers wrote them: the pain points quote them, with
        personal data masked (default: the normalised texts).
    rows : sequence of int, optional
        The row number of each comment as error messages give it (default: 1, 2, ...).
    segmenter : Segmenter, optional
        Cuts and tags the evidence clauses (default: the default segmenter).
    sentiment : fitted sentiment scorer, optional
        When given (e.g. ``model.sentiment``), a phrase it does not score as negative
        (below 0.4), read alone, is not a pain point.
    classifier : fitted IssueClassifier, optional
        When given (e.g. ``model.classifier``), a phrase is a pain point of a category
        only when, read alone, it passes that category's threshold or fits it best.
    top_phrases : int, default=10
        Pain points kept per category.
    min_comments : int, default=3
        Comments a pain point needs.
    period : {"auto", "W", "M"}
        Trend period: weeks, months, or months when the dates span over 26 weeks.
    keep_all : bool, default=False
        Keep duplicates and meaningless comments in the statistics.

    Raises
    ------
    InputError
        When ``dates`` are given but none is readable.
    """
    from .dates import read_dates
    from .segment import default_segmenter

    segmenter = segmenter or default_segmenter()
    texts = [r.text for r in results]
    quality = data_quality(texts)
    days = read_dates(dates, column="dates").stamps if dates is not None else None
    judge = _PhraseJudge(segmenter, sentiment, classifier) if sentiment is not None or classifier is not None else None
    counts = tally(results, excluded=() if keep_all else quality.excluded, days=days, groups=groups,
                   originals=originals, segmenter=segmenter, judge=judge)
    return summarize_tally(counts, quality=quality, texts=texts, rows=rows, top_phrases=top_phrases,
                           min_comments=min_comments, period=period, dates=dates is not None,
                           groups=groups is not None)
