# 0018: a service's Prometheus endpoint, scraped with curl while views run:
# lag reaches 0, counts match what kcat produced and what the database
# holds, stalled inputs are reported, the format is well formed, and the
# Grafana dashboard uses only served metrics.
. "$(dirname "$0")/lib.sh"
start_broker --topic m:3
if ! out=$("$PY" "$SRC/tests/integration/metrics_scrape.py" "$BIN" "$BROKERS" "$WORK" "$SRC" 2>&1); then
    echo "$out"
    fail "metrics checks failed"
fi
echo "$out"
check_match "every check of metrics_scrape.py passed" "^# [0-9]+ checks passed" "$(echo "$out" | tail -1)"
finish
