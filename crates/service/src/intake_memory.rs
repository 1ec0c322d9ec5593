//! Memory for report payloads while they arrive (HTTPS bodies, SMTP messages): one pool for the
//! whole server. Each payload is capped on its own, but a hundred senders at the cap at once
//! would still hold gigabytes; past the pool, a receiver answers "try again later" (HTTP 503,
//! SMTP 452) and drops what it had read. Nothing queues: a payload that does not fit now is
//! refused now. Real reports are a few kilobytes; so that a flood of large payloads cannot
//! crowd them out, a payload past [`SMALL_PAYLOAD`] may only grow while a quarter of the pool
//! stays free.

use std::sync::Arc;

use tokio::sync::Semaphore;

/// Pool accounting is in KiB: semaphores count permits in `u32` per call.
const UNIT: usize = 1024;
/// Payloads up to this size may use the whole pool; larger ones leave a quarter free.
pub const SMALL_PAYLOAD: usize = 1024 * 1024;

#[derive(Debug)]
pub struct IntakeMemory {
    pool: Arc<Semaphore>,
    /// Units a payload past `SMALL_PAYLOAD` must leave free.
    headroom: usize,
}

impl IntakeMemory {
    pub fn new(bytes: usize) -> Self {
        let units = bytes.div_ceil(UNIT).min(Semaphore::MAX_PERMITS);
        Self {
            pool: Arc::new(Semaphore::new(units)),
            headroom: units / 4,
        }
    }

    /// `bytes` of the pool, or `None` when they are not free now.
    pub fn reserve(&self, bytes: usize) -> Option<Reservation> {
        let mut reservation = Reservation {
            pool: self.pool.clone(),
            headroom: self.headroom,
            held: 0,
        };
        reservation.resize(bytes).then_some(reservation)
    }

    /// Bytes free now (for tests and metrics).
    pub fn available(&self) -> usize {
        self.pool.available_permits() * UNIT
    }
}

/// Bytes held from the pool for one payload, given back when dropped.
#[derive(Debug)]
pub struct Reservation {
    pool: Arc<Semaphore>,
    headroom: usize,
    /// Units held.
    held: usize,
}

impl Reservation {
    /// Grows or shrinks the hold to cover `bytes`; `false` (and the hold unchanged) when the
    /// pool has not that much free.
    pub fn resize(&mut self, bytes: usize) -> bool {
        let want = bytes.div_ceil(UNIT);
        if want > self.held {
            let Ok(more) = u32::try_from(want - self.held) else {
                return false;
            };
            let leaves = self.pool.available_permits().saturating_sub(more as usize);
            if bytes > SMALL_PAYLOAD && leaves < self.headroom {
                return false;
            }
            match self.pool.try_acquire_many(more) {
                Ok(permit) => permit.forget(),
                Err(_) => return false,
            }
        } else {
            self.pool.add_permits(self.held - want);
        }
        self.held = want;
        true
    }

    pub fn bytes(&self) -> usize {
        self.held * UNIT
    }
}

impl Drop for Reservation {
    fn drop(&mut self) {
        self.pool.add_permits(self.held);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn large_payloads_leave_room_for_small_ones() {
        let memory = IntakeMemory::new(8 * SMALL_PAYLOAD);
        let large: Vec<_> = (0..3)
            .map(|_| memory.reserve(2 * SMALL_PAYLOAD).expect("fits"))
            .collect();
        assert!(
            memory.reserve(2 * SMALL_PAYLOAD).is_none(),
            "would eat into the last quarter"
        );
        let mut growing = memory.reserve(SMALL_PAYLOAD).expect("small ones use all of it");
        assert!(
            !growing.resize(SMALL_PAYLOAD + 1),
            "growing past small leaves the quarter too"
        );
        let smalls: Vec<_> = (0..4).map(|_| memory.reserve(SMALL_PAYLOAD / 4)).collect();
        assert!(
            smalls.iter().all(Option::is_some),
            "the quarter is there for small payloads"
        );
        assert_eq!(memory.available(), 0);
        drop((large, growing, smalls));
        assert_eq!(memory.available(), 8 * SMALL_PAYLOAD);
    }

    #[test]
    fn holds_are_bounded_and_given_back() {
        let memory = IntakeMemory::new(100 * UNIT);
        let mut big = memory.reserve(60 * UNIT).expect("fits");
        assert!(memory.reserve(50 * UNIT).is_none(), "over the pool");
        let small = memory.reserve(40 * UNIT).expect("what is left fits");
        assert!(!big.resize(61 * UNIT), "growing past the pool fails");
        assert_eq!(big.bytes(), 60 * UNIT, "a failed growth keeps the hold");
        assert!(big.resize(10 * UNIT), "shrinking always works");
        assert_eq!(memory.available(), 50 * UNIT);
        drop(small);
        drop(big);
        assert_eq!(memory.available(), 100 * UNIT);
        // Rounded up to whole units: one byte holds one unit.
        let one = memory.reserve(1).unwrap();
        assert_eq!(memory.available(), 99 * UNIT);
        drop(one);
        assert!(memory.reserve(usize::MAX).is_none());
    }
}
