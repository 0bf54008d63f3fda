# Sourced by tools/real/*.sh: a scratch venv with a PyPI connector next to this checkout's replaykit, and the
# steps every by-hand run shares.  Needs HERE (the checkout) and WORK (a scratch folder, made anew).
UV="$(command -v uv || echo "$HERE/.venv/bin/uv")"

# install_connector PACKAGE VERSION: $WORK/venv with PACKAGE==VERSION and replaykit (editable); sets PY.
install_connector() {
  rm -rf "$WORK" && mkdir -p "$WORK"
  "$UV" venv -q "$WORK/venv"
  "$UV" pip install -q -p "$WORK/venv/bin/python" "$1==$2" -e "$HERE"
  PY="$WORK/venv/bin/python"
  "$PY" -c "import importlib.metadata as m, sys; print('airbyte-cdk', m.version('airbyte-cdk'), '/', sys.argv[1], m.version(sys.argv[1]))" "$1"
}

# catalog_from_discover PROGRAM OUT STREAM...: a configured catalog of those streams from the connector's own
# discover (incremental where supported), written to OUT.
catalog_from_discover() {
  local program="$1" out="$2"
  shift 2
  "$program" discover --config secrets/config.json | "$PY" -c '
import json, sys
wanted, out = sys.argv[2:], sys.argv[1]
for line in sys.stdin:
    message = json.loads(line)
    if message.get("type") == "CATALOG":
        streams = [
            {"stream": s, "destination_sync_mode": "append",
             "sync_mode": "incremental" if "incremental" in s["supported_sync_modes"] else "full_refresh"}
            for s in message["catalog"]["streams"] if s["name"] in wanted
        ]
        json.dump({"streams": streams}, open(out, "w"), indent=2)' "$out" "$@"
}

# replay_and_check TOKEN: replay offline, then say whether replay rewrote a cassette and where TOKEN is on disk.
replay_and_check() {
  cp -r cassettes "$WORK/cassettes.recorded"
  echo "== replay (offline)"; "$PY" -m replaykit replay --json "$WORK/report.json"; echo "exit $?"
  echo "== cassettes unchanged by replay:"; diff -r -q cassettes "$WORK/cassettes.recorded" && echo yes
  if [ -n "${1:-}" ]; then echo "== where the secret is on disk:"; grep -rl -- "$1" . "$WORK/report.json" || echo "nowhere"; fi
}
