#!/usr/bin/env bash
# Side by side with the per-request-transaction design of ../shared/bench (issue 19): for each shape and client
# count, fresh databases, the baseline and our services started together, then load.py against each in turn,
# twice (baseline, ours, baseline, ours), then `opd check`. Prints load.py's last line per run and, for ours, the
# allocator's mean time from a booking's receipt to its reply (its metric opd_command_seconds).
#
# usage: deploy/bench/side_by_side.sh [shape:clients:requests ...]   (default: the matrix in docs/performance.md)
# Needs PostgreSQL and RabbitMQ as for the tests, .venv installed, and ../shared/bench beside the repository.
set -euo pipefail
cd "$(dirname "$0")/../.."
BENCH=${OPD_BASELINE_BENCH:-../shared/bench}
RUNS=("$@")
[ ${#RUNS[@]} -gt 0 ] || RUNS=(spread:1:500 hot:1:500 spread:64:3000 hot:64:3000 spread:256:4000 hot:256:4000)
export OPD_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/opd_sbs OPD_BROKER_PREFIX=opdsbs

fresh_database() {
    psql -q -h 127.0.0.1 -U postgres -c "DROP DATABASE IF EXISTS $1" -c "CREATE DATABASE $1" 2>/dev/null
}

allocator_ms() {
    curl -s localhost:9101/metrics | awk '
        /^opd_command_seconds_sum\{type="BookToken"\}/ {s = $2}
        /^opd_command_seconds_count\{type="BookToken"\}/ {c = $2}
        END {if (c > 0) printf "%.2f", s / c * 1000; else printf "n/a"}'
}

for run in "${RUNS[@]}"; do
    IFS=: read -r shape clients requests <<< "$run"
    fresh_database opd_sbs
    fresh_database opd_baseline
    .venv/bin/opd migrate > /dev/null 2>&1
    OPD_PORT=3000 OPD_AUTH_MODE=development OPD_LOG_LEVEL=WARNING \
        OPD_RATE_LIMIT_PER_IP=100000 OPD_RATE_LIMIT_BURST_PER_IP=100000 \
        OPD_RATE_LIMIT_PER_KEY=100000 OPD_RATE_LIMIT_BURST_PER_KEY=100000 \
        setsid .venv/bin/opd up > /tmp/opd-side-by-side.log 2>&1 &
    ours=$!
    .venv/bin/python "$BENCH/baseline_server.py" --port 3100 > /tmp/opd-baseline.log 2>&1 &
    baseline=$!
    sleep 8
    for _ in 1 2; do
        echo "baseline $shape c=$clients: $(.venv/bin/python "$BENCH/load.py" http://127.0.0.1:3100 \
            --shape "$shape" --clients "$clients" --requests "$requests" | tail -1)"
        echo "ours     $shape c=$clients: $(.venv/bin/python "$BENCH/load.py" http://127.0.0.1:3000 \
            --shape "$shape" --clients "$clients" --requests "$requests" | tail -1)" \
            "| allocator receipt→reply $(allocator_ms) ms"
    done
    echo "invariants: $(.venv/bin/opd check 2>&1 | tail -1)"
    kill "$baseline"
    kill -TERM -- "-$ours" 2> /dev/null || kill "$ours"
    sleep 4
done
