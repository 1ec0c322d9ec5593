//! Response-rate limiting for UDP answers, so the server cannot be used to flood a forged source
//! address: each client network (an IPv4 /24, an IPv6 /56) gets `per_second` answers a second,
//! with a second's worth as burst. Past that, every second answer is "slipped" (sent empty and
//! truncated, so a real resolver asks again over TCP, which cannot be forged) and the others are
//! dropped. TCP is not limited.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::Instant;

/// What to do with one answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Send,
    /// Send an empty, truncated answer instead.
    Slip,
    Drop,
}

struct Bucket {
    tokens: f64,
    at: Instant,
    over: u32,
}

pub struct RateLimit {
    per_second: f64,
    buckets: Mutex<HashMap<IpAddr, Bucket>>,
}

/// Networks tracked before idle ones are swept.
const SWEEP_AT: usize = 100_000;

fn network(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, c, _] = v4.octets();
            IpAddr::from([a, b, c, 0])
        }
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => network(IpAddr::V4(v4)),
            None => {
                let mut octets = v6.octets();
                octets[7..].fill(0);
                IpAddr::from(octets)
            }
        },
    }
}

impl RateLimit {
    /// `per_second` 0: no limit.
    pub fn new(per_second: u32) -> Self {
        Self {
            per_second: f64::from(per_second),
            buckets: Mutex::new(HashMap::new()),
        }
    }

    pub fn check(&self, client: IpAddr) -> Verdict {
        self.check_at(client, Instant::now())
    }

    fn check_at(&self, client: IpAddr, now: Instant) -> Verdict {
        if self.per_second <= 0.0 {
            return Verdict::Send;
        }
        let mut buckets = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
        if buckets.len() >= SWEEP_AT {
            // A network idle for a second has a full bucket again: forgetting it changes nothing.
            buckets.retain(|_, b| now.duration_since(b.at).as_secs_f64() < 1.0);
        }
        let bucket = buckets.entry(network(client)).or_insert(Bucket {
            tokens: self.per_second,
            at: now,
            over: 0,
        });
        let refill = now.duration_since(bucket.at).as_secs_f64() * self.per_second;
        bucket.tokens = (bucket.tokens + refill).min(self.per_second);
        bucket.at = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            bucket.over = 0;
            return Verdict::Send;
        }
        bucket.over = bucket.over.wrapping_add(1);
        if bucket.over % 2 == 1 {
            Verdict::Slip
        } else {
            Verdict::Drop
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn a_network_past_its_rate_is_slipped_and_dropped() {
        let limit = RateLimit::new(5);
        let t = Instant::now();
        let client: IpAddr = "198.51.100.7".parse().unwrap();
        let neighbour: IpAddr = "198.51.100.200".parse().unwrap();
        let other: IpAddr = "203.0.113.1".parse().unwrap();
        for _ in 0..5 {
            assert_eq!(limit.check_at(client, t), Verdict::Send);
        }
        assert_eq!(limit.check_at(neighbour, t), Verdict::Slip, "the same /24");
        assert_eq!(limit.check_at(client, t), Verdict::Drop);
        assert_eq!(limit.check_at(client, t), Verdict::Slip);
        assert_eq!(limit.check_at(other, t), Verdict::Send, "another network");
        // Tokens come back at the rate.
        assert_eq!(limit.check_at(client, t + Duration::from_millis(250)), Verdict::Send);
        assert_eq!(limit.check_at(client, t + Duration::from_millis(250)), Verdict::Slip);
        assert_eq!(RateLimit::new(0).check_at(client, t), Verdict::Send);
    }

    #[test]
    fn ipv6_clients_are_grouped_by_56() {
        let limit = RateLimit::new(1);
        let t = Instant::now();
        assert_eq!(limit.check_at("2001:db8:0:1::1".parse().unwrap(), t), Verdict::Send);
        assert_eq!(limit.check_at("2001:db8:0:ff::2".parse().unwrap(), t), Verdict::Slip);
        assert_eq!(limit.check_at("2001:db8:0:100::2".parse().unwrap(), t), Verdict::Send);
    }
}
