"""Which language a comment is written in, when the data does not say.

Comment themes need each comment's language to pick its taxonomy (:mod:`cxlib.themes`). When a
source maps no ``language`` column, or a row's value is missing, the language is detected with
py3langid (BSD-3-Clause; a maintained port of langid.py, Lui & Baldwin 2012, "langid.py: An
Off-the-shelf Language Identification Tool", ACL System Demonstrations), whose model ships in
the wheel — nothing is downloaded. Only the workbook's languages compete, and a text is given a
language only when the normalised probability reaches ``min_confidence``: a short "ok" or
"Super!" stays undecided rather than guessed.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from typing import Any

import pandas as pd

#: Below this normalised probability a text's language counts as unknown.
MIN_CONFIDENCE = 0.9


@cache
def _identifier(languages: tuple[str, ...]) -> Any:
    from py3langid.langid import MODEL_DIR, MODEL_FILE, LanguageIdentifier

    identifier = LanguageIdentifier.from_modelpath(MODEL_DIR / MODEL_FILE, norm_probs=True)
    identifier.set_languages(list(languages))
    return identifier


def detect_languages(
    texts: pd.Series,
    languages: Sequence[str],
    *,
    min_confidence: float = MIN_CONFIDENCE,
) -> pd.Series:
    """Each text's language among ``languages``, or missing when unsure or empty.

    Parameters
    ----------
    texts
        The texts (a pandas Series; missing values stay missing). It is not changed.
    languages
        ISO 639-1 codes that may be found (``en``, ``de``, ``da``).
    min_confidence
        The normalised probability a language needs.

    Returns
    -------
    pandas.Series
        A string Series indexed like ``texts``. Each distinct text is classified once.
    """
    words = texts.astype("string").str.strip()
    distinct = words.dropna().loc[lambda s: s.str.len() > 0].unique()
    identifier = _identifier(tuple(sorted(languages)))
    found: dict[str, str | None] = {}
    for text in distinct:  # one classification per distinct text, not per row
        language, probability = identifier.classify(str(text))
        found[str(text)] = language if probability >= min_confidence else None
    return words.map(found, na_action="ignore").astype("string")
