//! Integration tests, one binary for the crate (one link instead of one per file).

mod instances;
mod policies;
mod services;
mod silence;
