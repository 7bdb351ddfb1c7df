"""The distribution functions of cxlib._stats against scipy.stats (an independent computation)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from cxlib._stats import first_binomial_k, mann_whitney, student_t_quantile

samples = st.lists(st.integers(0, 12).map(float), min_size=1, max_size=60)


@settings(max_examples=200, deadline=None)
@given(samples, samples)
def test_mann_whitney_matches_scipy_with_ties(x: list[float], y: list[float]) -> None:
    u, p = mann_whitney(x, y)
    expected = stats.mannwhitneyu(x, y, alternative="two-sided", method="asymptotic")
    assert u == pytest.approx(expected.statistic, abs=1e-9)
    assert p == pytest.approx(expected.pvalue, rel=1e-10, abs=1e-14)  # 1 when all are tied


def test_mann_whitney_on_continuous_samples() -> None:
    rng = np.random.default_rng(5)
    before, after = rng.exponential(20, 400), rng.exponential(6, 350)
    u, p = mann_whitney(after, before)
    expected = stats.mannwhitneyu(after, before, alternative="two-sided", method="asymptotic")
    assert u == pytest.approx(expected.statistic)
    assert p == pytest.approx(expected.pvalue, rel=1e-9)
    assert mann_whitney([], [1.0]) == (pytest.approx(math.nan, nan_ok=True),) * 2
    assert mann_whitney([2.0], [2.0, 2.0]) == (1.0, 1.0)  # all tied: no difference, p = 1


@pytest.mark.parametrize("n", [1, 2, 10, 137, 5000])
@pytest.mark.parametrize("p", [0.1, 0.5, 0.9])
@pytest.mark.parametrize("level", [0.0, 0.025, 0.5, 0.975, 0.999])
def test_first_binomial_k_matches_a_search_of_scipys_cdf(n: int, p: float, level: float) -> None:
    cdf = stats.binom.cdf(np.arange(n + 1), n, p)
    assert first_binomial_k(n, p, lambda c: c >= level) == np.searchsorted(cdf, level, "left")
    assert first_binomial_k(n, p, lambda c: c > level) == np.searchsorted(cdf, level, "right")


@pytest.mark.parametrize("df", [1, 2, 5, 30, 1000])
@pytest.mark.parametrize("probability", [0.5, 0.9, 0.975])
def test_student_t_quantile_matches_scipy(df: int, probability: float) -> None:
    assert student_t_quantile(probability, df) == pytest.approx(stats.t.ppf(probability, df))
