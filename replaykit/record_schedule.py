"""Which planned invocations of a recording may run at once, and running them so.

An invocation waits for the ones whose outputs it reads: every one for ``spec`` (its spec says which config
fields are secrets), a read of the discovered catalog for discover, a read from an earlier read's state for that
read; the second of two sequential reads waits for the first, as CAT runs them one after the other. Invocations
start in plan order, up to ``jobs`` at a time: one waiting for its inputs holds back the ones after it, and the
sequential-slices reads (one planned entry, run one after the other) hold back the ones after them until they
are done, so the frozen instants still increase in plan order. The invocations, their progress lines and
failures come out in plan order, as a serial run gives them.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from pathlib import Path

from replaykit import invocation_ids as ids
from replaykit.invocation_ids import Discovered, InvocationKey, Role, StateAfter
from replaykit.invocations import Invocation
from replaykit.plan import PlannedInvocation
from replaykit.recording_session import RecordingSession, Report


def inputs_of(planned: PlannedInvocation) -> set[str]:
    """The ids of the invocations whose outputs ``planned`` reads."""
    needs = set() if planned.command == "spec" else {ids.spec().id}
    if planned.role is Role.READ2:
        needs.add(InvocationKey(planned.suite, planned.key.index, Role.READ1).id)
    if isinstance(planned.catalog, Discovered):
        needs.add(ids.discovery().id)
    if isinstance(planned.state, StateAfter):
        needs.add(planned.state.invocation.id)
    return needs


def _run_one(
    session: RecordingSession, planned: PlannedInvocation, staging: Path, scratch: Path
) -> tuple[list[Invocation], list[Report]]:
    with session.held() as reports:
        if planned.role is Role.SLICES:
            return session.run_slices(planned, staging, scratch), reports
        invocation = session.attempt(planned, staging, scratch)
        return ([] if invocation is None else [invocation]), reports


def record_plan(
    session: RecordingSession,
    plan: list[PlannedInvocation],
    staging: Path,
    scratch: Path,
    *,
    jobs: int,
    after_each: Callable[[], None] = lambda: None,
) -> list[Invocation]:
    """Run every planned invocation (``session.attempt``: a failing one is noted, not raised), up to ``jobs`` at
    once; returns the recorded invocations in plan order. ``after_each`` runs after each one's reports."""
    planned_ids = {p.id for p in plan}
    waiting = list(enumerate(plan))
    running: dict[Future[tuple[list[Invocation], list[Report]]], int] = {}
    finished: dict[int, tuple[list[Invocation], list[Report]]] = {}
    done_ids: set[str] = set()
    invocations: list[Invocation] = []
    published = 0
    slots = max(1, jobs)
    pool = ThreadPoolExecutor(max_workers=slots, thread_name_prefix="replaykit-record")
    try:
        while waiting or running:
            while waiting and len(running) < slots:
                if any(plan[p].role is Role.SLICES for p in running.values()):
                    break  # the slices reads hold back what follows them
                position, planned = waiting[0]
                # (an input planned later than its reader cannot be waited for: the reader runs and says so)
                if running and not inputs_of(planned) & planned_ids <= done_ids:
                    break
                waiting.pop(0)
                running[pool.submit(_run_one, session, planned, staging, scratch)] = position
            completed, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in completed:
                position = running.pop(future)
                finished[position] = future.result()
                planned = plan[position]
                done_ids.add(planned.id)
                if planned.command == "spec" and planned.id in session.outputs:
                    session.learn_secrets(session.outputs[planned.id].spec, plan)
            while published in finished:
                recorded, reports = finished.pop(published)
                session.publish(reports)
                invocations.extend(recorded)
                after_each()
                published += 1
    except BaseException:
        if session.runner is not None:
            session.runner.stop_all()  # a live invocation may run for minutes: it is stopped, not waited for
        raise
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
    return invocations
