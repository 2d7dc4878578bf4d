use std::borrow::Cow;

use super::*;
use ResolutionMethod as M;

const SITE: Option<&str> = Some("finance");
const DEFAULT_SITE: Option<&str> = Some("");

fn resolve<'a>(cs: Option<&'a str>, uri: Option<&'a str>, ns: Option<&str>) -> ContentRef<'a> {
    resolve_content(cs, uri, ns)
        .unwrap_or_else(|| panic!("unresolved: cs={cs:?} uri={uri:?} ns={ns:?}"))
}

#[track_caller]
fn assert_view(content: &ContentRef<'_>, workbook: &str, sheet: &str, method: ResolutionMethod) {
    assert_eq!(content.item_type(), ItemType::View);
    assert_eq!(content.workbook_url(), Some(workbook));
    assert_eq!(content.sheet_url(), Some(sheet));
    assert_eq!(content.datasource_url(), None);
    assert_eq!(content.lookup_key(), format!("{workbook}/{sheet}"));
    assert_eq!(content.method(), method);
}

#[track_caller]
fn assert_workbook(content: &ContentRef<'_>, workbook: &str, method: ResolutionMethod) {
    assert_eq!(content.item_type(), ItemType::Workbook);
    assert_eq!(content.workbook_url(), Some(workbook));
    assert_eq!(
        (content.sheet_url(), content.datasource_url()),
        (None, None)
    );
    assert_eq!(content.lookup_key(), workbook);
    assert_eq!(content.method(), method);
}

#[track_caller]
fn assert_datasource(content: &ContentRef<'_>, datasource: &str, method: ResolutionMethod) {
    assert_eq!(content.item_type(), ItemType::DataSource);
    assert_eq!(content.datasource_url(), Some(datasource));
    assert_eq!((content.workbook_url(), content.sheet_url()), (None, None));
    assert_eq!(content.lookup_key(), datasource);
    assert_eq!(content.method(), method);
}

#[track_caller]
fn assert_borrowed(content: ContentRef<'_>) {
    assert!(
        matches!(content.into_lookup_key(), Cow::Borrowed(_)),
        "key should borrow the input"
    );
}

// ---- currentsheet rules -------------------------------------------------------------------

#[test]
fn currentsheet_workbook_and_sheet_is_a_view_without_allocating() {
    let content = resolve(
        Some("Superstore/Overview"),
        Some("/vizql/w/Superstore/v/Overview/bootstrapSession/sessions/6F1A"),
        SITE,
    );
    assert_view(&content, "Superstore", "Overview", M::CurrentSheet);
    assert_eq!(
        (content.custom_view_owner(), content.custom_view_name()),
        (None, None)
    );
    assert_borrowed(content);
}

#[test]
fn currentsheet_wins_over_an_ordinary_uri() {
    let content = resolve(
        Some("Superstore/Overview"),
        Some("/views/Regional/Sales"),
        SITE,
    );
    assert_view(&content, "Superstore", "Overview", M::CurrentSheet);
}

#[test]
fn customized_view_keeps_owner_and_name_with_spaces() {
    // TSI sends this row to URI parsing because it contains a space, losing the custom view.
    let content = resolve(
        Some("Superstore/Overview/jsmith/My Custom View"),
        None,
        SITE,
    );
    assert_view(&content, "Superstore", "Overview", M::CustomizedView);
    assert_eq!(content.custom_view_owner(), Some("jsmith"));
    assert_eq!(content.custom_view_name(), Some("My Custom View"));
    assert_borrowed(content);
}

#[test]
fn customized_view_name_may_contain_a_slash() {
    let content = resolve(Some("Superstore/Overview/jsmith/Q1/Q2 plan"), None, SITE);
    assert_eq!(content.custom_view_name(), Some("Q1/Q2 plan"));
}

#[test]
fn incomplete_custom_view_segments_are_a_plain_view() {
    let content = resolve(Some("Superstore/Overview/jsmith"), None, SITE);
    assert_view(&content, "Superstore", "Overview", M::CurrentSheet);
    assert_eq!(content.custom_view_owner(), None);
}

#[test]
fn ds_prefix_is_a_data_source_even_with_an_unsaved_sheet_after_it() {
    assert_datasource(
        &resolve(Some("ds:SalesData"), None, SITE),
        "SalesData",
        M::DataSourcePrefix,
    );
    let content = resolve(
        Some("ds:SalesData/Sheet 1"),
        Some("/vizql/w/ds:SalesData/v/Sheet%201/bootstrapSession/sessions/AB12"),
        SITE,
    );
    assert_datasource(&content, "SalesData", M::DataSourcePrefix);
    assert_borrowed(content);
}

#[test]
fn currentsheet_extension_is_cut_from_the_sheet() {
    // Reference §6(b).2: `Wb/Sheet.pdf` in currentsheet.
    assert_view(
        &resolve(Some("Regional/Sales.pdf"), None, SITE),
        "Regional",
        "Sales",
        M::CurrentSheet,
    );
}

#[test]
fn null_sheet_falls_back_to_the_uri() {
    let uri = "/vizql/t/finance/w/Superstore/v/null/startSession/viewing";
    assert_workbook(
        &resolve(Some("Superstore/null"), Some(uri), SITE),
        "Superstore",
        M::UriVizql,
    );
    let uri = "/t/finance/authoring/Superstore/Overview?:embed=y";
    assert_view(
        &resolve(Some("Superstore/null"), Some(uri), SITE),
        "Superstore",
        "Overview",
        M::UriAuthoring,
    );
}

#[test]
fn null_sheet_without_a_useful_uri_still_names_the_workbook() {
    let content = resolve(
        Some("Superstore/null"),
        Some("/vizportal/api/web/v1/getSessionInfo"),
        SITE,
    );
    assert_workbook(&content, "Superstore", M::CurrentSheetWorkbook);
    assert_workbook(
        &resolve(Some("Superstore/null"), None, SITE),
        "Superstore",
        M::CurrentSheetWorkbook,
    );
}

#[test]
fn unsaved_sheet_name_with_a_space_names_the_workbook() {
    assert_workbook(
        &resolve(Some("Superstore/Sheet 1"), None, SITE),
        "Superstore",
        M::CurrentSheetWorkbook,
    );
}

#[test]
fn lone_workbook_currentsheet_prefers_the_uri() {
    let uri = "/vizql/w/ds:SalesData/v/Sheet1/sessions/AB12/commands/tabdoc/refresh";
    assert_datasource(
        &resolve(Some("SalesData"), Some(uri), DEFAULT_SITE),
        "SalesData",
        M::UriVizql,
    );
    assert_workbook(
        &resolve(Some("Superstore"), None, DEFAULT_SITE),
        "Superstore",
        M::CurrentSheetWorkbook,
    );
}

#[test]
fn empty_null_and_spaced_currentsheet_fall_back_to_the_uri() {
    let uri = Some("/t/finance/views/Superstore/Overview?:embed=y&:showVizHome=no");
    for cs in [
        None,
        Some(""),
        Some("Some Sheet Name With Space"),
        Some("ds:"),
    ] {
        assert_view(
            &resolve(cs, uri, SITE),
            "Superstore",
            "Overview",
            M::UriViews,
        );
        assert!(
            resolve_content(cs, None, SITE).is_none(),
            "{cs:?} alone must stay unresolved"
        );
    }
}

#[test]
fn datasource_authoring_uri_overrides_a_clean_currentsheet() {
    // TSI: `/authoringNewWorkbook/` and `/vizql/w/ds:` decide the item whatever currentsheet says.
    let uri = "/t/finance/authoringNewWorkbook/1dv6l8v3t$ccl9-2f-d7-ub-d01ojz/SalesData#4";
    assert_datasource(
        &resolve(Some("Book1/Sheet1"), Some(uri), SITE),
        "SalesData",
        M::UriAuthoringNewWorkbook,
    );
    let uri = "/vizql/t/finance/w/ds:SalesData/v/Sheet1/sessions/AB12";
    assert_datasource(
        &resolve(Some("Book1/Sheet1"), Some(uri), SITE),
        "SalesData",
        M::UriVizql,
    );
}

// ---- URI rules ------------------------------------------------------------------------------

#[test]
fn site_prefixed_views_uri_drops_the_query_and_borrows() {
    let content = resolve(
        None,
        Some("/t/finance/views/Superstore/Overview?:embed=y&:showVizHome=no"),
        SITE,
    );
    assert_view(&content, "Superstore", "Overview", M::UriViews);
    assert_borrowed(content);
}

#[test]
fn site_prefix_must_match_the_rows_site() {
    let uri = Some("/t/finance/views/Superstore/Overview");
    assert!(resolve_content(None, uri, Some("marketing")).is_none());
    assert!(resolve_content(None, uri, DEFAULT_SITE).is_none());
    assert_view(
        &resolve(None, uri, None),
        "Superstore",
        "Overview",
        M::UriViews,
    );
    assert_view(
        &resolve(None, uri, Some("Finance")),
        "Superstore",
        "Overview",
        M::UriViews,
    );
}

#[test]
fn default_site_uri_has_no_prefix() {
    let content = resolve(
        None,
        Some("/views/Superstore/Overview?:iid=1"),
        DEFAULT_SITE,
    );
    assert_view(&content, "Superstore", "Overview", M::UriViews);
}

#[test]
fn vizql_uri_with_site_prefix() {
    let uri = "/vizql/t/finance/w/Superstore/v/Overview/bootstrapSession/sessions/6F1A2B3C4D5E6F708192A3B4C5D6E7F8-0:0";
    assert_view(
        &resolve(Some(""), Some(uri), SITE),
        "Superstore",
        "Overview",
        M::UriVizql,
    );
    assert!(resolve_content(None, Some(uri), Some("marketing")).is_none());
}

#[test]
fn vizql_uri_data_source_and_null_sheet() {
    let uri = "/vizql/w/ds:SalesData/v/Sheet1/bootstrapSession/sessions/AB12";
    assert_datasource(
        &resolve(None, Some(uri), DEFAULT_SITE),
        "SalesData",
        M::UriVizql,
    );
    let uri = "/vizql/w/Superstore/v/null/bootstrapSession/sessions/AB12";
    assert_workbook(
        &resolve(None, Some(uri), DEFAULT_SITE),
        "Superstore",
        M::UriVizql,
    );
    assert_workbook(
        &resolve(None, Some("/vizql/w/Superstore"), DEFAULT_SITE),
        "Superstore",
        M::UriVizql,
    );
    assert!(resolve_content(None, Some("/vizql/javascripts/vqlweb.js"), DEFAULT_SITE).is_none());
}

#[test]
fn export_extensions_are_cut_from_the_sheet_only() {
    let content = resolve(None, Some("/views/Regional/Sales.pdf"), DEFAULT_SITE);
    assert_view(&content, "Regional", "Sales", M::UriViews);
    assert_borrowed(content);
    let content = resolve(
        None,
        Some("/t/finance/views/Regional/Sales.png?:size=800,600"),
        SITE,
    );
    assert_view(&content, "Regional", "Sales", M::UriViews);
    // TSI would cut this to `Wb`; a '.' can only end the path.
    assert_view(
        &resolve(None, Some("/views/Wb.v2/Sales"), DEFAULT_SITE),
        "Wb.v2",
        "Sales",
        M::UriViews,
    );
}

#[test]
fn trusted_ticket_uris() {
    let content = resolve(
        None,
        Some("/trusted/abc123/views/Superstore/Overview"),
        DEFAULT_SITE,
    );
    assert_view(&content, "Superstore", "Overview", M::UriTrusted);
    let uri = "/trusted/9mJ2xQ-aZ_k4Tq1w/t/finance/views/Superstore/Overview?:embed=y";
    assert_view(
        &resolve(None, Some(uri), SITE),
        "Superstore",
        "Overview",
        M::UriTrusted,
    );
    assert!(resolve_content(None, Some("/trusted/abc123"), SITE).is_none());
}

#[test]
fn authoring_uris() {
    let content = resolve(None, Some("/authoring/Superstore/Overview"), DEFAULT_SITE);
    assert_view(&content, "Superstore", "Overview", M::UriAuthoring);
    let uri = "/t/finance/authoring/Superstore/Overview?:embed=y#1";
    assert_view(
        &resolve(None, Some(uri), SITE),
        "Superstore",
        "Overview",
        M::UriAuthoring,
    );
    assert_workbook(
        &resolve(None, Some("/authoring/Superstore/null"), DEFAULT_SITE),
        "Superstore",
        M::UriAuthoring,
    );
}

#[test]
fn ask_data_uris_are_data_sources() {
    assert_datasource(
        &resolve(None, Some("/askData/SalesData"), DEFAULT_SITE),
        "SalesData",
        M::UriAskData,
    );
    let uri = "/t/finance/startAskData/SalesData?:origin=ds";
    assert_datasource(&resolve(None, Some(uri), SITE), "SalesData", M::UriAskData);
}

#[test]
fn authoring_new_workbook_resolves_the_data_source_it_builds_on() {
    let uri = "/authoringNewWorkbook/1dv6l8v3t$ccl9-2f-d7-ub-d01ojz/SalesData#4";
    assert_datasource(
        &resolve(None, Some(uri), DEFAULT_SITE),
        "SalesData",
        M::UriAuthoringNewWorkbook,
    );
    // Before 2019 the data source came straight after the route.
    let content = resolve(None, Some("/authoringNewWorkbook/SalesData"), DEFAULT_SITE);
    assert_datasource(&content, "SalesData", M::UriAuthoringNewWorkbook);
}

#[test]
fn offline_views_uri() {
    let content = resolve(
        None,
        Some("/offline_views/Superstore/Overview"),
        DEFAULT_SITE,
    );
    assert_view(&content, "Superstore", "Overview", M::UriOfflineViews);
}

#[test]
fn trailing_slashes_and_missing_sheets() {
    assert_view(
        &resolve(None, Some("/views/Superstore/Overview/"), DEFAULT_SITE),
        "Superstore",
        "Overview",
        M::UriViews,
    );
    assert_workbook(
        &resolve(None, Some("/views/Superstore/"), DEFAULT_SITE),
        "Superstore",
        M::UriViews,
    );
    assert_workbook(
        &resolve(None, Some("/views/Superstore"), DEFAULT_SITE),
        "Superstore",
        M::UriViews,
    );
    assert!(resolve_content(None, Some("/views/"), DEFAULT_SITE).is_none());
    assert!(resolve_content(None, Some("/views//Overview"), DEFAULT_SITE).is_none());
}

#[test]
fn case_is_preserved_and_unicode_is_percent_decoded() {
    let content = resolve(
        None,
        Some("/views/SUPERSTORE_2024/ExecOverview"),
        DEFAULT_SITE,
    );
    assert_view(&content, "SUPERSTORE_2024", "ExecOverview", M::UriViews);
    let content = resolve(
        None,
        Some("/views/%E5%A3%B2%E4%B8%8A/%E6%A6%82%E8%A6%81?:embed=y"),
        DEFAULT_SITE,
    );
    assert_view(&content, "売上", "概要", M::UriViews);
    let content = resolve(None, Some("/t/finance/views/Caf%C3%A9/Overview"), SITE);
    assert_view(&content, "Café", "Overview", M::UriViews);
}

#[test]
fn unsafe_percent_sequences_stay_raw() {
    // Malformed escape, encoded '/', invalid UTF-8: keep the text; it simply will not match.
    assert_view(
        &resolve(None, Some("/views/Wb%ZZ/Sheet"), DEFAULT_SITE),
        "Wb%ZZ",
        "Sheet",
        M::UriViews,
    );
    assert_view(
        &resolve(None, Some("/views/A%2FB/Sheet"), DEFAULT_SITE),
        "A%2FB",
        "Sheet",
        M::UriViews,
    );
    assert_view(
        &resolve(None, Some("/views/Wb/Sh%FFeet"), DEFAULT_SITE),
        "Wb",
        "Sh%FFeet",
        M::UriViews,
    );
    assert_view(
        &resolve(None, Some("/views/Wb/Sheet%20"), DEFAULT_SITE),
        "Wb",
        "Sheet ",
        M::UriViews,
    );
}

#[test]
fn non_content_uris_are_unresolved() {
    for uri in [
        "",
        "/",
        "/vizportal/api/web/v1/getSessionInfo",
        "/javascripts/api/tableau-2.min.js",
        "/t/finance",
        "/t/finance/",
        "/thumb/views/Superstore/Overview",
        "/api/3.19/sites/4d2a/views/9c1b/image",
    ] {
        assert!(
            resolve_content(None, Some(uri), SITE).is_none(),
            "{uri:?} should be unresolved"
        );
    }
    assert!(resolve_content(None, None, None).is_none());
    assert_eq!(ResolutionMethod::of(None), M::Unresolved);
}

// ---- repository_url keys --------------------------------------------------------------------

#[test]
fn view_key_from_repository_url_removes_only_the_sheets_separator() {
    assert_eq!(
        view_key_from_repository_url("Superstore/sheets/Overview"),
        "Superstore/Overview"
    );
    // REPLACE(url, '/sheets', '') would give "WbOverview".
    assert_eq!(
        view_key_from_repository_url("Wb/sheets/sheetsOverview"),
        "Wb/sheetsOverview"
    );
    assert_eq!(
        view_key_from_repository_url("sheets/sheets/Summary"),
        "sheets/Summary"
    );
    assert!(matches!(
        view_key_from_repository_url("Superstore"),
        Cow::Borrowed("Superstore")
    ));
    assert!(matches!(
        view_key_from_repository_url("Superstore/Overview"),
        Cow::Borrowed(_)
    ));
}

#[test]
fn resolved_keys_meet_repository_url_keys() {
    let from_request = resolve(
        Some("Superstore/Overview/jsmith/My Custom View"),
        None,
        SITE,
    );
    assert_eq!(
        from_request.lookup_key(),
        view_key_from_repository_url("Superstore/sheets/Overview")
    );
    let from_uri = resolve(
        None,
        Some("/vizql/t/finance/w/Superstore/v/Overview/bootstrapSession/sessions/AB"),
        SITE,
    );
    assert_eq!(
        from_uri.lookup_key(),
        view_key_from_repository_url("Superstore/sheets/Overview")
    );
}

#[test]
fn labels_are_stable_and_distinct() {
    let labels: Vec<_> = ResolutionMethod::ALL.iter().map(|m| m.as_str()).collect();
    let mut unique = labels.clone();
    unique.sort_unstable();
    unique.dedup();
    assert_eq!(unique.len(), labels.len());
    assert!(labels
        .iter()
        .all(|l| l.bytes().all(|b| b.is_ascii_lowercase() || b == b'_')));
    assert_eq!(ItemType::DataSource.as_str(), "Data Source");
}

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
