//! People who sign in.

use chrono::Utc;
use sea_orm::{
    ActiveModelTrait,
    ActiveValue::{NotSet, Set},
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, PaginatorTrait, QueryFilter,
};

use super::{
    Page, PageRequest,
    entity::user::{self, Column, Entity, Model},
};
use crate::domain::{
    role::Role,
    text::{Email, Name},
};

pub struct NewUser {
    pub organisation_id: Option<i64>,
    pub email: Email,
    pub display_name: Name,
    pub password_hash: String,
    pub role: Role,
}

pub async fn insert(db: &impl ConnectionTrait, new: NewUser) -> Result<Model, DbErr> {
    user::ActiveModel {
        id: NotSet,
        organisation_id: Set(new.organisation_id),
        email: Set(new.email.as_str().to_owned()),
        display_name: Set(new.display_name.into_inner()),
        password_hash: Set(new.password_hash),
        role: Set(new.role.as_str().to_owned()),
        created_at: Set(Utc::now()),
    }
    .insert(db)
    .await
}

pub async fn find(db: &impl ConnectionTrait, id: i64) -> Result<Option<Model>, DbErr> {
    Entity::find_by_id(id).one(db).await
}

pub async fn find_by_email(db: &impl ConnectionTrait, email: &str) -> Result<Option<Model>, DbErr> {
    Entity::find().filter(Column::Email.eq(email)).one(db).await
}

pub async fn email_taken(db: &impl ConnectionTrait, email: &Email) -> Result<bool, DbErr> {
    Ok(Entity::find()
        .filter(Column::Email.eq(email.as_str()))
        .count(db)
        .await?
        > 0)
}

pub async fn of_organisation(
    db: &impl ConnectionTrait,
    organisation_id: i64,
    request: PageRequest,
) -> Result<Page<Model>, DbErr> {
    let select = Entity::find().filter(Column::OrganisationId.eq(organisation_id));
    super::page(db, select, Column::Id, request).await
}

pub async fn count(db: &impl ConnectionTrait) -> Result<u64, DbErr> {
    Entity::find().count(db).await
}

/// The admins of an organisation (who get its notices).
pub async fn admins_of(
    db: &impl ConnectionTrait,
    organisation_id: i64,
) -> Result<Vec<Model>, DbErr> {
    Entity::find()
        .filter(Column::OrganisationId.eq(organisation_id))
        .filter(Column::Role.is_in(["OWNER_ADMIN", "TENANT_ADMIN"]))
        .all(db)
        .await
}
