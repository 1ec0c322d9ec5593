//! argon2id password hashing (PHC strings, the crate's default parameters: m=19 MiB, t=2, p=1).
//!
//! A hash takes tens of milliseconds of CPU and 19 MiB of memory: the async paths run it on the
//! blocking pool, at most two per core at once, so a burst of sign-ins queues instead of
//! stalling the runtime or taking gigabytes.

use argon2::password_hash::{rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;

pub fn hash_password(password: &str) -> String {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .expect("argon2 with default parameters accepts any password")
        .to_string()
}

pub fn verify_password(hash: &str, password: &str) -> bool {
    PasswordHash::new(hash)
        .map(|parsed| Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok())
        .unwrap_or(false)
}

static HASHING: std::sync::LazyLock<tokio::sync::Semaphore> = std::sync::LazyLock::new(|| {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    tokio::sync::Semaphore::new(cores * 2)
});

/// [`hash_password`] off the async runtime.
pub async fn hash_password_async(password: &str) -> String {
    let password = password.to_string();
    off_runtime(move || hash_password(&password)).await
}

/// [`verify_password`] off the async runtime.
pub async fn verify_password_async(hash: &str, password: &str) -> bool {
    let (hash, password) = (hash.to_string(), password.to_string());
    off_runtime(move || verify_password(&hash, &password)).await
}

async fn off_runtime<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> T {
    let _permit = HASHING.acquire().await.expect("the hashing semaphore is never closed");
    match tokio::task::spawn_blocking(work).await {
        Ok(done) => done,
        Err(e) => std::panic::resume_unwind(e.into_panic()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_are_argon2id_salted_and_verify() {
        let a = hash_password("correct horse battery");
        let b = hash_password("correct horse battery");
        assert!(a.starts_with("$argon2id$"), "{a}");
        assert_ne!(a, b, "salted");
        assert!(verify_password(&a, "correct horse battery"));
        assert!(!verify_password(&a, "wrong horse battery"));
        assert!(!verify_password("not a hash", "x"));
    }
}
