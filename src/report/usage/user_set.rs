//! Distinct-user sets that stay in cache: `content` adds one user to two sets per
//! `usage_daily` row (millions of rows). Hash sets of raw ids, one per view and workbook,
//! spread over tens of MB and made every insert a cache miss (half of the report's time,
//! README "Report performance"). Here users get dense ids (per thread, in the order first
//! seen) and a set turns into a bitmap over those ids as soon as that is the smaller form:
//! a view used by 5,000 of 6,000 users costs 750 bytes instead of 40 KB.

use rustc_hash::{FxHashMap, FxHashSet};

/// Below this, user ids map to dense ids through a plain vector: Tableau user ids are
/// small serial integers, and the lookup happens for every row.
const DIRECT: usize = 1 << 20;

/// User id → dense id, for one thread's sets.
#[derive(Default)]
pub struct DenseUsers {
    /// Index: a user id below [`DIRECT`]; value: its dense id + 1 (0: not seen yet).
    direct: Vec<u32>,
    /// Negative and large user ids.
    others: FxHashMap<i32, u32>,
    len: u32,
}

impl DenseUsers {
    pub fn id(&mut self, user: i32) -> u32 {
        let next = self.len;
        if let Some(index) = usize::try_from(user).ok().filter(|u| *u < DIRECT) {
            if index >= self.direct.len() {
                self.direct.resize((index + 1).next_power_of_two(), 0);
            }
            let slot = &mut self.direct[index];
            if *slot == 0 {
                self.len += 1;
                *slot = self.len;
            }
            return *slot - 1;
        }
        let id = *self.others.entry(user).or_insert(next);
        if id == next {
            self.len += 1;
        }
        id
    }

    /// How many distinct users were seen: the bitmaps' universe.
    pub fn len(&self) -> usize {
        self.len as usize
    }

    /// Every (user id, dense id).
    fn pairs(&self) -> impl Iterator<Item = (i32, u32)> + '_ {
        let direct = self
            .direct
            .iter()
            .enumerate()
            .filter(|(_, slot)| **slot != 0)
            .map(|(user, slot)| (user as i32, slot - 1));
        direct.chain(self.others.iter().map(|(user, id)| (*user, *id)))
    }

    /// For merging `other`'s sets into sets over these ids: other's dense id → ours.
    pub fn translation(&mut self, other: &DenseUsers) -> Vec<u32> {
        let mut table = vec![0; other.len()];
        for (user, theirs) in other.pairs() {
            table[theirs as usize] = self.id(user);
        }
        table
    }
}

/// A set of dense user ids.
pub enum UserSet {
    Small(FxHashSet<u32>),
    Bits { words: Vec<u64>, len: usize },
}

impl Default for UserSet {
    fn default() -> Self {
        UserSet::Small(FxHashSet::default())
    }
}

impl UserSet {
    /// Adds `id`; `universe` is the number of dense ids in use (any id is below it).
    pub fn insert(&mut self, id: u32, universe: usize) {
        match self {
            UserSet::Small(set) => {
                set.insert(id);
                // A hash set costs ≥ 4 bytes per member, a bitmap universe / 8 bytes.
                if set.len() * 32 > universe {
                    let mut words = vec![0u64; universe.div_ceil(64)];
                    for member in set.iter() {
                        words[*member as usize / 64] |= 1 << (member % 64);
                    }
                    *self = UserSet::Bits {
                        words,
                        len: set.len(),
                    };
                }
            }
            UserSet::Bits { words, len } => {
                let (word, bit) = (id as usize / 64, 1u64 << (id % 64));
                if word >= words.len() {
                    words.resize(universe.div_ceil(64).max(word + 1), 0);
                }
                if words[word] & bit == 0 {
                    words[word] |= bit;
                    *len += 1;
                }
            }
        }
    }

    pub fn len(&self) -> usize {
        match self {
            UserSet::Small(set) => set.len(),
            UserSet::Bits { len, .. } => *len,
        }
    }

    pub fn members(&self) -> Vec<u32> {
        match self {
            UserSet::Small(set) => set.iter().copied().collect(),
            UserSet::Bits { words, .. } => words
                .iter()
                .enumerate()
                .flat_map(|(i, word)| {
                    (0..64)
                        .filter(move |b| word & (1 << b) != 0)
                        .map(move |b| (i * 64 + b) as u32)
                })
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sets_count_distinct_users_in_both_forms_and_merge_across_id_spaces() {
        let (mut mine, mut theirs) = (DenseUsers::default(), DenseUsers::default());
        let (mut a, mut b) = (UserSet::default(), UserSet::default());
        // Users 1000..1100 twice in one thread: becomes a bitmap (100 members > 100/32).
        for round in 0..2 {
            for user in 1000..1100 {
                let id = mine.id(user);
                a.insert(id, mine.len());
                assert!(round == 0 || a.len() == 100);
            }
        }
        assert!(matches!(a, UserSet::Bits { .. }));
        assert_eq!(a.len(), 100);
        // The other thread saw users 1050..1200 in another order: 50 shared.
        for user in (1050..1200).rev() {
            let id = theirs.id(user);
            b.insert(id, theirs.len());
        }
        let table = mine.translation(&theirs);
        for id in b.members() {
            a.insert(table[id as usize], mine.len());
        }
        assert_eq!(a.len(), 200);
        let small = {
            let mut s = UserSet::default();
            let mut users = DenseUsers::default();
            for u in 0..1000 {
                users.id(u);
            }
            s.insert(7, users.len());
            s.insert(7, users.len());
            s.insert(9, users.len());
            s
        };
        assert!(matches!(small, UserSet::Small(_)));
        // Ids outside the direct range (negative, huge) get dense ids too, and translate.
        let (mut odd, mut other) = (DenseUsers::default(), DenseUsers::default());
        let ids: Vec<u32> = [-5, i32::MAX, 3, -5, 3, 1 << 21]
            .into_iter()
            .map(|u| odd.id(u))
            .collect();
        assert_eq!((ids, odd.len()), (vec![0, 1, 2, 0, 2, 3], 4));
        other.id(1 << 21);
        other.id(7);
        assert_eq!(odd.translation(&other), [3, 4]);
        let mut members = small.members();
        members.sort();
        assert_eq!((small.len(), members), (2, vec![7, 9]));
    }
}
