//! A map shared between threads that holds at most a given number of
//! entries and, when full, forgets them all before taking the next one.
//! The cache of checked access tokens (`core::tokens::verified_tokens`) and
//! that of parsed GraphQL documents (`api::graphql::parsed_documents`) are
//! both one of these.
//!
//! Written by hand because that policy is the whole of it and is what those
//! caches want: what they keep costs only CPU to make again, so forgetting
//! everything at once costs at most one recomputation per entry, while a hit
//! is one hash and one uncontended lock with no bookkeeping (no recency list
//! to move an entry in, no frequency counters, no background upkeep). The
//! cache crates (`moka`, `quick_cache`) bring eviction policies, weighers and
//! maintenance these callers do not use, and would change which entries go
//! when, which the callers' tests pin.

use std::borrow::Borrow;
use std::collections::HashMap;
use std::hash::Hash;

use parking_lot::{MappedMutexGuard, Mutex, MutexGuard};

/// At most `CAPACITY` entries; see the module doc.
pub(crate) struct BoundedMap<K, V, const CAPACITY: usize> {
    entries: Mutex<HashMap<K, V>>,
}

impl<K, V, const CAPACITY: usize> Default for BoundedMap<K, V, CAPACITY> {
    fn default() -> Self {
        BoundedMap {
            entries: Mutex::new(HashMap::new()),
        }
    }
}

impl<K: Hash + Eq, V, const CAPACITY: usize> BoundedMap<K, V, CAPACITY> {
    /// The entry of `key`, if kept, to read or change in place. The map is
    /// locked until it is dropped: keep it briefly, and do not use the map
    /// again while holding it.
    #[inline]
    pub(crate) fn get<Q>(&self, key: &Q) -> Option<MappedMutexGuard<'_, V>>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        MutexGuard::try_map(self.entries.lock(), |entries| entries.get_mut(key)).ok()
    }

    /// Keeps `value` under `key`, in place of any entry it had. A full map
    /// forgets every entry first.
    #[inline]
    pub(crate) fn insert(&self, key: K, value: V) {
        let mut entries = self.entries.lock();
        if entries.len() >= CAPACITY {
            entries.clear();
        }
        entries.insert(key, value);
    }

    /// How many entries are kept now.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.entries.lock().len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_map_starts_over() {
        let map = BoundedMap::<String, usize, 3>::default();
        for n in 0..3 {
            map.insert(format!("key{n}"), n);
        }
        assert_eq!(map.len(), 3);
        assert_eq!(map.get("key1").as_deref(), Some(&1));
        map.insert("key9".to_owned(), 9);
        assert_eq!(map.len(), 1, "the three are forgotten");
        assert!(map.get("key1").is_none());
        assert_eq!(map.get("key9").as_deref(), Some(&9));
    }

    #[test]
    fn an_entry_is_changed_in_place_and_a_missing_one_is_not_added() {
        let map = BoundedMap::<String, Vec<u8>, 2>::default();
        map.insert("kept".to_owned(), vec![1]);
        if let Some(mut kept) = map.get("kept") {
            kept.push(2);
        }
        assert!(map.get("missing").is_none());
        assert_eq!(map.get("kept").as_deref(), Some(&vec![1, 2]));
        assert_eq!(map.len(), 1);
    }
}
