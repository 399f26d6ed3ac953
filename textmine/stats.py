"""Statistics for comparing two dumps of comments: proportions, their differences,
multiple testing, power, and words that rose or fell.

Every function is pure and takes plain counts. Conventions: a change is
``after - before`` (``p2 - p1``); intervals are two-sided at ``1 - alpha``; a
proportion of 0 comments is undefined and raises :class:`~textmine.errors.InputError`.

References: Newcombe (1998), *Interval estimation for the difference between
independent proportions*, Statistics in Medicine 17, method 10; Benjamini and Hochberg
(1995); Cohen (1988) for the arcsine effect size ``h``; Monroe, Colaresi and Quinn
(2008), *Fightin' words*, Political Analysis 16, for the weighted log-odds with an
informative Dirichlet prior.
"""
from __future__ import annotations

import math
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from .errors import InputError

__all__ = [
    "TwoProportions", "wilson_interval", "newcombe_interval", "two_proportion_p_value", "compare_proportions",
    "benjamini_hochberg", "min_detectable_change", "weighted_log_odds", "welch", "two_sided_z",
]

#: Below this expected count in any cell of the 2x2 table, Fisher's exact test is used.
EXACT_BELOW = 5


def two_sided_z(alpha: float) -> float:
    """The normal quantile ``z_{1 - alpha/2}`` of a two-sided ``1 - alpha`` interval."""
    from scipy.stats import norm

    return float(norm.ppf(1 - alpha / 2))


def _check_counts(x: int, n: int, name: str) -> None:
    if n <= 0:
        raise InputError(f"{name}: no comments to compute a rate from (n={n})")
    if not 0 <= x <= n:
        raise InputError(f"{name}: count {x} is not between 0 and n={n}")


def wilson_interval(x: int, n: int, *, alpha: float = 0.05) -> tuple[float, float]:
    """Wilson score interval of the proportion ``x / n``; bounds in [0, 1].

    Raises
    ------
    InputError
        When ``n <= 0`` or ``x`` is not in ``[0, n]``.
    """
    _check_counts(x, n, "proportion")
    z = two_sided_z(alpha)
    p = x / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return max(0.0, centre - half), min(1.0, centre + half)


def newcombe_interval(x1: int, n1: int, x2: int, n2: int, *, alpha: float = 0.05) -> tuple[float, float]:
    """Newcombe's hybrid Wilson score interval for ``p2 - p1`` (method 10 of Newcombe
    1998): it keeps good coverage for small counts and rates near 0 or 1, where the
    Wald interval fails. Bounds in [-1, 1]."""
    l1, u1 = wilson_interval(x1, n1, alpha=alpha)
    l2, u2 = wilson_interval(x2, n2, alpha=alpha)
    p1, p2 = x1 / n1, x2 / n2
    d = p2 - p1
    return d - math.sqrt((p2 - l2) ** 2 + (u1 - p1) ** 2), d + math.sqrt((u2 - p2) ** 2 + (p1 - l1) ** 2)


def two_proportion_p_value(x1: int, n1: int, x2: int, n2: int) -> tuple[float, str]:
    """Two-sided p-value that ``x1/n1`` and ``x2/n2`` come from one rate, and the test
    used: the pooled two-proportion z-test (``"z"``), or Fisher's exact test
    (``"exact"``) when an expected count of the 2x2 table is below
    :data:`EXACT_BELOW`. When neither side has any (or every comment is a) complaint,
    the p-value is 1."""
    _check_counts(x1, n1, "before")
    _check_counts(x2, n2, "after")
    total, hits = n1 + n2, x1 + x2
    if hits in (0, total):
        return 1.0, "z"
    expected = [n * hits / total for n in (n1, n2)] + [n * (total - hits) / total for n in (n1, n2)]
    if min(expected) < EXACT_BELOW:
        from scipy.stats import fisher_exact

        return float(fisher_exact([[x1, n1 - x1], [x2, n2 - x2]]).pvalue), "exact"
    from scipy.stats import norm

    pooled = hits / total
    z = (x2 / n2 - x1 / n1) / math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    return float(2 * norm.sf(abs(z))), "z"


def min_detectable_change(p1: float, n1: int, n2: int, *, alpha: float = 0.05, power: float = 0.8) -> float:
    """The smallest fall of a rate ``p1`` (seen on ``n1`` comments) that a two-sided
    test at ``alpha`` detects with probability ``power`` when the other side has ``n2``
    comments, by Cohen's arcsine effect size: ``h = (z_{1-alpha/2} + z_power) *
    sqrt(1/n1 + 1/n2)`` and ``p2 = sin(asin(sqrt(p1)) - h/2)^2``. Returns ``p1 - p2``
    in [0, p1]; it equals ``p1`` when even a fall to zero is not detectable."""
    from scipy.stats import norm

    if n1 <= 0 or n2 <= 0:
        raise InputError(f"min_detectable_change: both sides need comments (n1={n1}, n2={n2})")
    h = (two_sided_z(alpha) + float(norm.ppf(power))) * math.sqrt(1 / n1 + 1 / n2)
    angle = math.asin(math.sqrt(p1)) - h / 2
    return p1 - (math.sin(angle) ** 2 if angle > 0 else 0.0)


@dataclass(frozen=True)
class TwoProportions:
    """The comparison of a rate before (``x1/n1``) and after (``x2/n2``)."""

    x1: int
    n1: int
    x2: int
    n2: int
    change: float
    ci_low: float
    ci_high: float
    p_value: float
    test: str
    min_detectable_change: float

    @property
    def can_detect_halving(self) -> bool:
        """Whether a fall of the rate by half would be detected with 80% power."""
        return self.x1 > 0 and self.min_detectable_change <= (self.x1 / self.n1) / 2


def compare_proportions(x1: int, n1: int, x2: int, n2: int, *, alpha: float = 0.05) -> TwoProportions:
    """Change, Newcombe interval, p-value and minimum detectable change of two rates."""
    p_value, test = two_proportion_p_value(x1, n1, x2, n2)
    low, high = newcombe_interval(x1, n1, x2, n2, alpha=alpha)
    return TwoProportions(x1, n1, x2, n2, x2 / n2 - x1 / n1, low, high, p_value, test,
                          min_detectable_change(x1 / n1, n1, n2, alpha=alpha))


def benjamini_hochberg(p_values: Sequence[float]) -> list[float]:
    """Benjamini-Hochberg adjusted p-values (q-values), in the input order: ``q_(i) =
    min_{j >= i} p_(j) m / j`` over the sorted p-values, capped at 1."""
    m = len(p_values)
    order = sorted(range(m), key=lambda i: p_values[i])
    q = [0.0] * m
    running = 1.0
    for rank in range(m, 0, -1):
        i = order[rank - 1]
        running = min(running, p_values[i] * m / rank)
        q[i] = running
    return q


def weighted_log_odds(before: Mapping[str, int], after: Mapping[str, int], *,
                      prior_size: float = 500.0) -> dict[str, tuple[float, float]]:
    """How much more often each word is used after than before: the log-odds ratio with
    an informative Dirichlet prior (Monroe et al. 2008) and its z-score.

    The prior of word ``w`` is ``alpha_w = prior_size * (b_w + a_w) / N`` (its share of
    both sides together), ``delta_w = log((a_w + alpha_w) / (A + alpha_0 - a_w - alpha_w))
    - log((b_w + alpha_w) / (B + alpha_0 - b_w - alpha_w))`` with ``A``, ``B`` the side
    totals and ``alpha_0 = prior_size``, and ``z_w = delta_w / sqrt(1/(a_w + alpha_w) +
    1/(b_w + alpha_w))``. Rare words are shrunk towards no change. Returns word ->
    ``(delta, z)``; positive means more frequent after. With a single word there is
    nothing to compare it with: its delta and z are 0.
    """
    words = sorted(set(before) | set(after))
    a_total, b_total = sum(after.values()), sum(before.values())
    both = a_total + b_total
    if len(words) < 2:
        return {w: (0.0, 0.0) for w in words}
    out: dict[str, tuple[float, float]] = {}
    for w in words:
        a, b = after.get(w, 0), before.get(w, 0)
        alpha_w = prior_size * (a + b) / both
        delta = (math.log((a + alpha_w) / (a_total + prior_size - a - alpha_w))
                 - math.log((b + alpha_w) / (b_total + prior_size - b - alpha_w)))
        out[w] = (delta, delta / math.sqrt(1 / (a + alpha_w) + 1 / (b + alpha_w)))
    return out


def welch(before: Sequence[float], after: Sequence[float], *, alpha: float = 0.05) -> tuple[float, float, float, float]:
    """Mean of ``after`` minus mean of ``before`` with Welch's t interval and two-sided
    p-value: ``(change, ci_low, ci_high, p_value)``. With fewer than two values on a
    side, or no spread at all, the interval is NaN and the p-value 1."""
    import numpy as np
    from scipy.stats import ttest_ind

    b, a = np.asarray(before, dtype=float), np.asarray(after, dtype=float)
    if not len(b) or not len(a):
        raise InputError(f"welch: both sides need values (before {len(b)}, after {len(a)})")
    change = float(a.mean() - b.mean())
    if len(a) < 2 or len(b) < 2 or (a.var() == 0 and b.var() == 0):
        return change, math.nan, math.nan, 1.0
    with warnings.catch_warnings():  # one side without spread: scipy warns of precision loss, the result holds
        warnings.simplefilter("ignore", RuntimeWarning)
        test = ttest_ind(a, b, equal_var=False)
        ci = test.confidence_interval(1 - alpha)
    return change, float(ci.low), float(ci.high), float(test.pvalue)
