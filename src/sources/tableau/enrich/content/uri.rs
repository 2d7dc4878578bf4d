//! URI fallback: read the content out of `http_requests.http_request_uri` (path + query).
//!
//! TSI dispatches on the first path segment with fixed `split_part` positions, so a site
//! prefix only works for `/t/<ns>/views/…` and `/trusted/<ticket>/t/<ns>/views/…` yields
//! `t/<ns>`. Here the prefixes `/trusted/<ticket>` and `/t/<ns>` (and `/vizql/t/<ns>`) are
//! peeled off first, then the route is read:
//!
//! | route                                   | result                                   |
//! |-----------------------------------------|------------------------------------------|
//! | `views/<wb>/<sheet>`                    | view (`<wb>` alone → workbook)           |
//! | `vizql/w/<wb>/v/<sheet>/…`              | view; sheet `null` or absent → workbook  |
//! | `vizql/w/ds:<ds>/…`                     | data source                              |
//! | `authoring/<wb>/<sheet>`                | view (`null`/absent sheet → workbook)    |
//! | `askData/<ds>`, `startAskData/<ds>`     | data source                              |
//! | `authoringNewWorkbook/<scratch>/<ds>`   | data source (see below)                  |
//! | `offline_views/<wb>/<sheet>`            | view                                     |
//!
//! `authoringNewWorkbook`: TSI types it "Workbook" with URL part 4, but part 4 is the *data
//! source* the new, still unsaved workbook is built on (Embedding API samples:
//! `/t/<site>/authoringNewWorkbook/<uuid>/<datasource>`; older servers used
//! `/authoringNewWorkbook/<datasource>`). Joining it to workbooks matches nothing, or a
//! workbook that happens to share the data source's URL, so it resolves to the data source.
//!
//! Percent-decoding: browsers encode non-ASCII and reserved bytes, while `currentsheet` and
//! `repository_url` are stored decoded. A segment is decoded only when it holds a well-formed
//! `%XX` sequence whose result is valid UTF-8 without '/' or control characters; otherwise it
//! is kept raw. This cannot create a false match: repository URLs are ASCII-derived and never
//! contain '%', so a raw segment with '%' could never match anyway. '+' is left alone (it
//! means space only in query strings, and we only read the path).

use std::borrow::Cow;

use super::{cut_extension, ContentRef, ResolutionMethod};

/// One '/'-separated path segment and its byte offset in the URI.
#[derive(Clone, Copy)]
struct Segment<'a> {
    start: usize,
    text: &'a str,
}

/// The path's segments after the leading '/', as byte ranges of the original URI. Lazy: it
/// stops at the first '?' or '#' (the query string and fragment never hold content URLs, they
/// hold `:embed=y`, filters, `:size=800,600`) and reads only as far as a rule asks, so a long
/// query string costs nothing.
struct Segments<'a> {
    uri: &'a str,
    pos: usize,
    done: bool,
}

impl<'a> Segments<'a> {
    fn new(uri: &'a str) -> Self {
        Segments {
            uri,
            pos: usize::from(uri.starts_with('/')),
            done: false,
        }
    }

    fn next_text(&mut self) -> Option<&'a str> {
        self.next().map(|segment| segment.text)
    }
}

impl<'a> Iterator for Segments<'a> {
    type Item = Segment<'a>;

    fn next(&mut self) -> Option<Segment<'a>> {
        if self.done {
            return None;
        }
        let start = self.pos;
        let tail = &self.uri.as_bytes()[start..];
        let end = match tail.iter().position(|&b| matches!(b, b'/' | b'?' | b'#')) {
            Some(i) if tail[i] == b'/' => {
                self.pos = start + i + 1;
                start + i
            }
            found => {
                self.done = true;
                start + found.unwrap_or(tail.len())
            }
        };
        Some(Segment {
            start,
            text: &self.uri[start..end],
        })
    }
}

/// Where the prefixes end: the route name, the segments after it, and whether a trusted
/// ticket was seen.
struct Route<'a> {
    name: &'a str,
    rest: Segments<'a>,
    trusted: bool,
}

/// Does a `/t/<ns>` segment belong to the row's site? Compared ASCII-case-insensitively so a
/// hand-typed `/t/Finance/` still counts for `finance` (my choice: two sites whose namespaces
/// differ only by case would be ambiguous to users anyway).
fn site_matches(segment: &str, site_url_namespace: Option<&str>) -> bool {
    site_url_namespace.is_none_or(|ns| segment.eq_ignore_ascii_case(ns))
}

/// Peel `/trusted/<ticket>` and `/t/<ns>`; `None` when a prefix is cut short or names another
/// site than the row's.
fn route<'a>(uri: &'a str, site_url_namespace: Option<&str>) -> Option<Route<'a>> {
    let mut rest = Segments::new(uri);
    let mut trusted = false;
    let mut name = rest.next_text()?;
    if name == "trusted" {
        rest.next_text().filter(|ticket| !ticket.is_empty())?;
        trusted = true;
        name = rest.next_text()?;
    }
    if name == "t" {
        if !site_matches(rest.next_text()?, site_url_namespace) {
            return None;
        }
        name = rest.next_text()?;
    }
    Some(Route {
        name,
        rest,
        trusted,
    })
}

/// After `vizql`: skip `t/<ns>` and expect `w`, returning the segments after it.
fn vizql_workbook<'a>(
    mut rest: Segments<'a>,
    site_url_namespace: Option<&str>,
) -> Option<Segments<'a>> {
    let mut next = rest.next_text()?;
    if next == "t" {
        if !site_matches(rest.next_text()?, site_url_namespace) {
            return None;
        }
        next = rest.next_text()?;
    }
    (next == "w").then_some(rest)
}

pub(super) fn resolve_uri<'a>(
    uri: &'a str,
    site_url_namespace: Option<&str>,
) -> Option<ContentRef<'a>> {
    let Route {
        name,
        mut rest,
        trusted,
    } = route(uri, site_url_namespace)?;
    let by_route = |method| {
        if trusted {
            ResolutionMethod::UriTrusted
        } else {
            method
        }
    };
    match name {
        "views" => sheet_or_workbook(uri, rest, by_route(ResolutionMethod::UriViews)),
        "authoring" => sheet_or_workbook(uri, rest, by_route(ResolutionMethod::UriAuthoring)),
        "offline_views" => {
            sheet_or_workbook(uri, rest, by_route(ResolutionMethod::UriOfflineViews))
        }
        "askData" | "startAskData" => {
            datasource(rest.next()?, by_route(ResolutionMethod::UriAskData))
        }
        "authoringNewWorkbook" => {
            let first = rest.next()?;
            let ds = rest.next().filter(|s| !s.text.is_empty()).unwrap_or(first);
            datasource(ds, by_route(ResolutionMethod::UriAuthoringNewWorkbook))
        }
        "vizql" => {
            let mut rest = vizql_workbook(rest, site_url_namespace)?;
            let method = by_route(ResolutionMethod::UriVizql);
            let workbook = rest.next()?;
            if let Some(ds) = workbook.text.strip_prefix("ds:") {
                return datasource(
                    Segment {
                        start: workbook.start + 3,
                        text: ds,
                    },
                    method,
                );
            }
            match rest.next_text() {
                Some("v") => view_or_workbook(uri, workbook, rest.next(), method),
                _ => view_or_workbook(uri, workbook, None, method),
            }
        }
        _ => None,
    }
}

/// Is this URI one where TSI lets the URI override a clean `currentsheet`? (data-source
/// authoring: `/vizql/w/ds:`, `/askData/`, `/startAskData/`, `/authoringNewWorkbook/`)
pub(super) fn is_datasource_authoring(uri: &str, site_url_namespace: Option<&str>) -> bool {
    let Some(Route { name, rest, .. }) = route(uri, site_url_namespace) else {
        return false;
    };
    match name {
        "askData" | "startAskData" | "authoringNewWorkbook" => true,
        "vizql" => vizql_workbook(rest, site_url_namespace)
            .and_then(|mut rest| rest.next_text())
            .is_some_and(|workbook| workbook.starts_with("ds:")),
        _ => false,
    }
}

/// Is the route (any site, trusted or not) one that renders a view: `/views/` or `/vizql/w/`?
pub(super) fn is_view_route(uri: &str) -> bool {
    match route(uri, None) {
        Some(Route { name: "views", .. }) => true,
        Some(Route {
            name: "vizql",
            rest,
            ..
        }) => vizql_workbook(rest, None).is_some(),
        _ => false,
    }
}

/// `<wb>/<sheet>` as the next two segments.
fn sheet_or_workbook<'a>(
    uri: &'a str,
    mut rest: Segments<'a>,
    method: ResolutionMethod,
) -> Option<ContentRef<'a>> {
    let workbook = rest.next()?;
    view_or_workbook(uri, workbook, rest.next(), method)
}

fn view_or_workbook<'a>(
    uri: &'a str,
    workbook: Segment<'a>,
    sheet: Option<Segment<'a>>,
    method: ResolutionMethod,
) -> Option<ContentRef<'a>> {
    let sheet = sheet
        .map(|s| Segment {
            start: s.start,
            text: cut_extension(s.text),
        })
        // TSI: sheet `null` shows up in web edit and means the workbook.
        .filter(|s| !s.text.is_empty() && s.text != "null");
    let Some(sheet) = sheet else {
        // A workbook is the last content segment only when no sheet follows: cut there too.
        let workbook = Segment {
            start: workbook.start,
            text: cut_extension(workbook.text),
        };
        return (!workbook.text.is_empty())
            .then(|| ContentRef::workbook(decode(workbook.text), method));
    };
    if workbook.text.is_empty() {
        return None;
    }
    let (wb, sh) = (decode(workbook.text), decode(sheet.text));
    let key = match (&wb, &sh) {
        // Both raw and adjacent in the URI: the key is a slice of the input, no allocation.
        (Cow::Borrowed(_), Cow::Borrowed(_))
            if sheet.start == workbook.start + workbook.text.len() + 1 =>
        {
            Cow::Borrowed(&uri[workbook.start..sheet.start + sheet.text.len()])
        }
        _ => Cow::Owned(format!("{wb}/{sh}")),
    };
    Some(ContentRef::view(key, wb.len() + 1, method))
}

fn datasource(segment: Segment<'_>, method: ResolutionMethod) -> Option<ContentRef<'_>> {
    let text = cut_extension(segment.text);
    (!text.is_empty()).then(|| ContentRef::datasource(decode(text), method))
}

/// Percent-decode one path segment where that is safe (see the module docs), else keep it.
fn decode(segment: &str) -> Cow<'_, str> {
    if !segment.as_bytes().contains(&b'%') {
        return Cow::Borrowed(segment);
    }
    let bytes = segment.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let nibble = |at: usize| bytes.get(at).and_then(|&b| hex_digit(b));
            let (Some(high), Some(low)) = (nibble(i + 1), nibble(i + 2)) else {
                // A stray '%': not something a browser encoded; keep the raw text.
                return Cow::Borrowed(segment);
            };
            out.push(high << 4 | low);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    match String::from_utf8(out) {
        Ok(decoded) if !decoded.chars().any(|c| c == '/' || c.is_control()) => Cow::Owned(decoded),
        _ => Cow::Borrowed(segment),
    }
}

fn hex_digit(byte: u8) -> Option<u8> {
    match byte {
        b'0'..=b'9' => Some(byte - b'0'),
        b'a'..=b'f' => Some(byte - b'a' + 10),
        b'A'..=b'F' => Some(byte - b'A' + 10),
        _ => None,
    }
}
