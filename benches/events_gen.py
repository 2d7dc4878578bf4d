#!/usr/bin/env python3
"""Writes a large login/logout CSV for measuring `sessions` (see README, Performance).

usage: events_gen.py OUT.csv EVENTS [DAYS]

Deterministic: 2,000 machines, 50,000 users, login/logout pairs with minute-resolution
times over DAYS days from 2026-01-01 (UTC, explicit `Z`), ~10% lost logouts (timeouts)
and ~10% lost logins (orphans).
"""
import random
import sys
from datetime import datetime, timedelta, timezone

out, count = sys.argv[1], int(sys.argv[2])
days = int(sys.argv[3]) if len(sys.argv) > 3 else 365
rng = random.Random(20260101)
start = datetime(2026, 1, 1, tzinfo=timezone.utc)
minutes = days * 24 * 60
written = 0
with open(out, "w", buffering=1 << 20) as f:
    f.write("time,type,machine,user\n")
    while written < count:
        machine = f"ws{rng.randrange(2000):04d}"
        user = f"u{rng.randrange(50000):05d}"
        login = rng.randrange(minutes)
        length = rng.randrange(9 * 60)
        roll = rng.randrange(10)
        if roll != 0:
            t = start + timedelta(minutes=login)
            f.write(f"{t:%Y-%m-%dT%H:%M:%S}Z,logon,{machine},{user}\n")
            written += 1
        if roll != 1 and written < count:
            t = start + timedelta(minutes=login + length)
            f.write(f"{t:%Y-%m-%dT%H:%M:%S}Z,logoff,{machine},{user}\n")
            written += 1
