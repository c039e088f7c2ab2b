use sea_orm::entity::prelude::*;

/// One report of the store network: one slip, one or more bills.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "payments")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub chain: String,
    pub store_code: String,
    pub slip_number: String,
    pub paid_at: DateTimeUtc,
    pub payment_number: String,
    pub idempotency_key: String,
    /// SHA-256 of the report, to tell a repeat from a different report under the same key.
    pub request_hash: String,
    pub total: i64,
    pub reported_by: String,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
