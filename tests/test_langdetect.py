"""Language detection of comments without a language column."""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd

from cxlib.langdetect import detect_languages
from cxlib.themes import tag_themes


def test_short_or_empty_texts_stay_unknown_and_the_input_is_unchanged() -> None:
    texts = pd.Series(
        ["Die Lieferung kam zwei Tage zu spät", "Levering var for sent", "Delivery was late",
         "ok", "", None, "Die Lieferung kam zwei Tage zu spät"],
        index=[10, 11, 12, 13, 14, 15, 16],
    )  # fmt: skip
    before = texts.copy()
    found = detect_languages(texts, ["en", "de", "da"])
    assert found.tolist() == ["de", "da", "en", pd.NA, pd.NA, pd.NA, "de"]
    assert found.index.tolist() == texts.index.tolist()
    pd.testing.assert_series_equal(texts, before)


def _danish_reviews(folder: Path, limit: int) -> list[str]:
    texts: list[str] = []
    for path in sorted(folder.glob("*.csv")):
        with path.open(encoding="utf-8", newline="") as handle:
            texts += [row["review"] for row in csv.DictReader(handle) if row["review"].strip()]
    return texts[:limit]


def _german_feedback(path: Path, limit: int) -> list[str]:
    with path.open(encoding="utf-8", newline="") as handle:
        rows = csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE)
        texts = list(dict.fromkeys(row["text"] for row in rows if row["text"].strip()))
    return texts[:limit]


def test_real_danish_and_german_comments_are_recognised(shared_data: Path) -> None:
    danish = _danish_reviews(shared_data / "danish_trustpilot_reviews", 600)
    german = _german_feedback(
        shared_data / "germeval2017_deutsche_bahn_feedback" / "dev_df_opinion.tsv", 600
    )
    for texts, language in ((danish, "da"), (german, "de")):
        found = detect_languages(pd.Series(texts), ["en", "de", "da"])
        decided = found.dropna()
        assert len(decided) >= 0.8 * len(texts), language  # most are long enough to tell
        assert (decided == language).mean() >= 0.97, (language, decided.value_counts())


def test_themes_use_the_detected_language_when_no_column_says() -> None:
    frame = pd.DataFrame(
        {
            "comment": [
                "Die Lieferung kam zwei Wochen zu spät",
                "Levering tog tre uger, alt for sent",
            ]
        }
    )
    tags = tag_themes(frame, default_language="en")
    assert tags.loc[0, "delivery"] and tags.loc[1, "delivery"]
