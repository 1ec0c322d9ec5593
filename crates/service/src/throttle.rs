//! Sign-in throttling: failures are counted per e-mail and per client address in a fixed window;
//! past the limit, attempts are refused before the password is even checked.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

pub const WINDOW: Duration = Duration::from_secs(15 * 60);
pub const MAX_FAILURES_PER_ACCOUNT: u32 = 5;
pub const MAX_FAILURES_PER_ADDRESS: u32 = 20;

#[derive(Debug, Default)]
pub struct Throttle {
    failures: Mutex<HashMap<String, (u32, Instant)>>,
}

impl Throttle {
    /// Counts one attempt for `key`, or `Err(seconds to wait)` while the key is locked. Checking
    /// and counting are one step under the lock, so parallel attempts cannot overshoot `limit`;
    /// an attempt that turns out well is taken back with [`Throttle::forgive`] or
    /// [`Throttle::reset`].
    pub fn attempt(&self, key: &str, limit: u32) -> Result<(), u64> {
        let mut map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        if map.len() > 100_000 {
            // Bound memory under a spray of addresses: forget windows that are over.
            map.retain(|_, (_, since)| since.elapsed() < WINDOW);
        }
        let entry = map.entry(key.to_string()).or_insert((0, Instant::now()));
        if entry.1.elapsed() >= WINDOW {
            *entry = (0, Instant::now());
        }
        if entry.0 >= limit {
            return Err((WINDOW - entry.1.elapsed()).as_secs().max(1));
        }
        entry.0 += 1;
        Ok(())
    }

    /// Takes back one attempt (it succeeded, or failed through no fault of the client).
    pub fn forgive(&self, key: &str) {
        let mut map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(entry) = map.get_mut(key) {
            entry.0 = entry.0.saturating_sub(1);
        }
    }

    pub fn reset(&self, key: &str) {
        self.failures.lock().unwrap_or_else(|p| p.into_inner()).remove(key);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locks_after_the_limit_and_resets_on_success() {
        let t = Throttle::default();
        for _ in 0..3 {
            assert!(t.attempt("a", 3).is_ok());
        }
        let wait = t.attempt("a", 3).unwrap_err();
        assert!(wait > 0 && wait <= WINDOW.as_secs());
        assert!(t.attempt("b", 3).is_ok(), "other keys are unaffected");
        t.reset("a");
        assert!(t.attempt("a", 3).is_ok());
        t.forgive("a");
        t.forgive("a");
        for _ in 0..3 {
            assert!(t.attempt("a", 3).is_ok(), "forgiven attempts do not count");
        }
    }

    /// Many attempts at once: exactly `limit` get through, however they interleave.
    #[test]
    fn parallel_attempts_cannot_overshoot_the_limit() {
        let t = std::sync::Arc::new(Throttle::default());
        let passed = std::sync::Arc::new(std::sync::atomic::AtomicU32::new(0));
        let threads: Vec<_> = (0..16)
            .map(|_| {
                let (t, passed) = (t.clone(), passed.clone());
                std::thread::spawn(move || {
                    for _ in 0..10 {
                        if t.attempt("a", 5).is_ok() {
                            passed.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                        }
                    }
                })
            })
            .collect();
        threads.into_iter().for_each(|h| h.join().unwrap());
        assert_eq!(passed.load(std::sync::atomic::Ordering::SeqCst), 5);
    }
}
