"""The ``nieuwswacht`` command line: one subcommand per thing an operator does.

Expected failures (a bad YAML file, an unreachable database) print one actionable message
and exit non-zero; tracebacks are kept for bugs. Exit codes: 0 ok, 1 the command's own
failure (a test alert refused), 2 configuration error, 3 store error, 130 interrupted.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from alerts import commands
from alerts.config import DEFAULT_CONFIG
from alerts.errors import ConfigError
from alerts.logs import configure_logging
from crawler.errors import StoreError

log = logging.getLogger("nieuwswacht")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="nieuwswacht",
        description="Watch Dutch news feeds and alert on escalation (sanctions, invasion, "
        "troop buildup) by Slack, email or console.",
    )
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--config",
        type=Path,
        default=DEFAULT_CONFIG,
        help=f"main config file (default: {DEFAULT_CONFIG}); paths inside it are relative to it",
    )
    common.add_argument("--log-level", choices=["DEBUG", "INFO", "WARNING", "ERROR"])
    common.add_argument("--log-format", choices=["text", "json"])
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def add(name: str, handler: Callable[[argparse.Namespace], int], text: str) -> Any:
        cmd = sub.add_parser(name, parents=[common], help=text, description=text)
        cmd.set_defaults(handler=handler)
        return cmd

    add("run", commands.cmd_run, "run the daemon in the foreground until Ctrl-C or SIGTERM")
    add(
        "check-config",
        commands.cmd_check_config,
        "validate the config, seed and watchlist files; exit 2 with file, line and key on error",
    )
    poll = add(
        "poll",
        commands.cmd_poll,
        "poll every source once, print what was new and what matched, queue and send alerts",
    )
    poll.add_argument("--once", action="store_true", required=True, help="poll once and exit")
    poll.add_argument("--source", action="append", help="only this source id (repeatable)")
    crawl = add(
        "crawl",
        _crawl_handler,
        "crawl sites (news sitemaps, section pages) in the foreground, then match and deliver",
    )
    crawl.add_argument("sites", nargs="*", metavar="SITE_ID", help="default: every enabled site")
    crawl.add_argument("--once", action="store_true", required=True, help="crawl once and exit")
    match = add(
        "match",
        _match_handler,
        "run the watchlists over articles: JSON Lines in/out (--jsonl) or a text file, "
        "shown with the hits highlighted",
    )
    match.add_argument(
        "--jsonl", metavar="FILE", help='JSON Lines {"id","title","text"}; - = stdin'
    )
    match.add_argument("file", nargs="?", help="a plain-text article (first line = title)")
    evaluate = add(
        "eval",
        _eval_handler,
        "score the watchlists on a labelled JSONL file (precision, recall, F1 per category)",
    )
    evaluate.add_argument("file", help='labelled JSON Lines {"id","title","text","expect":[..]}')
    test_alert = add(
        "test-alert", commands.cmd_test_alert, "send a sample alert on one channel, now"
    )
    test_alert.add_argument("channel", help="a channel name from the config, e.g. slack")
    add(
        "status",
        commands.cmd_status,
        "show sources (health, last article, next check), outbox, recent alerts and the "
        "running configuration's version",
    )
    schema = add(
        "schema",
        _schema_handler,
        "write JSON Schemas of the YAML files (for editor completion and checks)",
    )
    schema.add_argument(
        "--out", type=Path, help="folder to write to (default: schema/ next to the config)"
    )
    backtest = add(
        "backtest",
        _backtest_handler,
        "run the watchlists over stored articles: what would alert, and what differs from "
        "what the running configuration alerted",
    )
    backtest.add_argument("--since", help="only articles fetched since this date (2026-11-01)")
    backtest.add_argument("--watchlist", help="only this watchlist id")
    backtest.add_argument(
        "--watchlists", type=Path, help="an edited watchlists file to try instead of the config's"
    )
    backtest.add_argument("--limit", type=int, default=5000, help="newest N articles (5000)")
    outbox = add("outbox", commands.cmd_outbox, "inspect or retry undeliverable alerts")
    outbox.add_argument("action", choices=["list", "retry"])
    outbox.add_argument("ids", nargs="*", type=int, help="dead-letter ids (default: all)")
    return parser


def _schema_handler(args: argparse.Namespace) -> int:
    from alerts.schemacmd import cmd_schema

    return cmd_schema(args)


def _backtest_handler(args: argparse.Namespace) -> int:
    from alerts.backtest import cmd_backtest

    return cmd_backtest(args)


def _crawl_handler(args: argparse.Namespace) -> int:
    from alerts.crawlcmd import cmd_crawl

    return cmd_crawl(args)


def _match_handler(args: argparse.Namespace) -> int:
    from alerts.matchcmd import cmd_match

    return cmd_match(args)


def _eval_handler(args: argparse.Namespace) -> int:
    from alerts.matchcmd import cmd_eval

    return cmd_eval(args)


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    configure_logging(args.log_level or "INFO", args.log_format or "text")
    handler: Callable[[argparse.Namespace], int] = args.handler
    try:
        return handler(args)
    except ConfigError as exc:
        print(f"nieuwswacht: configuration error:\n{exc}", file=sys.stderr)
        return 2
    except StoreError as exc:
        print(f"nieuwswacht: store error: {exc}", file=sys.stderr)
        return 3
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
