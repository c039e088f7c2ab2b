//! API keys of system-integration contracts.

use chrono::Utc;
use sea_orm::{
    ActiveModelTrait,
    ActiveValue::{NotSet, Set},
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, IntoActiveModel, QueryFilter,
};

use super::entity::api_key::{self, Column, Entity, Model};

pub async fn insert(
    db: &impl ConnectionTrait,
    contract_id: i64,
    prefix: &str,
    secret_hash: String,
    created_by: i64,
) -> Result<Model, DbErr> {
    api_key::ActiveModel {
        id: NotSet,
        contract_id: Set(contract_id),
        prefix: Set(prefix.to_owned()),
        secret_hash: Set(secret_hash),
        created_by: Set(created_by),
        created_at: Set(Utc::now()),
        revoked_at: Set(None),
    }
    .insert(db)
    .await
}

pub async fn find(db: &impl ConnectionTrait, id: i64) -> Result<Option<Model>, DbErr> {
    Entity::find_by_id(id).one(db).await
}

pub async fn find_by_prefix(
    db: &impl ConnectionTrait,
    prefix: &str,
) -> Result<Option<Model>, DbErr> {
    Entity::find()
        .filter(Column::Prefix.eq(prefix))
        .one(db)
        .await
}

pub async fn revoke(db: &impl ConnectionTrait, key: Model) -> Result<Model, DbErr> {
    let mut active = key.into_active_model();
    active.revoked_at = Set(Some(Utc::now()));
    active.update(db).await
}
