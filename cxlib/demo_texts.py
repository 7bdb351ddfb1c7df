"""Free-text survey comments of the demo workspace: template sentences and their composition.

:func:`compose_comments` combines one or two template sentences per comment, picked by language,
theme and polarity, with optional small fillers before and after. Every template of a theme
mentions that theme in words an analyst would search for (``delivery``, ``Lieferung``,
``levering``, ...) and avoids the words of the other themes, so theme counts stay clean.

All names, e-mail addresses and phone numbers produced here are fictional; e-mail addresses only
use the reserved ``example.com``, ``example.org`` and ``example.net`` domains.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

LANGUAGES: tuple[str, ...] = ("en", "de", "da")
"""Comment languages, in the order used by the index arrays of the generator."""

THEMES: tuple[str, ...] = (
    "delivery",
    "service",
    "staff",
    "price",
    "quality",
    "website",
    "returns",
    "assembly",
)
"""Comment themes, in the order used by the index arrays of the generator."""

# One template per line: theme, "+" (praise) or "-" (complaint), sentence.
_TEMPLATES = {
    "en": """\
delivery + Delivery was fast and the driver was very careful.
delivery + My order was delivered on the promised day.
delivery + Great delivery, the tracking link was spot on.
delivery - The delivery was two weeks late and nobody told me why.
delivery - My parcel arrived damaged, the new carrier obviously does not care.
delivery - Tracking said delivered, but nothing came for days.
delivery - Delivery was late again and the driver never called.
delivery - The carrier missed three delivery slots in a row.
delivery - The sofa came a week late and was scratched.
service + Customer service answered within minutes and solved everything.
service + The customer service team was quick and helpful on the phone.
service + I got a helpful reply from customer service the same day.
service - I waited over an hour on hold to reach customer service.
service - Customer service never answered my e-mail.
service - Had to wait days for an answer from customer service.
staff + The store staff were friendly and really knew the products.
staff + A very friendly employee helped me find the right sofa.
staff + Staff in the store took their time to help us.
staff - The staff in the store were unfriendly and uninterested.
staff - Nobody from the staff had time to help us.
staff - An employee was quite rude when I asked a question.
price + Fair prices and good offers.
price + The price was lower than I expected.
price + Great value, prices are fair.
price - Prices have gone up a lot, too expensive now.
price - Way too expensive compared to other shops.
price - The price at the till was higher than in the brochure.
quality + The quality of the table is excellent.
quality + Sturdy material, feels like it will last for years.
quality + Beautiful design and very good quality.
quality - The quality is poor, the chair wobbles after a month.
quality - Thin material, the fabric is already worn.
quality - The lamp broke after two weeks, disappointing quality.
website + The website is easy to use and checkout was quick.
website + The app makes it really easy to find things.
website + Ordering on the website took two minutes.
website - The website kept crashing at checkout.
website - The app is slow and search never finds what I want.
website - Could not log in to the app, very frustrating.
returns + Returning the lamp was easy and the refund came fast.
returns + Smooth return process, no questions asked.
returns + The refund was on my account within three days.
returns - The refund took more than a month.
returns - Returning a sofa is far too complicated.
returns - My refund still has not shown up on my account.
assembly + The assembly instructions were clear and simple.
assembly + Assembly took twenty minutes, everything fit perfectly.
assembly + Easy to assemble, all screws included.
assembly - The assembly instructions are impossible to follow.
assembly - Screws were missing and the instructions did not match.
assembly - Assembly took hours because of unclear drawings.
""",
    "de": """\
delivery + Die Lieferung kam pünktlich und der Fahrer war sehr freundlich.
delivery + Schnelle Lieferung, alles gut verpackt.
delivery + Die Sendungsverfolgung hat perfekt funktioniert, Lieferung am Wunschtermin.
delivery - Die Lieferung war zwei Wochen verspätet, niemand hat sich gemeldet.
delivery - Das Paket kam beschädigt an, der neue Zusteller ist eine Katastrophe.
delivery - Ständige Lieferverzögerung und keine Information.
delivery - Laut Sendungsverfolgung zugestellt, aber nichts ist angekommen.
delivery - Der Liefertermin wurde dreimal verschoben.
delivery - Die Lieferung kam eine Woche zu spät und der Tisch war zerkratzt.
service + Der Kundenservice hat sofort geholfen.
service + Sehr schnelle Antwort vom Kundenservice.
service + Die Hotline war schnell erreichbar und kompetent.
service - Ich habe über eine Stunde in der Warteschleife gehangen.
service - Der Kundenservice antwortet nicht auf E-Mails.
service - Tagelang auf eine Antwort vom Kundenservice gewartet.
staff + Die Mitarbeiter im Laden waren sehr freundlich.
staff + Ein Verkäufer hat uns toll beraten.
staff + Sehr hilfsbereites Personal in der Filiale.
staff - Das Personal war unfreundlich und desinteressiert.
staff - Kein Mitarbeiter hatte Zeit für uns.
staff - Der Verkäufer war ziemlich unhöflich.
price + Faire Preise und gute Angebote.
price + Der Preis war günstiger als gedacht.
price + Gutes Preis-Leistungs-Verhältnis.
price - Die Preise sind stark gestiegen, viel zu teuer.
price - Im Vergleich zu anderen Händlern zu teuer.
price - Der Preis an der Kasse war höher als im Prospekt.
quality + Die Qualität des Tisches ist hervorragend.
quality + Hochwertiges Material, wirkt sehr stabil.
quality + Schönes Design und sehr gute Qualität.
quality - Schlechte Qualität, der Stuhl wackelt nach einem Monat.
quality - Dünnes Material, der Stoff ist schon abgenutzt.
quality - Die Lampe ist nach zwei Wochen kaputt, enttäuschende Qualität.
website + Die Webseite ist übersichtlich und der Bestellvorgang schnell.
website + Mit der App findet man alles sehr leicht.
website + Die Bestellung im Online-Shop ging ganz einfach.
website - Die Webseite stürzt beim Bezahlen ständig ab.
website - Die App ist langsam und die Suche findet nichts.
website - Ich konnte mich nicht in der App anmelden.
returns + Die Retoure war unkompliziert.
returns + Die Rückgabe im Laden ging problemlos.
returns + Die Erstattung war nach drei Tagen auf dem Konto.
returns - Die Erstattung hat über einen Monat gedauert.
returns - Eine Retoure für ein Sofa ist viel zu kompliziert.
returns - Mein Geld für die Rückgabe habe ich immer noch nicht.
assembly + Die Montageanleitung war klar und einfach.
assembly + Der Aufbau hat zwanzig Minuten gedauert, alles passte.
assembly + Einfache Montage, alle Schrauben dabei.
assembly - Die Aufbauanleitung ist unverständlich.
assembly - Es fehlten Schrauben und die Anleitung passte nicht.
assembly - Die Montage hat Stunden gedauert.
""",
    "da": """\
delivery + Leveringen kom til tiden, og chaufføren var meget venlig.
delivery + Hurtig levering, og alt var godt pakket ind.
delivery + Leveringstiden var kortere end lovet.
delivery - Leveringen var to uger forsinket, og ingen sagde noget.
delivery - Pakken kom i stykker, den nye fragtmand er håbløs.
delivery - Leveringstiden er alt for lang.
delivery - Sporingen sagde leveret, men der kom ingenting.
delivery - Levering forsinket igen, og chaufføren ringede aldrig.
delivery - Sofaen blev leveret en uge for sent og var ridset.
service + Kundeservice svarede hurtigt og løste det hele.
service + Meget hjælpsom kundeservice i telefonen.
service + Jeg fik svar fra kundeservice samme dag.
service - Jeg ventede over en time i telefonkø hos kundeservice.
service - Kundeservice svarer aldrig på mails.
service - Det tog flere dage at få svar fra kundeservice.
staff + Personalet i butikken var meget venlige.
staff + En ekspedient hjalp os med at finde den rigtige sofa.
staff + Medarbejderne tog sig god tid til os.
staff - Personalet var uvenligt og uinteresseret.
staff - Ingen medarbejdere havde tid til at hjælpe.
staff - Ekspedienten var ret uhøflig.
price + Fair priser og gode tilbud.
price + Prisen var lavere end forventet.
price + Gode priser, god værdi for pengene.
price - Priserne er steget meget, alt for dyrt nu.
price - Alt for dyrt i forhold til andre butikker.
price - Prisen ved kassen passede ikke med tilbudsavisen.
quality + Kvaliteten af bordet er fremragende.
quality + Solide materialer, holder sikkert i mange år.
quality + Flot design og rigtig god kvalitet.
quality - Dårlig kvalitet, stolen vakler efter en måned.
quality - Tyndt materiale, stoffet er allerede slidt.
quality - Lampen gik i stykker efter to uger, skuffende kvalitet.
website + Hjemmesiden er nem at bruge, og betalingen gik hurtigt.
website + Appen gør det nemt at finde varer.
website + Det tog to minutter at bestille på hjemmesiden.
website - Hjemmesiden går ned ved betalingen.
website - Appen er langsom, og søgningen finder ingenting.
website - Jeg kunne ikke logge ind i appen.
returns + Det var nemt at returnere lampen, og pengene kom hurtigt.
returns + Returneringen var helt uden problemer.
returns + Refusionen var på kontoen efter tre dage.
returns - Refusionen tog over en måned.
returns - Det er alt for besværligt at returnere en sofa.
returns - Jeg har stadig ikke fået pengene for min returnering.
assembly + Samlevejledningen var klar og enkel.
assembly + Det tog tyve minutter at samle, alt passede.
assembly + Nem at samle, alle skruer var med.
assembly - Samlevejledningen er umulig at forstå.
assembly - Der manglede skruer, og vejledningen passede ikke.
assembly - Det tog flere timer at samle reolen.
""",
}


def _parse(block: str) -> dict[str, tuple[tuple[str, ...], tuple[str, ...]]]:
    """Split a block of template lines into ``{theme: (positive, negative)}``."""
    rows = [line.split(" ", 2) for line in block.splitlines() if line]

    def pick(theme: str, sign: str) -> tuple[str, ...]:
        return tuple(text for name, mark, text in rows if name == theme and mark == sign)

    return {theme: (pick(theme, "+"), pick(theme, "-")) for theme in THEMES}


SENTENCES: dict[str, dict[str, tuple[tuple[str, ...], tuple[str, ...]]]] = {
    language: _parse(block) for language, block in _TEMPLATES.items()
}
"""Template sentences: ``SENTENCES[language][theme] = (positive, negative)``."""

PREFIXES: dict[str, tuple[str, ...]] = {
    "en": ("Bought a sofa and two lamps.", "Second order this year.", "First time buying here."),
    "de": ("Sofa und Lampen gekauft.", "Zweite Bestellung dieses Jahr.", "Erster Einkauf hier."),
    "da": ("Købte en sofa og to lamper.", "Anden ordre i år.", "Første gang jeg handler her."),
}
"""Neutral openers, used for some comments."""

SUFFIXES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "en": (
        ("Thanks!", "Keep it up!", "Will definitely buy again."),
        ("Please fix this.", "Very disappointing.", "Not what I expect from you."),
    ),
    "de": (
        ("Danke!", "Weiter so!", "Gerne wieder."),
        ("Bitte verbessern.", "Sehr enttäuschend.", "So nicht."),
    ),
    "da": (
        ("Tak!", "Fortsæt sådan!", "Handler gerne igen."),
        ("Det skal I gøre bedre.", "Meget skuffende.", "Ikke godt nok."),
    ),
}
"""Closers for promoters and detractors: ``SUFFIXES[language] = (positive, negative)``."""

CONTACT_LEADS: dict[str, tuple[str, str]] = {
    "en": ("You can reach me at ", "Please call me back on "),
    "de": ("Erreichbar unter ", "Bitte rufen Sie mich zurück: "),
    "da": ("Skriv til mig på ", "Ring venligst til mig på "),
}
"""Sentence starts for personal data: ``CONTACT_LEADS[language] = (e-mail, phone)``."""

FIRST_NAMES = ("anna", "lars", "mette", "jonas", "sofie", "lukas", "julia", "mikkel", "lena")
LAST_NAMES = ("hansen", "jensen", "nielsen", "schmidt", "mueller", "larsen", "weber", "fischer")
EMAIL_DOMAINS: tuple[str, ...] = ("example.com", "example.org", "example.net")
"""Reserved domains (RFC 2606), the only ones the generator uses."""


def compose_comments(
    rng: np.random.Generator,
    lang: np.ndarray,
    group: np.ndarray,
    issue: np.ndarray,
    drawn: np.ndarray,
    danish: np.ndarray,
) -> np.ndarray:
    """Compose one comment per response; about 55% stay empty.

    Parameters
    ----------
    rng
        Random generator.
    lang
        Index into :data:`LANGUAGES` per response.
    group
        0 for detractors, 1 for passives, 2 for promoters.
    issue
        Index into :data:`THEMES` of the response's pain point, or -1 for none.
    drawn
        A random theme per response, used when there is no pain point to talk about.
    danish
        Whether the respondent lives in Denmark (chooses the phone number format).

    Returns
    -------
    numpy.ndarray
        Object array of comments, ``""`` for no comment.
    """
    n = len(lang)
    written = rng.random(n) < np.array([0.72, 0.42, 0.36])[group]
    # Detractors complain about their pain point, passives mix praise and criticism.
    first = np.where((group == 0) | ((group == 1) & (issue >= 0)), issue, drawn)
    first = np.where(first < 0, drawn, first)
    first_positive = (group == 2) | ((group == 1) & (issue < 0))
    other = (first + rng.integers(1, len(THEMES), n)) % len(THEMES)
    second_positive = np.where(group == 1, ~first_positive, first_positive)
    second = rng.random(n) < np.array([0.35, 0.6, 0.35])[group]
    text = _sentences(rng, lang, first, first_positive)
    text = text + np.where(second, " " + _sentences(rng, lang, other, second_positive), "")
    prefix, suffix = np.empty(n, dtype=object), np.empty(n, dtype=object)
    for code, language in enumerate(LANGUAGES):
        mask = lang == code
        m = int(mask.sum())
        opener = _choose(rng, PREFIXES[language], m)
        prefix[mask] = np.where(rng.random(m) < 0.4, opener, "")
        positive, negative = (_choose(rng, options, m) for options in SUFFIXES[language])
        closer = np.where(group[mask] == 2, positive, negative)
        suffix[mask] = np.where((group[mask] == 1) | (rng.random(m) < 0.5), "", closer)
    text = np.char.strip((prefix + " " + text + " " + suffix).astype(str)).astype(object)
    pii = written & (rng.random(n) < 0.025)
    text[pii] = text[pii] + " " + _contact(rng, lang[pii], danish[pii])
    return np.where(written, text, "")


def _choose(rng: np.random.Generator, options: tuple[str, ...], n: int) -> np.ndarray:
    return np.asarray(options, dtype=object)[rng.integers(0, len(options), n)]


def _sentences(
    rng: np.random.Generator, lang: np.ndarray, theme: np.ndarray, positive: np.ndarray
) -> np.ndarray:
    """One template sentence per row for the given language, theme and polarity."""
    out = np.empty(len(lang), dtype=object)
    for code, language in enumerate(LANGUAGES):
        for t, name in enumerate(THEMES):
            for polarity, options in zip((True, False), SENTENCES[language][name], strict=True):
                mask = (lang == code) & (theme == t) & (positive == polarity)
                out[mask] = _choose(rng, options, int(mask.sum()))
    return out


def _contact(rng: np.random.Generator, lang: np.ndarray, danish: np.ndarray) -> np.ndarray:
    """A sentence with a fake e-mail address or phone number (reserved domains only)."""
    n = len(lang)
    digits = pd.Series(rng.integers(20_000_000, 99_999_999, n)).astype(str)
    pairs = digits.str[:2] + " " + digits.str[2:4] + " " + digits.str[4:6] + " " + digits.str[6:]
    style = rng.integers(0, 4, n)
    german = np.array(["+49 40 ", "0171 ", "+49 151 ", "030 "], dtype=object)[style]
    local = np.where(style == 1, digits.str[:7], digits).astype(object)
    phone = np.where(danish, np.where(rng.random(n) < 0.5, "+45 " + pairs, pairs), german + local)
    number = pd.Series(rng.integers(1, 99, n)).astype(str).to_numpy(dtype=object)
    email = (
        _choose(rng, FIRST_NAMES, n)
        + "."
        + _choose(rng, LAST_NAMES, n)
        + np.where(rng.random(n) < 0.4, number, "")
        + "@"
        + _choose(rng, EMAIL_DOMAINS, n)
    )
    use_email = rng.random(n) < 0.5
    leads = np.array([CONTACT_LEADS[language] for language in LANGUAGES], dtype=object)
    return leads[lang, np.where(use_email, 0, 1)] + np.where(use_email, email, phone) + "."
