use sea_orm::entity::prelude::*;

/// A creating request seen before: its key, its input hash and its first result.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "idempotency_keys")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// What the key belongs to, e.g. `registerBills:contract:7`.
    pub scope: String,
    pub key: String,
    pub request_hash: String,
    /// JSON of the first result.
    pub response: Option<String>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
