//! `GET /sheets/{paymentNumber}`: the printable payment sheet (Q10), for a
//! signed-in organisation.

use axum::{
    extract::{Path, State},
    http::{HeaderMap, StatusCode, header},
    response::{Html, IntoResponse, Response},
};

use super::AppState;
use crate::service::{Ctx, ServiceError};

pub async fn sheet(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(number): Path<String>,
) -> Response {
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim);
    let Some(token) = token else {
        return (StatusCode::UNAUTHORIZED, "UNAUTHENTICATED").into_response();
    };
    let principal = match state.services.authenticate(token).await {
        Ok(principal) => principal,
        Err(_) => return (StatusCode::UNAUTHORIZED, "UNAUTHENTICATED").into_response(),
    };
    let ctx = Ctx::new(Some(principal), "");
    match state.services.payment_sheet(&ctx, &number).await {
        Ok(html) => Html(html).into_response(),
        Err(ServiceError::Invalid(errors)) => {
            let code = errors.first().map_or("BAD_REQUEST", |e| e.code);
            (StatusCode::BAD_REQUEST, code).into_response()
        }
        Err(ServiceError::NotFound) => (StatusCode::NOT_FOUND, "NOT_FOUND").into_response(),
        Err(ServiceError::Unauthenticated) => {
            (StatusCode::UNAUTHORIZED, "UNAUTHENTICATED").into_response()
        }
        Err(ServiceError::Forbidden) => (StatusCode::FORBIDDEN, "FORBIDDEN").into_response(),
        Err(ServiceError::Internal(cause)) => {
            tracing::error!(error = ?cause, "payment sheet failed");
            (StatusCode::INTERNAL_SERVER_ERROR, "INTERNAL").into_response()
        }
    }
}
