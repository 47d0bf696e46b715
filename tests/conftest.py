"""Shared pytest set-up. Servers used by several test modules live in tests/support/."""

from __future__ import annotations

import pathlib
from collections.abc import Iterator

import pytest

from tests.support.http_site import LocalSite

pytest_plugins = [
    "tests.support.slack_server",
    "tests.support.smtp_server",
    "tests.support.databases",
]

REPO = pathlib.Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def repo_root() -> pathlib.Path:
    return REPO


@pytest.fixture(scope="session")
def seed_article() -> str:
    """The NOS model article; a copy lives in seeds/ so the suite runs without ../shared."""
    return (REPO / "seeds" / "articles" / "nos-biden-poetin.txt").read_text(encoding="utf-8")


@pytest.fixture
def site() -> Iterator[LocalSite]:
    """A local HTTP site on 127.0.0.1 that a test fills with feeds and pages."""
    with LocalSite() as local:
        yield local
