//! Sends queued e-mail by SMTP when configured.

use std::{sync::Arc, time::Duration};

use super::Services;
use crate::store;

/// Sends pending messages until the process stops; without SMTP it only
/// leaves them pending (listed by `outgoingMessages`).
pub async fn send(services: Arc<Services>) {
    let Some(url) = services.config.smtp_url.clone() else {
        return;
    };
    let transport =
        match lettre::AsyncSmtpTransport::<lettre::Tokio1Executor>::from_url(url.expose()) {
            Ok(builder) => builder.build(),
            Err(err) => {
                tracing::error!(error = %err, "SHUNO_SMTP_URL is not usable; e-mail stays pending");
                return;
            }
        };
    loop {
        match store::messages::pending(&services.db, 50).await {
            Ok(messages) => {
                for message in messages {
                    let outcome = deliver(&transport, &services.config.mail_from, &message).await;
                    let now = services.clock.now();
                    let recorded = match outcome {
                        Ok(()) => {
                            store::messages::mark(&services.db, message.id, "SENT", None, now).await
                        }
                        Err(err) => {
                            tracing::warn!(message_id = message.id, error = %err, "sending e-mail failed");
                            let status = if message.attempts + 1 >= 10 {
                                "FAILED"
                            } else {
                                "PENDING"
                            };
                            store::messages::mark(&services.db, message.id, status, Some(err), now)
                                .await
                        }
                    };
                    if let Err(err) = recorded {
                        tracing::error!(error = %err, "cannot record an e-mail outcome");
                    }
                }
            }
            Err(err) => tracing::warn!(error = %err, "reading pending e-mail failed"),
        }
        let _ = tokio::time::timeout(Duration::from_secs(10), services.mail_wake.notified()).await;
    }
}

async fn deliver(
    transport: &lettre::AsyncSmtpTransport<lettre::Tokio1Executor>,
    from: &str,
    message: &store::entity::outgoing_message::Model,
) -> Result<(), String> {
    use lettre::AsyncTransport;
    let email = lettre::Message::builder()
        .from(from.parse().map_err(|e| format!("from: {e}"))?)
        .to(message.recipient.parse().map_err(|e| format!("to: {e}"))?)
        .subject(&message.subject)
        .header(lettre::message::header::ContentType::TEXT_PLAIN)
        .body(message.body.clone())
        .map_err(|e| e.to_string())?;
    transport
        .send(email)
        .await
        .map(|_| ())
        .map_err(|e| e.to_string())
}
