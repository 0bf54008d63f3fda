from __future__ import annotations

import datetime as dt
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from replaykit.clock import SleepStats, format_instant, frozen_clock, parse_instant

INSTANT = parse_instant("2026-11-21T05:17:05Z")
REAL = [time.perf_counter]  # in a list: freezegun rebinds module attributes that hold time functions


def backoff_then_now(seconds: float) -> dt.datetime:
    time.sleep(seconds)  # a connector wait: skipped at replay, but it moves this task's clock
    return dt.datetime.now(dt.timezone.utc)


def now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def test_waits_are_skipped_but_advance_the_waiting_task_only() -> None:
    stats = SleepStats()
    with frozen_clock(INSTANT, skip_waits=True, stats=stats), ThreadPoolExecutor(max_workers=1) as pool:
        after_wait = pool.submit(backoff_then_now, 30).result()
        next_task = pool.submit(now).result()  # same worker thread, new task: back at the instant
        main = now()
    assert format_instant(after_wait) == "2026-11-21T05:17:35Z"
    assert next_task == main == INSTANT
    assert (stats.calls, stats.requested_s, stats.performed_s) == (1, 30.0, 0.0)


def test_record_mode_really_waits() -> None:
    stats = SleepStats()
    with frozen_clock(INSTANT, skip_waits=False, stats=stats):
        started = REAL[0]()
        time.sleep(0.2)
        elapsed = REAL[0]() - started
        assert format_instant(now()) == "2026-11-21T05:17:05Z"  # 0.2 s later, same whole second
    assert stats.performed_s == 0.2
    assert elapsed >= 0.2


def kernel_now(tmp_path: Path) -> float:
    """The machine's time as the kernel stamps a new file: no Python clock patch reaches it."""
    marker = tmp_path / "now"
    marker.write_bytes(b"")
    return marker.stat().st_mtime


def clock_is_real(tmp_path: Path) -> bool:
    real = kernel_now(tmp_path)
    python_clocks = (dt.datetime.now(dt.timezone.utc).timestamp(), time.time(), time.time_ns() / 1e9)
    return all(abs(t - real) < 60 for t in python_clocks) and type(dt.datetime.now()) is dt.datetime


def test_clock_is_restored(tmp_path: Path) -> None:
    with frozen_clock(INSTANT, skip_waits=True, stats=SleepStats()):
        assert not clock_is_real(tmp_path)  # the probe sees a frozen clock (INSTANT is not now)
    assert clock_is_real(tmp_path)
    assert time.sleep.__module__ == "time"


def test_datetimes_made_under_the_freeze_serialise_as_real_ones() -> None:
    import orjson

    values = {"at": dt.datetime(2008, 9, 13, 1, 2, 3, 456, tzinfo=dt.timezone.utc), "day": dt.date(2008, 9, 13)}
    outside, real_dumps = orjson.dumps(values), orjson.dumps
    with frozen_clock(INSTANT, skip_waits=True, stats=SleepStats()):
        made_frozen = {
            "at": dt.datetime(2008, 9, 13, 1, 2, 3, 456, tzinfo=dt.timezone.utc),
            "day": dt.date(2008, 9, 13),
        }
        assert type(made_frozen["at"]).__name__ == "FakeDatetime"
        inside = orjson.dumps(made_frozen)
        sorted_keys = orjson.dumps({"z": dt.datetime.now(), "a": 1}, option=orjson.OPT_SORT_KEYS)
        assert orjson.dumps({1}, default=list) == b"[1]"  # a caller's own default still applies
    assert inside == outside
    assert sorted_keys == b'{"a":1,"z":"2026-11-21T05:17:05"}'
    assert orjson.dumps is real_dumps  # restored after the freeze
