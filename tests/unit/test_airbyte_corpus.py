"""Real acceptance configs of airbytehq/airbyte (tests/fixtures/acceptance_configs/airbyte/, provenance and the
expected verdict of each in its MANIFEST.yaml) load through the real ``replaykit plan``.

Each config is put in the smallest connector directory ``plan`` accepts: the config itself, an empty
``main.py`` (a Python connector) and a stub for every committed file it names (``plan`` checks that they
exist); a state file is the connector's real one when the corpus holds it (``states/``), else ``[]``.
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from replaykit.cli import main

CORPUS = Path(__file__).resolve().parents[1] / "fixtures" / "acceptance_configs" / "airbyte"
MANIFEST: list[dict[str, Any]] = yaml.safe_load((CORPUS / "MANIFEST.yaml").read_text(encoding="utf-8"))["configs"]
CONFIGS = [e for e in MANIFEST if e["file"].endswith(".yml")]
STATES = {e["path"]: e["file"] for e in MANIFEST if e["file"].startswith("states/")}


def _named_files(node: Any, key: str = "") -> list[tuple[str, str]]:
    """(key, relative path) of every file the raw YAML names, whatever its layout or version."""
    if isinstance(node, dict):
        return [pair for k, v in node.items() for pair in _named_files(v, str(k))]
    if isinstance(node, list):
        return [pair for v in node for pair in _named_files(v, key)]
    if isinstance(node, str) and (key.endswith("_path") or key == "path"):
        return [(key, node)]
    return []


def scaffold(tmp_path: Path, entry: dict[str, Any]) -> Path:
    connector = tmp_path / Path(entry["path"]).parent.name
    connector.mkdir()
    text = (CORPUS / entry["file"]).read_text(encoding="utf-8")
    (connector / "acceptance-test-config.yml").write_text(text, encoding="utf-8")
    (connector / "main.py").write_text("", encoding="utf-8")
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError:
        return connector
    for key, relative in _named_files(raw):
        target = connector / relative
        if "secrets" in Path(relative).parts or target.exists():
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        real = STATES.get(f"{Path(entry['path']).parent}/{relative}")
        if real is not None:
            content = (CORPUS / real).read_text(encoding="utf-8")
        elif key in ("future_state_path", "state_path"):
            content = "[]"
        elif key == "configured_catalog_path":
            content = json.dumps({"streams": []})
        else:
            content = "{}"
        target.write_text(content, encoding="utf-8")
    return connector


def test_the_corpus_is_big_and_varied() -> None:
    assert len(CONFIGS) >= 40
    assert {e["expect"]["exit"] for e in CONFIGS} == {0, 1, 2}
    for entry in MANIFEST:
        assert entry["repository"] == "airbytehq/airbyte"
        assert len(entry["commit"]) == 40
        assert entry["path"].startswith("airbyte-integrations/connectors/")
        assert (CORPUS / entry["file"]).is_file()
    assert len({e["file"] for e in MANIFEST}) == len(MANIFEST)
    on_disk = {p.relative_to(CORPUS).as_posix() for p in CORPUS.rglob("*") if p.is_file() and p.name != "MANIFEST.yaml"}
    assert on_disk == {e["file"] for e in MANIFEST}  # nothing without provenance


@pytest.mark.parametrize("entry", CONFIGS, ids=[Path(e["file"]).stem for e in CONFIGS])
def test_real_config_loads_through_plan(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, entry: dict[str, Any]) -> None:
    connector = scaffold(tmp_path, entry)
    monkeypatch.chdir(connector)
    out, err = io.StringIO(), io.StringIO()
    code = main(["plan"], out=out, err=err)
    text = out.getvalue() + err.getvalue()
    expect = entry["expect"]
    assert code == expect["exit"], f"{entry['file']}: {expect['reason']}\n{text}"
    for needle in expect.get("output", []):
        assert needle in text, f"{entry['file']}: {needle!r} not in\n{text}"
    if code == 0:
        assert "strictness:" not in text
    if code == 1:
        assert "strictness: " in text
    if code == 2:
        assert "Hint:" in text or "hint:" in text.lower()
