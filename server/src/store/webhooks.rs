//! Webhook endpoints, deliveries and their attempts.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait,
    ActiveValue::{NotSet, Set},
    ColumnTrait, Condition, ConnectionTrait, DbBackend, DbErr, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, Statement,
    sea_query::Expr,
};

use super::entity::{
    delivery_attempt, event,
    webhook_delivery::{self, Column as D},
    webhook_endpoint::{self, Column as E},
};

pub const PENDING: &str = "PENDING";
pub const DELIVERED: &str = "DELIVERED";
pub const FAILED: &str = "FAILED";

pub async fn insert_endpoint(
    db: &impl ConnectionTrait,
    organisation_id: i64,
    url: &str,
    event_types: &[String],
    secret: &str,
    created_by: i64,
    now: DateTime<Utc>,
) -> Result<webhook_endpoint::Model, DbErr> {
    webhook_endpoint::ActiveModel {
        id: NotSet,
        organisation_id: Set(organisation_id),
        url: Set(url.to_owned()),
        event_types: Set(serde_json::json!(event_types).to_string()),
        secret: Set(secret.to_owned()),
        created_by: Set(created_by),
        created_at: Set(now),
        disabled_at: Set(None),
    }
    .insert(db)
    .await
}

pub async fn endpoints_of(
    db: &impl ConnectionTrait,
    organisations: &[i64],
) -> Result<Vec<webhook_endpoint::Model>, DbErr> {
    if organisations.is_empty() {
        return Ok(Vec::new());
    }
    webhook_endpoint::Entity::find()
        .filter(E::OrganisationId.is_in(organisations.to_vec()))
        .filter(E::DisabledAt.is_null())
        .all(db)
        .await
}

pub async fn schedule(
    db: &impl ConnectionTrait,
    event_id: i64,
    endpoint_id: i64,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    webhook_delivery::ActiveModel {
        id: NotSet,
        event_id: Set(event_id),
        endpoint_id: Set(endpoint_id),
        status: Set(PENDING.to_owned()),
        attempts: Set(0),
        next_attempt_at: Set(now),
        locked_until: Set(None),
        last_error: Set(None),
        created_at: Set(now),
        delivered_at: Set(None),
    }
    .insert(db)
    .await?;
    Ok(())
}

/// A delivery claimed for one attempt, with what it needs.
pub struct Claimed {
    pub delivery: webhook_delivery::Model,
    pub endpoint: webhook_endpoint::Model,
    pub event: event::Model,
}

/// Claims up to `limit` due deliveries until `lock_until`, so that no other
/// deliverer (in this or another process) attempts them meanwhile. On
/// PostgreSQL the rows are picked with `FOR UPDATE SKIP LOCKED`; on SQLite,
/// where one writer runs at a time, with a conditional update.
pub async fn claim_due(
    db: &sea_orm::DatabaseConnection,
    now: DateTime<Utc>,
    lock_until: DateTime<Utc>,
    limit: u64,
) -> Result<Vec<Claimed>, DbErr> {
    let due = Condition::all()
        .add(D::Status.eq(PENDING))
        .add(D::NextAttemptAt.lte(now))
        .add(
            Condition::any()
                .add(D::LockedUntil.is_null())
                .add(D::LockedUntil.lt(now)),
        );
    let txn = super::write(db).await?;
    let ids: Vec<i64> = if db.get_database_backend() == DbBackend::Postgres {
        let statement = Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT id FROM webhook_deliveries WHERE status = $1 AND next_attempt_at <= $2 \
             AND (locked_until IS NULL OR locked_until < $2) ORDER BY next_attempt_at LIMIT $3 FOR UPDATE SKIP LOCKED",
            [PENDING.into(), now.into(), (limit as i64).into()],
        );
        txn.query_all_raw(statement)
            .await?
            .iter()
            .filter_map(|row| row.try_get::<i64>("", "id").ok())
            .collect()
    } else {
        webhook_delivery::Entity::find()
            .select_only()
            .column(D::Id)
            .filter(due.clone())
            .order_by_asc(D::NextAttemptAt)
            .limit(limit)
            .into_tuple::<i64>()
            .all(&txn)
            .await?
    };
    if ids.is_empty() {
        txn.commit().await?;
        return Ok(Vec::new());
    }
    webhook_delivery::Entity::update_many()
        .col_expr(D::LockedUntil, Expr::value(lock_until))
        .filter(D::Id.is_in(ids.clone()))
        .filter(due)
        .exec(&txn)
        .await?;
    let deliveries = webhook_delivery::Entity::find()
        .filter(D::Id.is_in(ids))
        .filter(D::LockedUntil.eq(lock_until))
        .all(&txn)
        .await?;
    txn.commit().await?;

    // Endpoints and events of the whole batch in two queries.
    let mut endpoint_ids: Vec<i64> = deliveries.iter().map(|d| d.endpoint_id).collect();
    endpoint_ids.sort_unstable();
    endpoint_ids.dedup();
    let endpoints: HashMap<i64, webhook_endpoint::Model> = webhook_endpoint::Entity::find()
        .filter(E::Id.is_in(endpoint_ids))
        .all(db)
        .await?
        .into_iter()
        .map(|e| (e.id, e))
        .collect();
    let events: HashMap<i64, event::Model> = event::Entity::find()
        .filter(event::Column::Id.is_in(deliveries.iter().map(|d| d.event_id)))
        .all(db)
        .await?
        .into_iter()
        .map(|e| (e.id, e))
        .collect();
    Ok(deliveries
        .into_iter()
        .filter_map(|delivery| {
            let endpoint = endpoints.get(&delivery.endpoint_id)?.clone();
            let event = events.get(&delivery.event_id)?.clone();
            Some(Claimed {
                delivery,
                endpoint,
                event,
            })
        })
        .collect())
}

/// One attempt at a delivery and its outcome.
pub struct Attempt {
    pub delivery_id: i64,
    /// Attempts before this one.
    pub attempts: i32,
    pub at: DateTime<Utc>,
    pub status_code: Option<i32>,
    pub error: Option<String>,
    pub duration_ms: i32,
    pub outcome: Outcome,
}

/// Records a batch of attempts and their outcomes (delivered, retried at
/// `next`, or given up) in one transaction.
pub async fn record_attempts(
    db: &sea_orm::DatabaseConnection,
    attempts: Vec<Attempt>,
) -> Result<(), DbErr> {
    if attempts.is_empty() {
        return Ok(());
    }
    let txn = super::write(db).await?;
    delivery_attempt::Entity::insert_many(attempts.iter().map(|a| delivery_attempt::ActiveModel {
        id: NotSet,
        delivery_id: Set(a.delivery_id),
        at: Set(a.at),
        status_code: Set(a.status_code),
        error: Set(a.error.clone()),
        duration_ms: Set(a.duration_ms),
    }))
    .exec(&txn)
    .await?;
    for attempt in attempts {
        let mut update = webhook_delivery::Entity::update_many()
            .col_expr(D::Attempts, Expr::value(attempt.attempts + 1))
            .col_expr(D::LockedUntil, Expr::value(Option::<DateTime<Utc>>::None))
            .col_expr(D::LastError, Expr::value(attempt.error))
            .filter(D::Id.eq(attempt.delivery_id));
        update = match attempt.outcome {
            Outcome::Delivered => update
                .col_expr(D::Status, Expr::value(DELIVERED))
                .col_expr(D::DeliveredAt, Expr::value(Some(attempt.at))),
            Outcome::RetryAt(next) => update.col_expr(D::NextAttemptAt, Expr::value(next)),
            Outcome::GiveUp => update.col_expr(D::Status, Expr::value(FAILED)),
        };
        update.exec(&txn).await?;
    }
    txn.commit().await
}

pub enum Outcome {
    Delivered,
    RetryAt(DateTime<Utc>),
    GiveUp,
}

pub async fn deliveries_of_event(
    db: &impl ConnectionTrait,
    event_id: i64,
) -> Result<Vec<webhook_delivery::Model>, DbErr> {
    webhook_delivery::Entity::find()
        .filter(D::EventId.eq(event_id))
        .order_by_asc(D::Id)
        .all(db)
        .await
}

pub async fn attempts_of(
    db: &impl ConnectionTrait,
    delivery_id: i64,
) -> Result<Vec<delivery_attempt::Model>, DbErr> {
    delivery_attempt::Entity::find()
        .filter(delivery_attempt::Column::DeliveryId.eq(delivery_id))
        .order_by_asc(delivery_attempt::Column::Id)
        .all(db)
        .await
}

/// When the next delivery that nobody holds falls due. Held (claimed)
/// deliveries are left out: their batch wakes the deliverer when it is done,
/// and a claim left by a dead process expires within the deliverer's longest
/// wait.
pub async fn next_due(
    db: &impl ConnectionTrait,
    now: DateTime<Utc>,
) -> Result<Option<DateTime<Utc>>, DbErr> {
    Ok(webhook_delivery::Entity::find()
        .filter(D::Status.eq(PENDING))
        .filter(
            Condition::any()
                .add(D::LockedUntil.is_null())
                .add(D::LockedUntil.lt(now)),
        )
        .order_by_asc(D::NextAttemptAt)
        .limit(1)
        .one(db)
        .await?
        .map(|d| d.next_attempt_at))
}
