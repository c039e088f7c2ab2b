//! "Now", for every rule that depends on it. In sandbox mode platform admins
//! may move it (`setSandboxClock`) so that tests and demos can cross days.

use std::sync::atomic::{AtomicI64, Ordering};

use chrono::{DateTime, Duration, Utc};

#[derive(Default)]
pub struct Clock {
    /// Milliseconds added to the real time; 0 outside the sandbox.
    offset_ms: AtomicI64,
}

impl Clock {
    pub fn now(&self) -> DateTime<Utc> {
        Utc::now() + Duration::milliseconds(self.offset_ms.load(Ordering::Relaxed))
    }

    /// Makes `now()` return `at` from this moment on (and run on from there).
    pub fn set(&self, at: DateTime<Utc>) {
        let offset = (at - Utc::now()).num_milliseconds();
        self.offset_ms.store(offset, Ordering::Relaxed);
    }
}

impl super::Services {
    /// Moves "now" (sandbox only, platform admins), then runs what depends on
    /// the date at once (expiry).
    pub async fn set_sandbox_clock(
        &self,
        ctx: &super::Ctx,
        at: DateTime<Utc>,
    ) -> Result<DateTime<Utc>, super::ServiceError> {
        self.authorize(ctx, crate::authz::Scope::Platform, "clock", "set")
            .await?;
        if !self.config.sandbox {
            return Err(super::ServiceError::invalid(
                &["input", "now"],
                "SANDBOX_ONLY",
                "時刻の変更はサンドボックス（--sandbox）でのみ利用できます。",
            ));
        }
        self.clock.set(at);
        tracing::warn!(now = %at, "sandbox clock moved");
        self.expire_overdue().await?;
        self.maintenance_wake.notify_one();
        self.delivery_wake.notify_one();
        Ok(self.clock.now())
    }
}
