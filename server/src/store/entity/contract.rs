use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "contracts")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub organisation_id: i64,
    pub plan: String,
    pub usage: String,
    /// Chain names joined by commas in canonical order (see `ChainSet`).
    pub chains: String,
    pub settlement_cycle: String,
    pub notice_lag_days: i32,
    /// JSON of `domain::contract::FeeSchedule`.
    pub fee_schedule: String,
    pub status: String,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
