//! Content lookup tables: repository URL key → view, workbook or data source, per site.
//!
//! Reference §3 "Content side": the lookup is `views ∪ hist_views` (same for workbooks and data
//! sources), keeping the latest name per id, so deleted content still resolves. Two facts shape
//! it here:
//! - `repository_url` is unique only per site (§6(b).3), so live rows are keyed by
//!   `(site_id, key)`; a request of site 1 never resolves to a view of site 3.
//! - `hist_*` rows carry no `site_id`, and their `X_id` is NULL once X is deleted (§4). A hist
//!   row whose id is live adds its (older) URL to that live entity, in the entity's site
//!   (old links resolve after a rename). A hist row without a live id becomes a site-unknown
//!   entity, used only when no entity of the request's own site has the key; hist rows of the
//!   same deleted id, or with a NULL id and the same URL, are one entity with the latest name.

use std::borrow::Cow;
use std::collections::HashMap;

/// One view, workbook or data source.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Entity {
    /// NULL for deleted content known only from a hist row without its id.
    pub id: Option<i32>,
    pub name: Option<String>,
    /// NULL for hist-only entities (hist tables have no site).
    pub site_id: Option<i32>,
    pub owner_id: Option<i32>,
    /// Views: `workbook_id`. Workbooks and data sources: `project_id`.
    pub parent_id: Option<i32>,
}

/// A live row (`views`, `workbooks`, `datasources`).
#[derive(Debug, Clone, Default)]
pub struct LiveRow<'a> {
    pub id: i32,
    pub name: Option<&'a str>,
    pub repository_url: Option<&'a str>,
    pub site_id: Option<i32>,
    pub owner_id: Option<i32>,
    pub parent_id: Option<i32>,
}

/// A `hist_*` row.
#[derive(Debug, Clone, Default)]
pub struct HistRow<'a> {
    pub hist_id: i32,
    pub entity_id: Option<i32>,
    pub name: Option<&'a str>,
    pub repository_url: Option<&'a str>,
}

#[derive(Debug, Default)]
pub struct ContentTable {
    pub entities: Vec<Entity>,
    by_id: HashMap<i32, u32>,
    /// Key → (site of the entity, or None when unknown; entity index).
    by_key: HashMap<Box<str>, Vec<(Option<i32>, u32)>>,
}

#[derive(Hash, PartialEq, Eq)]
enum HistIdentity {
    Id(i32),
    Url(Box<str>),
}

impl ContentTable {
    /// `key_of` maps a `repository_url` to the resolver's lookup key
    /// (`view_key_from_repository_url` for views, identity otherwise).
    pub fn build<'a>(
        live: impl IntoIterator<Item = LiveRow<'a>>,
        hist: impl IntoIterator<Item = HistRow<'a>>,
        key_of: impl Fn(&str) -> Cow<'_, str>,
    ) -> Self {
        let mut table = ContentTable::default();
        for row in live {
            let ix = table.push(Entity {
                id: Some(row.id),
                name: row.name.map(str::to_string),
                site_id: row.site_id,
                owner_id: row.owner_id,
                parent_id: row.parent_id,
            });
            table.by_id.insert(row.id, ix);
            if let Some(url) = row.repository_url {
                table.add_key(&key_of(url), row.site_id, ix);
            }
        }
        let mut hist: Vec<HistRow<'a>> = hist.into_iter().collect();
        hist.sort_by_key(|h| h.hist_id); // later hist rows carry later names
        let mut hist_only: HashMap<HistIdentity, u32> = HashMap::new();
        for row in hist {
            let Some(url) = row.repository_url else {
                continue;
            };
            let key = key_of(url);
            if let Some(&ix) = row.entity_id.and_then(|id| table.by_id.get(&id)) {
                if table.entities[ix as usize].site_id.is_some() {
                    let site = table.entities[ix as usize].site_id;
                    table.add_key(&key, site, ix);
                    continue;
                }
            }
            let identity = match row.entity_id {
                Some(id) => HistIdentity::Id(id),
                None => HistIdentity::Url(key.as_ref().into()),
            };
            let ix = match hist_only.get(&identity) {
                Some(&ix) => ix,
                None => {
                    let ix = table.push(Entity {
                        id: row.entity_id,
                        ..Entity::default()
                    });
                    if let Some(id) = row.entity_id {
                        table.by_id.insert(id, ix);
                    }
                    hist_only.insert(identity, ix);
                    ix
                }
            };
            if row.name.is_some() {
                table.entities[ix as usize].name = row.name.map(str::to_string);
            }
            table.add_key(&key, None, ix);
        }
        table
    }

    fn push(&mut self, entity: Entity) -> u32 {
        self.entities.push(entity);
        u32::try_from(self.entities.len() - 1).expect("fewer than 2^32 content items")
    }

    fn add_key(&mut self, key: &str, site: Option<i32>, ix: u32) {
        let candidates = self.by_key.entry(key.into()).or_default();
        if !candidates.contains(&(site, ix)) {
            candidates.push((site, ix));
        }
    }

    /// The entity a request of `site` means by `key`: the site's own entity, else the latest
    /// site-unknown (hist-only) one. A request without a site resolves only an unambiguous key.
    pub fn lookup(&self, site: Option<i32>, key: &str) -> Option<u32> {
        let candidates = self.by_key.get(key)?;
        match site {
            Some(site) => candidates
                .iter()
                .find(|(s, _)| *s == Some(site))
                .or_else(|| candidates.iter().rev().find(|(s, _)| s.is_none()))
                .map(|&(_, ix)| ix),
            None => match candidates.as_slice() {
                [(_, ix)] => Some(*ix),
                _ => None,
            },
        }
    }

    pub fn ix_of_id(&self, id: i32) -> Option<u32> {
        self.by_id.get(&id).copied()
    }

    pub fn get(&self, ix: u32) -> &Entity {
        &self.entities[ix as usize]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sources::tableau::enrich::content::view_key_from_repository_url;

    fn live(id: i32, site: i32, name: &'static str, url: &'static str) -> LiveRow<'static> {
        LiveRow {
            id,
            name: Some(name),
            repository_url: Some(url),
            site_id: Some(site),
            ..LiveRow::default()
        }
    }

    fn hist(
        hist_id: i32,
        id: Option<i32>,
        name: &'static str,
        url: &'static str,
    ) -> HistRow<'static> {
        HistRow {
            hist_id,
            entity_id: id,
            name: Some(name),
            repository_url: Some(url),
        }
    }

    fn views(hist_rows: Vec<HistRow<'static>>) -> ContentTable {
        ContentTable::build(
            vec![
                live(1, 1, "Overview", "Superstore/sheets/Overview"),
                live(2, 3, "Overview (Sales)", "Superstore/sheets/Overview"),
                live(3, 1, "Executive Trend", "Superstore/sheets/Trend"),
            ],
            hist_rows,
            view_key_from_repository_url,
        )
    }

    #[test]
    fn a_shared_repository_url_resolves_per_site() {
        let t = views(vec![]);
        assert_eq!(
            t.get(t.lookup(Some(1), "Superstore/Overview").unwrap()).id,
            Some(1)
        );
        assert_eq!(
            t.get(t.lookup(Some(3), "Superstore/Overview").unwrap()).id,
            Some(2)
        );
        assert_eq!(t.lookup(Some(2), "Superstore/Overview"), None);
        assert_eq!(
            t.lookup(None, "Superstore/Overview"),
            None,
            "ambiguous without a site"
        );
        assert_eq!(
            t.get(t.lookup(None, "Superstore/Trend").unwrap()).id,
            Some(3)
        );
    }

    #[test]
    fn deleted_views_resolve_through_hist_with_their_latest_name() {
        let t = views(vec![
            hist(10, None, "Detail (old)", "Superstore/sheets/Detail"),
            hist(11, None, "Detail", "Superstore/sheets/Detail"),
        ]);
        let ix = t.lookup(Some(1), "Superstore/Detail").unwrap();
        assert_eq!(
            t.get(ix),
            &Entity {
                name: Some("Detail".into()),
                ..Entity::default()
            }
        );
        // The site-3 request for the shared key still gets site 3's live view, not hist.
        assert_eq!(
            t.get(t.lookup(Some(3), "Superstore/Overview").unwrap()).id,
            Some(2)
        );
    }

    #[test]
    fn an_old_url_of_a_live_view_resolves_to_it_in_its_site_only() {
        let t = views(vec![hist(
            20,
            Some(3),
            "Trend",
            "Superstore/sheets/OldTrend",
        )]);
        let ix = t.lookup(Some(1), "Superstore/OldTrend").unwrap();
        assert_eq!(t.get(ix).id, Some(3));
        assert_eq!(
            t.get(ix).name.as_deref(),
            Some("Executive Trend"),
            "live name wins"
        );
        assert_eq!(t.lookup(Some(3), "Superstore/OldTrend"), None);
    }

    #[test]
    fn a_deleted_view_whose_hist_row_kept_its_id_keeps_the_id() {
        let t = views(vec![hist(30, Some(99), "Gone", "Superstore/sheets/Gone")]);
        let ix = t.lookup(Some(1), "Superstore/Gone").unwrap();
        assert_eq!(t.get(ix).id, Some(99));
        assert_eq!(t.ix_of_id(99), Some(ix));
    }
}
