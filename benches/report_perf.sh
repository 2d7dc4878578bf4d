#!/usr/bin/env bash
# Times every report over a lake made by benches/report_lake.py: 3 runs each, wall, user CPU, peak RSS.
# B=usagelake binary, P=pipeline file, F/T=range (defaults: the 10M lake of the README).
B=${B:-usagelake}
P=${P:-/tmp/reports-10m/pipeline.toml}
F=${F:-2026-10-05}; T=${T:-2026-11-01}
run() {
  local name="$1"; shift
  for i in 1 2 3; do
    /usr/bin/time -f "%e s wall, %U s user, %M KB" "$B" report "$@" > /dev/null 2> /tmp/reports-perf-one.txt
    echo "$name run$i: $(tail -1 /tmp/reports-perf-one.txt)"
  done
}
run inactive-users inactive-users "$P" --days 30 --as-of 2026-11-08
run content content "$P" --from "$F" --to "$T"
run adoption-day adoption "$P" --from "$F" --to "$T" --by day
run adoption-week adoption "$P" --from "$F" --to "$T" --by week
run maintenance-window maintenance-window "$P" --from "$F" --to "$T" --hours 4
run logins logins "$P" --from "$F" --to "$T" --format csv
run html html "$P" --from "$F" --to "$T" --as-of 2026-11-08 --out /tmp/reports-10m-usage.html
