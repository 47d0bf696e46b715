"""The daemon schedules Scrapy crawls beside the feed polls: a section page in, a Slack alert."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.fixtures.site import build
from tests.support.daemon_proc import DaemonFiles, DaemonProcess
from tests.support.http_site import LocalSite
from tests.support.slack_server import SlackServer

pytestmark = pytest.mark.integration


def test_daemon_crawls_a_section_page_and_alerts_once(
    tmp_path: Path, seed_article: str, slack_server: SlackServer
) -> None:
    with LocalSite() as site:
        site.set(
            "/buitenland",
            build.section_page("Buitenland", [("/artikel/1", "Biden en Poetin")]),
            content_type=build.HTML_TYPE,
        )
        paragraphs = [p for p in seed_article.split("\n\n") if p.strip()]
        page = build.article_html("Biden en Poetin", paragraphs, datetime.now(UTC))
        site.set("/artikel/1", page, content_type=build.HTML_TYPE)
        files = DaemonFiles(
            tmp_path,
            channels={"slack": {"type": "slack", "webhook_url": slack_server.url}},
            sites=[
                {
                    "id": "lokaal-buitenland",
                    "name": "Lokaal buitenland",
                    "outlet": "Testkrant",
                    "kind": "section",
                    "start_urls": [site.url("/buitenland")],
                    "link_patterns": ["/artikel/"],
                    "interval": "2s",
                }
            ],
        )
        files.write()
        daemon = DaemonProcess(files.config).start()
        try:
            [message] = slack_server.wait_for(1, timeout=90)
            assert "Biden en Poetin" in str(message)
            daemon.wait_for_log("site crawled", count=2, timeout=60)
            assert len(slack_server.requests) == 1, "a second crawl alerted again"
            assert len(site.requests_for("/artikel/1")) == 1, "a known article was fetched again"
            assert daemon.stop() == 0
        finally:
            daemon.kill()
