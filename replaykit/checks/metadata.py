"""The connector's ``metadata.yaml``, as CAT reads it (``connector_metadata`` / ``is_connector_certified``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

CERTIFIED_QL = 400


def load_metadata(connector_dir: Path | None) -> dict[str, Any]:
    """The parsed ``metadata.yaml`` of the connector directory, ``{}`` when there is none (as CAT)."""
    if connector_dir is None:
        return {}
    path = connector_dir / "metadata.yaml"
    if not path.is_file():
        return {}
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError:
        return {}
    return data if isinstance(data, dict) else {}


def certified(metadata: dict[str, Any]) -> bool:
    """CAT: ``data.ab_internal.ql >= 400``."""
    ql = ((metadata.get("data") or {}).get("ab_internal") or {}).get("ql", 0)
    return isinstance(ql, int | float) and not isinstance(ql, bool) and ql >= CERTIFIED_QL


def is_certified(connector_dir: Path | None) -> bool:
    return certified(load_metadata(connector_dir))


def certified_file_based(metadata: dict[str, Any]) -> bool:
    """CAT's ``certified_file_based_connector``: ``data.connectorSubtype == "file"`` and certified."""
    return (metadata.get("data") or {}).get("connectorSubtype") == "file" and certified(metadata)
