//! `users` paging and typing, and the `logins` derivation across runs.

use std::collections::HashMap;

use arrow_array::cast::AsArray;
use arrow_array::types::{Int64Type, TimestampMicrosecondType};
use arrow_array::{Array, RecordBatch};
use usagelake::sources::arcgis::api::{login_key, logins_from_users};
use usagelake::sources::arcgis::fake_portal::{Endpoint, Fault};

use super::*;

fn last_logins(users: &RecordBatch) -> HashMap<String, i64> {
    let names = users.column_by_name("username").unwrap().as_string::<i32>();
    let last = users
        .column_by_name("lastLogin")
        .unwrap()
        .as_primitive::<TimestampMicrosecondType>();
    (0..users.num_rows())
        .filter(|&i| !last.is_null(i))
        .map(|i| (names.value(i).to_string(), last.value(i) / 1000))
        .collect()
}

#[tokio::test]
async fn users_are_paged_typed_and_never_logged_in_is_flagged() {
    let fx = fixture(10, 250).await;
    fx.fake.inject(Endpoint::Users, 2, Fault::Unavailable);
    let portal = fx.connect(&fx.config()).await.unwrap();
    let users = portal.users().await.unwrap();
    let truth = &fx.fake.truth().users;
    assert_eq!(users.num_rows(), 250);
    // 3 pages of 100 + the 503 retry; start is 1-based.
    let starts: Vec<String> = fx
        .fake
        .requests()
        .iter()
        .filter(|r| r.endpoint == Some(Endpoint::Users))
        .map(|r| r.params["start"].clone())
        .collect();
    assert_eq!(starts, ["1", "101", "101", "201"]);
    let names: Vec<&str> = fx
        .fake
        .truth()
        .users
        .iter()
        .map(|u| u["username"].as_str().unwrap())
        .collect();
    let got = users.column_by_name("username").unwrap().as_string::<i32>();
    assert_eq!(got.iter().flatten().collect::<Vec<_>>(), names);

    let last = users
        .column_by_name("lastLogin")
        .unwrap()
        .as_primitive::<TimestampMicrosecondType>();
    let never = users
        .column_by_name("never_logged_in")
        .unwrap()
        .as_boolean();
    let mut nevers = 0;
    for (i, u) in truth.iter().enumerate() {
        let ms = u["lastLogin"].as_i64().unwrap();
        if ms == -1 {
            nevers += 1;
            assert!(
                last.is_null(i) && never.value(i),
                "-1 → NULL + never_logged_in"
            );
        } else {
            assert_eq!(last.value(i), ms * 1000);
            assert!(!never.value(i));
        }
    }
    assert!(nevers > 0, "the fake includes never-signed-in users");
    let schema = users.schema();
    let typed = |n: &str| schema.field_with_name(n).unwrap().data_type().clone();
    assert_eq!(typed("disabled"), arrow_schema::DataType::Boolean);
    assert_eq!(typed("level"), arrow_schema::DataType::Utf8);
    assert!(matches!(
        typed("created"),
        arrow_schema::DataType::Timestamp(_, Some(_))
    ));
}

#[tokio::test]
async fn logins_record_each_change_once_across_runs() {
    let fx = fixture(10, 40).await;
    let mut cfg = fx.config();
    cfg.log_fields = vec!["email".into(), "role".into()];
    let portal = fx.connect(&cfg).await.unwrap();

    // First run: the lake knows nothing; every user who ever signed in gets a row.
    let run1 = portal.users().await.unwrap();
    let logins1 = logins_from_users(&run1, &HashMap::new(), &cfg.log_fields).unwrap();
    let signed_in = fx
        .fake
        .truth()
        .users
        .iter()
        .filter(|u| u["lastLogin"] != -1)
        .count();
    assert_eq!(logins1.num_rows(), signed_in);
    let names: Vec<String> = logins1
        .schema()
        .fields()
        .iter()
        .map(|f| f.name().clone())
        .collect();
    assert_eq!(
        names,
        ["login_key", "username", "last_login", "email", "role"]
    );

    // Rerun with nothing changed: no rows (and the same keys if the pipeline retried).
    let mut previous = last_logins(&run1);
    let rerun = portal.users().await.unwrap();
    assert_eq!(
        logins_from_users(&rerun, &previous, &cfg.log_fields)
            .unwrap()
            .num_rows(),
        0
    );
    let rekeyed = logins_from_users(&rerun, &HashMap::new(), &[]).unwrap();
    assert_eq!(
        rekeyed.column(0).as_primitive::<Int64Type>().values(),
        logins1.column(0).as_primitive::<Int64Type>().values()
    );

    // Between runs: one user signs in again, one first-timer signs in, one is reset to -1.
    let truth = &fx.fake.truth().users;
    let changed = truth.iter().find(|u| u["lastLogin"] != -1).unwrap()["username"]
        .as_str()
        .unwrap()
        .to_string();
    let first_timer = truth.iter().find(|u| u["lastLogin"] == -1).unwrap()["username"]
        .as_str()
        .unwrap()
        .to_string();
    let reset = truth
        .iter()
        .filter(|u| u["lastLogin"] != -1)
        .nth(1)
        .unwrap()["username"]
        .as_str()
        .unwrap()
        .to_string();
    let t = fake::FIRST_DAY_MS + 3_600_000;
    fx.fake.set_last_login(&changed, t);
    fx.fake.set_last_login(&first_timer, t + 1);
    fx.fake.set_last_login(&reset, -1);
    let run2 = portal.users().await.unwrap();
    let logins2 = logins_from_users(&run2, &previous, &cfg.log_fields).unwrap();
    let users2 = logins2
        .column_by_name("username")
        .unwrap()
        .as_string::<i32>();
    let mut got: Vec<&str> = users2.iter().flatten().collect();
    got.sort_unstable();
    let mut want = vec![changed.as_str(), first_timer.as_str()];
    want.sort_unstable();
    assert_eq!(
        got, want,
        "changed and new users only; -1 never yields a row"
    );
    let row = (0..logins2.num_rows())
        .find(|&i| users2.value(i) == changed)
        .unwrap();
    assert_eq!(
        logins2.column(0).as_primitive::<Int64Type>().value(row),
        login_key(&changed, t)
    );
    assert_eq!(
        logins2
            .column(2)
            .as_primitive::<TimestampMicrosecondType>()
            .value(row),
        t * 1000
    );

    // A second run the same day after the lake absorbed run 2 adds nothing.
    previous.extend(last_logins(&run2));
    assert_eq!(
        logins_from_users(&run2, &previous, &cfg.log_fields)
            .unwrap()
            .num_rows(),
        0
    );
    // A log field missing from user_fields is a configuration error, not a silent gap.
    assert!(logins_from_users(&run2, &previous, &["storageUsage".into()]).is_err());
}
