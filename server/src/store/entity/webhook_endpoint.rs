use sea_orm::entity::prelude::*;

/// Where an organisation wants its events posted.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "webhook_endpoints")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub organisation_id: i64,
    pub url: String,
    /// JSON array of event types, or `["*"]`.
    pub event_types: String,
    /// HMAC key for `Shuno-Signature`.
    pub secret: String,
    pub created_by: i64,
    pub created_at: DateTimeUtc,
    pub disabled_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
