//! The Argon2 working memory of password verification (19 MiB per hash at
//! the default cost), kept between hashes while logins keep coming and given
//! back once the last login in line is done.
//!
//! Keeping it matters under a login flood: allocating and faulting in 19 MiB
//! per login costs time and lets the allocator's footprint grow with every
//! flood. Giving it back matters the rest of the time: a service that signed
//! in a few users should not sit on 19 MiB per hashing thread until the next
//! login. The rule needs no timer: every verification counts itself "in line"
//! from the moment it asks for a hashing thread until its answer is read, and
//! the hash that finishes with nobody else in line frees every kept buffer.
//!
//! The buffers are mapped straight from the system (`memmap2`) rather than
//! taken from the allocator, so that freeing one unmaps it at once: a buffer
//! made on one hashing thread and freed on another stayed resident in the
//! allocator's heap of the first, and a freed one left a hole that the next
//! one did not always fill, so the resident peak grew past the live bytes.

use std::sync::atomic::{AtomicUsize, Ordering};

use argon2::Block;
use memmap2::MmapMut;
use parking_lot::Mutex;

/// Working memory shared by the hashing threads.
pub(crate) struct HashMemory {
    /// Buffers not in use, at most one per hashing thread.
    kept: Mutex<Vec<MappedBlocks>>,
    /// Verifications waiting for or running on a hashing thread.
    in_line: AtomicUsize,
    /// The largest buffer worth keeping, in blocks (the configured cost): a
    /// stored hash of a costlier past configuration gets a one-off buffer.
    kept_limit: usize,
}

/// A verification's place in line; leaving the line (the answer read, or the
/// request gone) is dropping it.
pub(crate) struct InLine<'a> {
    memory: &'a HashMemory,
}

impl Drop for InLine<'_> {
    fn drop(&mut self) {
        self.memory.in_line.fetch_sub(1, Ordering::AcqRel);
    }
}

impl HashMemory {
    /// Memory for hashes of up to `kept_limit` blocks (1 KiB each).
    pub(crate) fn new(kept_limit: usize) -> HashMemory {
        HashMemory {
            kept: Mutex::new(Vec::new()),
            in_line: AtomicUsize::new(0),
            kept_limit,
        }
    }

    /// Counts a verification in line until the returned guard is dropped.
    pub(crate) fn join_line(&self) -> InLine<'_> {
        self.in_line.fetch_add(1, Ordering::AcqRel);
        InLine { memory: self }
    }

    /// Runs `work` with `count` blocks of working memory, then keeps the
    /// buffer for the next hash, or frees every kept buffer when this hash
    /// was the last one in line.
    pub(crate) fn with_blocks<T>(&self, count: usize, work: impl FnOnce(&mut [Block]) -> T) -> T {
        if count > self.kept_limit {
            return work(&mut vec![Block::default(); count]);
        }
        let kept = self.take().filter(|blocks| blocks.count >= count);
        let Some(mut blocks) = kept.or_else(|| MappedBlocks::new(count).ok()) else {
            // No mapping to be had: the allocator's memory does the same work.
            return work(&mut vec![Block::default(); count]);
        };
        let answer = match blocks.blocks().get_mut(..count) {
            Some(blocks) => work(blocks),
            None => return work(&mut vec![Block::default(); count]),
        };
        self.give_back(blocks);
        answer
    }

    /// How many buffers are kept now.
    #[cfg(test)]
    pub(crate) fn kept_buffers(&self) -> usize {
        self.kept.lock().len()
    }

    fn take(&self) -> Option<MappedBlocks> {
        self.kept.lock().pop()
    }

    fn give_back(&self, blocks: MappedBlocks) {
        // The hash still running counts itself (its caller waits for it), so
        // one in line means nobody after it.
        let last_in_line = self.in_line.load(Ordering::Acquire) <= 1;
        let mut kept = self.kept.lock();
        if last_in_line {
            // Unmapped outside the lock.
            let freed = std::mem::take(&mut *kept);
            drop(kept);
            drop(freed);
            drop(blocks);
        } else {
            kept.push(blocks);
        }
    }
}

/// Argon2 blocks in memory mapped for them alone.
struct MappedBlocks {
    map: MmapMut,
    count: usize,
}

impl MappedBlocks {
    fn new(count: usize) -> std::io::Result<MappedBlocks> {
        let bytes = count
            .checked_mul(Block::SIZE)
            .ok_or(std::io::ErrorKind::OutOfMemory)?;
        Ok(MappedBlocks {
            map: MmapMut::map_anon(bytes.max(1))?,
            count,
        })
    }

    /// The blocks; none if the map were not aligned for them (a page always is).
    fn blocks(&mut self) -> &mut [Block] {
        const { assert!(std::mem::size_of::<Block>() == Block::SIZE) };
        let start = self.map.as_mut_ptr();
        if start.align_offset(std::mem::align_of::<Block>()) != 0 {
            return &mut [];
        }
        // SAFETY: the map is `count` blocks long and page-aligned (checked
        // above against the block's alignment), it lives as long as the
        // borrow of `self`, and a block is 128 plain u64 words, for which any
        // bytes are valid: the kernel's zero fill, or a past hash's words.
        unsafe { std::slice::from_raw_parts_mut(start.cast::<Block>(), self.count) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fill(blocks: &mut [Block]) -> usize {
        // The last word of every block is written and read back.
        for (i, block) in blocks.iter_mut().enumerate() {
            let word = u64::try_from(i).unwrap_or(u64::MAX);
            block.as_mut()[127] = word;
            assert_eq!(block.as_ref()[127], word);
        }
        blocks.len()
    }

    #[test]
    fn a_lone_hash_keeps_nothing() {
        let memory = HashMemory::new(64);
        let _me = memory.join_line();
        assert_eq!(memory.with_blocks(64, fill), 64);
        assert_eq!(memory.kept_buffers(), 0);
    }

    #[test]
    fn memory_is_kept_while_others_wait_and_freed_by_the_last() {
        let memory = HashMemory::new(64);
        let waiting = memory.join_line();
        {
            let _me = memory.join_line();
            memory.with_blocks(64, fill);
        }
        assert_eq!(memory.kept_buffers(), 1, "another login is in line");
        drop(waiting);
        let _last = memory.join_line();
        assert_eq!(memory.with_blocks(32, fill), 32);
        assert_eq!(memory.kept_buffers(), 0, "the last in line frees it");
    }

    #[test]
    fn costlier_hashes_get_a_one_off_buffer() {
        let memory = HashMemory::new(16);
        let _waiting = memory.join_line();
        let _me = memory.join_line();
        assert_eq!(memory.with_blocks(32, fill), 32);
        assert_eq!(memory.kept_buffers(), 0);
    }
}
