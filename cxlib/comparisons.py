"""Comparisons of survey results: two periods or two groups, with multiple-testing correction.

Split from :mod:`cxlib.metrics` (which re-exports :func:`compare` and :func:`nps_change`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from cxlib import _stats
from cxlib._stats import adjust_p
from cxlib.errors import ParameterError


def compare(
    current: pd.DataFrame,
    baseline: pd.DataFrame,
    *,
    on: Sequence[str] = (),
    correction: str = "holm",
    alpha: float = 0.05,
) -> pd.DataFrame:
    """Compare two results of the same metric (two periods, or two groups), row by row.

    Rows are matched on the ``on`` keys (e.g. the ``by`` dimensions of both results); each pair
    gets a two-sided z-test of the difference, and because many segments compared at once
    would turn up "significant" changes by chance, the p-values of all rows are adjusted
    together (see :func:`adjust_p`; Holm by default, ``bh`` for Benjamini–Hochberg).

    * NPS: z = (NPS₁ − NPS₂) / √(Var₁ + Var₂), Var = [p + d − (p − d)²]/n (Rocks 2016).
    * shares (CSAT, CES, …): the pooled two-proportion test, p̂ = (h₁ + h₂)/(n₁ + n₂),
      z = (p₁ − p₂) / √[p̂(1 − p̂)(1/n₁ + 1/n₂)] (e.g. Agresti 2013, "Categorical Data
      Analysis", §3.1; ``statsmodels`` ``proportions_ztest``).
    * means: z = (x̄₁ − x̄₂) / √(s₁²/n₁ + s₂²/n₂) (large-sample Welch z).

    Weighted results: every n above is Kish's ``n_effective`` and the counts are the effective
    counts the results carry (p · n_eff), so p, d and the shares are the weighted ones. Results
    without an ``n_effective`` column use ``n``.

    Returns
    -------
    pandas.DataFrame
        The keys, ``n, value, n_baseline, value_baseline, change`` (display units: NPS points,
        percentage points, scale points), ``z, p_value, p_adjusted`` and ``significant``
        (``p_adjusted < alpha``; False where no test is possible, e.g. an empty side).
    """
    if not 0 < alpha < 1:
        raise ParameterError(f"alpha must lie between 0 and 1; got {alpha!r}.")
    kind = _kind_of(current)
    if _kind_of(baseline) != kind:
        raise ParameterError("compare needs two results of the same metric.")
    keys = list(on)
    fields = {"nps": ["promoters", "detractors"], "share": ["hits"], "mean": ["sd"]}[kind]
    current, baseline = _with_effective(current), _with_effective(baseline)
    left = current[[*keys, "n", "n_effective", "value", *fields]]
    right = baseline[[*keys, "n", "n_effective", "value", *fields]]
    if keys:
        merged = left.merge(right, on=keys, how="left", suffixes=("", "_baseline"))
    else:
        merged = left.head(1).join(right.head(1).add_suffix("_baseline").reset_index(drop=True))
    n1 = merged["n_effective"].astype("float64").to_numpy()
    n2 = merged["n_effective_baseline"].astype("float64").to_numpy()
    with np.errstate(divide="ignore", invalid="ignore"):
        if kind == "nps":
            p1 = merged["promoters"].to_numpy(float) / n1
            d1 = merged["detractors"].to_numpy(float) / n1
            p2 = merged["promoters_baseline"].to_numpy(float) / n2
            d2 = merged["detractors_baseline"].to_numpy(float) / n2
            variance = (p1 + d1 - (p1 - d1) ** 2) / n1 + (p2 + d2 - (p2 - d2) ** 2) / n2
            difference = (p1 - d1) - (p2 - d2)
            scale = 100.0
        elif kind == "share":
            h1, h2 = merged["hits"].to_numpy(float), merged["hits_baseline"].to_numpy(float)
            pooled = (h1 + h2) / (n1 + n2)
            variance = pooled * (1 - pooled) * (1 / n1 + 1 / n2)
            difference = h1 / n1 - h2 / n2
            scale = 100.0
        else:
            s1, s2 = merged["sd"].to_numpy(float), merged["sd_baseline"].to_numpy(float)
            variance = s1**2 / n1 + s2**2 / n2
            difference = merged["value"].to_numpy(float) - merged["value_baseline"].to_numpy(float)
            scale = 1.0
        z = np.where(variance > 0, difference / np.sqrt(variance), np.nan)
    p_values = _stats.two_sided_p(z)
    adjusted = adjust_p(p_values, correction)
    result = merged[[*keys, "n", "value", "n_baseline", "value_baseline"]].copy()
    result["change"] = scale * difference
    result["z"], result["p_value"], result["p_adjusted"] = z, p_values, adjusted
    result["significant"] = np.nan_to_num(adjusted, nan=1.0) < alpha
    return result


def _with_effective(result: pd.DataFrame) -> pd.DataFrame:
    if "n_effective" in result.columns:
        return result
    return result.assign(n_effective=result["n"].astype("float64"))


def _kind_of(result: pd.DataFrame) -> str:
    if "promoters" in result.columns:
        return "nps"
    if "hits" in result.columns:
        return "share"
    if "sd" in result.columns:
        return "mean"
    raise ParameterError(
        "compare takes results of nps, enps, csat, ces, share or mean_score; "
        f"got columns {', '.join(map(str, result.columns))}."
    )


@dataclass(frozen=True)
class Change:
    """A difference between two independent NPS results and its two-sided z-test."""

    change: float
    z: float
    p_value: float


def nps_change(
    n_1: float,
    promoters_1: float,
    detractors_1: float,
    n_2: float,
    promoters_2: float,
    detractors_2: float,
) -> Change:
    """Change in NPS from group 2 to group 1, with a two-sided z-test.

    With p and d the promoter and detractor shares, Var(NPS) = [p + d − (p − d)²] / n on the
    −1…1 scale (the variance of the mean of a +1/0/−1 score; Rocks 2016), and
    z = (NPS₁ − NPS₂) / √(Var₁ + Var₂); p = 2 · (1 − Φ(|z|)).

    Weighted groups: pass Kish's effective n and the effective counts (the ``n_effective``,
    ``promoters`` and ``detractors`` of a weighted :func:`nps` result).

    Returns
    -------
    Change
        ``change`` in NPS points (−200…200), ``z`` and ``p_value``; NaN when either group is
        empty or both have zero variance.
    """
    if n_1 <= 0 or n_2 <= 0:
        return Change(math.nan, math.nan, math.nan)
    p1, d1 = promoters_1 / n_1, detractors_1 / n_1
    p2, d2 = promoters_2 / n_2, detractors_2 / n_2
    variance = (p1 + d1 - (p1 - d1) ** 2) / n_1 + (p2 + d2 - (p2 - d2) ** 2) / n_2
    change = (p1 - d1) - (p2 - d2)
    if variance <= 0:
        return Change(100 * change, math.nan, math.nan)
    z = change / math.sqrt(variance)
    p_value = math.erfc(abs(z) / math.sqrt(2))
    return Change(100 * change, z, p_value)
