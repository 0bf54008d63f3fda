"""``python -m replaykit`` is the ``replaykit`` command."""

from replaykit.cli import run

run()
