"""Evaluate the German theme taxonomy against the human aspect labels of GermEval 2017.

Not a test: run ``python bench/eval_german_themes.py [path/to/dev_df_opinion.tsv]``. Without an
argument the file is looked for in ``../shared/data/germeval2017_deutsche_bahn_feedback/`` next
to the repository. Each document (unique ``id``) counts once: it carries an aspect category when
any of its opinion rows does, and a theme when ``cxlib.themes.tag_themes`` finds it. Per theme the
script prints precision and recall at document level and the macro averages over the mapped
themes — the figure to improve over time. Themes without a GermEval counterpart are not scored.
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path

import pandas as pd

from cxlib.themes import tag_themes

#: Our theme → the GermEval aspect categories (prefix before "#" = all its sub-aspects).
MAPPING: dict[str, tuple[str, ...]] = {
    "punctuality": ("Zugfahrt#Pünktlichkeit", "Zugfahrt#Anschlusserreichung"),
    "disruption": (
        "Sonstige_Unregelmässigkeiten",
        "Zugfahrt#Technische_Schäden_und_Störungen_am_Zug",
    ),
    "comfort": (
        "Atmosphäre#Temperatur",
        "Atmosphäre#Lautstärke",
        "Atmosphäre#Beleuchtung",
        "Komfort_und_Ausstattung",
    ),
    "cleanliness": ("Atmosphäre#Sauberkeit_allgemein", "Atmosphäre#Geruch", "Toiletten"),
    "crowding": ("Auslastung_und_Platzangebot",),
    "connectivity": ("Connectivity",),
    "safety": ("Sicherheit",),
    "accessibility": ("Barrierefreiheit",),
    "ticketing": ("Ticketkauf",),
    "staff": ("Service_und_Kundenbetreuung",),
    "customer_service": ("Service_und_Kundenbetreuung",),
    "communication": ("Informationen",),
    "website_app": ("DB_App_und_Website",),
    "price": ("Ticketkauf", "Gastronomisches_Angebot#Preise"),
}


def _default_path() -> Path:
    root = Path(__file__).resolve().parents[1]
    return (
        root.parent
        / "shared"
        / "data"
        / "germeval2017_deutsche_bahn_feedback"
        / ("dev_df_opinion.tsv")
    )


def _matches(categories: pd.Series, wanted: tuple[str, ...]) -> pd.Series:
    hit = pd.Series(False, index=categories.index)
    for name in wanted:
        exact = categories == name
        prefix = categories.str.startswith(name + "#") if "#" not in name else exact
        hit |= (exact | prefix).fillna(False)
    return hit


def evaluate(path: Path) -> pd.DataFrame:
    """Per-theme document-level precision, recall and F1 against the human labels."""
    rows = pd.read_csv(path, sep="\t", quoting=csv.QUOTE_NONE, dtype=str, keep_default_na=False)
    rows["category"] = rows["category"].replace("", pd.NA)
    docs = rows.drop_duplicates("id")[["id", "text"]].reset_index(drop=True)
    tags = tag_themes(docs.assign(language="de"), text="text")
    result = []
    for theme, categories in MAPPING.items():
        labelled_ids = set(rows.loc[_matches(rows["category"], categories), "id"])
        truth = docs["id"].isin(labelled_ids).to_numpy()
        found = tags[theme].to_numpy()
        tp = int((truth & found).sum())
        precision = tp / found.sum() if found.sum() else float("nan")
        recall = tp / truth.sum() if truth.sum() else float("nan")
        f1 = 2 * precision * recall / (precision + recall) if tp else 0.0
        result.append(
            {
                "theme": theme,
                "labelled": int(truth.sum()),
                "tagged": int(found.sum()),
                "correct": tp,
                "precision": precision,
                "recall": recall,
                "f1": f1,
            }
        )
    return pd.DataFrame(result)


def main() -> None:
    path = Path(sys.argv[1]) if len(sys.argv) > 1 else _default_path()
    table = evaluate(path)
    with pd.option_context("display.width", 120, "display.float_format", "{:.2f}".format):
        print(table.to_string(index=False))
    print(
        f"macro precision {table['precision'].mean():.3f}  "
        f"macro recall {table['recall'].mean():.3f}  macro F1 {table['f1'].mean():.3f}  "
        f"({len(table)} themes, {path.name})"
    )


if __name__ == "__main__":
    main()
