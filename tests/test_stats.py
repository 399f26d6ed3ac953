import math

import pytest

from textmine.errors import InputError
from textmine.stats import (benjamini_hochberg, compare_proportions, min_detectable_change, newcombe_interval,
                            two_proportion_p_value, weighted_log_odds, welch, wilson_interval)


def test_stats_wilson_matches_statsmodels():
    from statsmodels.stats.proportion import proportion_confint

    for x, n in [(0, 10), (3, 10), (10, 10), (81, 263), (1, 2000)]:
        assert wilson_interval(x, n) == pytest.approx(proportion_confint(x, n, method="wilson"), abs=1e-12)


def test_stats_newcombe_matches_the_paper_and_statsmodels():
    from statsmodels.stats.proportion import confint_proportions_2indep

    # Newcombe (1998), table II, example (a): 56/70 against 48/80 -> 0.0524 to 0.3339
    low, high = newcombe_interval(48, 80, 56, 70)
    assert (round(low, 4), round(high, 4)) == (0.0524, 0.3339)
    for x1, n1, x2, n2 in [(48, 80, 56, 70), (0, 10, 0, 20), (5, 400, 30, 380), (9, 10, 3, 10)]:
        expected = confint_proportions_2indep(x2, n2, x1, n1, method="newcomb", compare="diff")
        assert newcombe_interval(x1, n1, x2, n2) == pytest.approx(expected, abs=1e-10)


def test_stats_p_value_is_z_test_for_large_and_exact_for_small_counts():
    from scipy.stats import fisher_exact
    from statsmodels.stats.proportion import proportions_ztest

    p, test = two_proportion_p_value(120, 1000, 80, 1000)
    assert test == "z"
    assert p == pytest.approx(proportions_ztest([120, 80], [1000, 1000])[1], rel=1e-9)
    p, test = two_proportion_p_value(3, 40, 0, 45)
    assert test == "exact"
    assert p == pytest.approx(fisher_exact([[3, 37], [0, 45]]).pvalue, rel=1e-12)
    assert two_proportion_p_value(0, 50, 0, 60) == (1.0, "z")


def test_stats_benjamini_hochberg_matches_statsmodels_and_hand():
    from statsmodels.stats.multitest import multipletests

    p = [0.01, 0.04, 0.03, 0.005, 0.5, 0.2]
    assert benjamini_hochberg(p) == pytest.approx(list(multipletests(p, method="fdr_bh")[1]), abs=1e-12)
    # by hand: sorted 0.01, 0.02 (m=2) -> 0.02, 0.02
    assert benjamini_hochberg([0.02, 0.01]) == pytest.approx([0.02, 0.02])
    assert benjamini_hochberg([]) == []


def test_stats_min_detectable_change_matches_statsmodels_power():
    from statsmodels.stats.power import NormalIndPower

    p1, n1, n2 = 0.2, 500, 400
    h = NormalIndPower().solve_power(nobs1=n1, ratio=n2 / n1, alpha=0.05, power=0.8)
    p2 = math.sin(math.asin(math.sqrt(p1)) - h / 2) ** 2
    assert min_detectable_change(p1, n1, n2) == pytest.approx(p1 - p2, rel=1e-3)
    # ten comments a side cannot see a 5% rate halve
    small = compare_proportions(1, 20, 1, 20)
    assert not small.can_detect_halving and small.min_detectable_change == pytest.approx(0.05)
    assert compare_proportions(2000, 10000, 1900, 10000).can_detect_halving


def test_stats_compare_proportions_change_is_after_minus_before():
    result = compare_proportions(30, 100, 10, 100)
    assert result.change == pytest.approx(-0.2)
    assert result.ci_low < -0.2 < result.ci_high < 0
    assert result.p_value < 0.001


def test_stats_empty_side_is_an_error():
    with pytest.raises(InputError, match="no comments"):
        compare_proportions(0, 0, 3, 10)
    with pytest.raises(InputError, match="not between 0 and n"):
        wilson_interval(11, 10)


def test_stats_weighted_log_odds_by_hand():
    before, after = {"慢": 30, "凉": 10}, {"慢": 10, "凉": 10}
    out = weighted_log_odds(before, after, prior_size=10)
    # alpha_慢 = 10 * 40 / 60, alpha_凉 = 10 * 20 / 60
    a = 10 * 40 / 60
    delta = math.log((10 + a) / (20 + 10 - 10 - a)) - math.log((30 + a) / (40 + 10 - 30 - a))
    assert out["慢"][0] == pytest.approx(delta)
    assert out["慢"][1] == pytest.approx(delta / math.sqrt(1 / (10 + a) + 1 / (30 + a)))
    assert out["慢"][0] < 0 < out["凉"][0]
    assert weighted_log_odds({}, {}) == {}
    assert weighted_log_odds({"慢": 3}, {"慢": 1}) == {"慢": (0.0, 0.0)}


def test_stats_welch_matches_scipy():
    from scipy.stats import ttest_ind

    b, a = [0.2, 0.4, 0.3, 0.5, 0.1], [0.6, 0.7, 0.4, 0.9]
    change, low, high, p = welch(b, a)
    ref = ttest_ind(a, b, equal_var=False)
    assert change == pytest.approx(sum(a) / 4 - sum(b) / 5)
    assert p == pytest.approx(ref.pvalue) and (low, high) == pytest.approx(tuple(ref.confidence_interval()))
    assert welch([1.0], [2.0])[3] == 1.0
    with pytest.raises(InputError):
        welch([], [1.0])
