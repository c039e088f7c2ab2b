//! The HTTP transport: routes, request ids, body limits, authentication of
//! the bearer token, and turning GraphQL responses into HTTP responses.

mod graphql;
mod sheets;

use std::{sync::Arc, time::Duration};

use axum::{
    Router,
    extract::{DefaultBodyLimit, State},
    http::{HeaderName, Request, StatusCode},
    response::IntoResponse,
    routing::get,
};
use tower_http::{
    request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer},
    timeout::TimeoutLayer,
    trace::TraceLayer,
};

use crate::{graphql::ShunoSchema, service::Services, store};

pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// What every handler shares.
#[derive(Clone)]
pub struct AppState {
    pub services: Arc<Services>,
    pub schema: ShunoSchema,
}

pub fn router(state: AppState) -> Router {
    let config = &state.services.config;
    // The larger upload limit is checked again per request (http::graphql).
    let max_body = config.max_body_bytes.max(config.max_upload_body_bytes);
    Router::new()
        .route("/graphql", get(graphql::graphiql).post(graphql::execute))
        .route("/graphql/ws", get(graphql::subscribe))
        .route("/sheets/{payment_number}", get(sheets::sheet))
        .route("/statements/{file}", get(sheets::statement_csv))
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .layer(DefaultBodyLimit::max(max_body))
        .layer(TimeoutLayer::with_status_code(StatusCode::REQUEST_TIMEOUT, Duration::from_secs(60)))
        .layer(
            TraceLayer::new_for_http().make_span_with(|request: &Request<_>| {
                let request_id = request
                    .headers()
                    .get(REQUEST_ID)
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or_default();
                tracing::info_span!("request", method = %request.method(), path = %request.uri().path(), request_id = %request_id)
            }),
        )
        .layer(PropagateRequestIdLayer::new(REQUEST_ID))
        .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
        .with_state(state)
}

/// The process is up.
async fn healthz() -> &'static str {
    "ok"
}

/// The process can serve: its database answers.
async fn readyz(State(state): State<AppState>) -> impl IntoResponse {
    if store::ping(&state.services.db).await {
        (StatusCode::OK, "ready")
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, "database unreachable")
    }
}
