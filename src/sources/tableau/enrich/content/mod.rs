//! Content resolution: which view, workbook or data source an `http_requests` row is about.
//!
//! The rules follow Tableau Server Insights (TSI `ts_web_requests` 04.02, "HTTP Requests"
//! custom SQL; see `shared/reference/tableau-repository.md` §3 "currentsheet → content" and
//! §6(b) oddity 2) and fix the places where TSI guesses wrong:
//!
//! 1. A usable `currentsheet` wins: `<wb>/<sheet>` is a view, `<wb>/<sheet>/<owner>/<name>` a
//!    customized view, `ds:<ds>[/…]` a data source. TSI treats *any* space as "messy", which
//!    throws away every customized view whose name has a space; here only the workbook and
//!    sheet parts must be space-free (repository URLs never hold spaces).
//! 2. A messy `currentsheet` (NULL, `''`, a space in the URL parts, `<wb>/null`) falls back to
//!    the request URI (rules in `uri.rs`). When the URI says nothing but the `currentsheet` still
//!    names a workbook (`Superstore/null`, `Superstore/Sheet 1` in web edit), the request is
//!    attributed to that workbook instead of being dropped as TSI does.
//! 3. Extensions: TSI cuts the whole key at the first '.', so `Wb/Sheet.pdf` → `Wb/Sheet` but
//!    also `Wb.v2/Sheet` → `Wb`. Content URLs are ASCII-derived from names with punctuation
//!    dropped (3P embedding code that rebuilds a content URL from a name strips punctuation
//!    and maps '.' to '_'; TSI's own '.' cut relies on the same fact), so a '.' can only start
//!    a file extension, and an extension can only end the path: we cut at the first '.' of the
//!    *sheet* (or of the last content segment), never inside the workbook part.
//!
//! Keys are borrowed slices of the input whenever possible (the hot path runs once per
//! request row); only percent-decoded or re-assembled keys (`/vizql/w/<wb>/v/<sheet>`) allocate.

mod request;
mod uri;

#[cfg(test)]
mod tests;

use std::borrow::Cow;

pub use request::{export_type, is_view_like};

/// What kind of content a request is about. The labels are TSI's `item_type` values, which is
/// what admins coming from TSI dashboards filter on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ItemType {
    View,
    Workbook,
    DataSource,
}

impl ItemType {
    pub fn as_str(self) -> &'static str {
        match self {
            ItemType::View => "View",
            ItemType::Workbook => "Workbook",
            ItemType::DataSource => "Data Source",
        }
    }
}

/// Which rule produced a [`ContentRef`]; stored as the `resolution_method` column and counted in
/// the resolution report so an admin can see which rules carry the load and what they miss.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ResolutionMethod {
    /// `currentsheet` = `<workbook_url>/<sheet_url>`.
    CurrentSheet,
    /// `currentsheet` = `<workbook_url>/<sheet_url>/<owner>/<custom view name>`.
    CustomizedView,
    /// `currentsheet` = `ds:<datasource_url>[/…]` (data-source web edit).
    DataSourcePrefix,
    /// `currentsheet` names only a workbook (`<wb>`, `<wb>/null`, `<wb>/<unsaved sheet name>`)
    /// and the URI did not resolve.
    CurrentSheetWorkbook,
    /// `/views/<wb>/<sheet>` (after any `/t/<ns>` site prefix).
    UriViews,
    /// `/vizql/[t/<ns>/]w/<wb>/v/<sheet>/…`, including `w/ds:<ds>` and sheet `null`.
    UriVizql,
    /// `/authoring/<wb>/<sheet>` (web edit).
    UriAuthoring,
    /// `/askData/<ds>` and `/startAskData/<ds>`.
    UriAskData,
    /// `/authoringNewWorkbook/<scratch id>/<ds>`: a new workbook authored from a data source.
    UriAuthoringNewWorkbook,
    /// `/offline_views/<wb>/<sheet>`.
    UriOfflineViews,
    /// `/trusted/<ticket>/…` (trusted-ticket embedding), whatever route follows the ticket.
    UriTrusted,
    /// No rule matched; never inside a [`ContentRef`], used for the column of unresolved rows.
    Unresolved,
}

impl ResolutionMethod {
    /// Every method, in report order.
    pub const ALL: [ResolutionMethod; 12] = [
        ResolutionMethod::CurrentSheet,
        ResolutionMethod::CustomizedView,
        ResolutionMethod::DataSourcePrefix,
        ResolutionMethod::CurrentSheetWorkbook,
        ResolutionMethod::UriViews,
        ResolutionMethod::UriVizql,
        ResolutionMethod::UriAuthoring,
        ResolutionMethod::UriAskData,
        ResolutionMethod::UriAuthoringNewWorkbook,
        ResolutionMethod::UriOfflineViews,
        ResolutionMethod::UriTrusted,
        ResolutionMethod::Unresolved,
    ];

    /// Stable snake_case value for the `resolution_method` column; never rename one.
    pub fn as_str(self) -> &'static str {
        match self {
            ResolutionMethod::CurrentSheet => "current_sheet",
            ResolutionMethod::CustomizedView => "customized_view",
            ResolutionMethod::DataSourcePrefix => "datasource_prefix",
            ResolutionMethod::CurrentSheetWorkbook => "current_sheet_workbook",
            ResolutionMethod::UriViews => "uri_views",
            ResolutionMethod::UriVizql => "uri_vizql",
            ResolutionMethod::UriAuthoring => "uri_authoring",
            ResolutionMethod::UriAskData => "uri_ask_data",
            ResolutionMethod::UriAuthoringNewWorkbook => "uri_authoring_new_workbook",
            ResolutionMethod::UriOfflineViews => "uri_offline_views",
            ResolutionMethod::UriTrusted => "uri_trusted",
            ResolutionMethod::Unresolved => "unresolved",
        }
    }

    /// The method of an optional resolution: `Unresolved` when there is none.
    pub fn of(content: Option<&ContentRef<'_>>) -> ResolutionMethod {
        content.map_or(ResolutionMethod::Unresolved, ContentRef::method)
    }
}

/// The content a request is about, as URL parts to join on `(site_id, lookup_key)`.
///
/// Fields are private so the parts and the key cannot disagree: the key is stored once and the
/// workbook and sheet URLs are slices of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContentRef<'a> {
    item_type: ItemType,
    /// `<workbook_url>/<sheet_url>` for views, else the workbook or data source URL.
    key: Cow<'a, str>,
    /// For views: byte offset of the sheet URL in `key` (just after the '/').
    sheet_start: usize,
    custom_view: Option<(&'a str, &'a str)>,
    method: ResolutionMethod,
}

impl<'a> ContentRef<'a> {
    fn view(key: Cow<'a, str>, sheet_start: usize, method: ResolutionMethod) -> Self {
        debug_assert!(sheet_start > 1 && key.as_bytes()[sheet_start - 1] == b'/');
        ContentRef {
            item_type: ItemType::View,
            key,
            sheet_start,
            custom_view: None,
            method,
        }
    }

    fn workbook(key: Cow<'a, str>, method: ResolutionMethod) -> Self {
        ContentRef {
            item_type: ItemType::Workbook,
            key,
            sheet_start: 0,
            custom_view: None,
            method,
        }
    }

    fn datasource(key: Cow<'a, str>, method: ResolutionMethod) -> Self {
        ContentRef {
            item_type: ItemType::DataSource,
            key,
            sheet_start: 0,
            custom_view: None,
            method,
        }
    }

    pub fn item_type(&self) -> ItemType {
        self.item_type
    }

    pub fn method(&self) -> ResolutionMethod {
        self.method
    }

    /// The key to join on together with `site_id` (repository_url is unique only per site,
    /// reference §6(b).3): `views.repository_url` with `/sheets` removed (see
    /// [`view_key_from_repository_url`]) for views, else the workbook or data source
    /// `repository_url`. Match it against the table of [`ContentRef::item_type`] only: a
    /// workbook and a data source may share a URL.
    pub fn lookup_key(&self) -> &str {
        &self.key
    }

    /// Like [`ContentRef::lookup_key`], keeping the borrow of the input when there is one.
    pub fn into_lookup_key(self) -> Cow<'a, str> {
        self.key
    }

    /// The workbook's `repository_url`, for views and workbooks.
    pub fn workbook_url(&self) -> Option<&str> {
        match self.item_type {
            ItemType::View => Some(&self.key[..self.sheet_start - 1]),
            ItemType::Workbook => Some(&self.key),
            ItemType::DataSource => None,
        }
    }

    /// The sheet part of `views.repository_url`; `None` for workbook and data source items.
    pub fn sheet_url(&self) -> Option<&str> {
        (self.item_type == ItemType::View).then(|| &self.key[self.sheet_start..])
    }

    /// The data source's `repository_url`, for data source items.
    pub fn datasource_url(&self) -> Option<&str> {
        (self.item_type == ItemType::DataSource).then(|| &*self.key)
    }

    /// Customized view owner: `currentsheet` part 3 (TSI `split_part(currentsheet,'/',3)`).
    pub fn custom_view_owner(&self) -> Option<&'a str> {
        self.custom_view.map(|(owner, _)| owner)
    }

    /// Customized view name: everything after part 3 (TSI takes only part 4, which would cut a
    /// name containing '/').
    pub fn custom_view_name(&self) -> Option<&'a str> {
        self.custom_view.map(|(_, name)| name)
    }
}

/// Resolve an `http_requests` row to the content it is about, or `None` when no rule applies.
///
/// `site_url_namespace` is the row's `sites.url_namespace` (`Some("")` for the Default site);
/// a `/t/<ns>` prefix in the URI must match it, else the URI is left unresolved rather than
/// joined against the wrong site. `None` accepts any namespace (site unknown).
///
/// `action` plays no part: none of TSI's rules use it, and the same URL shapes appear under
/// `bootstrapSession`, `show` and `sessions` alike.
pub fn resolve_content<'a>(
    currentsheet: Option<&'a str>,
    uri: Option<&'a str>,
    site_url_namespace: Option<&str>,
) -> Option<ContentRef<'a>> {
    let from_uri = |uri: Option<&'a str>| uri.and_then(|u| uri::resolve_uri(u, site_url_namespace));
    match currentsheet.map_or(SheetClue::Messy, classify_currentsheet) {
        SheetClue::Resolved(content) => {
            // TSI lets `/vizql/w/ds:`, `/askData/` and `/authoringNewWorkbook/` URIs override
            // the currentsheet: there it names the scratch workbook being authored on top of
            // a data source, not published content.
            if content.item_type != ItemType::DataSource
                && uri.is_some_and(|u| uri::is_datasource_authoring(u, site_url_namespace))
            {
                if let Some(resolved) = from_uri(uri) {
                    return Some(resolved);
                }
            }
            Some(content)
        }
        SheetClue::WorkbookOnly(workbook_url) => from_uri(uri).or(Some(ContentRef::workbook(
            Cow::Borrowed(workbook_url),
            ResolutionMethod::CurrentSheetWorkbook,
        ))),
        SheetClue::Messy => from_uri(uri),
    }
}

/// What a `currentsheet` value says on its own.
enum SheetClue<'a> {
    Resolved(ContentRef<'a>),
    /// Names a workbook but no usable sheet: prefer the URI, else the workbook.
    WorkbookOnly(&'a str),
    /// Nothing usable: NULL, empty, or a space in the workbook part (a display name).
    Messy,
}

fn classify_currentsheet(cs: &str) -> SheetClue<'_> {
    if let Some(rest) = cs.strip_prefix("ds:") {
        // TSI: one part for data sources (`ds:<ds>/<sheet being authored>`).
        let ds = rest.split('/').next().unwrap_or_default();
        return if is_url_part(ds) {
            SheetClue::Resolved(ContentRef::datasource(
                Cow::Borrowed(ds),
                ResolutionMethod::DataSourcePrefix,
            ))
        } else {
            SheetClue::Messy
        };
    }
    let (workbook, rest) = match cs.split_once('/') {
        Some((workbook, rest)) => (workbook, Some(rest)),
        None => (cs, None),
    };
    if !is_url_part(workbook) {
        return SheetClue::Messy;
    }
    let Some(rest) = rest else {
        // A lone workbook URL: TSI's "Workbook" case (currentsheet without '/').
        return SheetClue::WorkbookOnly(workbook);
    };
    let (sheet, extra) = match rest.split_once('/') {
        Some((sheet, extra)) => (sheet, Some(extra)),
        None => (rest, None),
    };
    // Reference §6(b).2: currentsheet can carry a file extension (`Wb/Sheet.pdf`).
    let sheet = cut_extension(sheet);
    // `<wb>/null` is TSI's web-edit marker; a sheet with a space is an unsaved sheet's display
    // name ("Sheet 1"). Either way only the workbook is known.
    if sheet == "null" || !is_url_part(sheet) {
        return SheetClue::WorkbookOnly(workbook);
    }
    let key_len = workbook.len() + 1 + sheet.len();
    let mut content = ContentRef::view(
        Cow::Borrowed(&cs[..key_len]),
        workbook.len() + 1,
        ResolutionMethod::CurrentSheet,
    );
    if let Some((owner, name)) = extra.and_then(|extra| extra.split_once('/')) {
        if !owner.is_empty() && !name.is_empty() {
            content.custom_view = Some((owner, name));
            content.method = ResolutionMethod::CustomizedView;
        }
    }
    SheetClue::Resolved(content)
}

/// Could `part` be (a segment of) a repository URL? They are non-empty and never hold spaces.
fn is_url_part(part: &str) -> bool {
    !part.is_empty() && !part.as_bytes().contains(&b' ')
}

/// Drop a file extension: content URLs never contain '.', so the first '.' starts one.
fn cut_extension(segment: &str) -> &str {
    // Byte search: '.' is ASCII, so the cut is on a char boundary; this is the hot path.
    match segment.as_bytes().iter().position(|&b| b == b'.') {
        Some(dot) => &segment[..dot],
        None => segment,
    }
}

/// `views.repository_url` / `hist_views.repository_url` (`<wb>/sheets/<sheet>`) → the key
/// [`resolve_content`] produces for views (`<wb>/<sheet>`).
///
/// TSI and 3P use `REPLACE(repository_url, '/sheets', '')`, which also eats a sheet URL that
/// starts with "sheets" (`Wb/sheets/sheetsOverview` → `WbOverview`); this removes only the
/// separator after the workbook part. A URL without it is returned unchanged.
pub fn view_key_from_repository_url(url: &str) -> Cow<'_, str> {
    match url.split_once('/') {
        Some((workbook, rest)) => match rest.strip_prefix("sheets/") {
            Some(sheet) => Cow::Owned(format!("{workbook}/{sheet}")),
            None => Cow::Borrowed(url),
        },
        None => Cow::Borrowed(url),
    }
}
