#!/usr/bin/env bash
# By hand, not in CI (installs a connector from PyPI, ~10 s with uv, then records and replays ~1 min):
# the real Python connector airbyte-source-faker (PyPI, pins airbyte-cdk 6) next to this checkout's replaykit,
# recorded, replayed and recorded again. Faker calls no HTTP API: this exercises the frozen clock (faker puts
# datetime objects in its records), a real Python (non-declarative) connector's console script, and replay
# without repeating --connector-command.
#   bash tools/real/faker.sh [WORKDIR]     (default /tmp/rk-real-faker; removed and made anew)
set -euo pipefail
HERE="$(cd "$(dirname "$0")/../.." && pwd)"
WORK="${1:-/tmp/rk-real-faker}"
source "$HERE/tools/real/common.sh"
install_connector airbyte-source-faker "${FAKER_VERSION:-7.2.1}"
C="$WORK/source-faker"
mkdir -p "$C/secrets" "$C/integration_tests"
cd "$C"
echo '{"count": 10, "seed": 42, "records_per_slice": 5, "parallelism": 1}' > secrets/config.json
echo '{"count": "not a number"}' > integration_tests/invalid_config.json
catalog_from_discover "$WORK/venv/bin/source-faker" integration_tests/configured_catalog.json users products
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
replay_and_check ""
# Faker stamps now() (the frozen clock: the recording's own instant) into updated_at, so a new recording differs
# in those fields, in the record digests and in recorded_at / frozen_at: see volatile_record_fields.
echo "== record again"; "$PY" -m replaykit record --config secrets/config.json --connector-command source-faker >/dev/null; echo "exit $?"
diff -r -q cassettes "$WORK/cassettes.recorded" && echo "re-recording is byte-identical"
