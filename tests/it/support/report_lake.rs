//! A generated lake for the report tests: a Tableau source (`tab`, two sites) and an
//! ArcGIS source (`agol`), written with the real datasets' schemas, deterministic
//! pseudo-random activity over three weeks that cross the end of daylight saving time in
//! Europe/Zurich (2026-10-25), plus the awkward cases: anonymous requests (user id NULL
//! and 0), a user missing from `system_users`, deleted and never-viewed content, content
//! created after the range, members who never signed in, two snapshots of the users.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow_array::{
    new_null_array, ArrayRef, BooleanArray, Int32Array, Int64Array, RecordBatch, StringArray,
    TimestampMicrosecondArray,
};
use arrow_schema::{DataType, Field, Schema, SchemaRef};
use chrono::{Duration, NaiveDate, TimeZone};
use parquet::arrow::ArrowWriter;

pub const TZ: &str = "Europe/Zurich";
pub const FIRST_DAY: (i32, u32, u32) = (2026, 10, 19);
pub const DAYS: i64 = 21;

/// One cell of a generated row.
#[derive(Debug, Clone)]
pub enum V {
    I(i64),
    S(String),
    T(i64),
    B(bool),
}

pub type Row = Vec<(&'static str, V)>;

fn s(text: impl Into<String>) -> V {
    V::S(text.into())
}

/// A batch of `schema` with the given values; columns a row does not name are NULL.
pub fn batch(schema: &SchemaRef, rows: &[Row]) -> RecordBatch {
    let value =
        |row: &Row, name: &str| row.iter().find(|(k, _)| *k == name).map(|(_, v)| v.clone());
    let columns: Vec<ArrayRef> = schema
        .fields()
        .iter()
        .map(|f| {
            let values: Vec<Option<V>> = rows.iter().map(|r| value(r, f.name())).collect();
            let array: ArrayRef = match f.data_type() {
                DataType::Int32 => {
                    Arc::new(Int32Array::from_iter(values.iter().map(|v| match v {
                        Some(V::I(i)) => Some(*i as i32),
                        _ => None,
                    })))
                }
                DataType::Int64 => {
                    Arc::new(Int64Array::from_iter(values.iter().map(|v| match v {
                        Some(V::I(i)) => Some(*i),
                        _ => None,
                    })))
                }
                DataType::Utf8 => {
                    Arc::new(StringArray::from_iter(values.iter().map(|v| match v {
                        Some(V::S(t)) => Some(t.clone()),
                        _ => None,
                    })))
                }
                DataType::Boolean => {
                    Arc::new(BooleanArray::from_iter(values.iter().map(|v| match v {
                        Some(V::B(b)) => Some(*b),
                        _ => None,
                    })))
                }
                DataType::Timestamp(_, zone) => Arc::new(
                    TimestampMicrosecondArray::from_iter(values.iter().map(|v| match v {
                        Some(V::T(t)) => Some(*t),
                        _ => None,
                    }))
                    .with_timezone_opt(zone.clone()),
                ),
                other => new_null_array(other, rows.len()),
            };
            array
        })
        .collect();
    // The lake's files declare every column nullable except keys; NULL-filled optional
    // columns must not trip a non-nullable field here.
    let fields: Vec<Field> = schema
        .fields()
        .iter()
        .map(|f| f.as_ref().clone().with_nullable(true))
        .collect();
    RecordBatch::try_new(Arc::new(Schema::new(fields)), columns).unwrap()
}

pub fn write(
    root: &Path,
    source: &str,
    dataset: &str,
    partition: &str,
    schema: &SchemaRef,
    rows: &[Row],
) {
    let dir = root.join(source).join(dataset).join(partition);
    std::fs::create_dir_all(&dir).unwrap();
    let b = batch(schema, rows);
    let mut writer = ArrowWriter::try_new(
        File::create(dir.join("part-0.parquet")).unwrap(),
        b.schema(),
        None,
    )
    .unwrap();
    writer.write(&b).unwrap();
    writer.close().unwrap();
}

fn spec_schema(dataset: &str) -> SchemaRef {
    let spec = usagelake::sources::tableau::tables::table_spec(dataset, false).unwrap();
    Arc::new(Schema::new(
        spec.columns
            .iter()
            .map(|c| Field::new(&c.name, c.pg_type.arrow_type(), true))
            .collect::<Vec<_>>(),
    ))
}

/// Deterministic pseudo-random numbers (a 64-bit LCG: reproducible on every platform).
struct Lcg(u64);

impl Lcg {
    fn below(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) % n
    }
}

pub fn first_day() -> NaiveDate {
    NaiveDate::from_ymd_opt(FIRST_DAY.0, FIRST_DAY.1, FIRST_DAY.2).unwrap()
}

fn utc_us(local: chrono::NaiveDateTime) -> i64 {
    let tz: chrono_tz::Tz = TZ.parse().unwrap();
    tz.from_local_datetime(&local)
        .earliest()
        .unwrap()
        .timestamp_micros()
}

fn day_name(d: NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

pub struct ReportLake {
    pub dir: tempfile::TempDir,
    pub pipeline: PathBuf,
}

impl ReportLake {
    pub fn root(&self) -> PathBuf {
        self.dir.path().join("lake")
    }
}

/// Tableau people: (system user id, name, friendly name, site memberships as
/// (users.id, site id, site role id)).
const PEOPLE: usize = 14;

pub fn generate() -> ReportLake {
    let dir = tempfile::tempdir().unwrap();
    let pipeline = dir.path().join("pipeline.toml");
    std::fs::write(
        &pipeline,
        format!(
            r#"time_zone = "{TZ}"

[output]
root = "lake"

[[sources]]
name = "tab"
kind = "tableau"
host = "127.0.0.1"
user = "readonly"
password_env = "UNUSED_BY_REPORTS"

[[sources]]
name = "agol"
kind = "arcgis"
portal_url = "https://example.maps.arcgis.com"
username = "admin"
password_env = "UNUSED_BY_REPORTS"
"#
        ),
    )
    .unwrap();
    let root = dir.path().join("lake");
    tableau(&root);
    arcgis(&root);
    ReportLake { dir, pipeline }
}

fn tableau(root: &Path) {
    let mut rng = Lcg(7);
    let first = first_day();
    let snap1 = day_name(first);
    let snap2 = day_name(first + Duration::days(10));
    let t = |d: NaiveDate, h: u32, m: u32| utc_us(d.and_hms_opt(h, m, 0).unwrap());

    write(
        root,
        "tab",
        "sites",
        &format!("snapshot_date={snap1}"),
        &spec_schema("sites"),
        &[
            vec![
                ("id", V::I(1)),
                ("name", s("Default")),
                ("url_namespace", s("")),
            ],
            vec![
                ("id", V::I(2)),
                ("name", s("Finance")),
                ("url_namespace", s("finance")),
            ],
        ],
    );
    let roles = [
        "SiteAdministrator",
        "SupportUser",
        "Publisher",
        "Interactor",
        "ViewerWithPublish",
        "Viewer",
        "UnlicensedWithPublish",
        "Guest",
        "Unlicensed",
        "BasicUser",
        "Creator",
        "SiteAdministratorCreator",
    ];
    let role_rows: Vec<Row> = roles
        .iter()
        .enumerate()
        .map(|(i, r)| {
            vec![
                ("id", V::I(i as i64)),
                ("name", s(*r)),
                ("display_name", s(r.replace("Site", "Site "))),
            ]
        })
        .collect();
    write(
        root,
        "tab",
        "site_roles",
        &format!("snapshot_date={snap1}"),
        &spec_schema("site_roles"),
        &role_rows,
    );

    // Person k (0-based): system user 101+k, member of site 1 as user 1001+k, and persons
    // 0..5 also of site 2 as user 2001+k. Person 13 has no system_users row (deleted).
    let mut system_users = Vec::new();
    for k in 0..PEOPLE - 1 {
        system_users.push(vec![
            ("id", V::I(101 + k as i64)),
            ("name", s(format!("user{k:02}"))),
            ("friendly_name", s(format!("User {k}"))),
            ("email", s(format!("user{k:02}@example.org"))),
            ("admin_level", V::I(if k == 0 { 10 } else { 0 })),
        ]);
    }
    let membership = |k: usize| {
        let mut m = vec![(1001 + k as i64, 1i64)];
        if k < 5 {
            m.push((2001 + k as i64, 2));
        }
        m
    };
    let users_rows = |with_late_joiner: bool| {
        let mut rows = Vec::new();
        for k in 0..PEOPLE {
            for (id, site) in membership(k) {
                let mut row: Row = vec![
                    ("id", V::I(id)),
                    ("site_id", V::I(site)),
                    ("system_user_id", V::I(101 + k as i64)),
                    ("site_role_id", V::I([10, 5, 3, 2, 8, 5, 9][k % 7])),
                ];
                if k % 4 == 1 {
                    row.push((
                        "login_at",
                        V::T(t(first - Duration::days(30 + k as i64), 9, 0)),
                    ));
                }
                rows.push(row);
            }
        }
        if with_late_joiner {
            rows.push(vec![
                ("id", V::I(1099)),
                ("site_id", V::I(1)),
                ("system_user_id", V::I(199)),
                ("site_role_id", V::I(5)),
            ]);
        }
        rows
    };
    write(
        root,
        "tab",
        "system_users",
        &format!("snapshot_date={snap1}"),
        &spec_schema("system_users"),
        &system_users,
    );
    write(
        root,
        "tab",
        "users",
        &format!("snapshot_date={snap1}"),
        &spec_schema("users"),
        &users_rows(false),
    );
    write(
        root,
        "tab",
        "users",
        &format!("snapshot_date={snap2}"),
        &spec_schema("users"),
        &users_rows(true),
    );

    // Content: per site 4 workbooks of 3 views. Workbook w (0..8): id 50+w, site 1 + w/4.
    let mut workbooks = Vec::new();
    let mut views = Vec::new();
    for w in 0..8i64 {
        let site = 1 + w / 4;
        workbooks.push(vec![
            ("id", V::I(50 + w)),
            ("name", s(format!("Workbook {w}"))),
            ("repository_url", s(format!("wb{w}"))),
            ("site_id", V::I(site)),
            ("project_id", V::I(1)),
            ("is_deleted", V::B(false)),
            ("created_at", V::T(t(first - Duration::days(90), 8, 0))),
        ]);
        for v in 0..3i64 {
            let id = 500 + w * 10 + v;
            // View 572 is deleted; 571 is created after the range; 562 is never viewed.
            let created = if id == 571 {
                first + Duration::days(40)
            } else {
                first - Duration::days(60)
            };
            views.push(vec![
                ("id", V::I(id)),
                ("name", s(format!("Sheet {v}"))),
                ("repository_url", s(format!("wb{w}/sheets/s{v}"))),
                ("workbook_id", V::I(50 + w)),
                ("site_id", V::I(site)),
                ("is_deleted", V::B(id == 572)),
                ("created_at", V::T(t(created, 8, 0))),
            ]);
        }
    }
    write(
        root,
        "tab",
        "workbooks",
        &format!("snapshot_date={snap1}"),
        &spec_schema("workbooks"),
        &workbooks,
    );
    write(
        root,
        "tab",
        "views",
        &format!("snapshot_date={snap1}"),
        &spec_schema("views"),
        &views,
    );

    let enriched =
        usagelake::sources::tableau::enrich::enriched_schema(&spec_schema("http_requests"));
    let logins_schema = usagelake::sources::tableau::enrich::logins_schema();
    let usage_schema = usagelake::sources::tableau::enrich::usage_daily_schema();
    for i in 0..DAYS {
        let day = first + Duration::days(i);
        let partition = format!("event_date={}", day_name(day));
        let mut requests = Vec::new();
        let mut logins: std::collections::BTreeMap<i64, (Row, i64, i64, i64)> = Default::default();
        for k in 0..PEOPLE {
            // Persons 10 and 11 are never active; the rest on about half the days.
            if k == 10 || k == 11 || rng.below(2) == 0 {
                continue;
            }
            for (user_id, site) in membership(k) {
                if site == 2 && rng.below(2) == 0 {
                    continue;
                }
                let n = 1 + rng.below(4);
                for _ in 0..n {
                    // Office hours mostly; person 3 also at night.
                    let hour = if k == 3 && rng.below(3) == 0 {
                        rng.below(24) as u32
                    } else {
                        7 + rng.below(11) as u32
                    };
                    let at = t(day, hour, rng.below(60) as u32);
                    let system_user = (k != PEOPLE - 1).then_some(101 + k as i64);
                    let mut row: Row = vec![
                        ("created_at", V::T(at)),
                        ("user_id", V::I(user_id)),
                        ("site_id", V::I(site)),
                    ];
                    if let Some(su) = system_user {
                        row.push(("system_user_id", V::I(su)));
                    }
                    requests.push(row);
                    let entry = logins.entry(user_id).or_insert_with(|| {
                        let mut r: Row = vec![
                            ("user_id", V::I(user_id)),
                            ("site_id", V::I(site)),
                            (
                                "site_name",
                                s(if site == 1 { "Default" } else { "Finance" }),
                            ),
                        ];
                        if let Some(su) = system_user {
                            r.push(("system_user_id", V::I(su)));
                            r.push(("user_name", s(format!("user{k:02}"))));
                            r.push(("friendly_name", s(format!("User {k}"))));
                        }
                        (r, at, at, 0)
                    });
                    entry.1 = entry.1.min(at);
                    entry.2 = entry.2.max(at);
                    entry.3 += 1;
                }
            }
        }
        // Anonymous requests: never a user.
        for user in [None, Some(0)] {
            let mut row: Row = vec![("created_at", V::T(t(day, 3, 0))), ("site_id", V::I(1))];
            if let Some(u) = user {
                row.push(("user_id", V::I(u)));
            }
            requests.push(row);
        }
        write(
            root,
            "tab",
            "requests_enriched",
            &partition,
            &enriched,
            &requests,
        );
        let login_rows: Vec<Row> = logins
            .into_values()
            .map(|(mut r, first_at, last_at, n)| {
                r.push(("first_request_at", V::T(first_at)));
                r.push(("last_request_at", V::T(last_at)));
                r.push(("requests", V::I(n)));
                r.push(("sessions", V::I(1 + n / 2)));
                r
            })
            .collect();
        write(
            root,
            "tab",
            "logins",
            &partition,
            &logins_schema,
            &login_rows,
        );

        let mut usage = Vec::new();
        for _ in 0..12 {
            let w = rng.below(8) as i64;
            let v = rng.below(3) as i64;
            let view = 500 + w * 10 + v;
            if view == 562 || view == 571 {
                continue;
            }
            let site = 1 + w / 4;
            let user = if rng.below(6) == 0 {
                0
            } else {
                (if site == 1 { 1001 } else { 2001 }) + rng.below(5) as i64
            };
            let is_view = rng.below(5) != 0;
            let mut row: Row = vec![
                ("site_id", V::I(site)),
                (
                    "site_name",
                    s(if site == 1 { "Default" } else { "Finance" }),
                ),
                ("item_type", s(if is_view { "View" } else { "Workbook" })),
                ("project_name", s("Default")),
                ("workbook_id", V::I(50 + w)),
                ("workbook_name", s(format!("Workbook {w}"))),
                ("user_id", V::I(user)),
                ("requests", V::I(1 + rng.below(9) as i64)),
                ("view_loads", V::I(rng.below(4) as i64)),
            ];
            if is_view {
                row.push(("view_id", V::I(view)));
                row.push(("view_name", s(format!("Sheet {v}"))));
            }
            usage.push(row);
        }
        write(
            root,
            "tab",
            "usage_daily",
            &partition,
            &usage_schema,
            &usage,
        );
    }
}

fn arcgis(root: &Path) {
    use usagelake::sources::arcgis::api::{
        history_schema, logins_schema, users_schema, DEFAULT_USER_FIELDS,
    };
    let mut rng = Lcg(11);
    let first = first_day();
    let t = |d: NaiveDate, h: u32, m: u32| utc_us(d.and_hms_opt(h, m, 0).unwrap());
    let fields: Vec<String> = DEFAULT_USER_FIELDS.iter().map(|f| f.to_string()).collect();
    let users = users_schema(&fields);
    let members = 8;
    let mut rows = Vec::new();
    for m in 0..members {
        let mut row: Row = vec![
            ("username", s(format!("gis_{m}"))),
            ("fullName", s(format!("Gis Member {m}"))),
            ("email", s(format!("gis{m}@example.org"))),
            ("role", s(if m == 0 { "org_admin" } else { "org_user" })),
            (
                "userLicenseTypeId",
                s(if m % 3 == 0 { "creatorUT" } else { "viewerUT" }),
            ),
            ("disabled", V::B(m == 7)),
        ];
        // Member 6 never signed in; member 7 only long ago.
        match m {
            6 => row.push(("never_logged_in", V::B(true))),
            7 => row.push(("lastLogin", V::T(t(first - Duration::days(200), 10, 0)))),
            _ => row.push((
                "lastLogin",
                V::T(t(first + Duration::days(DAYS - 1 - m), 9, 30)),
            )),
        }
        rows.push(row);
    }
    write(
        root,
        "agol",
        "users",
        &format!(
            "snapshot_date={}",
            day_name(first + Duration::days(DAYS - 1))
        ),
        &users,
        &rows,
    );

    let logins = logins_schema(&users, &[]).unwrap();
    let history = history_schema();
    for i in 0..DAYS {
        let day = first + Duration::days(i);
        let partition = format!("event_date={}", day_name(day));
        let mut signins = Vec::new();
        let mut events = Vec::new();
        for m in 0..6 {
            if rng.below(3) == 0 {
                continue;
            }
            let at = t(day, 6 + rng.below(14) as u32, rng.below(60) as u32);
            signins.push(vec![
                ("login_key", V::I(i * 100 + m)),
                ("username", s(format!("gis_{m}"))),
                ("last_login", V::T(at)),
            ]);
            for e in 0..rng.below(3) {
                events.push(vec![
                    ("event_key", V::I(i * 1000 + m * 10 + e as i64)),
                    ("actor", s(format!("gis_{m}"))),
                    ("action", s("update")),
                    (
                        "created",
                        V::T(t(day, 8 + rng.below(12) as u32, rng.below(60) as u32)),
                    ),
                ]);
            }
        }
        // A system event without actor is nobody's activity.
        events.push(vec![
            ("event_key", V::I(i * 1000 + 999)),
            ("actor", s("")),
            ("action", s("update")),
            ("created", V::T(t(day, 2, 0))),
        ]);
        if !signins.is_empty() {
            write(root, "agol", "logins", &partition, &logins, &signins);
        }
        write(root, "agol", "history", &partition, &history, &events);
    }
}
