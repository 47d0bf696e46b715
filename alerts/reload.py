"""Live configuration: validate a changed file, then swap it in, or keep the old one running.

A reload (a file under the watched folders changed, or SIGHUP) runs the whole validation of
``check-config`` off the event loop. A valid configuration replaces the matcher's watchlists
before the next article is matched and the poll jobs of added, removed or changed sources;
the log names every change. An invalid one is rejected with the validator's message (file,
line, key, fix), the running configuration stays, and the rejection is announced on the
channels once per distinct error. The configuration's version is a short hash of its files.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from alerts.errors import ConfigError
from alerts.runtime import Setup
from alerts.watchlists import WatchCategory, Watchlist
from crawler.sources import Source

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Change:
    """One difference between two configurations, for the log."""

    kind: str  # watchlist | category | rule | source | settings
    action: str  # added | removed | edited
    name: str


def config_files(setup: Setup) -> list[Path]:
    """Every file the configuration was read from, main config first."""
    config = setup.config
    return [config.path, *config.source_paths, config.watchlists_path, *config.site_paths]


def config_version(paths: Iterable[Path]) -> str:
    """A short hash of the files' contents: equal versions mean equal configurations."""
    digest = hashlib.sha256()
    for path in paths:
        digest.update(str(path).encode())
        try:
            digest.update(path.read_bytes())
        except OSError:
            digest.update(b"<missing>")
    return digest.hexdigest()[:12]


def describe_changes(old: Setup, new: Setup) -> list[Change]:
    """What ``new`` adds, removes or edits compared with ``old``."""
    changes = _diff_watchlists(old.watchlists, new.watchlists)
    changes += _diff_sources(old.sources, new.sources)
    if old.config.settings != new.config.settings:
        changes.append(Change("settings", "edited", str(new.config.path.name)))
    return changes


def _diff_watchlists(old: Iterable[Watchlist], new: Iterable[Watchlist]) -> list[Change]:
    before, after = {w.id: w for w in old}, {w.id: w for w in new}
    changes = [Change("watchlist", "added", i) for i in after.keys() - before.keys()]
    changes += [Change("watchlist", "removed", i) for i in before.keys() - after.keys()]
    for wid in sorted(before.keys() & after.keys()):
        was, now = before[wid], after[wid]
        if was == now:
            continue
        cats_was = {c.id: c for c in was.categories}
        cats_now = {c.id: c for c in now.categories}
        changes += [
            Change("category", "added", f"{wid}/{c}") for c in cats_now.keys() - cats_was.keys()
        ]
        changes += [
            Change("category", "removed", f"{wid}/{c}") for c in cats_was.keys() - cats_now.keys()
        ]
        for cid in sorted(cats_was.keys() & cats_now.keys()):
            changes += _diff_rules(f"{wid}/{cid}", cats_was[cid], cats_now[cid])
        if (was.scope, was.name, was.channels) != (now.scope, now.name, now.channels):
            changes.append(Change("watchlist", "edited", wid))
    return sorted(changes, key=lambda c: (c.kind, c.action, c.name))


def _diff_rules(name: str, was: WatchCategory, now: WatchCategory) -> list[Change]:
    """Rules by position (rule 1, rule 2, ...), then the category's other settings."""
    changes = []
    for n in range(max(len(was.rules), len(now.rules))):
        if n >= len(was.rules):
            changes.append(Change("rule", "added", f"{name}#{n + 1}"))
        elif n >= len(now.rules):
            changes.append(Change("rule", "removed", f"{name}#{n + 1}"))
        elif was.rules[n] != now.rules[n]:
            changes.append(Change("rule", "edited", f"{name}#{n + 1}"))
    if (was.label, was.threshold, was.exclusions) != (now.label, now.threshold, now.exclusions):
        changes.append(Change("category", "edited", name))
    return changes


def _diff_sources(old: Iterable[Source], new: Iterable[Source]) -> list[Change]:
    before, after = {s.id: s for s in old}, {s.id: s for s in new}
    changes = [Change("source", "added", i) for i in sorted(after.keys() - before.keys())]
    changes += [Change("source", "removed", i) for i in sorted(before.keys() - after.keys())]
    changes += [
        Change("source", "edited", i)
        for i in sorted(before.keys() & after.keys())
        if before[i] != after[i]
    ]
    return changes


Apply = Callable[[Setup, list[Change]], Awaitable[None]]
Announce = Callable[[str, str], Awaitable[object]]


class Reloader:
    """Validates and applies new configurations, one at a time."""

    def __init__(
        self,
        config_path: Path,
        setup: Setup,
        apply: Apply,
        announce: Announce,
        load: Callable[[Path], Setup] | None = None,
    ) -> None:
        from alerts.runtime import load_setup

        self.config_path = config_path
        self.setup = setup
        self.version = config_version(config_files(setup))
        self._apply = apply
        self._announce = announce
        self._load = load or load_setup
        self._lock = asyncio.Lock()
        self._announced_error: str | None = None

    async def reload(self, reason: str) -> bool:
        """Validate and apply the files as they are now; False when they were rejected."""
        async with self._lock:
            try:
                new = await asyncio.to_thread(self._load, self.config_path)
            except ConfigError as exc:
                await self._reject(str(exc), reason)
                return False
            self._announced_error = None
            version = config_version(config_files(new))
            changes = describe_changes(self.setup, new)
            if version == self.version and not changes:
                log.debug("configuration unchanged", extra={"reason": reason})
                return True
            await self._apply(new, changes)
            previous, self.setup, self.version = self.version, new, version
            for change in changes:
                log.info(
                    "configuration change",
                    extra={"kind": change.kind, "action": change.action, "what": change.name},
                )
            log.info(
                "configuration reloaded",
                extra={
                    "reason": reason,
                    "version": version,
                    "previous": previous,
                    "changes": len(changes),
                },
            )
            return True

    async def _reject(self, error: str, reason: str) -> None:
        log.error(
            "configuration rejected; the previous configuration keeps running",
            extra={"reason": reason, "error": error, "version": self.version},
        )
        if error == self._announced_error:
            return
        self._announced_error = error
        await self._announce(
            "configuratie geweigerd",
            "Een gewijzigd configuratiebestand is afgekeurd; nieuwswacht draait door met de "
            f"vorige configuratie (versie {self.version}).\n{error}",
        )

    def watched_folders(self) -> list[Path]:
        return sorted({p.resolve().parent for p in config_files(self.setup)})

    def is_config_file(self, path: str) -> bool:
        resolved = Path(path).resolve()
        return any(resolved == p.resolve() for p in config_files(self.setup))


async def watch_config(
    reloader: Reloader,
    stop: asyncio.Event,
    debounce: float,
    on_change: Callable[[str], Awaitable[object]],
) -> None:
    """Reload whenever one of the configuration's files changes on disk, until ``stop``."""
    from watchfiles import awatch

    folders = reloader.watched_folders()
    log.info("watching configuration", extra={"folders": ",".join(str(f) for f in folders)})
    async for changes in awatch(
        *folders,
        stop_event=stop,
        debounce=int(debounce * 1000),
        step=50,
        watch_filter=lambda _change, path: reloader.is_config_file(path),
        recursive=False,
    ):
        names = sorted({Path(p).name for _, p in changes})
        await on_change("file changed: " + ",".join(names))
