//! The ArcGIS source `agol` of the report lake: users snapshots, history and logins.

use super::*;

pub(super) fn arcgis(root: &Path) {
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
