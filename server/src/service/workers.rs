//! The background work of a server process: feeding subscriptions, delivering
//! webhooks and e-mail, expiring bills, forgetting old idempotency keys.

use std::{sync::Arc, time::Duration};

use tokio::task::JoinHandle;

use super::{Services, deliveries, events, mailer};
use crate::store;

/// How often the maintenance jobs run.
const MAINTENANCE: Duration = Duration::from_secs(30);
/// Idempotency keys are kept at least 24 hours; these are forgotten after 48.
const KEEP_KEYS: chrono::Duration = chrono::Duration::hours(48);

pub fn spawn(services: Arc<Services>) -> Vec<JoinHandle<()>> {
    let client = reqwest::Client::builder()
        .user_agent(concat!("shuno-webhooks/", env!("CARGO_PKG_VERSION")))
        .build()
        .unwrap_or_default();
    vec![
        tokio::spawn(events::tail(services.clone())),
        tokio::spawn(events::listen(services.clone())),
        tokio::spawn(deliveries::deliver(services.clone(), client)),
        tokio::spawn(mailer::send(services.clone())),
        tokio::spawn(maintain(services)),
    ]
}

async fn maintain(services: Arc<Services>) {
    loop {
        if let Err(err) = services.expire_overdue().await {
            tracing::warn!(error = ?err, "expiring bills failed");
        }
        // The daily settlement: every period that has closed (JST). Cheap
        // when nothing is unsettled, so it simply runs every round.
        let today = crate::domain::bill::jst_date(services.clock.now());
        if let Err(err) = services.settle(today).await {
            tracing::warn!(error = ?err, "settlement failed");
        }
        let forget = services.clock.now() - KEEP_KEYS;
        if let Err(err) = store::idempotency::delete_before(&services.db, forget).await {
            tracing::warn!(error = %err, "forgetting idempotency keys failed");
        }
        let _ = tokio::time::timeout(MAINTENANCE, services.maintenance_wake.notified()).await;
    }
}
