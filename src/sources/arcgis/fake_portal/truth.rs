//! The fake portal's ground truth: deterministic history events and users.
//!
//! A private splitmix64 instead of `rand`: the demo and tests compare against this data,
//! so it must not change when a dependency changes its algorithms.

use std::collections::HashSet;

use serde_json::{json, Map, Value};

/// 2026-11-01T00:00:00Z: the first generated day, the same week as the Tableau demo.
/// Fixed (not relative to today) so a second demo run finds nothing new.
pub const FIRST_DAY_MS: i64 = 1_793_491_200_000;
pub const DAY_MS: i64 = 86_400_000;
/// Generated events fall in `[FIRST_DAY_MS, FIRST_DAY_MS + DAYS * DAY_MS)`.
pub const DAYS: i64 = 7;
pub const ORG_ID: &str = "FakeOrg0123456789";

/// What the fake serves. Events are sorted by `created`, as the real endpoint pages.
#[derive(Debug, Clone)]
pub struct GroundTruth {
    pub events: Vec<Map<String, Value>>,
    pub users: Vec<Map<String, Value>>,
}

impl GroundTruth {
    /// `[from, to)` covering every event: whole UTC days.
    pub fn range_ms(&self) -> (i64, i64) {
        (FIRST_DAY_MS, FIRST_DAY_MS + DAYS * DAY_MS)
    }
}

struct SplitMix(u64);

impl SplitMix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
    fn pick<'a>(&mut self, options: &[&'a str]) -> &'a str {
        options[self.below(options.len() as u64) as usize]
    }
    fn hex32(&mut self) -> String {
        format!("{:016x}{:016x}", self.next(), self.next())
    }
}

pub fn generate(events: usize, users: usize, seed: u64) -> GroundTruth {
    let mut rng = SplitMix(seed ^ 0x5EED_0A2C_615C_0DE5);
    let users = (1..=users.max(1))
        .map(|i| user(&mut rng, i))
        .collect::<Vec<_>>();
    let names: Vec<String> = users
        .iter()
        .map(|u| u["username"].as_str().unwrap_or_default().to_string())
        .collect();
    let mut out: Vec<Map<String, Value>> = Vec::with_capacity(events);
    let mut seen = HashSet::new();
    while out.len() < events {
        let event = event(&mut rng, &names);
        // ~10% get a sibling sharing id, created and reqId (a group removal that also
        // unshares, reference §1.3): distinct events the key must not merge.
        let sibling = (rng.chance(10) && out.len() + 1 < events).then(|| {
            let mut s = event.clone();
            s.insert(
                "action".into(),
                json!(rng.pick(&["unshare", "removeusers", "update"])),
            );
            s.insert(
                "data".into(),
                json!(format!("{{\"items\":[\"{}\"]}}", rng.hex32())),
            );
            s
        });
        if !seen.insert(Value::Object(event.clone()).to_string()) {
            continue; // Ground truth events are distinct by construction.
        }
        out.push(event);
        if let Some(s) = sibling.filter(|s| seen.insert(Value::Object(s.clone()).to_string())) {
            out.push(s);
        }
    }
    out.sort_by_key(|e| e["created"].as_i64().unwrap_or_default());
    GroundTruth { events: out, users }
}

fn event(rng: &mut SplitMix, names: &[String]) -> Map<String, Value> {
    let user = |rng: &mut SplitMix| names[rng.below(names.len() as u64) as usize].clone();
    // 1% exactly on a day edge, to catch double counting across slices (toDate is
    // inclusive in this fake, as it may be in the real one).
    let created = if rng.chance(1) {
        FIRST_DAY_MS + rng.below(DAYS as u64) as i64 * DAY_MS
    } else {
        FIRST_DAY_MS + rng.below((DAYS * DAY_MS) as u64) as i64
    };
    let ip = format!(
        "10.{}.{}.{}",
        rng.below(256),
        rng.below(256),
        rng.below(256)
    );
    let app = rng.pick(&["arcgisonline", "arcgisprojp", "fieldmaps", "survey123"]);
    let roll = rng.below(100);
    let mut e = Map::new();
    if roll < 18 {
        let who = user(rng);
        let action = if roll < 15 { "login" } else { "failedlogin" };
        e.insert("id".into(), json!(who));
        e.insert("idType".into(), json!("u"));
        e.insert("owner".into(), json!(who));
        e.insert("actor".into(), json!(who));
        e.insert("action".into(), json!(action));
        e.insert("request".into(), json!("/sharing/rest/oauth2/signin"));
        e.insert("data".into(), json!("{}"));
    } else {
        let (id_type, action) = match roll {
            18..=20 => ("a", "update"),
            21..=24 => ("zz", "archiveContent"), // unknown codes, stored verbatim
            25..=49 => (
                "g",
                rng.pick(&["addusers", "removeusers", "create", "updateUsers"]),
            ),
            _ => (
                "i",
                rng.pick(&["add", "share", "unshare", "update", "delete"]),
            ),
        };
        let id = rng.hex32();
        e.insert("id".into(), json!(id));
        e.insert("idType".into(), json!(id_type));
        e.insert("owner".into(), json!(user(rng)));
        e.insert("actor".into(), json!(user(rng)));
        e.insert("action".into(), json!(action));
        e.insert(
            "request".into(),
            json!(format!("/sharing/rest/content/items/{id}/{action}")),
        );
        let data =
            json!({"everyone": rng.chance(30), "org": rng.chance(50), "groups": [rng.hex32()]});
        e.insert("data".into(), json!(data.to_string()));
    }
    e.insert("created".into(), json!(created));
    e.insert("orgId".into(), json!(ORG_ID));
    e.insert("ip".into(), json!(ip));
    e.insert("reqId".into(), json!(rng.hex32()));
    // The JSON API says appId, CSV reports say clientId: serve both spellings.
    let app_field = if rng.chance(20) { "clientId" } else { "appId" };
    e.insert(app_field.into(), json!(app));
    if rng.chance(3) {
        e.insert(
            "itemTitle".into(),
            json!(format!("Layer {}", rng.below(1000))),
        );
    }
    e
}

fn user(rng: &mut SplitMix, i: usize) -> Map<String, Value> {
    let created = FIRST_DAY_MS - 400 * DAY_MS + rng.below(300 * DAY_MS as u64) as i64;
    // ~15% never signed in: lastLogin = -1 (reference §2.3).
    let last_login = if rng.chance(15) {
        -1
    } else {
        FIRST_DAY_MS - rng.below(30 * DAY_MS as u64) as i64
    };
    let username = format!("user{i:04}_fakeorg");
    let role = ["org_admin", "org_publisher", "org_user"][rng.below(3) as usize];
    let sso = rng.chance(30);
    let mut u = Map::new();
    u.insert("username".into(), json!(username));
    u.insert("id".into(), json!(rng.hex32()));
    u.insert("fullName".into(), json!(format!("User {i}")));
    u.insert("email".into(), json!(format!("user{i}@example.org")));
    u.insert("role".into(), json!(role));
    u.insert(
        "roleId".into(),
        json!(if role == "org_user" {
            "iAAAAAAAAAAAAAAA"
        } else {
            "jBBBBBBBBBBBBBBB"
        }),
    );
    u.insert(
        "userLicenseTypeId".into(),
        json!(if role == "org_user" {
            "viewerUT"
        } else {
            "creatorUT"
        }),
    );
    u.insert(
        "level".into(),
        json!(if role == "org_user" { "1" } else { "2" }),
    );
    u.insert("disabled".into(), json!(rng.chance(5)));
    u.insert("created".into(), json!(created));
    u.insert(
        "modified".into(),
        json!(created + rng.below(DAY_MS as u64) as i64),
    );
    u.insert("lastLogin".into(), json!(last_login));
    u.insert(
        "provider".into(),
        json!(if sso { "enterprise" } else { "arcgis" }),
    );
    if sso {
        u.insert(
            "idpUsername".into(),
            json!(format!("user{i}@corp.example.org")),
        );
    }
    u.insert("mfaEnabled".into(), json!(rng.chance(40)));
    u.insert(
        "privileges".into(),
        json!(["portal:user:joinGroup", "portal:user:viewOrgUsers"]),
    );
    u.insert("orgId".into(), json!(ORG_ID));
    u
}
