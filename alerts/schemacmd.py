"""``nieuwswacht schema``: JSON Schemas of the YAML files, so editors complete and check them.

The schemas come straight from the pydantic models that validate the files at start, so an
editor flags exactly what ``check-config`` would reject (apart from cross-file checks). With
the YAML extension of VS Code or any yaml-language-server editor, put a first line such as
``# yaml-language-server: $schema=schema/watchlists.schema.json`` in the file.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from pydantic import BaseModel

from alerts.config import AppSettings
from alerts.watchlists import WatchlistsFile
from crawler.sites import SitesFile
from crawler.sources import SeedsFile

SCHEMAS: dict[str, tuple[type[BaseModel], str]] = {
    "nieuwswacht.schema.json": (AppSettings, "nieuwswacht main configuration"),
    "watchlists.schema.json": (WatchlistsFile, "nieuwswacht watchlists"),
    "feeds.schema.json": (SeedsFile, "nieuwswacht feed seeds (sources)"),
    "sites.schema.json": (SitesFile, "nieuwswacht crawl sites"),
}


def build_schema(model: type[BaseModel], title: str) -> dict[str, object]:
    schema = model.model_json_schema(mode="validation")
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", **schema, "title": title}


def write_schemas(folder: Path) -> list[Path]:
    """Write one schema per YAML file kind into ``folder``; return the files written."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, (model, title) in SCHEMAS.items():
        path = folder / name
        text = json.dumps(build_schema(model, title), indent=2, ensure_ascii=False)
        path.write_text(text + "\n", encoding="utf-8")
        written.append(path)
    return written


def cmd_schema(args: argparse.Namespace) -> int:
    folder = args.out if args.out is not None else args.config.parent / "schema"
    for path in write_schemas(folder):
        print(path)
    return 0
