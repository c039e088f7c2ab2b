use sea_orm::entity::prelude::*;

/// Every version a bill has had.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "bill_versions")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub bill_id: i64,
    pub version: i32,
    pub amount: i64,
    pub due_date: Date,
    pub category: String,
    pub description: String,
    pub available_chains: String,
    pub status: String,
    pub changed_by: String,
    pub at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
