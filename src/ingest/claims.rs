//! The keys a straight read (`lines::stream_judged_lines`) has sent as judged, claimed block by block in
//! each file's order, so that of the lines of a file sharing a key the first is the judged one and the
//! others are left to SQL.
use std::sync::{Condvar, Mutex};

/// The keys claimed so far, and whose turn it is in each file.
pub struct Claims {
    state: Mutex<Claimed>,
    /// Signalled when a block has claimed its keys, or the read stopped.
    turn: Condvar,
}

struct Claimed {
    keys: KeySet,
    /// Per file: the block (its place among the file's blocks) whose turn it is.
    next_block: Vec<u64>,
    /// A worker stopped: a block may never claim its keys, so none waits any longer.
    stopped: bool,
}

impl Claims {
    /// For `files` files of about `expected` keys in all (the set grows past it if need be).
    pub fn new(files: usize, expected: usize) -> Self {
        Claims {
            state: Mutex::new(Claimed {
                // (at most 2^24 to begin with: 256 MiB of slots, which it outgrows if need be)
                keys: KeySet::with_capacity(expected.min(1 << 24)),
                next_block: vec![0; files],
                stopped: false,
            }),
            turn: Condvar::new(),
        }
    }

    /// Waits until the file's earlier blocks have claimed their keys, then claims those of block `seq`
    /// of file `file`, calling `taken` with the index of each key claimed before (by this block too).
    /// False when the read stopped meanwhile (nothing was claimed).
    pub fn claim_in_turn(
        &self,
        file: usize,
        seq: u64,
        keys: &[u64],
        taken: impl FnMut(usize),
    ) -> bool {
        let Ok(mut state) = self.state.lock() else {
            return false;
        };
        while state.next_block[file] != seq && !state.stopped {
            match self.turn.wait(state) {
                Ok(s) => state = s,
                Err(_) => return false,
            }
        }
        if state.stopped {
            return false;
        }
        state.keys.insert_all(keys, taken);
        state.next_block[file] += 1;
        drop(state);
        self.turn.notify_all();
        true
    }

    /// Wakes every worker waiting for its turn, which then stops.
    pub fn stop(&self) {
        if let Ok(mut state) = self.state.lock() {
            state.stopped = true;
        }
        self.turn.notify_all();
    }
}

/// A set of 64-bit keys. Claiming is on the read's critical path and the keys are as many as the lines
/// (10M for the votes benchmark), so a key costs a few instructions where it can:
/// - keys near the first one (within 2^35 of it either way: Ids, numbered as they are made; a stock
///   file's days, `datasets::stocks`) are bits of pages of 65,536 keys, made when first touched (10M
///   Ids: 153 pages, 1.2 MiB; 8,000 stock files of 16 years: about 12,000 pages, 94 MiB), found by an
///   array of page pointers (up to 2^20: 8 MiB). Past the first `FREE_PAGES`, a page is made only while
///   the pages hold `KEYS_PER_PAGE` keys each on average (16 bytes a key, about what a hash slot costs):
///   the keys of a page refused go to the hash table, then and ever after, so sparse keys (Ids with wide
///   gaps) cannot make a page of 8 KiB each;
/// - any other key (a hash) goes to a hash table: open addressing with linear probing in one array, 0
///   marking a free slot (the key 0 is kept aside). There every insert waits for memory (the standard
///   HashSet took about 0.5 s of 13M hashed keys), so a key's slot is fetched ahead, while the keys
///   before it go in.
struct KeySet {
    /// The first key less 2^35: a key's offset from it (wrapping) says whether it is dense.
    base: Option<u64>,
    pages: Vec<Option<Box<[u64; PAGE_WORDS]>>>,
    /// A bit per page refused (its keys are hashed).
    refused: Vec<u64>,
    pages_made: usize,
    /// Keys in pages.
    paged: usize,
    slots: Vec<u64>,
    /// 64 minus the bits of a slot's index: the index is the top bits of the key's hash.
    shift: u32,
    len: usize,
    has_zero: bool,
}

/// How many keys ahead a slot is fetched.
const AHEAD: usize = 16;
/// Keys as bits: this many around the first key, in pages of this many words.
const DENSE_SPAN: u64 = 1 << 36;
const PAGE_WORDS: usize = 1 << 10;
const PAGE_KEYS: u64 = PAGE_WORDS as u64 * 64;
/// Pages made whatever they hold (2 MiB), and the keys each page must then hold on average.
const FREE_PAGES: usize = 256;
const KEYS_PER_PAGE: usize = 512;

impl KeySet {
    /// `keys` sizes the hash table, which only keys far from the first one use: they are hashes, as
    /// many as the lines, or few.
    fn with_capacity(keys: usize) -> Self {
        let slots = (keys.max(1 << 10).saturating_mul(4) / 3).next_power_of_two();
        KeySet {
            base: None,
            pages: Vec::new(),
            refused: Vec::new(),
            pages_made: 0,
            paged: 0,
            slots: vec![0; slots],
            shift: 64 - slots.trailing_zeros(),
            len: 0,
            has_zero: false,
        }
    }

    fn slot(&self, key: u64) -> usize {
        (mix(key) >> self.shift) as usize
    }

    /// Inserts each key, calling `taken` with the index of each that was in the set already.
    fn insert_all(&mut self, keys: &[u64], mut taken: impl FnMut(usize)) {
        for (i, &key) in keys.iter().enumerate() {
            if let Some(&next) = keys.get(i + AHEAD) {
                if !self.paged_key(next) {
                    prefetch(&self.slots[self.slot(next)]);
                }
            }
            if !self.insert(key) {
                taken(i);
            }
        }
    }

    /// Whether the key goes to a page (made, or to be made), not to the hash table.
    fn paged_key(&self, key: u64) -> bool {
        self.base.is_some_and(|base| {
            let offset = key.wrapping_sub(base);
            offset < DENSE_SPAN && !self.is_refused((offset / PAGE_KEYS) as usize)
        })
    }

    fn is_refused(&self, page: usize) -> bool {
        self.refused
            .get(page / 64)
            .is_some_and(|w| w & (1 << (page % 64)) != 0)
    }

    /// The words of the key's page, made if need be and allowed (`FREE_PAGES`, `KEYS_PER_PAGE`).
    fn page_of(&mut self, page: usize) -> Option<&mut [u64; PAGE_WORDS]> {
        if self.is_refused(page) {
            return None;
        }
        if self.pages.len() <= page {
            self.pages.resize_with(page + 1, || None);
        }
        if self.pages[page].is_none() {
            if self.pages_made >= FREE_PAGES && self.pages_made * KEYS_PER_PAGE > self.paged {
                if self.refused.len() <= page / 64 {
                    self.refused.resize(page / 64 + 1, 0);
                }
                self.refused[page / 64] |= 1 << (page % 64);
                return None;
            }
            self.pages_made += 1;
        }
        Some(self.pages[page].get_or_insert_with(|| Box::new([0; PAGE_WORDS])))
    }

    /// True when the key is new.
    fn insert(&mut self, key: u64) -> bool {
        let base = *self.base.get_or_insert(key.wrapping_sub(DENSE_SPAN / 2));
        let offset = key.wrapping_sub(base);
        if offset < DENSE_SPAN {
            if let Some(words) = self.page_of((offset / PAGE_KEYS) as usize) {
                let bit = offset % PAGE_KEYS;
                let (word, mask) = ((bit / 64) as usize, 1u64 << (bit % 64));
                let new = words[word] & mask == 0;
                words[word] |= mask;
                self.paged += usize::from(new);
                return new;
            }
        }
        self.insert_hashed(key)
    }

    fn insert_hashed(&mut self, key: u64) -> bool {
        if key == 0 {
            return !std::mem::replace(&mut self.has_zero, true);
        }
        // at most three quarters full, so that probes stay short
        if (self.len + 1) * 4 > self.slots.len() * 3 {
            self.grow();
        }
        let mask = self.slots.len() - 1;
        let mut at = self.slot(key);
        loop {
            match self.slots[at] {
                0 => {
                    self.slots[at] = key;
                    self.len += 1;
                    return true;
                }
                k if k == key => return false,
                _ => at = (at + 1) & mask,
            }
        }
    }

    fn grow(&mut self) {
        let old = std::mem::take(&mut self.slots);
        self.slots = vec![0; old.len() * 2];
        self.shift -= 1;
        self.len = 0;
        for key in old.into_iter().filter(|&k| k != 0) {
            self.insert_hashed(key);
        }
    }
}

/// The finaliser of MurmurHash3: every bit of the key reaches every bit of the hash (sequential Ids
/// spread over the whole table).
fn mix(mut h: u64) -> u64 {
    h ^= h >> 33;
    h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
    h ^= h >> 33;
    h = h.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    h ^ (h >> 33)
}

/// Asks the processor to fetch a slot into its cache ahead of its use.
#[cfg(target_arch = "x86_64")]
fn prefetch(slot: &u64) {
    use std::arch::x86_64::{_mm_prefetch, _MM_HINT_T0};
    // SAFETY: a prefetch is only a hint, of an address taken from a live reference; every x86_64
    // processor has SSE, which the instruction needs.
    unsafe { _mm_prefetch::<_MM_HINT_T0>((slot as *const u64).cast::<i8>()) }
}

#[cfg(not(target_arch = "x86_64"))]
fn prefetch(_slot: &u64) {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_is_new_once_dense_hashed_zero_and_growth_included() {
        let mut set = KeySet::with_capacity(4);
        // dense: around the first key (wrapping below 0), and hashed: far from it
        let near: Vec<u64> = (0..3_000u64).map(|k| k.wrapping_sub(1_000)).collect();
        let far: Vec<u64> = (0..3_000u64)
            .map(|k| k.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1 << 62)
            .collect();
        let keys: Vec<u64> = [near.clone(), far.clone(), vec![0, 5, far[7], 1 << 40]].concat();
        let mut taken = Vec::new();
        set.insert_all(&keys, |i| taken.push(keys[i]));
        assert_eq!(taken, [0, 5, far[7]]);
        assert_eq!(set.len, 3_001, "the far keys and 1 << 40 hashed");
        assert!(set.slots.len() >= 3_001 * 4 / 3, "grew");
        assert_eq!(
            set.pages.iter().flatten().count(),
            1,
            "the dense keys' page (across 0)"
        );
        assert!(!set.insert(u64::MAX) && set.insert(2_000) && !set.insert(2_000));
        let mut hashed = KeySet::with_capacity(4);
        assert!(
            hashed.insert_hashed(0) && !hashed.insert_hashed(0),
            "0 kept aside"
        );
    }

    #[test]
    fn sparse_keys_near_the_first_make_pages_only_while_they_fill_them() {
        let mut set = KeySet::with_capacity(4);
        // one key a page (Ids 65,536 apart): the free pages, then the hash table
        let sparse: Vec<u64> = (1..=10_000u64).map(|k| k * PAGE_KEYS + 1).collect();
        let mut taken = Vec::new();
        set.insert_all(&sparse, |i| taken.push(i));
        set.insert_all(&sparse, |i| taken.push(i));
        assert_eq!(
            taken,
            (0..10_000).collect::<Vec<_>>(),
            "each new once, then seen"
        );
        assert_eq!(set.pages_made, FREE_PAGES);
        assert_eq!((set.paged, set.len), (FREE_PAGES, 10_000 - FREE_PAGES));
        // a page refused stays so: its other keys are hashed too, and found there
        let beside = sparse[FREE_PAGES + 5] + 1;
        assert!(set.insert(beside) && !set.insert(beside));
        assert_eq!(set.len, 10_000 - FREE_PAGES + 1);
        // dense keys (a stock file's days: thousands a page) keep making pages
        let mut dense = KeySet::with_capacity(4);
        let days: Vec<u64> = (0..2_000u64)
            .flat_map(|file| (0..3_000u64).map(move |day| file << 17 | day))
            .collect();
        dense.insert_all(&days, |_| panic!("no key twice"));
        assert_eq!((dense.pages_made, dense.len), (2_000, 0), "all in pages");
    }

    #[test]
    fn blocks_claim_in_their_files_order_whichever_comes_first() {
        let claims = Claims::new(2, 10);
        let later: Vec<usize> = std::thread::scope(|scope| {
            // block 1 of file 0 is offered first, and waits for block 0
            let waiting = scope.spawn(|| {
                let mut taken = Vec::new();
                assert!(claims.claim_in_turn(0, 1, &[1, 2, 9], |i| taken.push(i)));
                taken
            });
            std::thread::sleep(std::time::Duration::from_millis(50));
            let mut taken = Vec::new();
            assert!(
                claims.claim_in_turn(1, 0, &[9], |i| taken.push(i)),
                "another file's turn"
            );
            assert!(taken.is_empty());
            assert!(claims.claim_in_turn(0, 0, &[2, 3, 3], |i| taken.push(i)));
            assert_eq!(taken, [2], "its own repeat");
            waiting.join().unwrap()
        });
        assert_eq!(later, [1, 2], "2 was block 0's, and 9 the other file's");
        claims.stop();
        assert!(
            !claims.claim_in_turn(0, 5, &[4], |_| {}),
            "stopped: no waiting"
        );
    }
}
