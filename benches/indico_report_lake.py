#!/usr/bin/env python3
"""A large Indico lake for timing the Indico reports: the five datasets with the
archive's schemas (src/sources/indico/datasets.rs), Hive-partitioned like the archive.

    python3 benches/indico_report_lake.py /tmp/indico-big 20000 90

writes <dir>/pipeline.toml (source `ind`, zone America/New_York) and <dir>/lake/ind/…:
USERS users on DAYS days from 2026-08-01, two dataset grants each, 5 % of them changed a
day. The numbers are not checked against anything: correctness is the tests' job.
"""

import datetime as dt
import os
import sys

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

ROLES = ["TEAM_USER", "TEAM_DEVELOPER", "TEAM_ADMIN", "REPORT_GENERATOR",
         "MANAGE_ALL_DATA", "APP_ADMIN", "DATA_STEWARD"]
DATASET_ROLES = ["LABELER", "REVIEWER", "LABELER_AND_REVIEWER", "ANALYST", "MANAGER"]
UTC_US = pa.timestamp("us", tz="UTC")
GRANT = pa.struct([("dataset_id", pa.int32()), ("role", pa.string())])


def write(root, dataset, key, day, table):
    path = os.path.join(root, "ind", dataset, f"{key}={day.isoformat()}")
    os.makedirs(path, exist_ok=True)
    pq.write_table(table, os.path.join(path, "part-0.parquet"), compression="zstd")


def grants(ids, datasets, roles):
    """A list<struct> column with two grants per user."""
    n = len(ids)
    values = pa.StructArray.from_arrays(
        [pa.array(datasets.ravel(), pa.int32()),
         pa.array([DATASET_ROLES[r] for r in roles.ravel()], pa.string())],
        fields=list(GRANT))
    offsets = pa.array(np.arange(0, 2 * n + 1, 2, dtype=np.int32))
    return pa.ListArray.from_arrays(offsets, values)


def main():
    out, users, days = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    root = os.path.join(out, "lake")
    rng = np.random.default_rng(7)
    first = dt.date(2026, 8, 1)
    ids = np.arange(2, users + 2, dtype=np.int32)
    emails = [f"user{i}@indico.example" for i in ids]
    names = [f"User {i}" for i in ids]
    created = (np.datetime64("2025-01-01") - np.datetime64("1970-01-01")).astype("timedelta64[us]").astype(np.int64) \
        + rng.integers(0, 400 * 86_400, users) * 1_000_000
    extra_role = rng.integers(0, len(ROLES) * 3, users)  # most users hold TEAM_USER only
    enabled = rng.random(users) > 0.05
    datasets = rng.integers(1, 400, (users, 2)).astype(np.int32)
    dataset_roles = rng.integers(0, len(DATASET_ROLES), (users, 2))
    for d in range(days):
        day = first + dt.timedelta(days=d)
        changed = rng.random(users) < 0.05
        before_roles = extra_role.copy()
        before_enabled = enabled.copy()
        before_datasets = datasets.copy()
        before_dataset_roles = dataset_roles.copy()
        extra_role[changed] = rng.integers(0, len(ROLES) * 3, changed.sum())
        flip = changed & (rng.random(users) < 0.1)
        enabled[flip] = ~enabled[flip]
        datasets[changed, 0] = rng.integers(1, 400, changed.sum())
        dataset_roles[changed, 1] = rng.integers(0, len(DATASET_ROLES), changed.sum())

        def role_lists(extra):
            return [["TEAM_USER"] + ([ROLES[e]] if 0 < e < len(ROLES) else []) for e in extra]

        roles = role_lists(extra_role)
        report_date = pa.array([day] * users, pa.date32())
        write(root, "user_snapshots", "snapshot_date", day, pa.table({
            "report_date": report_date, "id": pa.array(ids), "name": names, "email": emails,
            "created_at": pa.array(created, UTC_US), "enabled": pa.array(enabled),
            "roles": pa.array(roles, pa.list_(pa.string())),
            "roles_text": [", ".join(r) for r in roles],
            "datasets": grants(ids, datasets, dataset_roles),
        }))
        write(root, "user_snapshot_datasets", "snapshot_date", day, pa.table({
            "report_date": pa.array([day] * (2 * users), pa.date32()),
            "user_id": pa.array(np.repeat(ids, 2)), "email": list(np.repeat(emails, 2)),
            "dataset_id": pa.array(datasets.ravel()),
            "role": [DATASET_ROLES[r] for r in dataset_roles.ravel()],
        }))
        write(root, "user_summary", "snapshot_date", day, pa.table({
            "report_date": pa.array([day], pa.date32()),
            "enabled": pa.array([int(enabled.sum())], pa.int32()),
            "disabled": pa.array([int((~enabled).sum())], pa.int32()),
        }))
        counts = {r: 0 for r in ROLES}
        for r in roles:
            for role in r:
                counts[role] += 1
        write(root, "user_summary_roles", "snapshot_date", day, pa.table({
            "report_date": pa.array([day] * len(ROLES), pa.date32()),
            "role": list(counts), "count": pa.array(list(counts.values()), pa.int32()),
        }))
        # The day's changes, at random seconds; local dates (New York) are UTC - 4/5 h,
        # so the partition is the UTC day minus one when the change is early.
        who = np.flatnonzero(changed)
        seconds = rng.integers(0, 86_400, len(who))
        day_us = (np.datetime64(day) - np.datetime64("1970-01-01")).astype("timedelta64[us]").astype(np.int64)
        at = day_us + seconds * 1_000_000
        local_day = np.where(seconds < 5 * 3600, -1, 0)
        for shift in (-1, 0):
            pick = local_day == shift
            if not pick.any():
                continue
            w = who[pick]
            prev = role_lists(before_roles[w])
            now = [roles[i] for i in w]
            table = pa.table({
                "id": [f"{a // 1_000_000}_{i}" for a, i in zip(at[pick], ids[w])],
                "date": pa.array(at[pick], UTC_US), "updated_at": pa.array(at[pick], UTC_US),
                "user_id": pa.array(ids[w]), "user_email": [emails[i] for i in w],
                "updated_by": pa.array([1] * len(w), pa.int32()),
                "updater_email": ["admin@indico.example"] * len(w),
                "previously_enabled": pa.array(before_enabled[w]),
                "enabled": pa.array(enabled[w]),
                "previous_roles": pa.array(prev, pa.list_(pa.string())),
                "roles": pa.array(now, pa.list_(pa.string())),
                "previous_datasets": grants(ids[w], before_datasets[w], before_dataset_roles[w]),
                "datasets": grants(ids[w], datasets[w], dataset_roles[w]),
                "changes_made": pa.array([["APP_ROLE", "DATASET_ROLE"]] * len(w), pa.list_(pa.string())),
                "previous_roles_text": [", ".join(r) for r in prev],
                "roles_text": [", ".join(r) for r in now],
                "changes_made_text": ["APP_ROLE, DATASET_ROLE"] * len(w),
            })
            local = day + dt.timedelta(days=shift)
            path = os.path.join(root, "ind", "user_changelog", f"event_date={local.isoformat()}")
            if os.path.exists(os.path.join(path, "part-0.parquet")):
                table = pa.concat_tables([pq.read_table(os.path.join(path, "part-0.parquet")), table])
            write(root, "user_changelog", "event_date", local, table)
    with open(os.path.join(out, "pipeline.toml"), "w") as f:
        f.write(f"""time_zone = "America/New_York"

[output]
root = "lake"

[[sources]]
name = "ind"
kind = "indico"
host = "indico.example"
api_token_file = "indico.token"
history_start = "{first.isoformat()}"
""")
    with open(os.path.join(out, "indico.token"), "w") as f:
        f.write("unused-by-reports\n")


if __name__ == "__main__":
    main()
