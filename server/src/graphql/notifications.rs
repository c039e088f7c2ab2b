//! Events, webhooks, e-mail, subscriptions and the sandbox clock.

use std::sync::Arc;

use async_graphql::{Context, ID, InputObject, Json, Object, Result, SimpleObject, Subscription};
use chrono::{DateTime, Utc};
use futures_util::{Stream, StreamExt};
use tokio_stream::wrappers::BroadcastStream;

use super::{
    Conn, connection,
    enums::Chain,
    env,
    errors::{UserError, payload, to_graphql},
    ids::{self, Kind},
    page_request,
};
use crate::{
    service::{
        ServiceError,
        events::{Event as BusEvent, NewEndpoint},
    },
    store::{
        self,
        entity::{event, outgoing_message, webhook_delivery, webhook_endpoint},
    },
};

/// Where an organisation's events are posted, signed with `Shuno-Signature`.
pub struct WebhookEndpoint(pub webhook_endpoint::Model);

#[Object]
impl WebhookEndpoint {
    async fn id(&self) -> ID {
        ids::encode(Kind::WebhookEndpoint, self.0.id)
    }
    async fn url(&self) -> &str {
        &self.0.url
    }
    async fn event_types(&self) -> Vec<String> {
        serde_json::from_str(&self.0.event_types).unwrap_or_default()
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
}

/// One attempt at delivering an event.
#[derive(SimpleObject)]
pub struct DeliveryAttempt {
    pub at: DateTime<Utc>,
    pub status_code: Option<i32>,
    pub error: Option<String>,
    pub duration_ms: i32,
}

/// An event's delivery to one endpoint.
pub struct WebhookDelivery(pub webhook_delivery::Model);

#[Object]
impl WebhookDelivery {
    async fn endpoint_id(&self) -> ID {
        ids::encode(Kind::WebhookEndpoint, self.0.endpoint_id)
    }
    /// PENDING, DELIVERED or FAILED (given up after 3 days).
    async fn status(&self) -> &str {
        &self.0.status
    }
    async fn attempts(&self) -> i32 {
        self.0.attempts
    }
    async fn next_attempt_at(&self) -> Option<DateTime<Utc>> {
        (self.0.status == "PENDING").then_some(self.0.next_attempt_at)
    }
    async fn delivered_at(&self) -> Option<DateTime<Utc>> {
        self.0.delivered_at
    }
    async fn last_error(&self) -> Option<&str> {
        self.0.last_error.as_deref()
    }
    /// Every attempt, oldest first.
    async fn attempt_log(&self, ctx: &Context<'_>) -> Result<Vec<DeliveryAttempt>> {
        let (services, _) = env(ctx)?;
        let rows = store::webhooks::attempts_of(&services.db, self.0.id)
            .await
            .map_err(|e| to_graphql(ctx, ServiceError::from(e)))?;
        Ok(rows
            .into_iter()
            .map(|a| DeliveryAttempt {
                at: a.at,
                status_code: a.status_code,
                error: a.error,
                duration_ms: a.duration_ms,
            })
            .collect())
    }
}

/// Something that happened that others must hear of.
pub struct Event(pub event::Model);

#[Object]
impl Event {
    async fn id(&self) -> ID {
        ids::encode(Kind::Event, self.0.id)
    }
    /// e.g. `payment.recorded`, `bill.expired`, `application.decided`.
    #[graphql(name = "type")]
    async fn event_type(&self) -> &str {
        &self.0.event_type
    }
    async fn organisation_id(&self) -> Option<ID> {
        self.0
            .organisation_id
            .map(|id| ids::encode(Kind::Organisation, id))
    }
    async fn payload(&self) -> Json<serde_json::Value> {
        Json(serde_json::from_str(&self.0.payload).unwrap_or(serde_json::Value::Null))
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    async fn deliveries(&self, ctx: &Context<'_>) -> Result<Vec<WebhookDelivery>> {
        let (services, _) = env(ctx)?;
        let rows = store::webhooks::deliveries_of_event(&services.db, self.0.id)
            .await
            .map_err(|e| to_graphql(ctx, ServiceError::from(e)))?;
        Ok(rows.into_iter().map(WebhookDelivery).collect())
    }
}

/// An e-mail, sent or pending.
pub struct OutgoingMessage(pub outgoing_message::Model);

#[Object]
impl OutgoingMessage {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    async fn recipient(&self) -> &str {
        &self.0.recipient
    }
    async fn subject(&self) -> &str {
        &self.0.subject
    }
    async fn body(&self) -> &str {
        &self.0.body
    }
    /// PENDING, SENT or FAILED.
    async fn status(&self) -> &str {
        &self.0.status
    }
    async fn attempts(&self) -> i32 {
        self.0.attempts
    }
    async fn last_error(&self) -> Option<&str> {
        self.0.last_error.as_deref()
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    async fn sent_at(&self) -> Option<DateTime<Utc>> {
        self.0.sent_at
    }
}

#[derive(InputObject)]
pub struct EventFilter {
    pub organisation_id: ID,
}

#[derive(Default)]
pub struct NotificationQuery;

#[Object]
impl NotificationQuery {
    /// The events of an organisation (an owner's include its tenants'), last 30 days.
    #[graphql(complexity = "super::page_complexity(first, child_complexity)")]
    async fn events(
        &self,
        ctx: &Context<'_>,
        filter: EventFilter,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Conn<Event>> {
        let (services, caller) = env(ctx)?;
        let request = page_request(first, after)?;
        let id = ids::decode_as(Kind::Organisation, &filter.organisation_id).unwrap_or_default();
        let page = services
            .events_of(caller, id, request)
            .await
            .map_err(|e| to_graphql(ctx, e))?;
        Ok(connection(page, |e| e.id, Event))
    }

    /// E-mail the platform sent or holds (platform admins).
    #[graphql(complexity = "super::page_complexity(first, child_complexity)")]
    async fn outgoing_messages(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Conn<OutgoingMessage>> {
        let (services, caller) = env(ctx)?;
        let page = services
            .outgoing_messages(caller, page_request(first, after)?)
            .await
            .map_err(|e| to_graphql(ctx, e))?;
        Ok(connection(page, |m| m.id, OutgoingMessage))
    }
}

#[derive(InputObject)]
pub struct CreateWebhookEndpointInput {
    pub organisation_id: ID,
    pub url: String,
    /// Event types to receive; empty for all.
    #[graphql(default)]
    pub event_types: Vec<String>,
}

#[derive(SimpleObject)]
pub struct CreateWebhookEndpointPayload {
    pub endpoint: Option<WebhookEndpoint>,
    /// The HMAC key of `Shuno-Signature`. Shown this once.
    pub signing_secret: Option<String>,
    pub user_errors: Vec<UserError>,
}

#[derive(InputObject)]
pub struct RedeliverEventInput {
    pub event_id: ID,
}

#[derive(SimpleObject)]
pub struct RedeliverEventPayload {
    pub event: Option<Event>,
    pub user_errors: Vec<UserError>,
}

#[derive(InputObject)]
pub struct SetSandboxClockInput {
    pub now: DateTime<Utc>,
}

#[derive(SimpleObject)]
pub struct SetSandboxClockPayload {
    pub now: Option<DateTime<Utc>>,
    pub user_errors: Vec<UserError>,
}

#[derive(Default)]
pub struct NotificationMutation;

#[Object]
impl NotificationMutation {
    async fn create_webhook_endpoint(
        &self,
        ctx: &Context<'_>,
        input: CreateWebhookEndpointInput,
    ) -> Result<CreateWebhookEndpointPayload> {
        let (services, caller) = env(ctx)?;
        let endpoint = NewEndpoint {
            organisation_id: ids::decode_as(Kind::Organisation, &input.organisation_id)
                .unwrap_or_default(),
            url: input.url,
            event_types: input.event_types,
        };
        let result = services.create_webhook_endpoint(caller, endpoint).await;
        payload(
            ctx,
            result,
            |(e, secret)| CreateWebhookEndpointPayload {
                endpoint: Some(WebhookEndpoint(e)),
                signing_secret: Some(secret),
                user_errors: vec![],
            },
            |user_errors| CreateWebhookEndpointPayload {
                endpoint: None,
                signing_secret: None,
                user_errors,
            },
        )
    }

    /// Delivers an event again (within 30 days).
    async fn redeliver_event(
        &self,
        ctx: &Context<'_>,
        input: RedeliverEventInput,
    ) -> Result<RedeliverEventPayload> {
        let (services, caller) = env(ctx)?;
        let id = ids::decode_as(Kind::Event, &input.event_id).unwrap_or_default();
        let result = services.redeliver_event(caller, id).await;
        if result.is_ok() {
            services.delivery_wake.notify_one();
        }
        payload(
            ctx,
            result,
            |e| RedeliverEventPayload {
                event: Some(Event(e)),
                user_errors: vec![],
            },
            |user_errors| RedeliverEventPayload {
                event: None,
                user_errors,
            },
        )
    }

    /// Moves "now" for due dates, expiry and settlement (`--sandbox` only, platform admins).
    async fn set_sandbox_clock(
        &self,
        ctx: &Context<'_>,
        input: SetSandboxClockInput,
    ) -> Result<SetSandboxClockPayload> {
        let (services, caller) = env(ctx)?;
        let result = services.set_sandbox_clock(caller, input.now).await;
        payload(
            ctx,
            result,
            |now| SetSandboxClockPayload {
                now: Some(now),
                user_errors: vec![],
            },
            |user_errors| SetSandboxClockPayload {
                now: None,
                user_errors,
            },
        )
    }
}

/// One recorded payment, as an organisation hears of it.
#[derive(SimpleObject, Clone)]
pub struct PaymentEvent {
    pub event_id: ID,
    pub payment_id: Option<ID>,
    pub organisation_id: Option<ID>,
    pub chain: Option<Chain>,
    pub paid_at: Option<DateTime<Utc>>,
    /// Yen paid for this organisation's bills.
    pub amount: i64,
    pub bill_ids: Vec<ID>,
    pub payment_number: Option<String>,
}

impl From<&BusEvent> for PaymentEvent {
    fn from(e: &BusEvent) -> Self {
        let p = &e.payload;
        PaymentEvent {
            event_id: ids::encode(Kind::Event, e.id),
            payment_id: p["paymentId"]
                .as_i64()
                .map(|id| ids::encode(Kind::Payment, id)),
            organisation_id: e
                .organisation_id
                .map(|id| ids::encode(Kind::Organisation, id)),
            chain: p["chain"].as_str().and_then(Chain::from_stored),
            paid_at: p["paidAt"].as_str().and_then(|t| t.parse().ok()),
            amount: p["amount"].as_i64().unwrap_or_default(),
            bill_ids: p["bills"]
                .as_array()
                .map(|bills| {
                    bills
                        .iter()
                        .filter_map(|b| b["billId"].as_i64())
                        .map(|id| ids::encode(Kind::Bill, id))
                        .collect()
                })
                .unwrap_or_default(),
            payment_number: p["paymentNumber"].as_str().map(str::to_owned),
        }
    }
}

#[derive(Default)]
pub struct SubscriptionRoot;

#[Subscription]
impl SubscriptionRoot {
    /// One event per recorded payment of the organisation's bills (an owner
    /// hears its tenants' too), within seconds.
    async fn payment_events(
        &self,
        ctx: &Context<'_>,
        organisation_id: ID,
    ) -> Result<impl Stream<Item = PaymentEvent> + use<>> {
        let (services, caller) = env(ctx)?;
        let id = ids::decode_as(Kind::Organisation, &organisation_id).unwrap_or_default();
        services
            .may_subscribe(caller, id)
            .await
            .map_err(|e| to_graphql(ctx, e))?;
        let receiver = services.bus.subscribe();
        Ok(BroadcastStream::new(receiver).filter_map(move |item| {
            let event: Option<Arc<BusEvent>> = item.ok();
            async move {
                event
                    .filter(|e| e.event_type == "payment.recorded" && e.concerns(id))
                    .map(|e| PaymentEvent::from(e.as_ref()))
            }
        }))
    }
}
