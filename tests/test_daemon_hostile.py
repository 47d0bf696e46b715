"""Hostile and broken sources beside a good one: the daemon stays up and the good alert arrives.

A trickling server, a gzip bomb, a 500, an HTML page instead of a feed and a hostile article
page share one daemon with a healthy feed. Each failure is logged with the source and a reason;
none of them delays the healthy feed's alert or takes the process down.
"""

from __future__ import annotations

import html
from pathlib import Path

import pytest

from tests.support.daemon_proc import DaemonFiles, DaemonProcess, feed_source
from tests.support.http_site import LocalSite, gzip_bomb, make_rss, status, trickle
from tests.support.slack_server import SlackServer

pytestmark = pytest.mark.integration

HOSTILE_PAGE = (
    "<html><head><script>while(true){}</script></head><body>"
    + "<div>" * 5000
    + "<p>Rusland viel Oekraïne binnen.</p>"
    + "</div>" * 10
    + "<img src=x onerror=alert(1)>"
    + "\x00\ufffe"
    + "</body></html>"
)


def test_broken_and_hostile_sources_do_not_stop_the_good_one(
    tmp_path: Path, seed_article: str, slack_server: SlackServer
) -> None:
    with LocalSite() as site:
        site.set_handler("/trickle.xml", trickle(make_rss([{"title": "x", "link": "/x"}]), 0.5))
        site.set_handler("/bomb.xml", gzip_bomb(30_000_000))
        site.set_handler("/500.xml", status(500, "kapot"))
        site.set("/html.xml", "<html><body>geen feed</body></html>", content_type="text/html")
        site.set("/hostile.html", HOSTILE_PAGE, content_type="text/html")
        site.set(
            "/hostile.xml",
            make_rss([{"title": "Vreemde pagina", "link": site.url("/hostile.html"), "guid": "h"}]),
        )
        paragraphs = "".join(f"<p>{html.escape(p)}</p>" for p in seed_article.split("\n\n"))
        site.set("/goed.html", f"<html><body><article>{paragraphs}</article></body></html>")
        site.set(
            "/goed.xml",
            make_rss([{"title": "Biden en Poetin", "link": site.url("/goed.html"), "guid": "g"}]),
        )
        feeds = ["trickle", "bomb", "500", "html", "hostile", "goed"]
        files = DaemonFiles(
            tmp_path,
            feeds=[feed_source(f"bron-{name}", site.url(f"/{name}.xml")) for name in feeds],
            channels={"slack": {"type": "slack", "webhook_url": slack_server.url}},
            polling={"max_body_bytes": 2_000_000, "deadline": 3},
        )
        files.write()
        daemon = DaemonProcess(files.config).start()
        try:
            [message] = slack_server.wait_for(1, timeout=60)
            assert "Biden en Poetin" in str(message)
            for name in ("trickle", "bomb", "500", "html"):
                daemon.wait_for_log(f"source=bron-{name}", timeout=30)
            daemon.wait_for_log("source poll failed", count=4, timeout=30)
            log = daemon.log()
            assert "Traceback" not in log
            assert "larger than the 2 MB cap" in log
            assert "HTTP 500" in log or "500" in log
            assert daemon.proc is not None and daemon.proc.poll() is None, "daemon died"
            assert daemon.stop() == 0
        finally:
            daemon.kill()
