#!/usr/bin/env bash
# Times login/logout events → sessions and `report current-users` on a generated lake.
#
# B=usagelake binary, W=work dir (default /tmp/sessions-10m), N=events (default 10M),
# DAYS=days they span (default 365). Generates W/events.csv with benches/events_gen.py once
# (reused when it exists), then, each under /usr/bin/time (wall, user CPU, peak RSS):
#   1. `usagelake run` into an empty lake: read the CSV, write `events`, derive `sessions`;
#   2. 3× `usagelake run` again with the sessions state removed: nothing new in the file,
#      so this is the derivation alone: read the 10M events back from the lake, derive every
#      session and rewrite every day of `sessions`;
#   3. 3× `usagelake run` again as is: derive, compare the day hashes, write nothing;
#   4. 3× `report current-users --at` (partition pruning: 2 of the DAYS partitions).
# The run summary's JSON log line "sessions rebuilt" gives the derivation's own seconds.
set -euo pipefail
B=${B:-usagelake}
W=${W:-/tmp/sessions-10m}
N=${N:-10000000}
DAYS=${DAYS:-365}
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$W"
if [ ! -s "$W/events.csv" ]; then
  python3 "$here/events_gen.py" "$W/events.csv.tmp" "$N" "$DAYS"
  mv "$W/events.csv.tmp" "$W/events.csv"
fi
cat > "$W/pipeline.toml" <<EOF
time_zone = "UTC"

[output]
root = "$W/lake"

[[sources]]
name = "logons"
kind = "events"
format = "csv"
paths = ["$W/events.csv"]
login_values = ["logon"]
logout_values = ["logoff"]
max_session_hours = 24
EOF
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
timed() {
  local label="$1"; shift
  /usr/bin/time -f "%e s wall, %U s user, %S s sys, %M KB peak" "$@" > "$W/out.txt" 2> "$W/err.txt" || {
    cat "$W/err.txt" >&2; exit 1; }
  echo "$label: $(tail -1 "$W/err.txt")"
}
rm -rf "$W/lake"
timed "run, empty lake (CSV → events → sessions)" "$B" run "$W/pipeline.toml"
state="$W/lake/_usagelake/state/logons.sessions.json"
for i in 1 2 3; do
  rm -f "$state"
  timed "derive sessions from the lake, every day rewritten, run$i" "$B" run "$W/pipeline.toml"
done
for i in 1 2 3; do
  timed "derive sessions from the lake, nothing changed, run$i" "$B" run "$W/pipeline.toml"
done
for i in 1 2 3; do
  timed "report current-users --at 2026-06-15T09:30:00Z, run$i" \
    "$B" report current-users "$W/pipeline.toml" --at 2026-06-15T09:30:00Z
done
echo "current-users: $(wc -l < "$W/out.txt") machines with users at that instant"
echo "events: $(find "$W/lake/logons/events" -name '*.parquet' | wc -l) partitions; sessions: $(find "$W/lake/logons/sessions" -name '*.parquet' | wc -l) partitions"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
