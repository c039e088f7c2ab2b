//! Joint cards and their transitions.

use chrono::Utc;
use sea_orm::{
    ActiveModelTrait,
    ActiveValue::{NotSet, Set},
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
};

use super::entity::{
    joint_card::{self, Column, Entity, Model},
    joint_card_transition,
};

pub async fn insert(
    db: &impl ConnectionTrait,
    organisation_id: i64,
    status: &str,
) -> Result<Model, DbErr> {
    let now = Utc::now();
    joint_card::ActiveModel {
        id: NotSet,
        organisation_id: Set(organisation_id),
        status: Set(status.to_owned()),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(db)
    .await
}

pub async fn find(db: &impl ConnectionTrait, id: i64) -> Result<Option<Model>, DbErr> {
    Entity::find_by_id(id).one(db).await
}

/// Moves the status from `from` to `to` only if it is still `from`; whether it did.
pub async fn claim(
    db: &impl ConnectionTrait,
    id: i64,
    from: &str,
    to: &str,
) -> Result<bool, DbErr> {
    let result = Entity::update_many()
        .col_expr(Column::Status, sea_orm::sea_query::Expr::value(to))
        .col_expr(
            Column::UpdatedAt,
            sea_orm::sea_query::Expr::value(Utc::now()),
        )
        .filter(Column::Id.eq(id))
        .filter(Column::Status.eq(from))
        .exec(db)
        .await?;
    Ok(result.rows_affected == 1)
}

pub async fn of_organisation(
    db: &impl ConnectionTrait,
    organisation_id: i64,
) -> Result<Vec<Model>, DbErr> {
    Entity::find()
        .filter(Column::OrganisationId.eq(organisation_id))
        .order_by_asc(Column::Id)
        .all(db)
        .await
}

pub async fn count_with_status(
    db: &impl ConnectionTrait,
    organisation_id: i64,
    status: &str,
) -> Result<u64, DbErr> {
    Entity::find()
        .filter(Column::OrganisationId.eq(organisation_id))
        .filter(Column::Status.eq(status))
        .count(db)
        .await
}

pub async fn record(
    db: &impl ConnectionTrait,
    card_id: i64,
    from: Option<&str>,
    to: &str,
    actor: &str,
    reason: Option<String>,
) -> Result<(), DbErr> {
    joint_card_transition::ActiveModel {
        id: NotSet,
        joint_card_id: Set(card_id),
        from_status: Set(from.map(str::to_owned)),
        to_status: Set(to.to_owned()),
        actor: Set(actor.to_owned()),
        reason: Set(reason),
        at: Set(Utc::now()),
    }
    .insert(db)
    .await?;
    Ok(())
}

pub async fn transitions(
    db: &impl ConnectionTrait,
    card_id: i64,
) -> Result<Vec<joint_card_transition::Model>, DbErr> {
    joint_card_transition::Entity::find()
        .filter(joint_card_transition::Column::JointCardId.eq(card_id))
        .order_by_asc(joint_card_transition::Column::Id)
        .all(db)
        .await
}
