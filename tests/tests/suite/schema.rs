//! The committed SDL is what the server serves.

use shuno::{config::Config, graphql::sdl};

#[test]
fn committed_schema_is_current() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../schema/schema.graphql");
    let committed = std::fs::read_to_string(path).expect("schema/schema.graphql exists");
    let current = sdl(&Config::for_database("sqlite::memory:"));
    assert!(
        committed == current,
        "schema/schema.graphql is stale: run `cargo run -- schema > schema/schema.graphql`"
    );
}
