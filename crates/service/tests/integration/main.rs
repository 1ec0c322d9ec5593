//! Integration tests, one binary for the crate (one link instead of one per file).

mod policies;
mod services;
