//! What this server answers for its domains, in memory: the served policies and, for the built-in
//! DNS server, which domain each proof token stands for. Policy fetches and DNS queries never wait
//! on (or fail with) the database: the snapshot is filled at start-up, updated on every change
//! made through this process, and refreshed on change notices and periodically for changes made
//! by another process.
//!
//! Only proven domains are here: a domain whose organisation has not proven control has no policy
//! served and no delegated records, whatever is saved for it.

use portcullis_store::{ProvenDomain, ServedPolicy};
use std::collections::HashMap;
use std::sync::{Arc, RwLock};

/// A served policy: its text and its id (the `_mta-sts` record's).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Served {
    pub body: Arc<str>,
    pub id: Arc<str>,
}

#[derive(Debug, Default)]
struct Inner {
    /// Bumped by every change made here, so a reload read before the change does not undo it.
    generation: u64,
    policies: HashMap<String, Served>,
    /// Proven domain → its proof token.
    proven: HashMap<String, String>,
    /// Proof token → domain.
    tokens: HashMap<String, String>,
}

#[derive(Debug, Default)]
pub struct PolicySnapshot {
    inner: RwLock<Inner>,
}

impl PolicySnapshot {
    /// The served text for `domain` (canonical A-label name).
    pub fn get(&self, domain: &str) -> Option<Arc<str>> {
        self.read().policies.get(domain).map(|s| s.body.clone())
    }

    /// The served policy for `domain`.
    pub fn served(&self, domain: &str) -> Option<Served> {
        self.read().policies.get(domain).cloned()
    }

    /// The domain a proof token stands for, and its served policy id: what the delegated zone
    /// answers under the token.
    pub fn delegated(&self, token: &str) -> Option<(String, Option<Arc<str>>)> {
        let inner = self.read();
        let domain = inner.tokens.get(token)?;
        Some((domain.clone(), inner.policies.get(domain).map(|s| s.id.clone())))
    }

    /// Serves `body` for `domain` from now on, if the domain is proven.
    pub fn set(&self, domain: &str, body: &str, id: &str) {
        let mut inner = self.write();
        inner.generation += 1;
        if inner.proven.contains_key(domain) {
            let served = Served {
                body: Arc::from(body),
                id: Arc::from(id),
            };
            inner.policies.insert(domain.to_string(), served);
        }
    }

    /// Marks `domain` proven under `token` (its policy comes with the next refresh or save).
    pub fn prove(&self, domain: &str, token: &str) {
        let mut inner = self.write();
        inner.generation += 1;
        if let Some(old) = inner.proven.insert(domain.to_string(), token.to_string()) {
            inner.tokens.remove(&old);
        }
        inner.tokens.insert(token.to_string(), domain.to_string());
    }

    /// Stops serving anything for `domain`.
    pub fn remove(&self, domain: &str) {
        let mut inner = self.write();
        inner.generation += 1;
        inner.policies.remove(domain);
        if let Some(token) = inner.proven.remove(domain) {
            inner.tokens.remove(&token);
        }
    }

    /// The count of changes made here so far: read it before reloading from the database.
    pub fn generation(&self) -> u64 {
        self.read().generation
    }

    /// Replaces everything with a reload from the database, unless a change was made here
    /// since `generation` was read (the reload may predate it); says whether it replaced.
    pub fn replace_all(&self, generation: u64, policies: Vec<ServedPolicy>, proven: Vec<ProvenDomain>) -> bool {
        let mut fresh = Inner {
            generation,
            ..Inner::default()
        };
        for p in proven {
            fresh.tokens.insert(p.proof_token.clone(), p.name.clone());
            fresh.proven.insert(p.name, p.proof_token);
        }
        for p in policies {
            if fresh.proven.contains_key(&p.domain) {
                let served = Served {
                    body: Arc::from(p.body.as_str()),
                    id: Arc::from(p.policy_id.as_str()),
                };
                fresh.policies.insert(p.domain, served);
            }
        }
        let mut inner = self.write();
        if inner.generation != generation {
            return false;
        }
        *inner = fresh;
        true
    }

    /// Served policies.
    pub fn len(&self) -> usize {
        self.read().policies.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    // A writer that panicked left a complete map behind (every write is a single insert or
    // swap), so a poisoned lock is still safe to use.
    fn read(&self) -> std::sync::RwLockReadGuard<'_, Inner> {
        self.inner.read().unwrap_or_else(|e| e.into_inner())
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, Inner> {
        self.inner.write().unwrap_or_else(|e| e.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_proven_domains_are_served() {
        let s = PolicySnapshot::default();
        s.set("a.example", "version: STSv1\n", "1");
        assert!(s.get("a.example").is_none(), "not proven");
        s.prove("a.example", "t1");
        assert_eq!(s.delegated("t1"), Some(("a.example".into(), None)));
        s.set("a.example", "version: STSv1\n", "2");
        assert_eq!(s.delegated("t1").unwrap().1.as_deref(), Some("2"));
        assert_eq!(s.get("a.example").as_deref(), Some("version: STSv1\n"));
        s.remove("a.example");
        assert!(s.get("a.example").is_none());
        assert!(s.delegated("t1").is_none());

        let policy = |d: &str| ServedPolicy {
            domain: d.into(),
            policy_id: "9".into(),
            body: "b".into(),
        };
        let proven = ProvenDomain {
            name: "b.example".into(),
            proof_token: "t2".into(),
        };
        let before = s.generation();
        s.prove("x.example", "t3");
        assert!(
            !s.replace_all(before, Vec::new(), Vec::new()),
            "a reload read before a change here would undo it"
        );
        assert!(s.delegated("t3").is_some());
        assert!(s.replace_all(
            s.generation(),
            vec![policy("b.example"), policy("c.example")],
            vec![proven]
        ));
        assert_eq!(s.len(), 1, "c.example is not proven");
        assert_eq!(s.delegated("t2").unwrap().1.as_deref(), Some("9"));
        assert!(s.delegated("t3").is_none(), "not in the reload");
    }
}
