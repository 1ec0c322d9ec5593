//! How glibc's allocator is told to give memory back. Under a flood of payloads the server
//! allocates many short-lived buffers of megabytes on many threads. By default glibc raises its
//! mmap threshold each time such a buffer is freed (up to 32 MiB), after which buffers of that
//! size come from heaps that rarely shrink, and it keeps up to eight heaps per core. Measured with
//! `make bench-hostile`: 368 MB peak resident by default, 218 MB with these two settings.

/// Allocations from this size up are mapped on their own and unmapped when freed (glibc's own
/// starting threshold, kept fixed instead of growing).
const MMAP_THRESHOLD: i32 = 128 * 1024;
/// Heaps shared by all threads: parsing runs on short-lived threads, each of which would
/// otherwise get a heap of its own to fragment.
const ARENA_MAX: i32 = 2;

/// Applies the settings, unless the operator set glibc's own variables (`MALLOC_ARENA_MAX`,
/// `MALLOC_MMAP_THRESHOLD_`), which win. Call before any thread starts.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[allow(unsafe_code)]
pub fn tune() {
    for (variable, param, value) in [
        ("MALLOC_MMAP_THRESHOLD_", libc::M_MMAP_THRESHOLD, MMAP_THRESHOLD),
        ("MALLOC_ARENA_MAX", libc::M_ARENA_MAX, ARENA_MAX),
    ] {
        if std::env::var_os(variable).is_none() {
            // SAFETY: mallopt only changes allocator parameters; it is called before other
            // threads exist, and both values are within glibc's documented ranges.
            unsafe {
                libc::mallopt(param, value);
            }
        }
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
pub fn tune() {}
