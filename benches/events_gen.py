#!/usr/bin/env python3
"""Writes a large login/logout CSV for measuring `sessions` (see README, Performance).

usage: events_gen.py OUT.csv EVENTS [DAYS]

Deterministic: 2,000 machines, 50,000 users, login/logout pairs with minute-resolution
times over DAYS days from 2026-01-01 (UTC, explicit `Z`), ~10% lost logouts (timeouts)
and ~10% lost logins (orphans).
"""
import sys
from datetime import datetime, timedelta, timezone

import numpy as np

out, count = sys.argv[1], int(sys.argv[2])
days = int(sys.argv[3]) if len(sys.argv) > 3 else 365
rng = np.random.default_rng(20260101)
start = datetime(2026, 1, 1, tzinfo=timezone.utc)
minutes = days * 24 * 60
stamps = [(start + timedelta(minutes=m)).strftime("%Y-%m-%dT%H:%M:%SZ") for m in range(minutes + 9 * 60)]
machines = [f"ws{i:04d}" for i in range(2000)]
users = [f"u{i:05d}" for i in range(50000)]
pairs = count // 2 + count // 10
machine = rng.integers(0, 2000, pairs)
user = rng.integers(0, 50000, pairs)
login = rng.integers(0, minutes, pairs)
length = rng.integers(0, 9 * 60, pairs)
roll = rng.integers(0, 10, pairs)
written = 0
with open(out, "w", buffering=1 << 22) as f:
    f.write("time,type,machine,user\n")
    lines = []
    for m, u, t, n, r in zip(machine.tolist(), user.tolist(), login.tolist(), length.tolist(), roll.tolist()):
        who = f",{machines[m]},{users[u]}\n"
        if r != 0:
            lines.append(stamps[t] + ",logon" + who)
        if r != 1:
            lines.append(stamps[t + n] + ",logoff" + who)
        if len(lines) >= 100_000:
            take = min(len(lines), count - written)
            f.write("".join(lines[:take]))
            written += take
            lines = []
            if written >= count:
                break
    if written < count:
        f.write("".join(lines[: count - written]))
