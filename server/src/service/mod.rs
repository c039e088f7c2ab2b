//! Services: where every operation is authorized, validated and persisted.
//!
//! Each function takes the caller's [`Ctx`] first. Authorization happens here
//! and nowhere else (never in resolvers or HTTP handlers). Errors are
//! [`ServiceError`]s; what the caller can fix is [`ServiceError::Invalid`],
//! carried to GraphQL as `userErrors`.

pub mod api_keys;
pub mod applications;
pub mod bills;
pub mod clock;
pub mod contracts;
pub mod deliveries;
pub mod events;
pub mod identity;
pub mod joint_cards;
pub mod mailer;
pub mod messages;
pub mod organisations;
pub mod plugins;
pub mod screening;
pub mod settlement;
pub mod store_network;
pub mod users;
pub mod workers;

use std::sync::Arc;

use sea_orm::{DatabaseConnection, DbErr};

use crate::{
    auth::{Principal, token::TokenKeys},
    authz::{Authz, AuthzError, Scope},
    config::Config,
    domain::RuleViolation,
    plugins::PluginHost,
};

/// Everything the services share: the pool, the enforcer, the token keys.
pub struct Services {
    pub db: DatabaseConnection,
    pub authz: Authz,
    pub tokens: TokenKeys,
    pub config: Arc<Config>,
    /// "Now" for every rule (movable in the sandbox).
    pub clock: clock::Clock,
    /// Events for subscribers of this process.
    pub bus: events::EventBus,
    /// Wakes the e-mail sender.
    pub mail_wake: tokio::sync::Notify,
    /// Wakes the webhook deliverer.
    pub delivery_wake: tokio::sync::Notify,
    /// Wakes the maintenance jobs (e.g. after the sandbox clock moved).
    pub maintenance_wake: tokio::sync::Notify,
    /// The process-wide plugin host (engine, compiled plugins).
    pub plugins: &'static PluginHost,
    /// Digests of API-key secrets already checked against their argon2 hash,
    /// by key id, so that argon2 runs once per key and process rather than on
    /// every request. Revocation is still checked on every request.
    api_key_checks: identity::VerifiedKeys,
    /// Screening pipelines by owner, read on every registration.
    pipelines: screening::PipelineCache,
}

impl Services {
    pub fn new(
        db: DatabaseConnection,
        authz: Authz,
        tokens: TokenKeys,
        config: Arc<Config>,
        plugins: &'static PluginHost,
    ) -> Self {
        Self {
            db,
            authz,
            tokens,
            config,
            plugins,
            clock: Default::default(),
            bus: Default::default(),
            mail_wake: Default::default(),
            delivery_wake: Default::default(),
            maintenance_wake: Default::default(),
            api_key_checks: Default::default(),
            pipelines: Default::default(),
        }
    }
}

/// The caller of one operation.
#[derive(Debug, Clone, Default)]
pub struct Ctx {
    pub principal: Option<Principal>,
    pub request_id: String,
}

impl Ctx {
    pub fn new(principal: Option<Principal>, request_id: impl Into<String>) -> Self {
        Self {
            principal,
            request_id: request_id.into(),
        }
    }

    /// The principal, or UNAUTHENTICATED for an anonymous caller.
    pub fn principal(&self) -> Result<&Principal, ServiceError> {
        self.principal.as_ref().ok_or(ServiceError::Unauthenticated)
    }
}

/// One problem the caller can fix: which input field, a stable code, and a
/// Japanese message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserError {
    pub field: Vec<String>,
    pub code: &'static str,
    pub message: String,
}

impl UserError {
    pub fn new(field: &[&str], code: &'static str, message: impl Into<String>) -> Self {
        Self {
            field: field.iter().map(|f| (*f).to_owned()).collect(),
            code,
            message: message.into(),
        }
    }

    pub fn from_rule(field: &[&str], rule: RuleViolation) -> Self {
        Self::new(field, rule.code, rule.message)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    #[error("authentication required")]
    Unauthenticated,
    #[error("not allowed")]
    Forbidden,
    #[error("not found")]
    NotFound,
    #[error("invalid input")]
    Invalid(Vec<UserError>),
    #[error("internal error: {0:#}")]
    Internal(#[from] anyhow::Error),
}

impl ServiceError {
    pub fn invalid(field: &[&str], code: &'static str, message: impl Into<String>) -> Self {
        Self::Invalid(vec![UserError::new(field, code, message)])
    }
}

impl From<DbErr> for ServiceError {
    fn from(err: DbErr) -> Self {
        Self::Internal(err.into())
    }
}

impl From<AuthzError> for ServiceError {
    fn from(err: AuthzError) -> Self {
        Self::Internal(err.into())
    }
}

/// Collects rule violations of several fields, so that one reply names all
/// of them.
#[derive(Default)]
pub struct Validation(Vec<UserError>);

impl Validation {
    pub fn check<T>(&mut self, field: &[&str], result: Result<T, RuleViolation>) -> Option<T> {
        match result {
            Ok(value) => Some(value),
            Err(rule) => {
                self.0.push(UserError::from_rule(field, rule));
                None
            }
        }
    }

    pub fn push(&mut self, error: UserError) {
        self.0.push(error);
    }

    pub fn finish(self) -> Result<(), ServiceError> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(ServiceError::Invalid(self.0))
        }
    }
}

impl Services {
    /// Refuses unless the caller may do `action` on `object` in `scope`.
    pub async fn authorize(
        &self,
        ctx: &Ctx,
        scope: Scope,
        object: &str,
        action: &str,
    ) -> Result<(), ServiceError> {
        if self.may(ctx, scope, object, action).await? {
            Ok(())
        } else {
            Err(ServiceError::Forbidden)
        }
    }

    /// Whether the caller may do `action` on `object` in `scope`; anonymous
    /// callers are refused as UNAUTHENTICATED.
    pub async fn may(
        &self,
        ctx: &Ctx,
        scope: Scope,
        object: &str,
        action: &str,
    ) -> Result<bool, ServiceError> {
        let principal = ctx.principal()?;
        Ok(self
            .authz
            .allows(&principal.subject, scope, object, action)
            .await?)
    }
}

pub use crate::store::{MAX_PAGE, Page, PageRequest};
