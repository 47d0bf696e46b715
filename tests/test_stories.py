"""Near-duplicate clustering: one alert per story, reprints listed, new categories re-alert."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from alerts.alert import Alert, Category
from alerts.config import StorySettings
from alerts.outbox import enqueue_alert, refresh_story_rows
from alerts.stories import assign_story, estimate_similarity, make_signature
from crawler import schema
from crawler.store import Store, open_store

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
WIRE = (
    "De Europese Unie heeft maandag een nieuw pakket sancties tegen Rusland aangekondigd. "
    "De maatregelen treffen banken, energiebedrijven en tientallen personen uit de omgeving "
    "van president Poetin. Volgens diplomaten in Brussel is het pakket het zwaarste tot nu toe. "
    "Hongarije stemde na lang onderhandelen in met de maatregelen, nadat er een uitzondering "
    "was gemaakt voor olie die per pijpleiding wordt aangevoerd. Het Kremlin noemde de "
    "sancties onwettig en kondigde tegenmaatregelen aan."
)
SANCTIONS = (Category("sanctions", "Sancties"),)


def edited(text: str, outlet: str) -> str:
    """A light edit, as outlets do with wire copy: a byline and a changed word or two."""
    return f"({outlet}/ANP) " + text.replace("maandag", "gisteren").replace("zwaarste", "hardste")


def make_alert(url: str, outlet: str, text: str, title: str = "EU: nieuwe sancties") -> Alert:
    return Alert(
        id=f"id-{outlet}",
        watchlist_id="rusland-oekraine-navo",
        watchlist_name="Rusland",
        url=url,
        title=title,
        outlet=outlet,
        published=NOW,
        categories=SANCTIONS,
        hits=(),
        text=text,
    )


def sqlite_store(tmp_path: object) -> Store:
    return open_store(f"sqlite:///{tmp_path}/stories.db")


def test_signature_finds_edited_copies_and_separates_other_stories() -> None:
    original = make_signature("EU: nieuwe sancties", WIRE)
    copy = make_signature("Zwaarste sanctiepakket ooit", edited(WIRE, "AD"))
    other = make_signature(
        "Fietsbrug geopend",
        "In Utrecht is zaterdag een nieuwe fietsbrug over het Amsterdam-Rijnkanaal geopend. "
        "De brug verbindt twee woonwijken en moet de drukte op de kruising verminderen.",
    )
    assert estimate_similarity(original, copy) >= 0.5
    assert estimate_similarity(original, other) < 0.2
    assert estimate_similarity((), original) == 0.0


def test_first_report_alerts_and_reprints_are_listed_not_alerted(tmp_path: object) -> None:
    store = sqlite_store(tmp_path)
    settings = StorySettings()
    with store.transaction() as conn:
        first = assign_story(conn, make_alert("https://nos.nl/1", "NOS", WIRE), settings, NOW)
        verdicts = [
            assign_story(
                conn,
                make_alert(f"https://{o.lower()}.nl/x", o, edited(WIRE, o), title=f"{o} kopt"),
                settings,
                NOW + timedelta(minutes=n),
            )
            for n, o in enumerate(["AD", "Trouw", "NU.nl", "RTL"], start=1)
        ]
    assert first.alert and first.new_story
    assert [v.alert for v in verdicts] == [False] * 4
    assert {v.story_id for v in verdicts} == {first.story_id}
    assert verdicts[-1].also_reported_by == ("NOS", "AD", "Trouw", "NU.nl")
    assert verdicts[-1].cluster_size == 5
    store.close()


def test_a_new_category_alerts_again_within_the_story(tmp_path: object) -> None:
    store = sqlite_store(tmp_path)
    settings = StorySettings()
    invasion = replace(
        make_alert("https://ad.nl/2", "AD", edited(WIRE, "AD")),
        categories=(*SANCTIONS, Category("invasion", "Invasie")),
    )
    with store.transaction() as conn:
        first = assign_story(conn, make_alert("https://nos.nl/1", "NOS", WIRE), settings, NOW)
        again = assign_story(conn, invasion, settings, NOW + timedelta(hours=1))
        third = assign_story(
            conn, replace(invasion, url="https://nu.nl/3", outlet="NU.nl"), settings, NOW
        )
    assert again.alert and not again.new_story and again.story_id == first.story_id
    assert again.also_reported_by == ("NOS",)
    assert not third.alert
    store.close()


def test_the_window_closes_a_story(tmp_path: object) -> None:
    store = sqlite_store(tmp_path)
    settings = StorySettings(window_hours=48)
    with store.transaction() as conn:
        first = assign_story(conn, make_alert("https://nos.nl/1", "NOS", WIRE), settings, NOW)
        late = assign_story(
            conn,
            make_alert("https://ad.nl/9", "AD", edited(WIRE, "AD")),
            settings,
            NOW + timedelta(hours=49),
        )
    assert late.alert and late.new_story and late.story_id != first.story_id
    store.close()


def test_same_url_is_the_same_story_whatever_the_text(tmp_path: object) -> None:
    store = sqlite_store(tmp_path)
    settings = StorySettings()
    with store.transaction() as conn:
        first = assign_story(conn, make_alert("https://nos.nl/1", "NOS", WIRE), settings, NOW)
        rewritten = assign_story(
            conn, make_alert("https://nos.nl/1", "NOS", "Geheel herschreven tekst."), settings, NOW
        )
    assert rewritten.story_id == first.story_id and not rewritten.alert
    store.close()


def test_a_queued_alert_is_updated_with_later_reprints(tmp_path: object) -> None:
    store = sqlite_store(tmp_path)
    settings = StorySettings()
    with store.transaction() as conn:
        alert = make_alert("https://nos.nl/1", "NOS", WIRE)
        verdict = assign_story(conn, alert, settings, NOW)
        enqueue_alert(conn, replace(alert, story_id=verdict.story_id), ["slack"], NOW)
        reprint = assign_story(
            conn, make_alert("https://ad.nl/2", "AD", edited(WIRE, "AD")), settings, NOW
        )
        updated = refresh_story_rows(conn, reprint.story_id)
        payload = conn.execute(select(schema.outbox.c.payload)).scalar_one()
    assert updated == 1
    data = json.loads(payload)
    assert data["cluster_size"] == 2
    assert data["also_reported_by"] == ["AD"]
    store.close()
