//! The standalone gateway's memory allocator: mimalloc, asked for plain blocks.
//!
//! A forwarded request allocates a few dozen buffers (header maps, JSON members, bodies,
//! the usage event); glibc's malloc showed as ~10 % of the gateway's CPU on the proxy
//! benchmark, mimalloc's per-thread free lists cost a fraction of that.
//!
//! Why not the `mimalloc` crate's `MiMalloc`: it hands every request to
//! `mi_malloc_aligned`, whatever the alignment. In mimalloc 3 that call takes its fast
//! path only when the size class's free list happens to hold a suitably aligned block;
//! otherwise it falls back to over-allocating, unless the size is a power of two — so
//! an ordinary 24- or 1,300-byte request with an alignment of 1 or 8 could take the
//! slow path (measured: ~2,560 instructions of a forwarded request's ~60,700 went to
//! allocation, 793 of them over-allocating; `scripts/proxy-instructions.sh`). Every
//! mimalloc block is aligned to at least a machine word, so a request whose alignment
//! is no more than that is served by `mi_malloc` itself — the rule glibc's `System`
//! allocator applies with its own guarantee; stricter alignments still go to the
//! aligned calls.

use core::alloc::{GlobalAlloc, Layout};
use core::ffi::c_void;
use libmimalloc_sys as mi;

/// What every mimalloc block is aligned to, whatever its size.
const WORD: usize = core::mem::size_of::<usize>();

/// mimalloc as the global allocator (`#[global_allocator]` in the binary).
pub struct Allocator;

// SAFETY: each method forwards to mimalloc, which returns blocks of at least the size
// asked for (or null), aligned to a word always and to `align` when asked through the
// `_aligned` calls; `mi_free` and `mi_realloc*` accept any block mimalloc returned,
// whichever call made it.
unsafe impl GlobalAlloc for Allocator {
    #[inline]
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if layout.align() <= WORD {
            mi::mi_malloc(layout.size()).cast()
        } else {
            mi::mi_malloc_aligned(layout.size(), layout.align()).cast()
        }
    }

    #[inline]
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        if layout.align() <= WORD {
            mi::mi_zalloc(layout.size()).cast()
        } else {
            mi::mi_zalloc_aligned(layout.size(), layout.align()).cast()
        }
    }

    #[inline]
    unsafe fn dealloc(&self, ptr: *mut u8, _layout: Layout) {
        mi::mi_free(ptr.cast::<c_void>());
    }

    #[inline]
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if layout.align() <= WORD {
            mi::mi_realloc(ptr.cast::<c_void>(), new_size).cast()
        } else {
            mi::mi_realloc_aligned(ptr.cast::<c_void>(), new_size, layout.align()).cast()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Writes a recognisable pattern over a block's `size` bytes.
    unsafe fn fill(block: *mut u8, size: usize) {
        for i in 0..size {
            *block.add(i) = (i % 251) as u8;
        }
    }

    /// Every size class a request touches, at every alignment from a byte to a page:
    /// each block is aligned as asked, holds what was written to the end, keeps it
    /// through a reallocation (growing and shrinking), and zeroed ones are zero.
    #[test]
    fn blocks_are_aligned_as_asked_and_keep_their_contents() {
        let sizes = [
            1,
            3,
            8,
            13,
            24,
            40,
            100,
            1_000,
            1_300,
            4_096,
            70_000,
            5 << 20,
        ];
        for align in [1, 2, 4, 8, 16, 32, 64, 4_096] {
            for size in sizes {
                let layout = Layout::from_size_align(size, align).unwrap();
                // SAFETY: non-zero sizes; every block is freed once, with its layout.
                unsafe {
                    let mut block = Allocator.alloc(layout);
                    assert!(!block.is_null());
                    assert_eq!(block as usize % align, 0, "size {size}, align {align}");
                    fill(block, size);
                    for new_size in [size * 3 + 5, size / 2 + 1] {
                        let moved = Allocator.realloc(block, layout, new_size);
                        assert!(!moved.is_null());
                        assert_eq!(moved as usize % align, 0, "realloc {size} → {new_size}");
                        for i in 0..size.min(new_size) {
                            assert_eq!(
                                *moved.add(i),
                                (i % 251) as u8,
                                "realloc {size} → {new_size}"
                            );
                        }
                        Allocator.dealloc(moved, Layout::from_size_align(new_size, align).unwrap());
                        block = Allocator.alloc(layout);
                        fill(block, size);
                    }
                    Allocator.dealloc(block, layout);

                    let zeroed = Allocator.alloc_zeroed(layout);
                    assert_eq!(zeroed as usize % align, 0);
                    assert!((0..size).all(|i| *zeroed.add(i) == 0));
                    Allocator.dealloc(zeroed, layout);
                }
            }
        }
    }
}
