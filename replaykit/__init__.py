"""replaykit: record an Airbyte connector's API traffic once, replay its acceptance tests offline."""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__"]
