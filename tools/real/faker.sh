#!/usr/bin/env bash
# By hand, not in CI (installs a connector from PyPI, ~10 s with uv, then records and replays ~1 min):
# the real Python connector airbyte-source-faker (PyPI, pins airbyte-cdk 6) next to this checkout's replaykit,
# recorded and replayed. Faker calls no HTTP API: this exercises the frozen clock, a real Python
# (non-declarative) connector's entry point, and record/replay byte stability.
#   bash tools/real/faker.sh [WORKDIR]     (default /tmp/rk-real-faker; removed and made anew)
set -euo pipefail
HERE="$(cd "$(dirname "$0")/../.." && pwd)"
WORK="${1:-/tmp/rk-real-faker}"
VERSION="${FAKER_VERSION:-7.2.1}"
UV="$(command -v uv || echo "$HERE/.venv/bin/uv")"
rm -rf "$WORK" && mkdir -p "$WORK"
"$UV" venv -q "$WORK/venv"
"$UV" pip install -q -p "$WORK/venv/bin/python" "airbyte-source-faker==$VERSION" -e "$HERE"
PY="$WORK/venv/bin/python"
"$PY" -c "import importlib.metadata as m; print('airbyte-cdk', m.version('airbyte-cdk'), '/ airbyte-source-faker', m.version('airbyte-source-faker'))"
C="$WORK/source-faker"
mkdir -p "$C/secrets" "$C/integration_tests"
cd "$C"
echo '{"count": 10, "seed": 42, "records_per_slice": 5, "parallelism": 1}' > secrets/config.json
echo '{"count": "not a number"}' > integration_tests/invalid_config.json
"$WORK/venv/bin/source-faker" discover --config secrets/config.json | "$PY" -c '
import json, sys
for line in sys.stdin:
    m = json.loads(line)
    if m.get("type") == "CATALOG":
        streams = [{"stream": s, "sync_mode": "full_refresh", "destination_sync_mode": "overwrite"}
                   for s in m["catalog"]["streams"] if s["name"] in ("users", "products")]
        json.dump({"streams": streams}, open("integration_tests/configured_catalog.json", "w"), indent=2)'
cat > acceptance-test-config.yml <<'YML'
# A subset of source-faker's acceptance-test-config.yml (airbytehq/airbyte), without the files only its repo has.
connector_image: airbyte/source-faker:dev
test_strictness_level: low
acceptance_tests:
  spec:
    tests:
      - spec_path: source_faker/spec.json
  connection:
    tests:
      - config_path: secrets/config.json
        status: succeed
      - config_path: integration_tests/invalid_config.json
        status: failed
  discovery:
    tests:
      - config_path: secrets/config.json
  basic_read:
    tests:
      - config_path: secrets/config.json
        configured_catalog_path: integration_tests/configured_catalog.json
        empty_streams: []
  full_refresh:
    tests:
      - config_path: secrets/config.json
        configured_catalog_path: integration_tests/configured_catalog.json
YML
set +e
echo "== record"; "$PY" -m replaykit record --config secrets/config.json --connector-command source-faker; echo "exit $?"
cp -r cassettes "$WORK/cassettes.recorded" 2>/dev/null
echo "== replay"; "$PY" -m replaykit replay --json "$WORK/report.json"; echo "exit $?"
echo "== cassettes unchanged by replay:"; diff -r -q cassettes "$WORK/cassettes.recorded" && echo yes
echo "== record again (byte-stable?)"; "$PY" -m replaykit record --config secrets/config.json --connector-command source-faker >/dev/null; echo "exit $?"
diff -r -q cassettes "$WORK/cassettes.recorded" && echo "re-recording is byte-identical"
