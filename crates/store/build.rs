// `sqlx::migrate!` embeds the migration files at compile time but tells cargo only about the
// files it saw: without this, a newly added migration leaves a cached build of this crate stale.
fn main() {
    println!("cargo:rerun-if-changed=../../migrations");
}
