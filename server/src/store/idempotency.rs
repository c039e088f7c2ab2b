//! Idempotency keys of creating requests.

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait,
    ActiveValue::{NotSet, Set},
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter,
    sea_query::Expr,
};

use super::entity::idempotency_key::{self, Column, Entity, Model};

pub async fn find(
    db: &impl ConnectionTrait,
    scope: &str,
    key: &str,
) -> Result<Option<Model>, DbErr> {
    Entity::find()
        .filter(Column::Scope.eq(scope))
        .filter(Column::Key.eq(key))
        .one(db)
        .await
}

/// Claims a key for a request; fails with a unique violation when taken.
pub async fn claim(
    db: &impl ConnectionTrait,
    scope: &str,
    key: &str,
    request_hash: &str,
    now: DateTime<Utc>,
) -> Result<Model, DbErr> {
    idempotency_key::ActiveModel {
        id: NotSet,
        scope: Set(scope.to_owned()),
        key: Set(key.to_owned()),
        request_hash: Set(request_hash.to_owned()),
        response: Set(None),
        created_at: Set(now),
    }
    .insert(db)
    .await
}

pub async fn complete(db: &impl ConnectionTrait, id: i64, response: String) -> Result<(), DbErr> {
    Entity::update_many()
        .col_expr(Column::Response, Expr::value(Some(response)))
        .filter(Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(())
}

pub async fn delete_before(db: &impl ConnectionTrait, before: DateTime<Utc>) -> Result<u64, DbErr> {
    Ok(Entity::delete_many()
        .filter(Column::CreatedAt.lt(before))
        .exec(db)
        .await?
        .rows_affected)
}
