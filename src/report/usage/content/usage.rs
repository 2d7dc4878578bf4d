//! `content`'s aggregation of `usage_daily`: per view and workbook the distinct users
//! (dense ids per site), view loads, requests and latest names, and the last view load of
//! each; one [`Partial`] per thread, merged afterwards.

use chrono::NaiveDate;
use rustc_hash::FxHashMap;

use super::super::lake::{
    self, dict_col, get, i32_col, i64_col, read_columns_with_dictionaries, StrDict,
};
use super::super::user_set::{DenseUsers, UserSet};
use super::super::{DateRange, ReportError};

/// A view (or workbook): by id, or by name when Tableau nulled the id of deleted content.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(super) enum ContentKey {
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
pub(super) struct Usage {
    /// Dense ids of the thread's `SiteUsers` of the content's site.
    pub(super) users: UserSet,
    pub(super) view_loads: i64,
    pub(super) requests: i64,
    /// The latest day seen, and the names on it: (site, project, workbook, view).
    latest: Option<NaiveDate>,
    pub(super) names: (String, String, String, String),
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
pub(super) struct Partial {
    users: SiteUsers,
    pub(super) by_view: FxHashMap<ContentKey, Usage>,
    pub(super) by_workbook: FxHashMap<ContentKey, Usage>,
    /// Latest day with a view load, over the whole lake up to --to.
    pub(super) last_view_load: FxHashMap<(i32, i32), NaiveDate>,
    pub(super) last_wb_load: FxHashMap<(i32, i32), NaiveDate>,
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

    pub(super) fn merge(&mut self, other: Partial) {
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

/// One `usage_daily` partition added to `partial`: all columns inside the range, the four
/// that date the last view load before it.
pub(super) fn read_usage(
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
