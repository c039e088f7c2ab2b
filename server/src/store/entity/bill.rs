use sea_orm::entity::prelude::*;

/// A bill registered against a payment number.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "bills")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub contract_id: i64,
    /// The contract's organisation, kept here for access checks and listing.
    pub organisation_id: i64,
    pub payment_number: String,
    /// STANDARD or REPEAT, from the contract at registration.
    pub usage: String,
    pub amount: i64,
    pub due_date: Date,
    pub category: String,
    pub description: String,
    pub customer_email: Option<String>,
    /// Chains the bill may be paid at, after screening (see `ChainSet`).
    pub available_chains: String,
    /// JSON of the latest screening.
    pub screening: Option<String>,
    pub status: String,
    /// Starts at 1; every change adds one (Q09).
    pub version: i32,
    /// How many times it was paid (REPEAT bills may be paid many times).
    pub payment_count: i32,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub paid_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
