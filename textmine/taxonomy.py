"""Issue categories, polarities and the label format ``category:polarity|category:polarity``.

The default taxonomy has twelve categories plus ``other``. A user's own taxonomy is any
list of category names (Chinese included); it is learned from their labels by ``train``.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping

from .errors import LabelError

__all__ = [
    "DEFAULT_CATEGORIES",
    "OTHER",
    "POLARITIES",
    "parse_labels",
    "format_labels",
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


def parse_labels(value: str, *, categories: Iterable[str] | None = None) -> dict[str, int | None]:
    """Parse ``"logistics:-1|food:1"`` into ``{"logistics": -1, "food": 1}``.

    A bare category (``"logistics"``) maps to ``None`` (polarity unknown). Separators
    ``|``, ``,``, ``;`` and ``，`` are all accepted between labels; spaces are ignored.

    Parameters
    ----------
    value : str
        The label cell.
    categories : iterable of str, optional
        When given, a category outside it is an error.

    Raises
    ------
    LabelError
        On an empty cell, a polarity other than -1/0/1, a category given twice with
        different polarities, or an unknown category. The message quotes the label.
    """
    if not isinstance(value, str) or not value.strip():
        raise LabelError("empty label")
    allowed = set(categories) if categories is not None else None
    labels: dict[str, int | None] = {}
    for part in value.replace("，", "|").replace(",", "|").replace(";", "|").split("|"):
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
                polarity = int(float(pol))
            except ValueError:
                raise LabelError(f"label {part!r}: polarity must be -1, 0 or 1") from None
            if polarity not in POLARITIES or float(pol) != polarity:
                raise LabelError(f"label {part!r}: polarity must be -1, 0 or 1")
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
