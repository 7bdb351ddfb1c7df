"""Interval and test formulas on arrays of counts (numpy), shared by the metric modules.

Everything works on the small aggregated frames, after the engines have counted; so the numbers
do not depend on the engine. Formulas and sources are in each docstring.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from statistics import NormalDist

import numpy as np
import numpy.typing as npt

from cxlib.errors import ParameterError

Array = npt.NDArray[np.float64]
CORRECTIONS = ("holm", "bh", "none")


def z_value(confidence: float) -> float:
    """The two-sided normal quantile z for ``confidence`` (0.95 → 1.95996…)."""
    if not 0 < confidence < 1:
        raise ParameterError(f"confidence must lie between 0 and 1; got {confidence!r}.")
    return NormalDist().inv_cdf(0.5 + confidence / 2)


def _arr(values: object) -> Array:
    return np.asarray(values, dtype=np.float64)


def wilson(hits: object, n: object, z: float) -> tuple[Array, Array]:
    """Wilson score interval of a proportion, as shares 0–1; NaN where n is 0.

    With p = hits / n: centre = (p + z²/2n) / (1 + z²/n),
    half-width = z / (1 + z²/n) · √(p(1 − p)/n + z²/4n²)
    (Wilson 1927, JASA 22; Agresti & Coull 1998, The American Statistician 52).
    """
    k, m = _arr(hits), _arr(n)
    with np.errstate(divide="ignore", invalid="ignore"):
        p = k / m
        denominator = 1 + z**2 / m
        centre = (p + z**2 / (2 * m)) / denominator
        half = z / denominator * np.sqrt(p * (1 - p) / m + z**2 / (4 * m**2))
    empty = m <= 0
    low = np.where(empty, np.nan, np.clip(centre - half, 0, 1))
    high = np.where(empty, np.nan, np.clip(centre + half, 0, 1))
    return low, high


def nps_interval(promoters: object, detractors: object, n: object, z: float) -> tuple[Array, Array]:
    """Adjusted-Wald interval of the NPS on the −1…1 scale (Rocks 2016); NaN where n is 0.

    n' = n + 3, p' = (P + ¾)/n', d' = (D + ¾)/n', m' = p' − d':
    m' ± z · √[(p' + d' − m'²)/n'], clipped to [−1, 1].
    """
    m = _arr(n)
    n_adj = m + 3
    p_adj = (_arr(promoters) + 0.75) / n_adj
    d_adj = (_arr(detractors) + 0.75) / n_adj
    centre = p_adj - d_adj
    half = z * np.sqrt((p_adj + d_adj - centre**2) / n_adj)
    empty = m <= 0
    low = np.where(empty, np.nan, np.clip(centre - half, -1, 1))
    high = np.where(empty, np.nan, np.clip(centre + half, -1, 1))
    return low, high


def mean_sd(total: object, squares: object, n: object) -> tuple[Array, Array]:
    """Mean and sample standard deviation (n − 1) from n, Σx and Σx².

    s² = (Σx² − (Σx)²/n) / (n − 1). The sums of integer scores are exact in every engine, so
    the result does not depend on the engine's summation order. NaN where undefined.
    """
    s, q, m = _arr(total), _arr(squares), _arr(n)
    with np.errstate(divide="ignore", invalid="ignore"):
        mean = np.where(m > 0, s / m, np.nan)
        variance = np.where(m > 1, (q - s**2 / m) / (m - 1), np.nan)
    return mean, np.sqrt(np.clip(variance, 0, None))


def two_sided_p(z: object) -> Array:
    """Two-sided normal p-value 2 · (1 − Φ(|z|)) = erfc(|z|/√2); NaN stays NaN."""
    values = _arr(z)
    out = np.full(values.shape, np.nan)
    finite = np.isfinite(values)
    out[finite] = [math.erfc(abs(v) / math.sqrt(2)) for v in values[finite]]
    return out


def adjust_p(p_values: object, method: str = "holm") -> Array:
    """Adjust p-values for many comparisons at once; NaN p-values are left out of the family.

    ``holm`` (Holm 1979, Scand. J. Statist. 6): sort ascending p₍₁₎ ≤ … ≤ p₍ₘ₎,
    p̃₍ᵢ₎ = maxⱼ≤ᵢ min(1, (m − j + 1) · p₍ⱼ₎) — controls the family-wise error rate (the chance
    of any false "significant"), valid under any dependence.
    ``bh`` (Benjamini & Hochberg 1995, JRSS B 57): p̃₍ᵢ₎ = minⱼ≥ᵢ min(1, m/j · p₍ⱼ₎) — controls
    the false discovery rate (the expected share of false ones among the "significant"), more
    power with many segments. ``none`` returns the p-values unchanged.
    Both match ``statsmodels.stats.multitest.multipletests`` (``holm``, ``fdr_bh``).
    """
    if method not in CORRECTIONS:
        raise ParameterError(f"correction must be one of {', '.join(CORRECTIONS)}; got {method!r}.")
    p = _arr(p_values)
    out = np.full(p.shape, np.nan)
    valid = np.flatnonzero(np.isfinite(p))
    m = len(valid)
    if m == 0:
        return out
    if method == "none":
        out[valid] = p[valid]
        return out
    order = valid[np.argsort(p[valid], kind="stable")]
    ranked = p[order]
    rank = np.arange(1, m + 1)
    if method == "holm":
        adjusted = np.maximum.accumulate(np.minimum(1.0, (m - rank + 1) * ranked))
    else:
        adjusted = np.minimum.accumulate(np.minimum(1.0, m / rank * ranked)[::-1])[::-1]
    out[order] = adjusted
    return out


# Distribution functions from ``scipy.special`` (0.15 s to import) rather than ``scipy.stats``
# (0.7–1.3 s in a kernel, most of it parsing docstrings): every report page would pay for it.


def first_binomial_k(n: int, p: float, reached: Callable[[float], bool]) -> int:
    """The smallest k in 0 … n with ``reached(P(B ≤ k))``, B ~ Binomial(n, p); n + 1 if none.

    ``reached`` must be monotone in the cumulative probability (False … False True … True), so
    k is found by bisection: about 2·log₂ n evaluations of P(B ≤ k) instead of n + 1.
    P(B ≤ k) is ``scipy.special.bdtr`` (the regularised incomplete beta function, Abramowitz &
    Stegun 26.5.24), as ``scipy.stats.binom.cdf``.
    """
    from scipy.special import bdtr

    low, high = 0, n + 1
    while low < high:
        middle = (low + high) // 2
        if reached(float(bdtr(middle, n, p))):
            high = middle
        else:
            low = middle + 1
    return low


def student_t_quantile(probability: float, df: float) -> float:
    """The ``probability`` quantile of Student's t with ``df`` degrees of freedom:
    ``scipy.special.stdtrit``, as ``scipy.stats.t.ppf``."""
    from scipy.special import stdtrit

    return float(stdtrit(df, probability))


def mann_whitney(x: object, y: object) -> tuple[float, float]:
    """Mann–Whitney U test, two-sided, normal approximation with tie and continuity correction.

    With the n = n₁ + n₂ values ranked together (ties get their average rank) and R₁ the sum of
    x's ranks: U₁ = R₁ − n₁(n₁ + 1)/2, U₂ = n₁n₂ − U₁, U = max(U₁, U₂);
    s² = n₁n₂/12 · [(n + 1) − Σ(t³ − t)/(n(n − 1))] over the sizes t of tied groups;
    z = (U − n₁n₂/2 − ½)/s, p = 2·(1 − Φ(z)), at most 1 (Mann & Whitney 1947, Ann. Math.
    Statist. 18; Hollander, Wolfe & Chicken 2014, §4.1). The same as
    ``scipy.stats.mannwhitneyu(x, y, method="asymptotic")``.

    Returns
    -------
    (U₁, p)
        U₁ of ``x``, and the p-value: NaN when either sample is empty; 1 when every value is
        tied (no difference at all, as scipy gives).
    """
    first, second = _arr(x), _arr(y)
    n1, n2 = len(first), len(second)
    if n1 == 0 or n2 == 0:
        return math.nan, math.nan
    values = np.concatenate([first, second])
    n = n1 + n2
    _, inverse, counts = np.unique(values, return_inverse=True, return_counts=True)
    ends = np.cumsum(counts)
    average_rank = ends - (counts - 1) / 2  # ranks start at 1: a group spans ends−t+1 … ends
    u1 = float(average_rank[inverse[:n1]].sum()) - n1 * (n1 + 1) / 2
    ties = float(np.sum(counts.astype(np.float64) ** 3 - counts))
    variance = n1 * n2 / 12 * ((n + 1) - ties / (n * (n - 1))) if n > 1 else 0.0
    if variance <= 0:  # every value the same
        return u1, 1.0
    u = max(u1, n1 * n2 - u1)
    z = (u - n1 * n2 / 2 - 0.5) / math.sqrt(variance)
    return u1, min(1.0, math.erfc(z / math.sqrt(2)))
