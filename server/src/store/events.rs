//! The outbox: events appended in the transaction of the change behind them.

use chrono::Utc;
use sea_orm::{
    ActiveModelTrait,
    ActiveValue::{NotSet, Set},
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter,
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
) -> Result<Model, DbErr> {
    event::ActiveModel {
        id: NotSet,
        organisation_id: Set(organisation_id),
        event_type: Set(event_type.to_owned()),
        payload: Set(payload.to_string()),
        created_at: Set(Utc::now()),
    }
    .insert(db)
    .await
}

pub async fn of_organisation(
    db: &impl ConnectionTrait,
    organisation_id: i64,
    request: PageRequest,
) -> Result<Page<Model>, DbErr> {
    super::page(
        db,
        Entity::find().filter(Column::OrganisationId.eq(organisation_id)),
        Column::Id,
        request,
    )
    .await
}
