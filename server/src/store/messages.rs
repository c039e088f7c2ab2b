//! Outgoing e-mail.

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait,
    ActiveValue::{NotSet, Set},
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
    sea_query::{Expr, ExprTrait},
};

use super::{
    Page, PageRequest,
    entity::outgoing_message::{self, Column, Entity, Model},
};

pub async fn queue(
    db: &impl ConnectionTrait,
    organisation_id: Option<i64>,
    recipient: &str,
    subject: &str,
    body: &str,
    now: DateTime<Utc>,
) -> Result<Model, DbErr> {
    outgoing_message::ActiveModel {
        id: NotSet,
        organisation_id: Set(organisation_id),
        recipient: Set(recipient.to_owned()),
        subject: Set(subject.to_owned()),
        body: Set(body.to_owned()),
        status: Set("PENDING".to_owned()),
        attempts: Set(0),
        last_error: Set(None),
        created_at: Set(now),
        sent_at: Set(None),
    }
    .insert(db)
    .await
}

pub async fn list(db: &impl ConnectionTrait, request: PageRequest) -> Result<Page<Model>, DbErr> {
    super::page(db, Entity::find(), Column::Id, request).await
}

pub async fn pending(db: &impl ConnectionTrait, limit: u64) -> Result<Vec<Model>, DbErr> {
    Entity::find()
        .filter(Column::Status.eq("PENDING"))
        .filter(Column::Attempts.lt(10))
        .order_by_asc(Column::Id)
        .limit(limit)
        .all(db)
        .await
}

pub async fn mark(
    db: &impl ConnectionTrait,
    id: i64,
    status: &str,
    error: Option<String>,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    let mut update = Entity::update_many()
        .col_expr(Column::Attempts, Expr::col(Column::Attempts).add(1))
        .col_expr(Column::LastError, Expr::value(error))
        .col_expr(Column::Status, Expr::value(status))
        .filter(Column::Id.eq(id));
    if status == "SENT" {
        update = update.col_expr(Column::SentAt, Expr::value(Some(now)));
    }
    update.exec(db).await?;
    Ok(())
}
