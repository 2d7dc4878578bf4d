//! URI rules and `repository_url` keys of the content resolver.

use super::*;

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
