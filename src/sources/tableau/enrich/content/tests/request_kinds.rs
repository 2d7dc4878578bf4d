//! Request kinds and the resolver's hot path (no allocation when borrowing suffices).

use super::*;

// ---- request kinds --------------------------------------------------------------------------

#[test]
fn export_type_pdf_png_csv() {
    assert_eq!(
        export_type(Some("/views/Regional/Sales.pdf"), Some("show")),
        Some("pdf")
    );
    assert_eq!(
        export_type(
            Some("/t/finance/views/Regional/Sales?:format=pdf"),
            Some("show")
        ),
        Some("pdf")
    );
    let uri = "/vizql/w/Regional/v/Sales/sessions/AB12/commands/tabsrv/pdf-export-server";
    assert_eq!(export_type(Some(uri), Some("sessions")), Some("pdf"));
    assert_eq!(
        export_type(
            Some("/views/Regional/Sales.png?:size=800,600"),
            Some("show")
        ),
        Some("png")
    );
    let tile = "/vizql/w/Regional/v/Sales/tilecache/sessions/AB12/tile/0/1.png";
    assert_eq!(export_type(Some(tile), Some("tilecache")), None);
    assert_eq!(
        export_type(Some("/views/Regional/Sales.csv"), Some("show")),
        Some("csv")
    );
    assert_eq!(
        export_type(Some("/views/Regional/Sales?csv=true"), Some("show")),
        Some("csv")
    );
    assert_eq!(
        export_type(
            Some("/views/Regional/Sales?:format=CSV&:showVizHome=no"),
            Some("show")
        ),
        Some("csv")
    );
}

#[test]
fn export_type_crosstab_data_and_workbooks() {
    let base = "/vizql/w/Regional/v/Sales/sessions/AB12/commands";
    assert_eq!(
        export_type(
            Some(&format!("{base}/tabdoc/get-underlying-data")),
            Some("sessions")
        ),
        Some("underlying_data")
    );
    assert_eq!(
        export_type(
            Some(&format!("{base}/tabdoc/get-summary-data")),
            Some("sessions")
        ),
        Some("summary_data")
    );
    assert_eq!(
        export_type(
            Some("/vizql/w/Regional/v/Sales/exportcrosstab/sessions/AB12"),
            None
        ),
        Some("crosstab")
    );
    assert_eq!(
        export_type(
            Some(&format!("{base}/tabsrv/export-crosstab-server-dialog")),
            None
        ),
        None
    );
    assert_eq!(
        export_type(Some("/views/Regional/Sales"), Some("vud")),
        Some("underlying_data")
    );
    assert_eq!(export_type(None, Some("viewData")), Some("underlying_data"));
    assert_eq!(
        export_type(Some("/t/finance/workbooks/Superstore.twbx"), Some("show")),
        Some("twb")
    );
    assert_eq!(
        export_type(Some("/workbooks/Superstore.twb"), None),
        Some("twb")
    );
    assert_eq!(export_type(None, Some("sheetimage")), Some("image"));
    assert_eq!(
        export_type(Some("/api/3.19/sites/4d2a/views/9c1b/image"), None),
        Some("image")
    );
    assert_eq!(
        export_type(Some("/api/3.19/sites/4d2a/views/9c1b/crosstab/excel"), None),
        Some("crosstab")
    );
}

#[test]
fn export_type_none_for_plain_requests() {
    assert_eq!(
        export_type(
            Some("/t/finance/views/Superstore/Overview?:embed=y"),
            Some("show")
        ),
        None
    );
    assert_eq!(
        export_type(Some("/views/Superstore/image"), Some("show")),
        None
    );
    assert_eq!(export_type(None, None), None);
}

#[test]
fn view_like_requests() {
    assert!(is_view_like(Some("bootstrapSession"), None, None));
    assert!(is_view_like(
        Some("show"),
        None,
        Some("/views/Superstore/Overview")
    ));
    assert!(is_view_like(
        Some("sessions"),
        Some("Superstore/Overview"),
        None
    ));
    assert!(is_view_like(
        None,
        None,
        Some("/trusted/abc123/t/finance/views/Superstore/Overview")
    ));
    assert!(is_view_like(
        None,
        None,
        Some("/vizql/t/finance/w/Superstore/v/Overview/sessions/AB")
    ));
    assert!(!is_view_like(
        Some("sessions"),
        Some("  "),
        Some("/vizportal/api/web/v1/getSessionInfo")
    ));
    assert!(!is_view_like(
        None,
        None,
        Some("/javascripts/api/tableau-2.min.js")
    ));
    assert!(!is_view_like(
        None,
        None,
        Some("/vizql/javascripts/vqlweb.js")
    ));
    assert!(!is_view_like(None, None, None));
}

// ---- hot path -------------------------------------------------------------------------------

/// `cargo test --release --lib transform::content::tests::resolve_one_million_rows -- --ignored --nocapture`
#[test]
#[ignore = "micro-benchmark; run with --release --ignored --nocapture"]
fn resolve_one_million_rows() {
    use std::hint::black_box;

    const ROWS: usize = 1_000_000;
    let templates: [(Option<&str>, &str); 12] = [
        (
            Some("Superstore{i}/Overview"),
            "/vizql/t/finance/w/Superstore{i}/v/Overview/bootstrapSession/sessions/6F1A{i}-0:0",
        ),
        (
            Some("Superstore{i}/Overview"),
            "/vizql/t/finance/w/Superstore{i}/v/Overview/sessions/6F1A{i}/commands/tabdoc/select",
        ),
        (
            Some("Superstore{i}/Overview/jsmith/My View {i}"),
            "/t/finance/views/Superstore{i}/Overview?:iid=1",
        ),
        (
            Some("ds:SalesData{i}/Sheet 1"),
            "/vizql/t/finance/w/ds:SalesData{i}/v/Sheet%201/bootstrapSession/sessions/AB{i}",
        ),
        (
            Some(""),
            "/t/finance/views/Regional{i}/Sales?:embed=y&:showVizHome=no",
        ),
        (None, "/t/finance/views/Regional{i}/Sales.png?:size=800,600"),
        (
            Some("Superstore{i}/null"),
            "/vizql/t/finance/w/Superstore{i}/v/null/bootstrapSession/sessions/CD{i}",
        ),
        (None, "/vizportal/api/web/v1/getSessionInfo"),
        (None, "/javascripts/api/tableau-2.min.js?v={i}"),
        (
            Some("Some Sheet Name With Space"),
            "/t/finance/authoring/Superstore{i}/Overview?:embed=y",
        ),
        (None, "/t/finance/views/%E5%A3%B2%E4%B8%8A{i}/Overview"),
        (
            Some("Superstore{i}/Overview"),
            "/views/Superstore{i}/Overview",
        ),
    ];
    let rows: Vec<(Option<String>, String)> = (0..ROWS)
        .map(|n| {
            let (cs, uri) = templates[n % templates.len()];
            let i = n / templates.len();
            (
                cs.map(|cs| cs.replace("{i}", &i.to_string())),
                uri.replace("{i}", &i.to_string()),
            )
        })
        .collect();

    // Baseline: touch every byte the resolver could read (the rows are 2M scattered heap
    // strings, so a cold pass costs cache misses that any per-row code pays too).
    let clock = Clock::start();
    let mut checksum = 0u64;
    for (cs, uri) in &rows {
        let bytes = cs.as_deref().unwrap_or_default().bytes().chain(uri.bytes());
        checksum = checksum.wrapping_add(bytes.map(u64::from).sum::<u64>());
    }
    black_box(checksum);
    let baseline = clock.per_row(ROWS);

    let clock = Clock::start();
    let mut resolved = 0usize;
    for (cs, uri) in &rows {
        if let Some(content) = resolve_content(cs.as_deref(), Some(uri), Some("finance")) {
            resolved += 1;
            black_box(content.lookup_key());
        }
    }
    let resolve = clock.per_row(ROWS);

    // What the enrich stage runs per row: resolution plus the two request classifiers.
    let clock = Clock::start();
    for (cs, uri) in &rows {
        let content = resolve_content(cs.as_deref(), Some(uri), Some("finance"));
        black_box(ResolutionMethod::of(content.as_ref()).as_str());
        black_box(is_view_like(Some("sessions"), cs.as_deref(), Some(uri)));
        black_box(export_type(Some(uri), Some("sessions")));
    }
    let full = clock.per_row(ROWS);

    println!("{ROWS} mixed rows, {resolved} resolved; ns/row as (wall, on-CPU):");
    println!("  read bytes only                          {baseline}");
    println!("  resolve_content                          {resolve}");
    println!("  resolve_content+is_view_like+export_type {full}");
    let expected = (0..ROWS)
        .filter(|n| !matches!(n % templates.len(), 7 | 8))
        .count();
    assert_eq!(
        resolved, expected,
        "every template but the two non-content URIs resolves"
    );
}

/// Wall time plus this thread's on-CPU time (`/proc/thread-self/schedstat`, Linux), so the
/// number is meaningful on a shared, loaded machine.
struct Clock {
    wall: std::time::Instant,
    cpu_ns: Option<u64>,
}

impl Clock {
    fn start() -> Self {
        Clock {
            wall: std::time::Instant::now(),
            cpu_ns: thread_cpu_ns(),
        }
    }

    fn per_row(&self, rows: usize) -> String {
        let wall = self.wall.elapsed().as_nanos() as f64 / rows as f64;
        match (self.cpu_ns, thread_cpu_ns()) {
            (Some(start), Some(end)) => {
                format!("{wall:7.1} {:7.1}", (end - start) as f64 / rows as f64)
            }
            _ => format!("{wall:7.1}     n/a"),
        }
    }
}

fn thread_cpu_ns() -> Option<u64> {
    let stat = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    stat.split_whitespace().next()?.parse().ok()
}
