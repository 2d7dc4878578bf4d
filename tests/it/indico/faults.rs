//! The faults Indico is known for, all in one run, and a crash mid-run: the next run
//! completes the lake without loss or duplicates.

use usagelake::sources::indico::fake::Fault;

use crate::support::indico_lake::IndicoLake;

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn token_expiry_and_hibernation_are_survived_in_one_run() {
    let lake = IndicoLake::start(50, 6, "page_size = 8").await;
    // Tokens expire mid-paging twice (each time refreshed once), and the platform
    // hibernates on two requests (Retry-After honoured, 0 s to keep the test fast).
    lake.fake.inject(4, Fault::ExpireTokens);
    lake.fake.inject(
        9,
        Fault::Hibernating {
            retry_after_secs: 0,
        },
    );
    lake.fake.inject(
        10,
        Fault::Hibernating {
            retry_after_secs: 0,
        },
    );
    lake.fake.inject(17, Fault::ExpireTokens);
    lake.run_ok("2026-11-06");
    lake.assert_exactly_once_through("2026-11-05");
    let statuses: Vec<u16> = lake.fake.requests().iter().map(|r| r.status).collect();
    assert_eq!(statuses.iter().filter(|s| **s == 401).count(), 2);
    assert_eq!(statuses.iter().filter(|s| **s == 503).count(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_reads_archive_nothing_partial_and_the_next_run_completes() {
    let lake = IndicoLake::start(50, 8, "page_size = 8").await;
    let faults = [
        Fault::GraphqlError {
            message: "resolver exploded".into(),
        },
        Fault::RepeatCursor,
        Fault::WrongCount,
    ];
    let mut today = 3;
    for fault in faults {
        // The fault hits the 4th request of this run: page 2 of the first snapshot day
        // (two summary days come first).
        let nth = lake.fake.graphql_requests() + 4;
        lake.fake.inject(nth, fault.clone());
        let day = format!("2026-11-{today:02}");
        let out = lake.cmd("run", &["--quiet"], &day, &[]);
        assert_eq!(out.status.code(), Some(1), "{fault:?} fails the run");
        let message = stderr(&out);
        assert!(message.contains("Indico"), "{message}");
        for token in lake.fake.issued_tokens() {
            assert!(!message.contains(&token), "token leaked: {message}");
        }
        // Whatever the failed run archived is whole: the next run completes it.
        lake.run_ok(&day);
        let last = format!("2026-11-{:02}", today - 1);
        lake.assert_exactly_once_through(&last);
        today += 2;
    }
    // The GraphQL error message reaches the user.
    let log: Vec<_> = lake
        .fake
        .requests()
        .into_iter()
        .filter(|r| r.fault.is_some())
        .collect();
    assert_eq!(log.len(), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crash_mid_run_is_completed_by_the_next_run() {
    let lake = IndicoLake::start(40, 8, "").await;
    // Abort right after the 5th snapshot partition is published, before its state.
    for failpoint in ["snapshot_published:5", "before_state:3", "published:1"] {
        let out = lake.cmd(
            "run",
            &["--quiet"],
            "2026-11-08",
            &[("USAGELAKE_FAILPOINT", failpoint)],
        );
        assert!(!out.status.success(), "{failpoint} aborts the run");
    }
    lake.run_ok("2026-11-08");
    lake.assert_exactly_once_through("2026-11-07");
}
