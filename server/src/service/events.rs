//! Events: appended to the outbox in the transaction of their cause, then
//! carried to subscribers (an in-process bus fed by tailing the outbox, woken
//! by PostgreSQL NOTIFY across processes) and to webhooks (delivery rows
//! created in the same transaction, see `deliveries`).

use std::{
    collections::{BTreeMap, HashSet},
    sync::Arc,
    time::{Duration, Instant},
};

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DbBackend, Statement};
use serde_json::{Value, json};
use tokio::sync::{Notify, broadcast};

use super::{Ctx, Page, PageRequest, ServiceError, Services, UserError, organisations::scope_of};
use crate::store::{self, entity::event::Model as EventRow};

/// The PostgreSQL channel that wakes every process's tailer.
pub const CHANNEL: &str = "shuno_events";

/// An event as subscribers see it.
#[derive(Debug, Clone)]
pub struct Event {
    pub id: i64,
    pub organisation_id: Option<i64>,
    /// The organisation's owner (itself for an owner): owners hear their tenants.
    pub owner_id: Option<i64>,
    pub event_type: String,
    pub payload: Value,
    pub created_at: DateTime<Utc>,
}

impl Event {
    pub fn from_row(row: &EventRow) -> Self {
        let payload: Value = serde_json::from_str(&row.payload).unwrap_or(Value::Null);
        let owner_id = payload["ownerId"].as_i64().or(row.organisation_id);
        Self {
            id: row.id,
            organisation_id: row.organisation_id,
            owner_id,
            event_type: row.event_type.clone(),
            payload,
            created_at: row.created_at,
        }
    }

    /// Whether members of `organisation` may hear this event.
    pub fn concerns(&self, organisation: i64) -> bool {
        self.organisation_id == Some(organisation) || self.owner_id == Some(organisation)
    }

    /// The JSON body of a webhook delivery.
    pub fn body(&self) -> Value {
        json!({ "id": self.id, "type": self.event_type, "createdAt": self.created_at, "data": self.payload })
    }
}

/// Appends an event for `organisation_id` (with its owner in the payload),
/// creates a webhook delivery for every endpoint of the organisation and of
/// its owner that wants this type, and wakes the tailers — all inside the
/// caller's transaction.
pub async fn emit(
    db: &impl ConnectionTrait,
    organisation_id: Option<i64>,
    event_type: &str,
    mut payload: Value,
    now: DateTime<Utc>,
) -> Result<EventRow, ServiceError> {
    let owner_id = match organisation_id {
        Some(id) => store::organisations::find(db, id)
            .await?
            .map(|o| o.owner_id.unwrap_or(o.id)),
        None => None,
    };
    if let Some(object) = payload.as_object_mut() {
        object.insert("organisationId".into(), json!(organisation_id));
        object.insert("ownerId".into(), json!(owner_id));
    }
    let row = store::events::append(db, organisation_id, event_type, payload, now).await?;
    let mut listeners: Vec<i64> = organisation_id.into_iter().collect();
    if let Some(owner) = owner_id.filter(|o| Some(*o) != organisation_id) {
        listeners.push(owner);
    }
    for endpoint in store::webhooks::endpoints_of(db, &listeners).await? {
        let types: Vec<String> = serde_json::from_str(&endpoint.event_types).unwrap_or_default();
        if types.iter().any(|t| t == "*" || t == event_type) {
            store::webhooks::schedule(db, row.id, endpoint.id, now).await?;
        }
    }
    if db.get_database_backend() == DbBackend::Postgres {
        db.execute_raw(Statement::from_string(
            DbBackend::Postgres,
            format!("NOTIFY {CHANNEL}"),
        ))
        .await?;
    }
    Ok(row)
}

/// The in-process bus subscribers listen on.
pub struct EventBus {
    sender: broadcast::Sender<Arc<Event>>,
    /// Woken after a local commit or a NOTIFY, so the tailer reads at once.
    pub wake: Notify,
}

impl Default for EventBus {
    fn default() -> Self {
        let (sender, _) = broadcast::channel(4096);
        Self {
            sender,
            wake: Notify::new(),
        }
    }
}

impl EventBus {
    pub fn subscribe(&self) -> broadcast::Receiver<Arc<Event>> {
        self.sender.subscribe()
    }
}

/// How long a gap in event ids is waited for: an id taken by a transaction
/// that has not committed yet. After that it is taken as rolled back.
const GAP_PATIENCE: Duration = Duration::from_secs(5);

/// Reads the outbox from `floor` on, publishing each event once, in id order
/// as committed. Runs until the process stops.
pub async fn tail(services: Arc<Services>) {
    let mut floor = match store::events::max_id(&services.db).await {
        Ok(id) => id,
        Err(err) => {
            tracing::error!(error = %err, "cannot read the outbox; subscriptions will not be fed");
            return;
        }
    };
    let mut seen: HashSet<i64> = HashSet::new();
    let mut gaps: BTreeMap<i64, Instant> = BTreeMap::new();
    loop {
        match store::events::after(&services.db, floor, 500).await {
            Ok(rows) => {
                for row in &rows {
                    if seen.insert(row.id) {
                        let _ = services.bus.sender.send(Arc::new(Event::from_row(row)));
                    }
                }
                // Advance over what is contiguous; wait a while for gaps.
                let highest = rows.last().map_or(floor, |r| r.id);
                loop {
                    let next = floor + 1;
                    if seen.remove(&next) {
                        floor = next;
                        gaps.remove(&next);
                    } else if next <= highest {
                        let first_seen = *gaps.entry(next).or_insert_with(Instant::now);
                        if first_seen.elapsed() > GAP_PATIENCE {
                            gaps.remove(&next);
                            floor = next;
                        } else {
                            break;
                        }
                    } else {
                        break;
                    }
                }
                if rows.len() == 500 {
                    continue;
                }
            }
            Err(err) => tracing::warn!(error = %err, "reading the outbox failed"),
        }
        let _ =
            tokio::time::timeout(Duration::from_millis(250), services.bus.wake.notified()).await;
    }
}

/// On PostgreSQL, wakes the tailer whenever any process commits an event.
pub async fn listen(services: Arc<Services>) {
    let Some(pool) = (services.db.get_database_backend() == DbBackend::Postgres)
        .then(|| services.db.get_postgres_connection_pool().clone())
    else {
        return;
    };
    loop {
        match sea_orm::sqlx::postgres::PgListener::connect_with(&pool).await {
            Ok(mut listener) => {
                if let Err(err) = listener.listen(CHANNEL).await {
                    tracing::warn!(error = %err, "LISTEN failed");
                } else {
                    while listener.recv().await.is_ok() {
                        services.bus.wake.notify_one();
                    }
                }
            }
            Err(err) => tracing::warn!(error = %err, "cannot open a LISTEN connection"),
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

/// A webhook endpoint as created: the signing secret is shown once.
pub struct NewEndpoint {
    pub organisation_id: i64,
    pub url: String,
    pub event_types: Vec<String>,
}

/// Event types an endpoint may ask for.
pub const EVENT_TYPES: &[&str] = &[
    "payment.recorded",
    "bill.expired",
    "application.decided",
    "application.in_review",
    "application.withdrawn",
    "joint_card.status_changed",
    "settlement.confirmed",
];

fn valid_url(url: &str) -> bool {
    reqwest::Url::parse(url)
        .is_ok_and(|u| matches!(u.scheme(), "https" | "http") && u.host().is_some())
}

impl Services {
    /// Wakes this process's tailer after a commit that emitted events.
    pub fn events_committed(&self) {
        self.bus.wake.notify_one();
    }

    #[tracing::instrument(skip(self, ctx, input), fields(organisation_id = input.organisation_id))]
    pub async fn create_webhook_endpoint(
        &self,
        ctx: &Ctx,
        input: NewEndpoint,
    ) -> Result<(store::entity::webhook_endpoint::Model, String), ServiceError> {
        let principal = ctx.principal()?;
        let Some(organisation) = self
            .visible_organisation(ctx, input.organisation_id)
            .await?
        else {
            return Err(ServiceError::invalid(
                &["input", "organisationId"],
                "ORGANISATION_NOT_FOUND",
                "指定された組織が見つかりません。",
            ));
        };
        self.authorize(ctx, scope_of(&organisation), "webhook", "create")
            .await?;
        let created_by = principal.user_id().ok_or(ServiceError::Forbidden)?;
        let mut errors = Vec::new();
        if input.url.len() > 2048 || !valid_url(&input.url) {
            errors.push(UserError::new(
                &["input", "url"],
                "INVALID_URL",
                "URLは http(s):// で始まる正しい形式で指定してください。",
            ));
        }
        let types = if input.event_types.is_empty() {
            vec!["*".to_owned()]
        } else {
            input.event_types
        };
        for (i, t) in types.iter().enumerate() {
            if t != "*" && !EVENT_TYPES.contains(&t.as_str()) {
                errors.push(UserError::new(
                    &["input", "eventTypes", &i.to_string()],
                    "UNKNOWN_EVENT_TYPE",
                    format!("不明なイベント種別です: {t}"),
                ));
            }
        }
        if !errors.is_empty() {
            return Err(ServiceError::Invalid(errors));
        }
        let secret = format!("whsec_{}", crate::auth::api_key::NewKey::generate().secret);
        let endpoint = store::webhooks::insert_endpoint(
            &self.db,
            organisation.id,
            &input.url,
            &types,
            &secret,
            created_by,
            self.clock.now(),
        )
        .await?;
        Ok((endpoint, secret))
    }

    /// Events of an organisation (and, for an owner, of its tenants), newest
    /// 30 days.
    pub async fn events_of(
        &self,
        ctx: &Ctx,
        organisation_id: i64,
        page: PageRequest,
    ) -> Result<Page<EventRow>, ServiceError> {
        let Some(organisation) = self.visible_organisation(ctx, organisation_id).await? else {
            return Err(ServiceError::NotFound);
        };
        self.authorize(ctx, scope_of(&organisation), "event", "read")
            .await?;
        let since = self.clock.now() - chrono::Duration::days(30);
        Ok(store::events::concerning(&self.db, organisation.id, since, page).await?)
    }

    /// Delivers an event again to every endpoint that wants it now.
    pub async fn redeliver_event(
        &self,
        ctx: &Ctx,
        event_id: i64,
    ) -> Result<EventRow, ServiceError> {
        ctx.principal()?;
        let not_found = || {
            ServiceError::invalid(
                &["input", "eventId"],
                "EVENT_NOT_FOUND",
                "指定されたイベントが見つかりません。",
            )
        };
        let event = store::events::find(&self.db, event_id)
            .await?
            .ok_or_else(not_found)?;
        let since = self.clock.now() - chrono::Duration::days(30);
        let Some(organisation_id) = event.organisation_id.filter(|_| event.created_at >= since)
        else {
            return Err(not_found());
        };
        let Some(organisation) = self.visible_organisation(ctx, organisation_id).await? else {
            return Err(not_found());
        };
        self.authorize(ctx, scope_of(&organisation), "event", "redeliver")
            .await?;
        let decoded = Event::from_row(&event);
        let mut listeners = vec![organisation_id];
        listeners.extend(decoded.owner_id.filter(|o| *o != organisation_id));
        let txn = store::write(&self.db).await?;
        let now = self.clock.now();
        for endpoint in store::webhooks::endpoints_of(&txn, &listeners).await? {
            let types: Vec<String> =
                serde_json::from_str(&endpoint.event_types).unwrap_or_default();
            if types.iter().any(|t| t == "*" || *t == event.event_type) {
                store::webhooks::schedule(&txn, event.id, endpoint.id, now).await?;
            }
        }
        txn.commit().await?;
        Ok(event)
    }
}
