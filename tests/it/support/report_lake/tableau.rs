//! The Tableau source `tab` of the report lake: raw snapshots and events, and the
//! derived datasets the reports read.

use super::*;

pub(super) fn tableau(root: &Path) {
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
