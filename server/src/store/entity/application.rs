use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "applications")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub organisation_id: i64,
    pub plan: String,
    pub usage: String,
    /// Stored like a contract's chains (see `ChainSet`).
    pub requested_chains: String,
    /// JSON array of category codes.
    pub categories: String,
    pub merchandise_description: String,
    /// JSON array of further names to screen (trade names, former names).
    pub other_names: String,
    pub settlement_cycle: String,
    /// REPEAT only: payment numbers printed on the organisation's joint card (Q13).
    pub printed_on_joint_card: bool,
    /// When the applicant affirmed the commitments (anti-social forces, Q16).
    pub commitments_affirmed_at: DateTimeUtc,
    pub status: String,
    /// JSON of `domain::screening::Screening`.
    pub screening: Option<String>,
    pub approved_chains: Option<String>,
    pub contract_id: Option<i64>,
    pub submitted_by: i64,
    pub created_at: DateTimeUtc,
    pub decided_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
