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
    /// `Err(seconds to wait)` while the key is locked.
    pub fn check(&self, key: &str, limit: u32) -> Result<(), u64> {
        let mut map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        match map.get(key) {
            Some((count, since)) if since.elapsed() < WINDOW && *count >= limit => {
                Err((WINDOW - since.elapsed()).as_secs().max(1))
            }
            Some((_, since)) if since.elapsed() >= WINDOW => {
                map.remove(key);
                Ok(())
            }
            _ => Ok(()),
        }
    }

    pub fn fail(&self, key: &str) {
        let mut map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        if map.len() > 100_000 {
            // Bound memory under a spray of addresses: forget windows that are over.
            map.retain(|_, (_, since)| since.elapsed() < WINDOW);
        }
        let entry = map.entry(key.to_string()).or_insert((0, Instant::now()));
        if entry.1.elapsed() >= WINDOW {
            *entry = (0, Instant::now());
        }
        entry.0 += 1;
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
            assert!(t.check("a", 3).is_ok());
            t.fail("a");
        }
        let wait = t.check("a", 3).unwrap_err();
        assert!(wait > 0 && wait <= WINDOW.as_secs());
        assert!(t.check("b", 3).is_ok(), "other keys are unaffected");
        t.reset("a");
        assert!(t.check("a", 3).is_ok());
    }
}
