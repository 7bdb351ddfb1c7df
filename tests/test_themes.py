"""Tests of cxlib.themes: matching tables per language, routing, taxonomies, demo story."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from cxlib.errors import WorkspaceError
from cxlib.themes import (
    example_verbatims,
    load_taxonomy,
    suggest_terms,
    tag_themes,
    theme_frequency,
    theme_impact,
)

# text, language, themes that must be found, themes that must NOT be found
CASES = [
    ("Die Lieferverzögerung nervt", "de", {"delivery", "punctuality"}, set()),
    ("Paketlieferung kam nie", "de", {"delivery"}, set()),
    ("Die LIEFERUNG war super", "de", {"delivery"}, set()),
    ("Zugverspätung wegen Störung", "de", {"punctuality", "disruption"}, set()),
    ("Die Verspaetung war lang", "de", {"punctuality"}, set()),
    ("Der Fahrpreis ist zu hoch", "de", {"price"}, set()),
    ("Die Preiserhöhung ärgert mich", "de", {"price"}, set()),
    ("Preisverleihung in Berlin", "de", set(), {"price"}),  # an award, not a price
    ("Ein Abenteuer mit der Steuer", "de", set(), {"price"}),
    ("Das WLAN im ICE geht nicht", "de", {"connectivity"}, set()),
    ("Es ist knapp geworden", "de", set(), {"website_app"}),
    ("Leveringstiden er alt for lang", "da", {"delivery"}, set()),
    ("Hjemlevering var forsinket", "da", {"delivery", "punctuality"}, set()),
    ("Flyet var forsinket igen", "da", {"punctuality"}, {"delivery"}),
    ("Kundeservice svarer aldrig", "da", {"customer_service"}, set()),
    ("Det koster for meget, alt for dyrt", "da", {"price"}, set()),
    ("Kvaliteten er daarlig", "da", {"product_quality"}, set()),
    ("Tryk på knappen", "da", set(), {"website_app"}),
    ("The courier was late", "en", {"delivery", "punctuality"}, set()),
    ("My parcel was delivered damaged", "en", {"delivery", "product_quality"}, set()),
    ("I waited an hour on hold", "en", {"waiting_time"}, set()),
    ("The app keeps crashing", "en", {"website_app"}, set()),
    ("I will order later", "en", set(), {"punctuality"}),
    ("Apparently fine", "en", set(), {"website_app"}),
    ("Refund took a month", "en", {"returns"}, set()),
    ("Screws were missing from the assembly kit", "en", {"assembly"}, set()),
]


@pytest.mark.parametrize(("text", "language", "wanted", "unwanted"), CASES)
def test_matching_table(text: str, language: str, wanted: set[str], unwanted: set[str]) -> None:
    tags = tag_themes(pd.DataFrame({"comment": [text], "language": [language]}))
    found = {theme for theme in tags.columns if tags[theme].iloc[0]}
    assert wanted <= found
    assert not unwanted & found


def test_same_theme_ids_in_every_language() -> None:
    ids = [list(load_taxonomy(code).themes) for code in ("en", "de", "da")]
    assert ids[0] == ids[1] == ids[2]
    assert {"delivery", "waiting_time", "staff", "price", "assembly", "punctuality"} <= set(ids[0])


def test_language_routing_and_caller_frame_unchanged() -> None:
    frame = pd.DataFrame(
        {
            "comment": ["levering", "levering", "Lieferung", None],
            "language": ["da", "en", "de-DE", "fr"],
        }
    )
    before = frame.copy()
    tags = tag_themes(frame)
    assert tags["delivery"].tolist() == [True, False, True, False]
    assert tags.dtypes.eq(bool).all()
    pd.testing.assert_frame_equal(frame, before)
    # without a language column everything uses the default language
    assert tag_themes(frame[["comment"]], default_language="da")["delivery"].tolist()[:2] == [
        True,
        True,
    ]


def test_extend_and_replace(tmp_path) -> None:
    extra = tmp_path / "extra.yaml"
    extra.write_text("version: 1\nthemes:\n  delivery: [drohne*]\n  loyalty: [bonus*]\n")
    extended = load_taxonomy("de", extend=extra)
    assert "drohne*" in extended.themes["delivery"] and "*liefer*" in extended.themes["delivery"]
    assert "loyalty" in extended.themes
    replaced = load_taxonomy("de", replace=extra)
    assert list(replaced.themes) == ["delivery", "loyalty"]
    frame = pd.DataFrame({"comment": ["Drohnenlieferung", "Bonuspunkte"], "language": "de"})
    tags = tag_themes(frame, taxonomies={"de": replaced}, default_language="de")
    assert tags.to_dict("list") == {"delivery": [True, False], "loyalty": [False, True]}


@pytest.mark.parametrize(
    ("text", "line", "match"),
    [
        ("themes:\n  delivery: [liefer*\n  price: [preis]\n", None, "not valid YAML"),
        ("version: 1\nthemse:\n  a: [b]\nthemes:\n  a: [b]\n", 2, "unknown key 'themse'"),
        ("themes:\n  delivery: [liefer*]\n  Price: [preis]\n", 3, "theme id 'Price'"),
        ("themes:\n  delivery: []\n", 2, "non-empty list"),
        ("themes:\n  delivery:\n    - liefer*\n    - 'a*b'\n", 4, r"bad term 'a\*b'"),
        ("- a\n", 1, "must be a mapping"),
    ],
)
def test_bad_yaml_names_file_and_line(tmp_path, text: str, line: int | None, match: str) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    with pytest.raises(WorkspaceError, match=match) as info:
        load_taxonomy("de", replace=path)
    assert info.value.file == str(path)
    if line is not None:
        assert info.value.line == line
    else:
        assert info.value.line is not None


@pytest.mark.parametrize("language", ["en", "de", "da"])
def test_the_fast_read_of_a_taxonomy_gives_what_the_line_keeping_read_gives(language: str) -> None:
    from ruamel.yaml import YAML

    from cxlib import taxonomy
    from cxlib.resources import templates_dir

    path = templates_dir() / "themes" / f"{language}.yaml"
    text = path.read_text(encoding="utf-8")
    fast = YAML(typ="safe")
    assert fast.Parser.__name__ == "CParser"  # ruamel.yaml.clib, a dependency, is used
    assert taxonomy._validated(fast.load(text), path) == taxonomy._validated(
        YAML(typ="rt").load(text), path
    )


def test_theme_impact_against_hand_computation() -> None:
    frame = pd.DataFrame(
        {
            "nps": [0, 3, 6, 10, 9, 8, 2, 10, None, 5],
            "comment": [
                "late delivery",
                "delivery and price",
                "too expensive",
                "great delivery",
                "",
                "ok",
                "",
                "fine",
                "late delivery",
                "rude staff",
            ],
        }
    )
    tags = tag_themes(frame)
    result = theme_impact(frame, tags).set_index("theme")
    # N = 9 scored, P = 3 (10, 9, 10), D = 5 (0, 3, 6, 2, 5): NPS = 100 · (3 − 5) / 9
    nps = 100 * (3 - 5) / 9
    delivery = result.loc["delivery"]
    assert delivery["n"] == 3 and delivery["detractors"] == 2
    assert delivery["detractor_share"] == pytest.approx(200 / 3)
    assert delivery["nps"] == pytest.approx(nps)
    assert delivery["nps_without"] == pytest.approx(100 * (3 - 3) / 7)
    assert delivery["points"] == pytest.approx(100 * (3 - 3) / 7 - nps)
    assert result.loc["price", "detractors"] == 2


def test_theme_frequency_shares_and_flags() -> None:
    frame = pd.DataFrame(
        {"comment": ["late delivery", "price", "", "delivery"], "region": ["a", "a", "a", "b"]}
    )
    out = theme_frequency(frame, tag_themes(frame), by=["region"])
    row = out[(out["region"] == "a") & (out["theme"] == "delivery")].iloc[0]
    assert (row["n"], row["hits"], row["share"], row["flags"]) == (2, 1, 50.0, "small_n")
    assert 0 <= row["ci_low"] < 50 < row["ci_high"] <= 100


def test_suggest_terms_is_deterministic_and_skips_covered() -> None:
    texts = pd.Series(
        ["the cushion sagged", "cushion sagged again", "sofa delivery late", "nice lamp", "lamp ok"]
        + [f"word{i} filler" for i in range(10)]
    )
    tax = load_taxonomy("en")
    first = suggest_terms(texts, tax, k=5, seed=1)
    assert first.equals(suggest_terms(texts, tax, k=5, seed=1))
    assert "cushion" in set(first["term"]) and "delivery" not in set(first["term"])


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    from cxlib.demo import generate_demo
    from cxlib.sources import load_table
    from cxlib.workspace import load_workspace

    root = tmp_path_factory.mktemp("demo")
    generate_demo(root)
    return load_table(load_workspace(root), "responses").frame


def test_demo_story_delivery_tops_hamburg_detractors(demo) -> None:
    when = pd.to_datetime(demo["submitted_at"], utc=True)
    story = demo[
        (demo["region"] == "Hamburg")
        & (demo["nps"] <= 6)
        & (when >= pd.Timestamp("2025-10-01", tz="UTC"))
        & (when < pd.Timestamp("2026-01-01", tz="UTC"))
    ]
    frequency = theme_frequency(story, tag_themes(story))
    assert frequency.iloc[0]["theme"] == "delivery"
    assert frequency.iloc[0]["share"] > 1.5 * frequency.iloc[1]["share"]


def test_demo_verbatims_are_redacted(demo) -> None:
    planted = demo[demo["comment"].astype("str").str.contains("@example|\\+49|\\+45", na=False)]
    assert len(planted) > 0
    tags = tag_themes(planted)
    for theme in tags.columns[tags.any()]:
        for order in ("shortest", "recent"):
            shown = example_verbatims(planted, tags, theme, k=10, order=order)
            assert not shown["text"].str.contains("@example|\\+49|\\+45|\\d{6}").any()


def test_workspace_taxonomies_extend_replace_and_builtin_paths(tmp_path: Path) -> None:
    from cxlib.taxonomy import workspace_taxonomies
    from cxlib.workspace import load_workspace

    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "r.csv").write_text("score,text\n9,ok\n", encoding="utf-8")
    (tmp_path / "ours.yaml").write_text(
        "version: 1\nlanguage: en\nextends: default\nthemes:\n  sustainability: [eco*, recycl*]\n",
        encoding="utf-8",
    )
    (tmp_path / "workspace.yaml").write_text(
        "version: 1\nname: T\nsources:\n  responses: {path: data/r.csv, "
        "columns: {nps: score, comment: text}}\n"
        "themes: {en: ours.yaml, de: templates/themes/de.yaml}\n",
        encoding="utf-8",
    )
    taxonomies = workspace_taxonomies(load_workspace(tmp_path))
    assert "sustainability" in taxonomies["en"].themes and "delivery" in taxonomies["en"].themes
    assert taxonomies["de"].themes == load_taxonomy("de").themes
    comments = pd.DataFrame({"comment": ["Recycled packaging, late delivery"], "language": ["en"]})
    tags = tag_themes(comments, taxonomies=taxonomies)
    assert tags.loc[0, "sustainability"] and tags.loc[0, "delivery"]
