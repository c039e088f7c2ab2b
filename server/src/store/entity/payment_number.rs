use sea_orm::entity::prelude::*;

/// A payment number the platform issued.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "payment_numbers")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub number: String,
    /// Set for numbers reserved for one organisation (e.g. a joint card block).
    pub organisation_id: Option<i64>,
    /// Where the number was e-mailed (Q11), if it was.
    pub email: Option<String>,
    /// `user:<id>` or `key:<id>`.
    pub issued_by: String,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
