//! The one place where service errors become what GraphQL clients see.
//!
//! Codes: UNAUTHENTICATED, FORBIDDEN, NOT_FOUND, BAD_REQUEST (with a more
//! specific code where there is one), INTERNAL (with the request id; the
//! cause is logged, never sent).

use async_graphql::{Context, ErrorExtensions, SimpleObject};

use crate::service::{Ctx, ServiceError, UserError as ServiceUserError};

/// A problem with the input that the caller can fix.
#[derive(SimpleObject, Debug, Clone)]
pub struct UserError {
    /// Path to the input field, e.g. `["input", "email"]`.
    pub field: Vec<String>,
    /// Stable machine-readable code, e.g. `EMAIL_TAKEN`.
    pub code: String,
    /// Japanese message for people.
    pub message: String,
}

impl From<ServiceUserError> for UserError {
    fn from(e: ServiceUserError) -> Self {
        Self {
            field: e.field,
            code: e.code.to_owned(),
            message: e.message,
        }
    }
}

pub fn code_error(code: &str, message: &str) -> async_graphql::Error {
    async_graphql::Error::new(message).extend_with(|_, ext| ext.set("code", code))
}

/// Turns a service error into a GraphQL error. `Invalid` only reaches here
/// from queries (mutations turn it into `userErrors`).
pub fn to_graphql(ctx: &Context<'_>, err: ServiceError) -> async_graphql::Error {
    match err {
        ServiceError::Unauthenticated => code_error("UNAUTHENTICATED", "authentication required"),
        ServiceError::Forbidden => code_error("FORBIDDEN", "not allowed"),
        ServiceError::NotFound => code_error("NOT_FOUND", "not found"),
        ServiceError::Invalid(errors) => {
            let first = errors.first().map(|e| (e.code, e.message.clone()));
            let (code, message) = first.unwrap_or(("BAD_REQUEST", "invalid input".into()));
            async_graphql::Error::new(message).extend_with(|_, ext| {
                ext.set("code", "BAD_REQUEST");
                ext.set("reason", code);
            })
        }
        ServiceError::Internal(cause) => {
            let request_id = ctx
                .data_opt::<Ctx>()
                .map(|c| c.request_id.clone())
                .unwrap_or_default();
            tracing::error!(request_id = %request_id, error = ?cause, "internal error");
            async_graphql::Error::new("internal error").extend_with(|_, ext| {
                ext.set("code", "INTERNAL");
                ext.set("requestId", request_id.clone());
            })
        }
    }
}

/// The outcome of a mutation: the payload on success, `userErrors` when the
/// caller can fix the input, a GraphQL error otherwise.
pub fn payload<T, P>(
    ctx: &Context<'_>,
    result: Result<T, ServiceError>,
    ok: impl FnOnce(T) -> P,
    failed: impl FnOnce(Vec<UserError>) -> P,
) -> async_graphql::Result<P> {
    match result {
        Ok(value) => Ok(ok(value)),
        Err(ServiceError::Invalid(errors)) => {
            Ok(failed(errors.into_iter().map(UserError::from).collect()))
        }
        Err(err) => Err(to_graphql(ctx, err)),
    }
}
