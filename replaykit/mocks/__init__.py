"""``replaykit export-mocks``: mock-server tests (airbyte_cdk.test.mock_http) generated from the
committed cassettes and invocation index, laid out as Airbyte's mock-server testing practice asks:

    unit_tests/integration/  config.py, request_builder.py, response_builder.py, utils.py, test_<stream>.py
    unit_tests/resource/http/response/  <stream>.json (one record per list), 401.json, 429.json, 500.json

Never prints; the CLI reports the returned :class:`ExportResult`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from replaykit.errors import UsageError
from replaykit.mocks.analysis import Skipped, StreamModel, analyse_stream
from replaykit.mocks.builders import render_config, render_request_builder, render_response_builder, render_utils
from replaykit.mocks.manifest import find_manifest, load_hints
from replaykit.mocks.pycode import line_length, project_line_length
from replaykit.mocks.recording import Recording, load_recording
from replaykit.mocks.render import Context, render_json
from replaykit.mocks.source import detect_source
from replaykit.mocks.stream_tests import render_test
from replaykit.mocks.writer import FileOutcome, write_files

__all__ = ["ExportResult", "export_mocks"]


@dataclass
class ExportResult:
    out: Path
    files: list[FileOutcome]
    streams: list[str]
    skipped: list[Skipped]  # streams not exported, with why
    scenarios_skipped: dict[str, list[str]] = field(default_factory=dict)  # stream -> scenarios left out


def _origin(cassette_dir: Path, connector_dir: Path) -> str:
    return Path(os.path.relpath(cassette_dir.resolve(), connector_dir.resolve())).as_posix()


def generate(
    connector_dir: Path, cassette_dir: Path, out: Path, streams: list[str] | None = None
) -> tuple[dict[str, str], list[StreamModel], list[Skipped]]:
    """The files to write (path relative to ``out`` -> text), the exported streams and the skipped ones."""
    if out.name != "unit_tests":
        raise UsageError(
            f"--out {out} must be a directory named unit_tests (the CDK's find_template looks for it)",
            hint="Pass e.g. --out path/to/source-foo/unit_tests, or leave --out out.",
        )
    recording = load_recording(cassette_dir)
    manifest = find_manifest(connector_dir)
    hints = load_hints(manifest) if manifest else {}
    names = recording.stream_names()
    unknown = [s for s in streams or [] if s not in names]
    if unknown:
        raise UsageError(
            f"stream {unknown[0]!r} is not in the recording {cassette_dir / 'index.json'}",
            hint=f"Pick from: {', '.join(names) or '(no read was recorded)'}.",
        )
    models: list[StreamModel] = []
    skipped: list[Skipped] = []
    parents: dict[str, StreamModel] = {}
    substreams = {n for n in names if n in hints and hints[n].parent is not None}
    for name in [n for n in names if n not in substreams] + [n for n in names if n in substreams]:
        result = analyse_stream(recording, name, hints.get(name), parents)
        if isinstance(result, Skipped):
            skipped.append(result)
        else:
            parents[name] = result
    models = [parents[n] for n in names if n in parents]
    skipped.sort(key=lambda s: names.index(s.stream))
    # the shared modules always cover every stream, so that exporting one stream never breaks another's tests
    selected = [m for m in models if not streams or m.name in streams]
    skipped = [s for s in skipped if not streams or s.stream in streams]
    if not selected:
        reasons = "; ".join(f"{s.stream}: {s.reason}" for s in skipped) or "no read invocation was recorded"
        raise UsageError(
            f"nothing to export from {cassette_dir / 'index.json'}: {reasons}",
            hint="Record reads first: `replaykit record --config secrets/config.json`.",
        )
    tests_dir = out / "integration"
    existing = next((p for p in [out, *out.parents] if p.is_dir()), out)
    with line_length(project_line_length(existing.resolve())):
        files = _render(connector_dir, cassette_dir, tests_dir, recording, models, selected)
    return files, selected, skipped


def _render(
    connector_dir: Path,
    cassette_dir: Path,
    tests_dir: Path,
    recording: Recording,
    models: list[StreamModel],
    selected: list[StreamModel],
) -> dict[str, str]:
    ctx = Context(
        origin=_origin(cassette_dir, connector_dir),
        config=recording.replay_config(),
        source=detect_source(connector_dir, recording.index.connector.get("kind", ""), tests_dir),
        streams=models,
    )
    files = {
        "integration/__init__.py": "",
        "integration/config.py": render_config(ctx),
        "integration/request_builder.py": render_request_builder(ctx),
        "integration/response_builder.py": render_response_builder(ctx),
        "integration/utils.py": render_utils(ctx),
    }
    for model in selected:
        files[f"integration/test_{model.name}.py"] = render_test(ctx, model)
    for model in models:  # templates are shared: a substream's tests build its parent's responses too
        files[f"resource/http/response/{model.name}.json"] = render_json(model.template)
    errors = models[0].errors
    if errors is not None:
        files[f"resource/http/response/{errors.auth_status}.json"] = render_json(errors.auth_body)
        for status, body in sorted(errors.retry_bodies.items()):
            files[f"resource/http/response/{status}.json"] = render_json(body)
    return files


def export_mocks(
    connector_dir: Path,
    cassette_dir: Path,
    *,
    out: Path | None = None,
    streams: list[str] | None = None,
    force: bool = False,
) -> ExportResult:
    """Generate the mock-server tests and write them under ``out`` (default ``<connector_dir>/unit_tests``)."""
    target = out or connector_dir / "unit_tests"
    files, models, skipped = generate(connector_dir, cassette_dir, target, streams)
    outcomes = write_files(target, files, force=force)
    return ExportResult(
        out=target,
        files=outcomes,
        streams=[m.name for m in models],
        skipped=skipped,
        scenarios_skipped={m.name: list(m.skipped) for m in models if m.skipped},
    )
