use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "plugins")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub name: String,
    /// Semantic version; (name, version) is unique.
    pub version: String,
    /// Hex SHA-256 of `wasm`.
    pub sha256: String,
    pub wasm: Vec<u8>,
    pub size_bytes: i64,
    /// Shipped with the server rather than uploaded.
    pub builtin: bool,
    pub uploaded_by: Option<i64>,
    pub created_at: DateTimeUtc,
    pub disabled_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
