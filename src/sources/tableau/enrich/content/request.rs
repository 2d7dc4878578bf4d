//! What kind of request a row is: view-like (counted by the resolution report) and export type.

use super::uri;

/// Does this request claim to be about one piece of content? These rows are the denominator
/// of the resolution rate (issue 5, item 6).
///
/// A row is view-like when Tableau itself ties it to content:
/// - `action` is `bootstrapSession` (the main render of a viz) or `show` (a viz opened by
///   another route: embeds, URL exports) — the two actions reference §3 "What counts as a view
///   access" finds in TSI and 3P code;
/// - `currentsheet` is non-empty (vizql recorded which sheet the session was on), or
/// - the URI is a view route, `/views/…` or `/vizql/w/…`, under any site or trusted prefix.
///
/// Everything else (static assets, login, vizportal and REST calls, thumbnails) has no content
/// to resolve; counting it would drown the rate in rows no rule could ever match. `controller`
/// adds nothing here: the signals above already cover the vizql and views controllers.
pub fn is_view_like(action: Option<&str>, currentsheet: Option<&str>, uri: Option<&str>) -> bool {
    matches!(action, Some("bootstrapSession" | "show"))
        || currentsheet.is_some_and(|cs| !cs.trim().is_empty())
        || uri.is_some_and(uri::is_view_route)
}

/// The export a request performs, guessed from URI markers (reference §3 "action and
/// controller"; TSI: csv=true, format=pdf, `.png` except action `tilecache`, exportcrosstab,
/// twb). Values: `underlying_data`, `summary_data`, `crosstab`, `pdf`, `png`, `csv`, `twb`,
/// `image`. The most specific marker wins (a vizql command over a file extension).
pub fn export_type(uri: Option<&str>, action: Option<&str>) -> Option<&'static str> {
    match action {
        // Underlying-data downloads (reference §3: `viewData`, `vud`).
        Some("vud" | "viewData") => return Some("underlying_data"),
        // Mobile sheet images.
        Some("sheetimage") => return Some("image"),
        _ => {}
    }
    let uri = uri?;
    let path_end = uri
        .bytes()
        .position(|b| b == b'?' || b == b'#')
        .unwrap_or(uri.len());
    let (path, query) = (
        &uri[..path_end],
        uri[path_end..].strip_prefix('?').unwrap_or(""),
    );
    let last_segment = path.rsplit('/').next().unwrap_or_default();
    let extension = last_segment.rsplit_once('.').map_or("", |(_, ext)| ext);
    let has_extension = |wanted: &str| extension.eq_ignore_ascii_case(wanted);
    // One pass over the query: `:format=pdf|png|csv` (URL-parameter exports) and `csv=true`.
    let (mut format, mut csv_flag) = ("", false);
    for param in query.split('&').filter(|p| !p.is_empty()) {
        if let Some((key, value)) = param.trim_start_matches(':').split_once('=') {
            if key.eq_ignore_ascii_case("format") {
                format = value;
            } else if key.eq_ignore_ascii_case("csv") {
                csv_flag |= value.eq_ignore_ascii_case("true");
            }
        }
    }
    let has_format = |wanted: &str| format.eq_ignore_ascii_case(wanted);
    // vizql commands sit after `/commands/` (reference §3: `tabdoc/get-underlying-data`,
    // `…pdf-export`). Their names come from Tableau's own client code, always lowercase, so
    // plain substring search is exact; checking `/commands/` first keeps ordinary rows cheap.
    let command = path
        .split_once("/commands/")
        .map_or("", |(_, command)| command);
    if !command.is_empty() {
        if command.contains("get-underlying-data") {
            return Some("underlying_data");
        }
        if command.contains("get-summary-data") {
            return Some("summary_data");
        }
        // `export-crosstab-server-dialog` only opens the dialog, it exports nothing.
        if command.contains("export-crosstab") && !command.ends_with("-dialog") {
            return Some("crosstab");
        }
    }
    if path.contains("exportcrosstab") {
        return Some("crosstab");
    }
    // REST API exports (`/api/<v>/sites/<id>/views/<id>/pdf|image|data|crosstab/excel`).
    if path.starts_with("/api/") && path.contains("/views/") {
        match last_segment {
            "pdf" => return Some("pdf"),
            "image" => return Some("image"),
            "data" => return Some("csv"),
            "excel" if path.ends_with("/crosstab/excel") => return Some("crosstab"),
            _ => {}
        }
    }
    if command.contains("pdf-export") || has_extension("pdf") || has_format("pdf") {
        return Some("pdf");
    }
    // Map and tile images end in `.png` too; TSI excludes action `tilecache`.
    let is_tile = action == Some("tilecache");
    if command.contains("png-export") || (!is_tile && has_extension("png")) || has_format("png") {
        return Some("png");
    }
    if csv_flag || has_format("csv") || has_extension("csv") {
        return Some("csv");
    }
    if has_extension("twb") || has_extension("twbx") {
        return Some("twb");
    }
    None
}
