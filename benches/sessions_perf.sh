#!/usr/bin/env bash
# Times login/logout events → sessions and `report current-users` on a generated lake.
#
# B=usagelake binary, W=work dir (default /tmp/sessions-10m), N=events (default 10M),
# DAYS=days they span (default 365). benches/events_lake.py writes N events of an `events`
# source straight into W/lake (DuckDB, once; reused when present), with a pipeline whose
# file glob matches nothing, so each `usagelake run` reads no file and only rebuilds the
# sessions from the N events in the lake. Each step under /usr/bin/time (wall, user CPU,
# peak RSS):
#   1. 3× `usagelake run` with the sessions' state and partitions removed: read the events
#      back, derive every session, write every day of `sessions`;
#   2. 3× `usagelake run` again as is: derive, compare the day hashes, write nothing;
#   3. 3× `report current-users --at` (partition pruning: 2 of the DAYS partitions).
# The CSV reader is timed separately: benches/events_gen.py OUT.csv N, then a run.
set -euo pipefail
B=${B:-usagelake}
W=${W:-/tmp/sessions-10m}
N=${N:-10000000}
DAYS=${DAYS:-365}
here=$(cd "$(dirname "$0")" && pwd)
if [ ! -d "$W/lake/logons/events" ]; then
  python3 "$here/events_lake.py" "$W" "$N" "$DAYS"
fi
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
timed() {
  local label="$1"; shift
  /usr/bin/time -f "%e s wall, %U s user, %S s sys, %M KB peak" "$@" > "$W/out.txt" 2> "$W/err.txt" || {
    cat "$W/err.txt" >&2; exit 1; }
  echo "$label: $(tail -1 "$W/err.txt")"
}
for i in 1 2 3; do
  rm -rf "$W/lake/logons/sessions" "$W/lake/_usagelake/state/logons.sessions.json"
  timed "events → sessions, every day written, run$i" "$B" run "$W/pipeline.toml"
done
for i in 1 2 3; do
  timed "events → sessions, nothing changed, run$i" "$B" run "$W/pipeline.toml"
done
for i in 1 2 3; do
  timed "report current-users --at 2026-06-15T09:30:00Z, run$i" \
    "$B" report current-users "$W/pipeline.toml" --at 2026-06-15T09:30:00Z
done
echo "current-users: $(wc -l < "$W/out.txt") machines with users at that instant"
echo "sessions: $(find "$W/lake/logons/sessions" -name '*.parquet' | wc -l) partitions"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
