//! The outbox: events appended in the transaction of the change behind them.

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait,
    ActiveValue::{NotSet, Set},
    ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect,
};

use super::{
    Page, PageRequest,
    entity::event::{self, Column, Entity, Model},
};

pub async fn append(
    db: &impl ConnectionTrait,
    organisation_id: Option<i64>,
    event_type: &str,
    payload: serde_json::Value,
    now: DateTime<Utc>,
) -> Result<Model, DbErr> {
    event::ActiveModel {
        id: NotSet,
        organisation_id: Set(organisation_id),
        event_type: Set(event_type.to_owned()),
        payload: Set(payload.to_string()),
        created_at: Set(now),
    }
    .insert(db)
    .await
}

pub async fn find(db: &impl ConnectionTrait, id: i64) -> Result<Option<Model>, DbErr> {
    Entity::find_by_id(id).one(db).await
}

pub async fn max_id(db: &impl ConnectionTrait) -> Result<i64, DbErr> {
    let last = Entity::find()
        .order_by_desc(Column::Id)
        .limit(1)
        .one(db)
        .await?;
    Ok(last.map_or(0, |e| e.id))
}

/// Events after `id`, oldest first.
pub async fn after(db: &impl ConnectionTrait, id: i64, limit: u64) -> Result<Vec<Model>, DbErr> {
    Entity::find()
        .filter(Column::Id.gt(id))
        .order_by_asc(Column::Id)
        .limit(limit)
        .all(db)
        .await
}

/// Events of an organisation, or of the tenants of an owner, since `since`.
pub async fn concerning(
    db: &impl ConnectionTrait,
    organisation_id: i64,
    since: DateTime<Utc>,
    request: PageRequest,
) -> Result<Page<Model>, DbErr> {
    let tenants = super::entity::organisation::Entity::find()
        .select_only()
        .column(super::entity::organisation::Column::Id)
        .filter(super::entity::organisation::Column::OwnerId.eq(organisation_id))
        .into_tuple::<i64>()
        .all(db)
        .await?;
    let mut organisations = tenants;
    organisations.push(organisation_id);
    let select = Entity::find().filter(
        Condition::all()
            .add(Column::OrganisationId.is_in(organisations))
            .add(Column::CreatedAt.gte(since)),
    );
    super::page(db, select, Column::Id, request).await
}

pub async fn delete_before(db: &impl ConnectionTrait, before: DateTime<Utc>) -> Result<u64, DbErr> {
    Ok(Entity::delete_many()
        .filter(Column::CreatedAt.lt(before))
        .exec(db)
        .await?
        .rows_affected)
}
