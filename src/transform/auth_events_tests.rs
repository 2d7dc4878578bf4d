//! The Tableau and ArcGIS mappings on hand-made rows.

use super::*;
use arrow_array::{BooleanArray, Int32Array, Int64Array, StringArray, TimestampMicrosecondArray};

fn batch(columns: Vec<(&str, ArrayRef)>) -> RecordBatch {
    RecordBatch::try_from_iter(columns).unwrap()
}

fn strings(batch: &RecordBatch, name: &str) -> Vec<Option<String>> {
    let array = batch.column_by_name(name).unwrap().as_string::<i32>();
    (0..batch.num_rows())
        .map(|i| array.is_valid(i).then(|| array.value(i).to_string()))
        .collect()
}

fn ts(values: Vec<i64>) -> ArrayRef {
    Arc::new(TimestampMicrosecondArray::from(values).with_timezone("UTC"))
}

#[test]
fn tableau_type_names_are_matched_ignoring_case_and_spacing() {
    assert_eq!(tableau_event_kind("Login"), Some("login"));
    assert_eq!(tableau_event_kind(" log In"), Some("login"));
    assert_eq!(tableau_event_kind("LOGOUT"), Some("logout"));
    assert_eq!(tableau_event_kind("Sign Out"), Some("logout"));
    assert_eq!(tableau_event_kind("Revoke Refresh Token"), None);
    assert_eq!(tableau_event_kind("Change Workbook Ownerhsip To"), None);
}

#[test]
fn tableau_login_and_logout_types_are_found_by_name_and_actors_via_hist_users() {
    // Type ids differ from server to server; 9 is a misspelled unrelated type.
    let types = batch(vec![
        (
            "type_id",
            Arc::new(Int32Array::from(vec![201, 202, 9])) as ArrayRef,
        ),
        (
            "name",
            Arc::new(StringArray::from(vec![
                "Login",
                "Log Out",
                "Change Workbook Ownerhsip To",
            ])),
        ),
    ]);
    // hist_users.id 7 is "ann"; users.id 7 would be someone else (another id space).
    let users = batch(vec![
        ("id", Arc::new(Int32Array::from(vec![7, 8])) as ArrayRef),
        ("name", Arc::new(StringArray::from(vec!["ann", "bob"]))),
    ]);
    let sites = batch(vec![
        ("id", Arc::new(Int32Array::from(vec![1])) as ArrayRef),
        ("name", Arc::new(StringArray::from(vec!["Default"]))),
    ]);
    let events = batch(vec![
        (
            "id",
            Arc::new(Int64Array::from(vec![1, 2, 3, 4, 5])) as ArrayRef,
        ),
        ("created_at", ts(vec![10, 20, 30, 40, 50])),
        (
            "historical_event_type_id",
            Arc::new(Int32Array::from(vec![201, 9, 202, 201, 201])),
        ),
        (
            "worker",
            Arc::new(StringArray::from(vec![
                Some("node1"),
                Some("node1"),
                None,
                Some("node2"),
                Some("node2"),
            ])),
        ),
        (
            "hist_actor_user_id",
            Arc::new(Int32Array::from(vec![
                Some(7),
                Some(7),
                Some(7),
                None,
                Some(8),
            ])),
        ),
        (
            "hist_actor_site_id",
            Arc::new(Int32Array::from(vec![
                Some(1),
                Some(1),
                Some(2),
                None,
                Some(1),
            ])),
        ),
        (
            "is_failure",
            Arc::new(BooleanArray::from(vec![None, None, None, None, Some(true)])),
        ),
    ]);
    let mut lookup = TableauLookup::default();
    lookup.add_event_types(&types).unwrap();
    lookup.add_hist_users(&users).unwrap();
    lookup.add_hist_sites(&sites).unwrap();
    let (out, without_actor) = lookup.auth_events(&events, "tab").unwrap();
    assert_eq!(
        without_actor, 1,
        "the login without an actor is left out and counted"
    );
    assert_eq!(
        strings(&out, "event_type"),
        vec![
            Some("login".into()),
            Some("logout".into()),
            Some("failed_login".into())
        ]
    );
    assert_eq!(
        strings(&out, "user"),
        vec![Some("ann".into()), Some("ann".into()), Some("bob".into())]
    );
    assert_eq!(
        strings(&out, "machine"),
        vec![Some("node1".into()), Some("".into()), Some("node2".into())]
    );
    // Site 2 has no hist_sites row: its id is kept.
    assert_eq!(
        strings(&out, "site"),
        vec![
            Some("Default".into()),
            Some("2".into()),
            Some("Default".into())
        ]
    );
    assert_eq!(
        strings(&out, "source_key"),
        vec![Some("1".into()), Some("3".into()), Some("5".into())]
    );
    assert_eq!(lookup.actors_newer_than_lookup(&events).unwrap(), 0);

    // A hist_users snapshot older than bob's row (id 8): his failed Login cannot be
    // named yet, and is told apart from the Login without an actor.
    let mut older = TableauLookup::default();
    older.add_event_types(&types).unwrap();
    older.add_hist_users(&users.slice(0, 1)).unwrap();
    let (_, without_actor) = older.auth_events(&events, "tab").unwrap();
    assert_eq!(without_actor, 2);
    assert_eq!(older.actors_newer_than_lookup(&events).unwrap(), 1);
}

#[test]
fn arcgis_login_and_failedlogin_actions_become_auth_events() {
    let history = batch(vec![
        (
            "event_key",
            Arc::new(Int64Array::from(vec![11, 12, 13, 14])) as ArrayRef,
        ),
        ("created", ts(vec![1, 2, 3, 4])),
        (
            "action",
            Arc::new(StringArray::from(vec![
                "login",
                "share",
                "failedlogin",
                "login",
            ])),
        ),
        (
            "actor",
            Arc::new(StringArray::from(vec![
                Some("ann"),
                Some("ann"),
                Some("bob"),
                None,
            ])),
        ),
    ]);
    let out = from_arcgis(&history, "agol", "myorg.maps.arcgis.com").unwrap();
    assert_eq!(
        strings(&out, "event_type"),
        vec![Some("login".into()), Some("failed_login".into())]
    );
    assert_eq!(
        strings(&out, "user"),
        vec![Some("ann".into()), Some("bob".into())]
    );
    assert_eq!(
        strings(&out, "source_key"),
        vec![Some("11".into()), Some("13".into())]
    );
    assert_eq!(strings(&out, "site"), vec![None, None]);
}
