use sea_orm::entity::prelude::*;

/// One contract's settlement of one period (a later `sequence` settles
/// payments reported after the first statement of that period).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "settlement_statements")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub contract_id: i64,
    pub organisation_id: i64,
    /// The organisation's owner (itself for an owner): for roll-ups.
    pub owner_id: i64,
    pub period_start: Date,
    pub period_end: Date,
    pub sequence: i32,
    pub payment_count: i64,
    pub gross: i64,
    pub fees: i64,
    pub fee_tax: i64,
    pub carried_in: i64,
    pub net: i64,
    pub payout: i64,
    pub carry_out: i64,
    pub notice_date: Date,
    pub payout_date: Date,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
