//! The schema of shuno, one migration per change, each with `up` and `down`.
//!
//! The same migrations run on SQLite (the default) and on PostgreSQL; they use
//! only what both understand (text enums, JSON as text, `BIGINT` keys).

pub use sea_orm_migration::prelude::*;

mod m20261127_000001_organisations;
mod m20261127_000002_screening;
mod m20261127_000003_bills;
mod m20261127_000004_settlement;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261127_000001_organisations::Migration),
            Box::new(m20261127_000002_screening::Migration),
            Box::new(m20261127_000003_bills::Migration),
            Box::new(m20261127_000004_settlement::Migration),
        ]
    }
}
