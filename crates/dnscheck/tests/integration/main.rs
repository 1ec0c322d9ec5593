//! Integration tests, one binary for the crate (one link instead of one per file).

mod checks;
mod mx;
