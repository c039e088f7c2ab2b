use sea_orm::entity::prelude::*;

/// The outbox: every change others must hear of, appended in the same
/// transaction as the change.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "events")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// The organisation the event concerns (who may hear it).
    pub organisation_id: Option<i64>,
    /// e.g. `application.decided`, `joint_card.status_changed`.
    pub event_type: String,
    /// JSON.
    pub payload: String,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
