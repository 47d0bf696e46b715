"""When an alert may go out: immediately, at the next digest, or after quiet hours.

Routing is configured in ``config/nieuwswacht.yaml`` under ``routing:``; the first route whose
watchlist and channel match decides. An alert is either sent at once or *held* in the outbox
with a release time: the next fire time of its route's cron schedule (a digest), or the end of
the quiet hours. Releasing held alerts is :mod:`alerts.digest`'s job. A category listed as
urgent always goes out at once, digest or quiet hours. Times are computed in the routing's
timezone (Europe/Amsterdam by default), so "08:00" stays 08:00 across daylight saving.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from apscheduler.triggers.cron import CronTrigger

from alerts.alert import Alert
from alerts.config import RouteSettings, RoutingSettings

_CLOCK = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")
QuietHours = tuple[time, time]
IMMEDIATE = RouteSettings()
MAX_CRON_STEPS = 10_000


def parse_cron(expression: str, timezone: str) -> CronTrigger:
    """A crontab line (``0 8 * * *``) or one with seconds first (``*/5 * * * * *``)."""
    fields = expression.split()
    try:
        if len(fields) == 5:
            return CronTrigger.from_crontab(expression, timezone=timezone)
        if len(fields) == 6:
            second, minute, hour, day, month, dow = fields
            return CronTrigger(
                second=second,
                minute=minute,
                hour=hour,
                day=day,
                month=month,
                day_of_week=dow,
                timezone=timezone,
            )
    except ValueError as exc:
        raise ValueError(f"bad cron schedule {expression!r}: {exc}") from None
    raise ValueError(
        f"bad cron schedule {expression!r}: use 5 fields 'minute hour day month weekday' "
        "such as '0 8 * * *' (08:00 daily) or '0 * * * *' (hourly)"
    )


def parse_quiet_hours(value: str) -> QuietHours:
    """``22:00-07:00`` → (22:00, 07:00); the range may wrap past midnight."""
    found = _CLOCK.match(value)
    if not found:
        raise ValueError(f"quiet_hours {value!r} must look like '22:00-07:00'")
    h1, m1, h2, m2 = (int(g) for g in found.groups())
    if h1 > 23 or h2 > 23 or m1 > 59 or m2 > 59:
        raise ValueError(f"quiet_hours {value!r} has an impossible time")
    return time(h1, m1), time(h2, m2)


def in_quiet_hours(moment: datetime, quiet: QuietHours, zone: ZoneInfo) -> bool:
    local = moment.astimezone(zone).time().replace(tzinfo=None)
    start, end = quiet
    if start <= end:
        return start <= local < end
    return local >= start or local < end


def quiet_end_after(moment: datetime, quiet: QuietHours, zone: ZoneInfo) -> datetime:
    """The first end of the quiet hours after ``moment`` (in local wall-clock time)."""
    local = moment.astimezone(zone)
    end = datetime.combine(local.date(), quiet[1], tzinfo=zone)
    if end <= local:
        end = datetime.combine(local.date() + timedelta(days=1), quiet[1], tzinfo=zone)
    return end


def find_route(routing: RoutingSettings, watchlist_id: str, channel: str) -> RouteSettings:
    """The first route matching this watchlist and channel; immediate when none does."""
    for route in routing.routes:
        if route.watchlist in ("*", watchlist_id) and route.channel in ("*", channel):
            return route
    return IMMEDIATE


def is_urgent(routing: RoutingSettings, alert: Alert) -> bool:
    """True when any fired category is listed as urgent (``invasion`` or ``wl/invasion``)."""
    urgent = set(routing.urgent)
    return any(c.id in urgent or f"{alert.watchlist_id}/{c.id}" in urgent for c in alert.categories)


def release_time(
    routing: RoutingSettings, route: RouteSettings, alert: Alert, now: datetime
) -> datetime | None:
    """When a held alert is released; None means send now."""
    if is_urgent(routing, alert):
        return None
    zone = ZoneInfo(routing.timezone)
    quiet = parse_quiet_hours(route.quiet_hours) if route.quiet_hours else None
    if route.mode == "digest" and route.schedule:
        return next_digest_time(route.schedule, routing.timezone, now, quiet)
    if quiet is not None and in_quiet_hours(now, quiet, zone):
        return quiet_end_after(now, quiet, zone)
    return None


def next_digest_time(
    schedule: str, timezone: str, now: datetime, quiet: QuietHours | None = None
) -> datetime:
    """The next fire time of ``schedule`` after ``now`` that is not inside the quiet hours."""
    trigger = parse_cron(schedule, timezone)
    zone = ZoneInfo(timezone)
    moment: datetime | None = trigger.get_next_fire_time(None, now)
    for _ in range(MAX_CRON_STEPS):
        if moment is None:
            break
        if quiet is None or not in_quiet_hours(moment, quiet, zone):
            return moment
        moment = trigger.get_next_fire_time(moment, moment + timedelta(microseconds=1))
    return quiet_end_after(now, quiet, zone) if quiet else now


def release_times_for(
    routing: RoutingSettings, alert: Alert, channels: Sequence[str], now: datetime
) -> dict[str, datetime | None]:
    """Per channel: None (send now) or the time a held alert is released."""
    return {
        channel: release_time(routing, find_route(routing, alert.watchlist_id, channel), alert, now)
        for channel in channels
    }


def wake_times(routing: RoutingSettings) -> list[CronTrigger]:
    """Triggers at which held alerts become due: every digest schedule and quiet-hours end."""
    triggers: list[CronTrigger] = []
    for route in routing.routes:
        if route.mode == "digest" and route.schedule:
            triggers.append(parse_cron(route.schedule, routing.timezone))
        if route.quiet_hours:
            end = parse_quiet_hours(route.quiet_hours)[1]
            triggers.append(
                CronTrigger(hour=end.hour, minute=end.minute, second=0, timezone=routing.timezone)
            )
    return triggers
