"""export-mocks in-process: the committed demo tests are what the cassettes generate today, the writer never
overwrites an edited file, layout helpers follow ruff's style, the core stays quiet."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from replaykit.errors import CassetteCorruptError
from replaykit.mocks import generate
from replaykit.mocks.analysis import StreamModel, analyse_stream
from replaykit.mocks.pycode import Code, chain, data, identifier, line_length, project_line_length
from replaykit.mocks.recording import load_recording
from replaykit.mocks.writer import MANIFEST_FILE, write_files

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "tools" / "demo" / "source-demo"
CASSETTES = ROOT / "cassettes" / "source-demo"


def test_committed_demo_tests_are_what_the_cassettes_generate() -> None:
    # kept beside the demo connector, so that copies of the connector in other tests hold no test modules
    out = ROOT / "tools" / "demo" / "source-demo-mocks" / "unit_tests"
    files, models, _ = generate(DEMO, CASSETTES, out)
    assert [m.name for m in models] == ["users", "user_plans", "events"]
    for relative, text in files.items():
        assert (out / relative).read_text(encoding="utf-8") == text, (
            f"regenerate: replaykit export-mocks --out {out} ({relative})"
        )
    recorded = json.loads((out / MANIFEST_FILE).read_text())["files"]
    assert sorted(recorded) == sorted(files)


def test_generation_is_deterministic(tmp_path: Path) -> None:
    first, _, _ = generate(DEMO, CASSETTES, tmp_path / "a" / "unit_tests")
    second, _, _ = generate(DEMO, CASSETTES, tmp_path / "b" / "unit_tests")
    assert first == second


def test_pagination_is_found_in_the_traffic_without_a_manifest() -> None:
    model = analyse_stream(load_recording(CASSETTES), "users", None)
    assert isinstance(model, StreamModel)
    assert model.pagination is not None
    assert (model.pagination.kind, model.pagination.param, model.pagination.body_path) == (
        "cursor",
        "next_token",
        ("next_token",),
    )
    assert model.page_size_param == "limit"
    assert [p.count for p in model.pages] == [5, 5, 2]  # in the order the connector asked, not the cassette's
    assert model.constant_params == {"api_key": "**REDACTED:api_key**"}
    assert model.auth_headers == {"Authorization": "Bearer **REDACTED:api_key**"}


def test_cursor_window_is_found_in_the_traffic_without_a_manifest() -> None:
    model = analyse_stream(load_recording(CASSETTES), "events", None)
    assert isinstance(model, StreamModel)
    assert (model.start_param, model.end_param, model.start_config_key) == (
        "created[gte]",
        "created[lte]",
        "start_date",
    )
    assert model.cursor_path == ("created",)  # the catalog's default cursor field
    assert model.records_path == ("data",)
    assert model.state_read is not None
    assert model.state_read.state_value == "2026-11-21T03:00:00Z"
    assert [p.count for p in model.pages][:2] == [14, 14]
    assert sum(p.count for p in model.pages) == 103


def test_writer_keeps_edited_files_and_force_replaces_them(tmp_path: Path) -> None:
    out = tmp_path / "unit_tests"
    assert [o.status for o in write_files(out, {"a.py": "x = 1\n"}, force=False)] == ["created"]
    assert [o.status for o in write_files(out, {"a.py": "x = 1\n"}, force=False)] == ["unchanged"]
    assert [o.status for o in write_files(out, {"a.py": "x = 2\n"}, force=False)] == ["updated"]
    (out / "a.py").write_text("x = 2  # mine\n")
    kept = write_files(out, {"a.py": "x = 3\n"}, force=False)
    assert [(o.status, o.beside) for o in kept] == [("kept", out / "a.py.new")]
    assert (out / "a.py").read_text() == "x = 2  # mine\n"
    assert (out / "a.py.new").read_text() == "x = 3\n"
    (out / "b.py").write_text("# the user's own file\n")
    assert [o.status for o in write_files(out, {"b.py": "y = 1\n"}, force=False)] == ["kept"]
    replaced = write_files(out, {"a.py": "x = 3\n", "b.py": "y = 1\n"}, force=True)
    assert [o.status for o in replaced] == ["replaced", "replaced"]
    assert not (out / "a.py.new").exists()
    assert [o.status for o in write_files(out, {"a.py": "x = 4\n"}, force=False)] == ["updated"]


def test_corrupt_export_manifest_is_an_error_naming_it(tmp_path: Path) -> None:
    out = tmp_path / "unit_tests"
    out.mkdir()
    (out / MANIFEST_FILE).write_text("{not json")
    with pytest.raises(CassetteCorruptError) as raised:
        write_files(out, {"a.py": ""}, force=False)
    assert str(out / MANIFEST_FILE) in str(raised.value)
    assert raised.value.exit_code == 2
    assert "Hint:" in str(raised.value)


def test_layout_follows_black_rules_at_the_line_length() -> None:
    rows = [({"created[gte]": "2026-10-01T00:00:00Z", "created[lte]": "2026-10-07T23:59:59Z"}, 14)]
    with line_length(88):
        assert data(rows, 0, "_PAGES = ") == [
            "_PAGES = [",
            "    (",
            "        {",
            '            "created[gte]": "2026-10-01T00:00:00Z",',
            '            "created[lte]": "2026-10-07T23:59:59Z",',
            "        },",
            "        14,",
            "    ),",
            "]",
        ]
        assert chain("return ", ["RequestBuilder.a()", ".with_b(_START)", ".with_c(_NOW)"], 4) == [
            "    return RequestBuilder.a().with_b(_START).with_c(_NOW)"
        ]
    with line_length(120):
        assert len(data(rows, 0, "_PAGES = ")) == 1
    assert data({"k": Code("_KEY")}, 0) == ['{"k": _KEY}']
    assert identifier("created[gte]") == "created_gte"
    assert identifier("class") == "class_"


def test_project_line_length_is_read_from_ruff_or_black_settings(tmp_path: Path) -> None:
    assert project_line_length(tmp_path) == 88
    (tmp_path / "pyproject.toml").write_text("[tool.black]\nline-length = 100\n")
    assert project_line_length(tmp_path / "sub") == 100
    (tmp_path / "ruff.toml").write_text("line-length = 110\n")
    assert project_line_length(tmp_path) == 110
    assert project_line_length(DEMO) == 120  # this repository's [tool.ruff]


def test_mocks_core_never_prints_nor_imports_pytest_or_the_cli() -> None:
    package = ROOT / "replaykit" / "mocks"
    printing = [p.name for p in package.glob("*.py") if any(ln.lstrip().startswith("print(") for ln in p.open())]
    assert printing == []
    code = "import sys, replaykit.mocks; print(sorted(m for m in sys.modules if m == 'pytest' or m == 'replaykit.cli'))"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert proc.stdout.strip() == "[]"
