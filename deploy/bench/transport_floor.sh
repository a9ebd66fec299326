#!/usr/bin/env bash
# The transport's floor at one client (issue 19): the real gateway and broker with the allocator replaced by
# deploy/bench/stand_in_allocator.py, which answers every command at once from a recorded reply (no decision, no
# database, no events). Side by side with ../shared/bench's baseline server, alternating, as side_by_side.sh:
# first our whole system, then the floor. Prints load.py's last line per run and the CPU per request of each
# process involved (deploy/bench/cpu_of.py: the services, PostgreSQL, RabbitMQ and load.py itself).
#
# usage: deploy/bench/transport_floor.sh [clients] [requests] [rounds]   (default 1 1000 3)
# Needs PostgreSQL and RabbitMQ as for the tests, .venv installed, and ../shared/bench beside the repository.
set -euo pipefail
cd "$(dirname "$0")/../.."
BENCH=${OPD_BASELINE_BENCH:-../shared/bench}
CLIENTS=${1:-1} REQUESTS=${2:-1000} ROUNDS=${3:-3}
export OPD_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/opd_floor OPD_BROKER_PREFIX=opdfloor \
    OPD_PORT=3000 OPD_AUTH_MODE=development OPD_LOG_LEVEL=WARNING \
    OPD_RATE_LIMIT_PER_IP=100000 OPD_RATE_LIMIT_BURST_PER_IP=100000 \
    OPD_RATE_LIMIT_PER_KEY=100000 OPD_RATE_LIMIT_BURST_PER_KEY=100000
PIDS=()
trap 'kill "${PIDS[@]}" 2> /dev/null || true' EXIT
for database in opd_floor opd_baseline; do
    psql -q -h 127.0.0.1 -U postgres -c "DROP DATABASE IF EXISTS $database" -c "CREATE DATABASE $database" \
        2> /dev/null || { echo "cannot recreate the database $database (in use?)" >&2; exit 1; }
done
.venv/bin/opd migrate > /dev/null 2>&1
declare -A SERVICE
for service in allocator notifier gateway; do
    .venv/bin/python -m "$service" > "/tmp/opd-floor-$service.log" 2>&1 &
    PIDS+=($!)
    SERVICE[$service]=$!
done
.venv/bin/python "$BENCH/baseline_server.py" --port 3100 > /tmp/opd-floor-baseline.log 2>&1 &
PIDS+=($!)
SERVICE[baseline]=$!
sleep 8
load() {  # label url: load.py's last line and the CPU per request, or the end of the script if load.py fails
    local named=() name
    for name in "${!SERVICE[@]}"; do named+=("$name=${SERVICE[$name]}"); done
    echo -n "$1: "
    .venv/bin/python -m deploy.bench.cpu_of "$REQUESTS" "${named[@]}" -- \
        .venv/bin/python "$BENCH/load.py" "$2" --shape spread --clients "$CLIENTS" --requests "$REQUESTS"
}
for url in http://127.0.0.1:3000 http://127.0.0.1:3100; do  # warm both up
    .venv/bin/python "$BENCH/load.py" "$url" --shape spread --clients 1 --requests 200 > /dev/null
done
for _ in $(seq "$ROUNDS"); do load "baseline    " http://127.0.0.1:3100; load "ours        " http://127.0.0.1:3000; done
kill -TERM "${SERVICE[allocator]}" && wait "${SERVICE[allocator]}" || true
unset 'SERVICE[allocator]'
.venv/bin/python -m deploy.bench.stand_in_allocator > /tmp/opd-floor-stand-in.log 2>&1 &
PIDS+=($!)
SERVICE[stand-in]=$!
for _ in $(seq 50); do grep -q answering /tmp/opd-floor-stand-in.log && break; sleep 0.2; done
grep -q answering /tmp/opd-floor-stand-in.log || { cat /tmp/opd-floor-stand-in.log >&2; exit 1; }
for _ in $(seq "$ROUNDS"); do load "baseline    " http://127.0.0.1:3100; load "floor       " http://127.0.0.1:3000; done
