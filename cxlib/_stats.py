"""Interval and test formulas on arrays of counts (numpy), shared by the metric modules.

Everything works on the small aggregated frames, after the engines have counted; so the numbers
do not depend on the engine. Formulas and sources are in each docstring.
"""

from __future__ import annotations

import math
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
