//! Onboarding applications and their transitions.

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait,
    ActiveValue::{NotSet, Set},
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, IntoActiveModel, QueryFilter, QueryOrder,
};

use super::{
    Page, PageRequest,
    entity::{
        application::{self, Column, Entity, Model},
        application_transition,
    },
};

pub async fn insert(
    db: &impl ConnectionTrait,
    row: application::ActiveModel,
) -> Result<Model, DbErr> {
    row.insert(db).await
}

pub fn new_row() -> application::ActiveModel {
    application::ActiveModel {
        id: NotSet,
        ..Default::default()
    }
}

pub async fn find(db: &impl ConnectionTrait, id: i64) -> Result<Option<Model>, DbErr> {
    Entity::find_by_id(id).one(db).await
}

/// Sets the status (and what comes with a decision) of an application.
pub async fn decide(
    db: &impl ConnectionTrait,
    application: Model,
    status: &str,
    approved_chains: Option<String>,
    contract_id: Option<i64>,
    at: DateTime<Utc>,
) -> Result<Model, DbErr> {
    let mut active = application.into_active_model();
    active.status = Set(status.to_owned());
    active.approved_chains = Set(approved_chains);
    active.contract_id = Set(contract_id);
    active.decided_at = Set(Some(at));
    active.update(db).await
}

pub async fn set_status(
    db: &impl ConnectionTrait,
    application: Model,
    status: &str,
) -> Result<Model, DbErr> {
    let mut active = application.into_active_model();
    active.status = Set(status.to_owned());
    active.update(db).await
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

pub async fn with_status(
    db: &impl ConnectionTrait,
    status: &str,
    request: PageRequest,
) -> Result<Page<Model>, DbErr> {
    super::page(
        db,
        Entity::find().filter(Column::Status.eq(status)),
        Column::Id,
        request,
    )
    .await
}

pub struct Transition<'a> {
    pub from: Option<&'a str>,
    pub to: &'a str,
    pub actor: &'a str,
    pub reason: Option<String>,
    pub detail: Option<String>,
    pub at: DateTime<Utc>,
}

pub async fn record(
    db: &impl ConnectionTrait,
    application_id: i64,
    t: Transition<'_>,
) -> Result<(), DbErr> {
    application_transition::ActiveModel {
        id: NotSet,
        application_id: Set(application_id),
        from_status: Set(t.from.map(str::to_owned)),
        to_status: Set(t.to.to_owned()),
        actor: Set(t.actor.to_owned()),
        reason: Set(t.reason),
        detail: Set(t.detail),
        at: Set(t.at),
    }
    .insert(db)
    .await?;
    Ok(())
}

pub async fn transitions(
    db: &impl ConnectionTrait,
    application_id: i64,
) -> Result<Vec<application_transition::Model>, DbErr> {
    application_transition::Entity::find()
        .filter(application_transition::Column::ApplicationId.eq(application_id))
        .order_by_asc(application_transition::Column::Id)
        .all(db)
        .await
}

/// Moves the status from `from` to `to` only if it is still `from`; whether
/// it did. This is what makes concurrent decisions safe on every database.
pub async fn claim(
    db: &impl ConnectionTrait,
    id: i64,
    from: &str,
    to: &str,
) -> Result<bool, DbErr> {
    let result = Entity::update_many()
        .col_expr(Column::Status, sea_orm::sea_query::Expr::value(to))
        .filter(Column::Id.eq(id))
        .filter(Column::Status.eq(from))
        .exec(db)
        .await?;
    Ok(result.rows_affected == 1)
}
