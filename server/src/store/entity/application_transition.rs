use sea_orm::entity::prelude::*;

/// One change of an application's status: who, when, why, and (for
/// screening) the plugin versions and reasons behind it.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "application_transitions")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub application_id: i64,
    pub from_status: Option<String>,
    pub to_status: String,
    /// `user:<id>` or `system`.
    pub actor: String,
    pub reason: Option<String>,
    /// JSON: for screening, the steps (plugin, version, verdict, reasons).
    pub detail: Option<String>,
    pub at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
