"""One story from five outlets is one alert; a new category alerts again; digests on their cron.

The daemon runs as a child process on five local feeds that each carry a lightly edited copy
of the same wire text. Slack is immediate (with a short hold to gather reprints); email gets
a digest on a seconds-level cron schedule. Everything is local (127.0.0.1).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from tests.support.daemon_proc import DaemonFiles, DaemonProcess, feed_source, wait_until
from tests.support.http_site import LocalSite, make_rss
from tests.support.slack_server import SlackServer
from tests.support.smtp_server import SmtpServer

pytestmark = pytest.mark.integration

WIRE = (
    "De Europese Unie heeft maandag een nieuw pakket sancties tegen Rusland aangekondigd. "
    "De maatregelen treffen banken, energiebedrijven en tientallen personen uit de omgeving "
    "van president Poetin. Volgens diplomaten in Brussel is het pakket het zwaarste tot nu toe. "
    "Hongarije stemde na lang onderhandelen in met de maatregelen, nadat er een uitzondering "
    "was gemaakt voor olie die per pijpleiding wordt aangevoerd. Het Kremlin noemde de "
    "sancties onwettig en kondigde tegenmaatregelen aan."
)
INVASION = " Intussen zijn Russische troepen Oekraïne binnengevallen bij Charkiv."
OUTLETS = ("nos", "ad", "trouw", "nu", "rtl")


def copy_of(text: str, outlet: str) -> str:
    return f"({outlet.upper()}/ANP) " + text.replace("maandag", "gisteren")


def item(outlet: str, slug: str, title: str, text: str) -> dict[str, str]:
    return {
        "title": title,
        "link": f"http://{outlet}.test/{slug}",
        "guid": f"{outlet}-{slug}",
        "description": text,
        "pubDate": "Thu, 30 Dec 2021 20:15:00 +0100",
    }


def write_config(tmp_path: Path, site: LocalSite, smtp: SmtpServer) -> Path:
    files = DaemonFiles(tmp_path / "etc")
    files.feeds = [
        feed_source(f"{o}-feed", site.url(f"/{o}.xml"), interval="1s", full_text=False)
        for o in OUTLETS
    ]
    files.channels = {
        "slack": {"type": "slack", "webhook_url": "${TEST_SLACK_URL}"},
        "email": {
            "type": "email",
            "host": smtp.host,
            "port": smtp.port,
            "security": "none",
            "sender": "nieuwswacht@test.invalid",
            "recipients": ["analist@test.invalid"],
        },
    }
    files.write()
    config = yaml.safe_load(files.config.read_text(encoding="utf-8"))
    config["stories"] = {"hold": 3}
    config["routing"] = {
        "routes": [{"channel": "email", "mode": "digest", "schedule": "*/3 * * * * *"}]
    }
    files.config.write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    return files.config


def test_five_outlets_one_alert_then_new_category_alerts_again(
    tmp_path: Path, site: LocalSite
) -> None:
    titles = {o: f"{o.upper()}: EU kondigt zwaarste sanctiepakket aan" for o in OUTLETS}
    for outlet in OUTLETS:
        feed = [item(outlet, "sancties", titles[outlet], copy_of(WIRE, outlet))]
        site.set(f"/{outlet}.xml", make_rss(feed), content_type="application/rss+xml")
    with SlackServer() as slack, SmtpServer() as smtp:
        config = write_config(tmp_path, site, smtp)
        daemon = DaemonProcess(config, {"TEST_SLACK_URL": slack.url}).start()
        try:
            [message] = slack.wait_for(1, timeout=60)
            daemon.wait_for_log("reprint of an alerted story", count=4, timeout=30)
            [digest] = smtp.wait_for(1, timeout=30)
            text = json.dumps(message, ensure_ascii=False)
            others = [o.upper() for o in OUTLETS if o.upper() not in text.split("Ook gemeld")[0]]
            assert "Ook gemeld door" in text and len(others) == 4, text
            assert all(o in text.split("Ook gemeld door")[1] for o in others)
            assert "Verhaal: 5 berichten" in text
            assert "1 verhaal" in str(digest["Subject"])

            follow_up = item("nos", "invasie", "NOS: troepen trekken Oekraïne binnen", WIRE)
            follow_up["description"] = copy_of(WIRE + INVASION, "nos")
            feed = [follow_up, item("nos", "sancties", titles["nos"], copy_of(WIRE, "nos"))]
            site.set("/nos.xml", make_rss(feed), content_type="application/rss+xml")
            slack.wait_for(2, timeout=60)
            smtp.wait_for(2, timeout=30)
            wait_until(lambda: daemon.log().count("source polled") > 20, 30, daemon=daemon)
            assert len(slack.messages) == 2, "a reprint alerted again"
            second = json.dumps(slack.messages[1], ensure_ascii=False)
            assert "Invasie" in second and "Ook gemeld door" in second
            assert daemon.stop() == 0
        finally:
            daemon.kill()
    mails = smtp.messages
    assert len(mails) == 2 and all("overzicht" in str(m["Subject"]) for m in mails)
