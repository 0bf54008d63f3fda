"""pytest plugin: a connector's acceptance checks as pytest items, run on replay (a thin shell over the core).

    pytest --replaykit path/to/connector        # or `replaykit = true` in the pytest ini options

Every check of an ``acceptance-test-config.yml`` under the given paths becomes an item with CAT's id, e.g.
``acceptance-test-config.yml::TestBasicRead::test_read[inputs0]``; each recorded invocation becomes
``TestReplay::test_invocation[<id>]`` and the snapshots ``TestReplay::test_snapshots``. Skips carry CAT's
reasons. Collecting replays nothing; the connector is replayed once per pytest process, when its first item
runs (offline, from its cassettes). ``--replaykit-update`` writes once, at the end of the session, and only
when ``test_snapshots`` was selected and ran (atomic writes). Nothing is shared between processes but the
cassettes, so ``pytest-xdist`` gives the serial run's results.

This module is imported in every pytest run of the environment (a ``pytest11`` entry point): it imports
nothing of replaykit until ``--replaykit`` is on (``replaykit.pytest_items`` holds the collectors and items).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from replaykit.replayer import ReplayReport


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("replaykit", "replaykit: acceptance checks on replayed cassettes")
    group.addoption(
        "--replaykit",
        action="store_true",
        default=None,
        help="collect the acceptance checks of connector directories (their acceptance-test-config.yml), run on "
        "replay from the committed cassettes",
    )
    group.addoption(
        "--replaykit-update",
        action="store_true",
        default=False,
        help="accept the replayed outputs: rewrite expected records, state snapshots and the index (offline), at "
        "the end of the session, when TestReplay::test_snapshots ran",
    )
    group.addoption(
        "--replaykit-strict",
        action="store_true",
        default=None,
        help="strict mode: whole expected records and incremental cursors are compared",
    )
    parser.addini("replaykit", type="bool", default=False, help="collect replaykit acceptance checks (--replaykit)")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "replaykit_check(suite): an acceptance check collected by replaykit, by CAT suite name"
    )
    option = config.getoption("replaykit")
    if bool(option) if option is not None else bool(config.getini("replaykit")):
        from replaykit.pytest_items import SESSION, ReplaykitSession

        session = config.stash[SESSION] = ReplaykitSession(config)
        config.pluginmanager.register(session, "replaykit-session")


@pytest.fixture
def replaykit_replay(request: pytest.FixtureRequest) -> Callable[..., ReplayReport]:
    """Replay a connector directory from a test: ``replaykit_replay(path, strict=False) -> ReplayReport``."""
    from replaykit.pytest_items import run_replay

    return run_replay(request.config)
