use sea_orm::entity::prelude::*;

/// One step of an owner's screening pipeline. Limits left empty take the
/// host's defaults.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "screening_steps")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub owner_id: i64,
    pub position: i32,
    pub plugin_id: i64,
    /// JSON given to the plugin's `init`.
    pub config: String,
    pub fuel: Option<i64>,
    pub deadline_ms: Option<i32>,
    pub memory_bytes: Option<i64>,
    pub output_bytes: Option<i64>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
