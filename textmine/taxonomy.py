"""Issue categories, polarities and the label format ``category:polarity|category:polarity``.

The default taxonomy has twelve categories plus ``other``. A user's own taxonomy is any
list of category names (Chinese included); it is learned from their labels by ``train``.
"""
from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping

from .errors import LabelError

__all__ = [
    "DEFAULT_CATEGORIES",
    "OTHER",
    "POLARITIES",
    "parse_labels",
    "parse_polarity",
    "format_labels",
    "is_full_width",
    "suspect_categories",
]

OTHER = "other"
DEFAULT_CATEGORIES: tuple[str, ...] = (
    "logistics", "quality", "food", "service", "after_sales", "price", "packaging",
    "environment", "location", "responsiveness", "process", "order_error", OTHER,
)
CHINESE_NAMES = {
    "logistics": "物流配送", "quality": "商品质量", "food": "餐品口味", "service": "服务态度",
    "after_sales": "售后处理", "price": "价格优惠", "packaging": "包装", "environment": "环境设施",
    "location": "位置交通", "responsiveness": "响应时效", "process": "流程体验",
    "order_error": "订单差错", "other": "其他",
}
POLARITIES = (-1, 0, 1)
# What people type for a polarity besides -1, 0 and 1 (compared after NFKC and lower-casing).
POLARITY_WORDS = {
    "+1": 1, "正面": 1, "正": 1, "好": 1, "好评": 1, "积极": 1, "positive": 1, "pos": 1,
    "中性": 0, "中": 0, "一般": 0, "neutral": 0, "neu": 0,
    "负面": -1, "负": -1, "差": -1, "差评": -1, "消极": -1, "negative": -1, "neg": -1,
}
# A category name ending in something that reads as a polarity ("应用-1", "车况负面", "计费 差"):
# a signed number or a polarity word always; a bare 0/1 or 好/差 only after another category's name.
_STRONG_TAIL = re.compile(r"^(?P<stem>.+?)[\s_/]*(?P<tail>[+-]\s*[01]|正面|负面|中性|好评|差评|积极|消极)$")
_WEAK_TAIL = re.compile(r"^(?P<stem>.+?)[\s_/]*(?P<tail>[01]|好|差)$")
_ALLOWED_POLARITIES = "-1, 0 or 1 (or 负面/中性/正面, 差/好, +1)"


def _normalise_cell(value: str) -> str:
    """Full-width forms to half-width (``：`` ``｜`` ``，`` ``－`` ``＋``), the minus sign to ``-``."""
    return unicodedata.normalize("NFKC", value).replace("\u2212", "-")


def is_full_width(value: str) -> bool:
    """Whether a label cell holds full-width forms that :func:`parse_labels` reads as
    half-width (``车况：-1``); the full-width comma between labels does not count."""
    value = str(value).replace("，", ",")
    return value != _normalise_cell(value)


def parse_polarity(value: str) -> int:
    """Read a polarity: ``-1``/``0``/``1`` (``+1``, ``1.0`` too) or a word for one
    (``负面``/``中性``/``正面``, ``差``/``好``, ``negative``/``neutral``/``positive``).

    Raises
    ------
    LabelError
        Naming the value and the forms allowed.
    """
    key = _normalise_cell(str(value)).strip().lower().replace(" ", "")
    if key in POLARITY_WORDS:
        return POLARITY_WORDS[key]
    try:
        number = float(key)
    except ValueError:
        number = float("nan")
    if number not in POLARITIES:
        raise LabelError(f"polarity {value!r} is not {_ALLOWED_POLARITIES}")
    return int(number)


def _polarity_tail(name: str, names: Iterable[str]) -> tuple[str, int] | None:
    """``("应用", -1)`` for ``"应用-1"``: the stem and the polarity a name seems to end with.
    A bare digit or 好/差 counts only when the stem is itself one of ``names``."""
    strong = _STRONG_TAIL.match(name)
    if strong:
        return strong["stem"].strip(), parse_polarity(strong["tail"])
    weak = _WEAK_TAIL.match(name)
    if weak and weak["stem"].strip() in set(names):
        return weak["stem"].strip(), parse_polarity(weak["tail"])
    return None


def suspect_categories(counts: Mapping[str, int], *, known: Iterable[str] = ()) -> dict[str, tuple[str | None, int | None, str]]:
    """Category names that are probably slips, each with what was probably meant.

    A name is suspect when it ends in something that reads as a polarity (``应用-1``,
    ``车况负面``), or when it occurs only once and is not in ``known``: a one-off name is
    most often a typo, and one example cannot teach a category anyway.

    Parameters
    ----------
    counts : mapping of str to int
        Each category name of the data and the number of comments carrying it.
    known : iterable of str, default=()
        Names that are fine however rare (the categories of a base model).

    Returns
    -------
    dict
        ``{name: (suggested name or None, suggested polarity or None, why)}``; empty when
        nothing is suspect. The suggested name is the stem of a polarity tail, or the
        closest name occurring more than once, when there is one.
    """
    import difflib

    known = set(known)
    common = sorted(n for n, k in counts.items() if k > 1 or n in known)
    out: dict[str, tuple[str | None, int | None, str]] = {}
    for name, k in counts.items():
        tail = _polarity_tail(name, set(counts) | known)
        if tail:
            out[name] = (tail[0], tail[1], "looks like a category name with its polarity in it")
        elif k == 1 and name not in known:
            close = difflib.get_close_matches(name, common, n=1, cutoff=0.5)
            out[name] = (close[0] if close else None, None,
                         "occurs only once (one example cannot teach a category)")
    return out


def parse_labels(value: str, *, categories: Iterable[str] | None = None) -> dict[str, int | None]:
    """Parse ``"logistics:-1|food:1"`` into ``{"logistics": -1, "food": 1}``.

    A bare category (``"logistics"``) maps to ``None`` (polarity unknown). Separators
    ``|``, ``,``, ``;`` and ``，`` are all accepted between labels; spaces are ignored.
    Full-width forms are read as half-width (``车况：-1｜计费：1``), and a polarity may be
    a word (see :func:`parse_polarity`: ``车况:负面``, ``计费:好``, ``应用:+1``).

    Parameters
    ----------
    value : str
        The label cell.
    categories : iterable of str, optional
        When given, a category outside it is an error.

    Raises
    ------
    LabelError
        On an empty cell, a polarity that :func:`parse_polarity` cannot read (the
        message suggests the forms allowed), a category given twice with
        different polarities, or an unknown category. The message quotes the label.
    """
    if not isinstance(value, str) or not value.strip():
        raise LabelError("empty label")
    allowed = set(categories) if categories is not None else None
    labels: dict[str, int | None] = {}
    for part in _normalise_cell(value).replace(",", "|").replace(";", "|").split("|"):
        part = part.strip()
        if not part:
            continue
        name, sep, pol = part.rpartition(":") if ":" in part else (part, "", "")
        name = name.strip()
        if not name:
            raise LabelError(f"label {part!r} has no category name")
        polarity: int | None = None
        if sep:
            try:
                polarity = parse_polarity(pol)
            except LabelError:
                raise LabelError(f"label {part!r}: polarity {pol.strip()!r} is not {_ALLOWED_POLARITIES}; "
                                 f"write {name}:-1, {name}:0 or {name}:1") from None
        if allowed is not None and name not in allowed:
            raise LabelError(f"unknown category {name!r} (allowed: {', '.join(sorted(allowed))})")
        if name in labels and labels[name] != polarity:
            raise LabelError(f"category {name!r} given twice with different polarities in {value!r}")
        labels[name] = polarity
    if not labels:
        raise LabelError(f"no label in {value!r}")
    return labels


def format_labels(labels: Mapping[str, int | None]) -> str:
    """Inverse of :func:`parse_labels`: ``{"logistics": -1}`` -> ``"logistics:-1"``."""
    return "|".join(name if pol is None else f"{name}:{pol}" for name, pol in labels.items())
