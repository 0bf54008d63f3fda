"""The invocation clock: frozen at the recorded instant, advanced only by the connector's own waits.

* freezegun is started only after the CDK is imported (``pydantic.v1`` dies with "metaclass conflict"
  under a started freezer);
* the clock is per task: a backoff sleep advances the clock of the thread that slept, until that thread
  starts its next thread-pool task.  A task (one partition read) meets the same 429s and 500s at replay as
  live, so its clock is the same; what other threads see, e.g. the ``emitted_at`` the main thread stamps or
  the window end a later task computes, never depends on how the pool scheduled the work;
* "connector waits" (backoff, Retry-After, connector code calling ``time.sleep``) return at once at
  replay; scheduling sleeps of the thread machinery keep their real duration, so nothing spins.
"""

from __future__ import annotations

import datetime as dt
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from replaykit.run_result import SleepSummary

# Sleeps issued from these modules are the thread machinery waiting for real work, not the connector.
_SCHEDULING_MODULES = (
    "threading",
    "queue",
    "concurrent.",
    "asyncio",
    "multiprocessing",
    "airbyte_cdk.sources.concurrent_source",
    "airbyte_cdk.sources.streams.concurrent",
    "airbyte_cdk.sources.message",
    "airbyte_cdk.utils.memory_monitor",
    # client-side rate limiting waits live and is switched off at replay: not part of the connector's time
    "airbyte_cdk.sources.streams.call_rate",
    "pyrate_limiter",
)
# Modules that keep the real clock while frozen (freezegun ignore list, on top of its defaults).
FREEZE_IGNORE = ("pyrate_limiter",)


def parse_instant(text: str) -> dt.datetime:
    value = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    return value if value.tzinfo else value.replace(tzinfo=dt.timezone.utc)


def format_instant(value: dt.datetime) -> str:
    return value.astimezone(dt.timezone.utc).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


def now_whole_second() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc).replace(microsecond=0)


class ThreadClock:
    """A freezegun time factory: the frozen instant plus the calling thread's accumulated waits."""

    def __init__(self, instant: dt.datetime) -> None:
        self._base = instant.astimezone(dt.timezone.utc).replace(tzinfo=None)
        self._local = threading.local()

    def __call__(self) -> dt.datetime:
        return self._base + dt.timedelta(seconds=getattr(self._local, "offset", 0.0))

    def advance(self, seconds: float) -> None:
        self._local.offset = getattr(self._local, "offset", 0.0) + max(0.0, seconds)

    def new_task(self) -> None:
        """The calling thread starts unrelated work: its waits so far no longer count."""
        self._local.offset = 0.0


@dataclass
class SleepStats:
    calls: int = 0
    requested_s: float = 0.0
    performed_s: float = 0.0

    def summary(self) -> SleepSummary:
        return SleepSummary(self.calls, round(self.requested_s, 3), round(self.performed_s, 3))


def _is_scheduling_sleep(frame_globals: dict[str, object]) -> bool:
    module = str(frame_globals.get("__name__", ""))
    return module.startswith(_SCHEDULING_MODULES)


@contextmanager
def frozen_clock(instant: dt.datetime, *, skip_waits: bool, stats: SleepStats) -> Iterator[ThreadClock]:
    """Freeze time at ``instant`` for the whole process and take over ``time.sleep``."""
    import freezegun
    import freezegun.api

    real_sleep: Callable[[float], None] = time.sleep
    clock = ThreadClock(instant)

    def sleep(seconds: float) -> None:
        if _is_scheduling_sleep(sys._getframe(1).f_globals):
            real_sleep(seconds)
            return
        seconds = max(0.0, float(seconds))
        stats.calls += 1
        stats.requested_s += seconds
        clock.advance(seconds)
        if not skip_waits:
            real_sleep(seconds)
            stats.performed_s += seconds

    from concurrent.futures import thread as pool_thread

    real_work_item_run = pool_thread._WorkItem.run

    def work_item_run(item: Any) -> Any:
        clock.new_task()
        return real_work_item_run(item)

    freezer = freezegun.freeze_time(instant, tick=False, ignore=list(FREEZE_IGNORE))
    freezer.start()
    freezegun.api.freeze_factories[-1] = clock  # type: ignore[call-overload]
    time.sleep = sleep  # type: ignore[assignment]
    pool_thread._WorkItem.run = work_item_run  # type: ignore[method-assign,assignment]
    try:
        with _orjson_knows_fake_datetimes():
            yield clock
    finally:
        pool_thread._WorkItem.run = real_work_item_run  # type: ignore[method-assign]
        time.sleep = real_sleep  # type: ignore[assignment]
        freezer.stop()


@contextmanager
def _orjson_knows_fake_datetimes() -> Iterator[None]:
    """Under the freeze, ``datetime.datetime(...)`` makes freezegun's ``FakeDatetime``, a subclass that orjson
    refuses ("Type is not JSON serializable: FakeDatetime"), so a connector that puts datetimes in its records
    would die only under replaykit.  The CDK writes its messages with ``orjson.dumps``: hand orjson the real
    datetime, date or time it would have had without the freeze, and it writes the same bytes."""
    try:
        import orjson
    except ImportError:  # not a CDK connector
        yield
        return
    from freezegun.api import FakeDate, FakeDatetime, real_date, real_datetime

    real_dumps = orjson.dumps

    def unfake(value: Any) -> Any:
        if isinstance(value, FakeDatetime):
            return real_datetime(
                value.year, value.month, value.day, value.hour, value.minute, value.second,
                value.microsecond, value.tzinfo, fold=value.fold,
            )  # fmt: skip
        if isinstance(value, FakeDate):
            return real_date(value.year, value.month, value.day)
        raise TypeError(f"Type is not JSON serializable: {type(value).__name__}")

    def dumps(obj: Any, default: Callable[[Any], Any] | None = None, option: int | None = None) -> bytes:
        def fallback(value: Any) -> Any:
            if isinstance(value, FakeDatetime | FakeDate):
                return unfake(value)
            if default is None:
                raise TypeError(f"Type is not JSON serializable: {type(value).__name__}")
            return default(value)

        return real_dumps(obj, default=fallback, option=option)

    orjson.dumps = dumps
    try:
        yield
    finally:
        orjson.dumps = real_dumps


def disable_client_rate_limits() -> None:
    """At replay the CDK's client-side rate limiting (manifest ``api_budget``) only burns time: with a frozen
    clock its buckets never refill and it spins (26,018 sleeps measured).  Make acquiring a call free."""
    try:
        from airbyte_cdk.sources.streams import call_rate
    except ImportError:  # not a CDK connector
        return
    for name in ("APIBudget", "HttpAPIBudget"):
        cls = getattr(call_rate, name, None)
        if cls is not None:
            cls.acquire_call = lambda self, request, block=True, timeout=None: None
