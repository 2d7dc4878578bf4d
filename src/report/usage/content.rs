//! `content`: Tableau views and workbooks by distinct users and view loads over a range,
//! and the content nobody viewed in it (stale: candidates to archive).
//!
//! Reads `usage_daily` (per day, site, content and user: requests and view loads, where a
//! view load is a `bootstrapSession` with a 2xx status) and the `views`/`workbooks`
//! snapshots in force on `--to`. Users are counted by `user_id` within a site; unknown
//! users (NULL or 0) count for loads but not as users.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use rustc_hash::FxHashMap;

use super::activity::id_names;
use super::clock::local_time;
use super::lake::{
    self, bool_col, dict_col, get, i32_col, i64_col, read_columns, read_columns_with_dictionaries,
    str_col, ts_col, Lake, Platform, StrDict,
};
use super::table::{Cell, Report, Section};
use super::user_set::{DenseUsers, UserSet};
use super::{DateRange, ReportError};

const USAGE_HINT: &str =
    " — it is derived by `usagelake run` when the source has `enrich = true` (the default)";

pub struct ContentQuery<'a> {
    pub range: DateRange,
    /// Site name or URL namespace (case-insensitive).
    pub site: Option<&'a str>,
}

/// A view (or workbook): by id, or by name when Tableau nulled the id of deleted content.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
enum ContentKey {
    Id(i32, i32),
    Name(i32, String, String),
}

impl ContentKey {
    fn site(&self) -> i32 {
        match self {
            ContentKey::Id(site, _) | ContentKey::Name(site, ..) => *site,
        }
    }
}

/// Dense user ids per site. A Tableau user id is a site membership and every view and
/// workbook belongs to one site, so a content's set spans only its site's users: on a
/// server with several sites the bitmaps shrink by their number and more of them stay in
/// cache (the set inserts are most of `content`'s time).
#[derive(Default)]
struct SiteUsers {
    sites: Vec<(i32, DenseUsers)>,
}

impl SiteUsers {
    fn of(&mut self, site: i32) -> &mut DenseUsers {
        // A handful of sites: a scan beats hashing.
        let i = match self.sites.iter().position(|(s, _)| *s == site) {
            Some(i) => i,
            None => {
                self.sites.push((site, DenseUsers::default()));
                self.sites.len() - 1
            }
        };
        &mut self.sites[i].1
    }
}

#[derive(Default)]
struct Usage {
    /// Dense ids of the thread's `SiteUsers` of the content's site.
    users: UserSet,
    view_loads: i64,
    requests: i64,
    /// The latest day seen, and the names on it: (site, project, workbook, view).
    latest: Option<NaiveDate>,
    names: (String, String, String, String),
}

impl Usage {
    fn add(&mut self, row: &UsageRow<'_>, user: Option<u32>, universe: usize) {
        if let Some(u) = user {
            self.users.insert(u, universe);
        }
        self.view_loads += row.view_loads;
        self.requests += row.requests;
        // Names of the latest day; copied once per day, not per row.
        if self.latest.is_none_or(|d| d < row.date) {
            self.latest = Some(row.date);
            let s = row.strings;
            self.names = (
                s.site_name.name(row.row).to_string(),
                s.project_name.name(row.row).to_string(),
                s.workbook_name.name(row.row).to_string(),
                s.view_name.name(row.row).to_string(),
            );
        }
    }

    /// `translation`: other's dense user ids → ours.
    fn merge(&mut self, other: Usage, translation: &[u32], universe: usize) {
        for id in other.users.members() {
            self.users.insert(translation[id as usize], universe);
        }
        self.view_loads += other.view_loads;
        self.requests += other.requests;
        if self.latest < other.latest {
            self.latest = other.latest;
            self.names = other.names;
        }
    }
}

/// One thread's aggregates over its partitions, merged afterwards.
#[derive(Default)]
struct Partial {
    users: SiteUsers,
    by_view: FxHashMap<ContentKey, Usage>,
    by_workbook: FxHashMap<ContentKey, Usage>,
    /// Latest day with a view load, over the whole lake up to --to.
    last_view_load: FxHashMap<(i32, i32), NaiveDate>,
    last_wb_load: FxHashMap<(i32, i32), NaiveDate>,
}

impl Partial {
    fn add(&mut self, row: &UsageRow<'_>, range: DateRange) {
        let users = self.users.of(row.site_id);
        let user = row.user_id.filter(|u| *u != 0).map(|u| users.id(u));
        let universe = users.len();
        if row.view_loads > 0 {
            if let Some(v) = row.view_id {
                later(&mut self.last_view_load, (row.site_id, v), row.date);
            }
            if let Some(w) = row.workbook_id {
                later(&mut self.last_wb_load, (row.site_id, w), row.date);
            }
        }
        if row.date < range.from {
            return;
        }
        if row.item == Item::View {
            let key = match row.view_id {
                Some(v) => ContentKey::Id(row.site_id, v),
                None => ContentKey::Name(
                    row.site_id,
                    row.strings.workbook_name.name(row.row).to_string(),
                    row.strings.view_name.name(row.row).to_string(),
                ),
            };
            self.by_view
                .entry(key)
                .or_default()
                .add(row, user, universe);
        }
        if matches!(row.item, Item::View | Item::Workbook) {
            let key = match row.workbook_id {
                Some(w) => ContentKey::Id(row.site_id, w),
                None => ContentKey::Name(
                    row.site_id,
                    row.strings.workbook_name.name(row.row).to_string(),
                    String::new(),
                ),
            };
            self.by_workbook
                .entry(key)
                .or_default()
                .add(row, user, universe);
        }
    }

    fn merge(&mut self, other: Partial) {
        // Per site: other's dense ids → ours, and our universe once they are all added.
        let translations: FxHashMap<i32, (Vec<u32>, usize)> = other
            .users
            .sites
            .iter()
            .map(|(site, theirs)| {
                let mine = self.users.of(*site);
                let translation = mine.translation(theirs);
                (*site, (translation, mine.len()))
            })
            .collect();
        for (mine, theirs) in [
            (&mut self.by_view, other.by_view),
            (&mut self.by_workbook, other.by_workbook),
        ] {
            for (key, usage) in theirs {
                // Every row added a site to `users`, so every key's site is there.
                let (translation, universe) = &translations[&key.site()];
                mine.entry(key)
                    .or_default()
                    .merge(usage, translation, *universe);
            }
        }
        for (mine, theirs) in [
            (&mut self.last_view_load, other.last_view_load),
            (&mut self.last_wb_load, other.last_wb_load),
        ] {
            for (key, date) in theirs {
                later(mine, key, date);
            }
        }
    }
}

fn later(map: &mut FxHashMap<(i32, i32), NaiveDate>, key: (i32, i32), date: NaiveDate) {
    let e = map.entry(key).or_insert(date);
    *e = (*e).max(date);
}

/// `item_type`, resolved once per batch from its dictionary.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Item {
    View,
    Workbook,
    Other,
}

impl Item {
    fn of(item_type: Option<&str>) -> Item {
        match item_type {
            Some("View") => Item::View,
            Some("Workbook") => Item::Workbook,
            _ => Item::Other,
        }
    }
}

/// A name column of a batch: dictionary keys, the strings looked up only when a name is
/// kept (the latest day of a view, or content without an id).
struct NameCol(Option<StrDict>);

impl NameCol {
    fn name(&self, row: usize) -> &str {
        self.0.as_ref().and_then(|d| d.get(row)).unwrap_or_default()
    }
}

/// The name columns of one batch.
struct BatchNames {
    site_name: NameCol,
    project_name: NameCol,
    workbook_name: NameCol,
    view_name: NameCol,
}

struct UsageRow<'a> {
    date: NaiveDate,
    site_id: i32,
    item: Item,
    workbook_id: Option<i32>,
    view_id: Option<i32>,
    user_id: Option<i32>,
    view_loads: i64,
    requests: i64,
    /// Where the row's names are: `strings`, row `row`.
    strings: &'a BatchNames,
    row: usize,
}

pub fn content(lake: &Lake, query: &ContentQuery) -> Result<Report, ReportError> {
    let range = query.range;
    let sources: Vec<_> = lake.sources_of(Platform::Tableau).collect();
    if sources.is_empty() {
        return Err(ReportError::NoSource {
            kind: "Tableau".into(),
            hint: ": `content` reports Tableau views and workbooks".into(),
        });
    }
    let mut views = Section::new(
        "views",
        "Views by distinct users",
        &[
            "source",
            "site",
            "workbook",
            "view",
            "users",
            "view_loads",
            "requests",
        ],
    );
    let mut workbooks = Section::new(
        "workbooks",
        "Workbooks by distinct users",
        &[
            "source",
            "site",
            "project",
            "workbook",
            "users",
            "view_loads",
            "requests",
        ],
    );
    let mut stale = Section::new(
        "stale",
        "Content with no view load in the range",
        &[
            "source",
            "type",
            "site",
            "workbook",
            "view",
            "created",
            "last_viewed",
        ],
    );
    let mut site_found = query.site.is_none();
    let mut known_sites = Vec::new();
    let mut any_partition = false;
    for source in sources {
        let name = source.name.as_str();
        lake.require(name, "usage_daily", USAGE_HINT)?;
        let site_id = match query.site {
            None => None,
            Some(wanted) => {
                let sites = site_keys(lake, name, range.to)?;
                let found = sites
                    .iter()
                    .find(|(_, names)| names.iter().any(|n| n.eq_ignore_ascii_case(wanted)))
                    .map(|(id, _)| *id);
                known_sites.extend(sites.into_iter().filter_map(|(_, n)| n.first().cloned()));
                match found {
                    Some(id) => Some(id),
                    None => continue,
                }
            }
        };
        site_found = true;
        let partitions = lake
            .partitions(name, "usage_daily", "event_date")?
            .into_iter()
            .filter(|p| p.date <= range.to)
            .collect::<Vec<_>>();
        any_partition |= partitions.iter().any(|p| p.date >= range.from);
        let mut partials = lake::par_fold(&partitions, |partial, p| {
            read_usage(partial, p, range, site_id)
        })?
        .into_iter();
        let mut total = partials.next().unwrap_or_default();
        for partial in partials {
            total.merge(partial);
        }
        let Partial {
            users: _,
            by_view,
            by_workbook,
            last_view_load,
            last_wb_load,
        } = total;
        for (usage, section, is_view) in [
            (by_view, &mut views, true),
            (by_workbook, &mut workbooks, false),
        ] {
            let mut ranked: Vec<Usage> = usage.into_values().collect();
            ranked.sort_by(|a, b| {
                b.users
                    .len()
                    .cmp(&a.users.len())
                    .then(b.view_loads.cmp(&a.view_loads))
                    .then_with(|| a.names.cmp(&b.names))
            });
            for u in ranked {
                let (site, project, workbook, view) = u.names.clone();
                let middle = if is_view {
                    [workbook, view]
                } else {
                    [project, workbook]
                };
                section.push(vec![
                    Cell::text(name),
                    Cell::text(site),
                    Cell::text(&middle[0]),
                    Cell::text(&middle[1]),
                    Cell::Int(u.users.len() as i64),
                    Cell::Int(u.view_loads),
                    Cell::Int(u.requests),
                ]);
            }
        }
        stale_content(
            lake,
            name,
            range,
            site_id,
            &last_view_load,
            &last_wb_load,
            &mut stale,
        )?;
    }
    if !site_found {
        known_sites.sort();
        known_sites.dedup();
        return Err(ReportError::UnknownSite {
            site: query.site.unwrap_or_default().to_string(),
            known: known_sites.join(", "),
        });
    }
    if !any_partition {
        return Err(super::empty_range(
            lake,
            "content usage",
            range,
            &["usage_daily"],
        ));
    }
    let mut filters = vec![
        ("from", range.from.to_string()),
        ("to", range.to.to_string()),
    ];
    if let Some(site) = query.site {
        filters.push(("site", site.to_string()));
    }
    Ok(Report {
        name: "content",
        time_zone: lake.tz.name().to_string(),
        filters,
        sections: vec![views, workbooks, stale],
    })
}

/// One `usage_daily` partition added to `partial`: all columns inside the range, the four
/// that date the last view load before it.
fn read_usage(
    partial: &mut Partial,
    p: &lake::Partition,
    range: DateRange,
    site_id: Option<i32>,
) -> Result<(), ReportError> {
    let in_range = p.date >= range.from;
    let columns: &[&str] = if in_range {
        &[
            "site_id",
            "site_name",
            "item_type",
            "project_name",
            "workbook_id",
            "workbook_name",
            "view_id",
            "view_name",
            "user_id",
            "requests",
            "view_loads",
        ]
    } else {
        &["site_id", "workbook_id", "view_id", "view_loads"]
    };
    let names = [
        "site_name",
        "item_type",
        "project_name",
        "workbook_name",
        "view_name",
    ];
    for b in read_columns_with_dictionaries(&p.files, columns, &names)? {
        let site_col = i32_col(&b, "site_id");
        // Per row only integers: `item_type` is matched once per distinct value.
        let item_type = dict_col(&b, "item_type");
        let items: Vec<Item> = item_type
            .as_ref()
            .map(|d| d.values().map(Item::of).collect())
            .unwrap_or_default();
        let strings = BatchNames {
            site_name: NameCol(dict_col(&b, "site_name")),
            project_name: NameCol(dict_col(&b, "project_name")),
            workbook_name: NameCol(dict_col(&b, "workbook_name")),
            view_name: NameCol(dict_col(&b, "view_name")),
        };
        let wb_id = i32_col(&b, "workbook_id");
        let view_id = i32_col(&b, "view_id");
        let user_id = i32_col(&b, "user_id");
        let requests = i64_col(&b, "requests");
        let loads = i64_col(&b, "view_loads");
        for row in 0..b.num_rows() {
            let Some(site) = get(site_col, row) else {
                continue;
            };
            if site_id.is_some_and(|wanted| wanted != site) {
                continue;
            }
            let item = item_type
                .as_ref()
                .and_then(|d| d.key(row))
                .map_or(Item::Other, |k| items[k]);
            let usage = UsageRow {
                date: p.date,
                site_id: site,
                item,
                workbook_id: get(wb_id, row),
                view_id: get(view_id, row),
                user_id: get(user_id, row),
                view_loads: get(loads, row).unwrap_or(0),
                requests: get(requests, row).unwrap_or(0),
                strings: &strings,
                row,
            };
            partial.add(&usage, range);
        }
    }
    Ok(())
}

/// Site id → [name, url_namespace] from the `sites` snapshot in force.
fn site_keys(
    lake: &Lake,
    source: &str,
    date: NaiveDate,
) -> Result<Vec<(i32, Vec<String>)>, ReportError> {
    let mut sites = Vec::new();
    if let Some(p) = lake.snapshot_in_force(source, "sites", date)? {
        for b in read_columns(&p.files, &["id", "name", "url_namespace"])? {
            let (id, name, ns) = (
                i32_col(&b, "id"),
                str_col(&b, "name"),
                str_col(&b, "url_namespace"),
            );
            for row in 0..b.num_rows() {
                if let Some(id) = get(id, row) {
                    let names: Vec<String> = [get(name, row), get(ns, row)]
                        .into_iter()
                        .flatten()
                        .filter(|n| !n.is_empty())
                        .map(str::to_string)
                        .collect();
                    sites.push((id, names));
                }
            }
        }
    }
    Ok(sites)
}

/// Live (not deleted) views and workbooks of the snapshots in force on `--to` with no
/// view load in the range; `last_viewed` is their latest view load the lake knows.
fn stale_content(
    lake: &Lake,
    source: &str,
    range: DateRange,
    site_id: Option<i32>,
    last_view_load: &FxHashMap<(i32, i32), NaiveDate>,
    last_wb_load: &FxHashMap<(i32, i32), NaiveDate>,
    out: &mut Section,
) -> Result<(), ReportError> {
    let sites = id_names(lake, source, "sites", range.to, &["name"])?;
    let workbook_names = id_names(lake, source, "workbooks", range.to, &["name"])?;
    let viewed = |map: &FxHashMap<(i32, i32), NaiveDate>, key| map.get(&key).copied();
    // (type order, site, workbook, view) → row: sorted output.
    let mut rows: BTreeMap<(u8, String, String, String), Vec<Cell>> = BTreeMap::new();
    for (dataset, is_view) in [("workbooks", false), ("views", true)] {
        let Some(p) = lake.snapshot_in_force(source, dataset, range.to)? else {
            continue;
        };
        let columns = [
            "id",
            "name",
            "workbook_id",
            "site_id",
            "is_deleted",
            "created_at",
        ];
        for b in read_columns(&p.files, &columns)? {
            let id = i32_col(&b, "id");
            let name = str_col(&b, "name");
            let wb = i32_col(&b, "workbook_id");
            let site = i32_col(&b, "site_id");
            let deleted = bool_col(&b, "is_deleted");
            let created = ts_col(&b, "created_at");
            for row in 0..b.num_rows() {
                let (Some(id), Some(s)) = (get(id, row), get(site, row)) else {
                    continue;
                };
                if get(deleted, row) == Some(true) || site_id.is_some_and(|w| w != s) {
                    continue;
                }
                let created_day = get(created, row).map(|us| local_time(lake.tz, us).date());
                if created_day.is_some_and(|d| d > range.to) {
                    continue; // did not exist yet in the range
                }
                let last = if is_view {
                    viewed(last_view_load, (s, id))
                } else {
                    viewed(last_wb_load, (s, id))
                };
                if last.is_some_and(|d| d >= range.from) {
                    continue;
                }
                let site_name = sites
                    .get(&s)
                    .cloned()
                    .unwrap_or_else(|| format!("site {s}"));
                let own = get(name, row).unwrap_or_default().to_string();
                let (workbook, view) = if is_view {
                    let wb_name = get(wb, row)
                        .and_then(|w| workbook_names.get(&w).cloned())
                        .unwrap_or_default();
                    (wb_name, own)
                } else {
                    (own, String::new())
                };
                let kind = if is_view { "View" } else { "Workbook" };
                rows.insert(
                    (
                        u8::from(is_view),
                        site_name.clone(),
                        workbook.clone(),
                        format!("{view}\u{0}{id}"),
                    ),
                    vec![
                        Cell::text(source),
                        Cell::text(kind),
                        Cell::text(site_name),
                        Cell::text(workbook),
                        if is_view {
                            Cell::text(view)
                        } else {
                            Cell::Null
                        },
                        created_day.map_or(Cell::Null, Cell::Date),
                        last.map_or(Cell::Null, Cell::Date),
                    ],
                );
            }
        }
    }
    for row in rows.into_values() {
        out.push(row);
    }
    Ok(())
}
