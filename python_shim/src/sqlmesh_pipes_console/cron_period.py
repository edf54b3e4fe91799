"""How long a cron can leave a model untouched: the longest gap between consecutive ticks."""

from __future__ import annotations

import functools
from datetime import datetime, timedelta, timezone

# A fixed start keeps the manifest deterministic; 400 days of ticks (5 at least: a leap year for
# yearly crons) cover weekly, monthly and weekday patterns; the tick cap bounds minute crons (a
# week of them).
_SAMPLE_FROM = datetime(2023, 1, 1, tzinfo=timezone.utc)
_SAMPLE_SPAN = timedelta(days=400)
_MIN_TICKS = 5
_MAX_TICKS = 12_000


# A project has few distinct crons and sampling a minute cron takes most of a second: once each.
@functools.lru_cache(maxsize=1024)
def cron_period_seconds(cron: str, tz: str | None = None) -> int | None:
    """The longest gap, in seconds, between two consecutive ticks of ``cron`` in time zone ``tz``
    (UTC when None; sampled from 2023-01-01, a leap year and both DST changes included); None
    when croniter cannot read it."""
    from zoneinfo import ZoneInfo

    from croniter import croniter

    try:
        start = _SAMPLE_FROM.astimezone(ZoneInfo(tz)) if tz else _SAMPLE_FROM
        ticks = croniter(cron, start)
        # Epoch seconds: subtracting two datetimes of one zone is wall-clock time (a DST day
        # would be 24 hours, not 23 or 25).
        end = (_SAMPLE_FROM + _SAMPLE_SPAN).timestamp()
        previous = ticks.get_next(float)
        longest = 0.0
        for count in range(1, _MAX_TICKS):
            tick = ticks.get_next(float)
            longest = max(longest, tick - previous)
            previous = tick
            if count >= _MIN_TICKS - 1 and tick >= end:
                break
    except (ValueError, KeyError, TypeError, LookupError):
        return None
    return int(longest) or None
