use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "organisations")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// OWNER or TENANT.
    pub kind: String,
    /// Set for tenants: the one owner a tenant has.
    pub owner_id: Option<i64>,
    pub name: String,
    pub tenant_kind: Option<String>,
    pub legal_form: String,
    pub corporate_origin: Option<String>,
    pub corporate_number: Option<String>,
    pub representative_name: Option<String>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
