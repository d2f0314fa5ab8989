# 0010: property test: for random streams (partitions, out-of-order events
# within the delay, duplicate timestamps, gaps, empty windows, NULLs), every
# TUMBLE / HOP / SESSION / EMIT CHANGES / GROUP BY / filter / join view run
# with --drain equals the same query computed in batch by SQLite.
. "$(dirname "$0")/lib.sh"
start_broker
for seed in 11 12 13; do
    if ! out=$("$PY" "$SRC/tests/integration/views_vs_batch.py" "$BIN" "$BROKERS" "$WORK" "$seed" 2>&1); then
        echo "$out"
        fail "seed $seed: views differ from the batch queries"
    fi
    note_exit 0 views
    check "seed $seed: 8 views equal their batch queries" 8 "$(echo "$out" | grep -c '^ok - ')"
done
finish
