use sea_orm::entity::prelude::*;

/// One bill paid within a payment.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "payment_items")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub payment_id: i64,
    pub bill_id: i64,
    pub contract_id: i64,
    pub organisation_id: i64,
    pub amount: i64,
    pub bill_version: i32,
    pub paid_at: DateTimeUtc,
    /// The chain it was paid at (per-chain fees).
    pub chain: String,
    /// The statement that settled it; None until settled.
    pub statement_id: Option<i64>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
