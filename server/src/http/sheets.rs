//! Documents for signed-in organisations: `GET /sheets/{paymentNumber}`, the
//! printable payment sheet (Q10), and `GET /statements/{id}.csv`.

use axum::{
    extract::{Path, State},
    http::{HeaderMap, StatusCode, header},
    response::{Html, IntoResponse, Response},
};

use super::AppState;
use crate::{
    graphql::ids::{self, Kind},
    service::{Ctx, ServiceError},
};

async fn signed_in(state: &AppState, headers: &HeaderMap) -> Result<Ctx, Response> {
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim);
    let Some(token) = token else {
        return Err((StatusCode::UNAUTHORIZED, "UNAUTHENTICATED").into_response());
    };
    match state.services.authenticate(token).await {
        Ok(principal) => Ok(Ctx::new(Some(principal), "")),
        Err(_) => Err((StatusCode::UNAUTHORIZED, "UNAUTHENTICATED").into_response()),
    }
}

fn refusal(err: ServiceError) -> Response {
    match err {
        ServiceError::Invalid(errors) => {
            let code = errors.first().map_or("BAD_REQUEST", |e| e.code);
            (StatusCode::BAD_REQUEST, code).into_response()
        }
        ServiceError::NotFound => (StatusCode::NOT_FOUND, "NOT_FOUND").into_response(),
        ServiceError::Unauthenticated => {
            (StatusCode::UNAUTHORIZED, "UNAUTHENTICATED").into_response()
        }
        ServiceError::Forbidden => (StatusCode::FORBIDDEN, "FORBIDDEN").into_response(),
        ServiceError::Internal(cause) => {
            tracing::error!(error = ?cause, "document failed");
            (StatusCode::INTERNAL_SERVER_ERROR, "INTERNAL").into_response()
        }
    }
}

pub async fn sheet(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(number): Path<String>,
) -> Response {
    let ctx = match signed_in(&state, &headers).await {
        Ok(ctx) => ctx,
        Err(response) => return response,
    };
    match state.services.payment_sheet(&ctx, &number).await {
        Ok(html) => Html(html).into_response(),
        Err(err) => refusal(err),
    }
}

/// `{id}.csv`: the statement with that global id, as CSV (UTF-8 with a BOM).
pub async fn statement_csv(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(file): Path<String>,
) -> Response {
    let ctx = match signed_in(&state, &headers).await {
        Ok(ctx) => ctx,
        Err(response) => return response,
    };
    let id = file
        .strip_suffix(".csv")
        .and_then(|id| ids::decode_as(Kind::Statement, &async_graphql::ID(id.to_owned())));
    let Some(id) = id else {
        return (StatusCode::NOT_FOUND, "NOT_FOUND").into_response();
    };
    match state.services.statement_csv(&ctx, id).await {
        Ok(csv) => (
            [
                (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
                (
                    header::CONTENT_DISPOSITION,
                    format!("attachment; filename=\"statement-{id}.csv\""),
                ),
            ],
            csv,
        )
            .into_response(),
        Err(err) => refusal(err),
    }
}
