use std::borrow::Cow;

use super::*;
use ResolutionMethod as M;

mod request_kinds;
mod uri_rules;

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
