#!/usr/bin/env bash
# By hand, not in CI: the real Python connector airbyte-source-cart (PyPI, HttpStream, CDK 7, incremental,
# pagination) against a local HTTPS stand-in (tools/real/cart_api.py, a self-signed certificate for 127.0.0.1
# trusted through REQUESTS_CA_BUNDLE), recorded and replayed by this checkout's replaykit.
#   bash tools/real/cart.sh [WORKDIR]     (default /tmp/rk-real-cart; removed and made anew)
# The acceptance config is airbytehq/airbyte's source-cart/acceptance-test-config.yml at 08f3ae877f05 (the legacy
# root `tests:` layout), less the entries on secrets/config_central_api_router.json: that auth method calls a
# hard-coded https://public.americommerce.com. The catalogs come from `discover`, not from the repository.
set -euo pipefail
HERE="$(cd "$(dirname "$0")/../.." && pwd)"
WORK="${1:-/tmp/rk-real-cart}"
source "$HERE/tools/real/common.sh"
install_connector airbyte-source-cart "${CART_VERSION:-0.3.58}"
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 \
  -keyout "$WORK/key.pem" -out "$WORK/cert.pem" 2>/dev/null
TOKEN="rk-cart-token-9d2e7f1c4b"
"$PY" "$HERE/tools/real/cart_api.py" "$WORK/cert.pem" "$WORK/key.pem" "$TOKEN" > "$WORK/port" &
API=$!
trap 'kill $API 2>/dev/null || true' EXIT
for _ in $(seq 50); do [ -s "$WORK/port" ] && break; sleep 0.1; done
PORT="$(cat "$WORK/port")"
export REQUESTS_CA_BUNDLE="$WORK/cert.pem"
C="$WORK/source-cart"
mkdir -p "$C/secrets" "$C/integration_tests"
cd "$C"
cred() { echo "{\"auth_type\": \"SINGLE_STORE_ACCESS_TOKEN\", \"access_token\": \"$1\", \"store_name\": \"127.0.0.1:$PORT\"}"; }
echo "{\"start_date\": \"2026-01-01T00:00:00Z\", \"credentials\": $(cred "$TOKEN")}" > secrets/config.json
echo "{\"start_date\": \"2026-01-01T00:00:00Z\", \"credentials\": $(cred wrong-token)}" > integration_tests/invalid_config.json
echo '{"orders": {"updated_at": "2121-01-01T00:00:00Z"}, "products": {"updated_at": "2121-01-01T00:00:00Z"}}' \
  > integration_tests/abnormal_state.json
catalog_from_discover "$WORK/venv/bin/source-cart" integration_tests/configured_catalog.json orders products order_statuses
cat > acceptance-test-config.yml <<'YML'
# See [Source Acceptance Tests](https://docs.airbyte.io/connector-development/testing-connectors/source-acceptance-tests-reference)
# for more information about how to configure these tests
connector_image: airbyte/source-cart:dev
tests:
  spec:
    - spec_path: "source_cart/spec.json"
      backward_compatibility_tests_config:
        disable_for_version: "0.1.6" 
  connection:
    - config_path: "secrets/config.json"
      status: "succeed"
    - config_path: "integration_tests/invalid_config.json"
      status: "failed"
      timeout_seconds: 180
  discovery:
    - config_path: "secrets/config.json"
      backward_compatibility_tests_config:
        disable_for_version: "0.1.6" 
  basic_read:
    - config_path: "secrets/config.json"
      configured_catalog_path: "integration_tests/configured_catalog.json"
      timeout_seconds: 1800
  incremental:
    - config_path: "secrets/config.json"
      configured_catalog_path: "integration_tests/configured_catalog.json"
      future_state_path: "integration_tests/abnormal_state.json"
      timeout_seconds: 1800
  full_refresh:
    - config_path: "secrets/config.json"
      configured_catalog_path: "integration_tests/configured_catalog.json"
      timeout_seconds: 1800
YML
set +e
echo "== record"; "$PY" -m replaykit record --config secrets/config.json --connector-command source-cart; echo "exit $?"
# 0.3.58 on CDK 7 never sends its token (CartStream keeps the authenticator to itself instead of passing it to
# HttpStream), so every call is a 401, as when the connector runs by hand: keep the failing recording.
echo "== record --accept-failures"
"$PY" -m replaykit record --config secrets/config.json --connector-command source-cart --accept-failures | tail -3
echo "exit $?"
kill $API 2>/dev/null; unset REQUESTS_CA_BUNDLE
replay_and_check "$TOKEN"
