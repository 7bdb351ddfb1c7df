"""Decompositions of R² from a correlation matrix: all-subsets R², Shapley/LMG, relative weights.

The numerical core of :mod:`cxlib.drivers`: numpy only, no frames; the cost grows with the
number of drivers (2^p small linear systems), not with the number of answers.
"""

from __future__ import annotations

from functools import cache

import numpy as np

_CHUNK = 20_000  # subsets solved per batch (bounds memory for many drivers)


@cache
def _subsets(p: int) -> tuple[tuple[np.ndarray, np.ndarray], ...]:
    """Per subset size k ≥ 1: the bit masks of all k-subsets and their driver indices (m, k)."""
    masks = np.arange(1 << p, dtype=np.int64)
    bits = ((masks[:, None] >> np.arange(p)) & 1).astype(bool)
    sizes = bits.sum(axis=1)
    out = []
    for k in range(1, p + 1):
        chosen = sizes == k
        out.append((masks[chosen], np.nonzero(bits[chosen])[1].reshape(-1, k)))
    return tuple(out)


def subset_r2(corr: np.ndarray) -> np.ndarray:
    """R² of the regression of the outcome on every subset of the drivers.

    ``corr`` is the correlation matrix with the outcome first. For a subset S of drivers,
    R²(S) = r_yS' R_SS⁻¹ r_yS (R_SS: the drivers' correlations, r_yS: their correlations with
    the outcome). All subsets of one size are solved as one batch of small linear systems.

    Returns
    -------
    numpy.ndarray
        Length 2^p; entry ``mask`` is R² of the drivers whose bits are set (entry 0 is 0).
    """
    rxx, rxy = corr[1:, 1:], corr[1:, 0]
    r2 = np.zeros(1 << len(rxy))
    for masks, index in _subsets(len(rxy)):
        for start in range(0, len(masks), _CHUNK):
            idx = index[start : start + _CHUNK]
            a = rxx[idx[:, :, None], idx[:, None, :]]
            b = rxy[idx]
            beta = np.linalg.solve(a, b[:, :, None])[:, :, 0]
            r2[masks[start : start + _CHUNK]] = np.einsum("ij,ij->i", b, beta)
    return r2


@cache
def _shapley_terms(p: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    masks = np.arange(1 << p, dtype=np.int64)
    sizes = ((masks[:, None] >> np.arange(p)) & 1).sum(axis=1)
    factorial = np.cumprod([1.0, *range(1, p + 1)])
    without = np.stack([masks[(masks >> j) & 1 == 0] for j in range(p)])
    k = sizes[without]
    weight = factorial[k] * factorial[p - k - 1] / factorial[p]
    return without, without | (1 << np.arange(p))[:, None], weight


def shapley_r2(corr: np.ndarray) -> np.ndarray:
    """Shapley value / LMG share of R² of each driver; the shares sum to R².

    LMG_j = Σ over S ⊆ D without j of |S|! (p − |S| − 1)! / p! · [R²(S + j) − R²(S)]: the gain in R²
    from adding driver j, averaged over all orders of entering the p drivers (Lindeman,
    Merenda & Gold 1980, "Introduction to Bivariate and Multivariate Analysis"; Grömping 2007,
    "Estimators of relative importance in linear regression based on variance decomposition",
    The American Statistician 61(2)). Exact, from :func:`subset_r2`.

    Parameters
    ----------
    corr
        Correlation matrix, outcome first, then the p drivers.
    """
    r2 = subset_r2(corr)
    without, with_j, weight = _shapley_terms(corr.shape[0] - 1)
    result: np.ndarray = (weight * (r2[with_j] - r2[without])).sum(axis=1)
    return result


def relative_weights(corr: np.ndarray) -> np.ndarray:
    """Johnson's relative weight of each driver; the weights sum to R².

    With R_xx = V Λ V' (eigen-decomposition of the drivers' correlations), Λ* = R_xx^½ =
    V Λ^½ V' holds the correlations of the drivers with their closest orthonormal
    counterparts Z, β = R_xx^−½ r_xy the regression of the outcome on Z, and the weight of
    driver j is ε_j = Σ_k λ*_jk² β_k² (Johnson 2000, "A heuristic method for estimating the
    relative weight of predictor variables in multiple regression", Multivariate Behavioral
    Research 35(1), 1–19). Σ_j ε_j = Σ_k β_k² = r_xy' R_xx⁻¹ r_xy = R².

    Parameters
    ----------
    corr
        Correlation matrix, outcome first, then the drivers.
    """
    values, vectors = np.linalg.eigh(corr[1:, 1:])
    root = np.sqrt(np.clip(values, 0.0, None))
    half = (vectors * root) @ vectors.T
    beta = (vectors / root) @ vectors.T @ corr[1:, 0]
    result: np.ndarray = (half**2) @ beta**2
    return result
