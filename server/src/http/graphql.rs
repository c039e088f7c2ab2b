//! `POST /graphql`, `GET /graphql` (GraphiQL) and `/graphql/ws`.

use async_graphql::{Data, Response as GqlResponse, ServerError, http::GraphiQLSource};
use async_graphql_axum::{GraphQLProtocol, GraphQLWebSocket};
use axum::{
    Json,
    body::Bytes,
    extract::{State, WebSocketUpgrade, rejection::BytesRejection},
    http::{HeaderMap, StatusCode, header::AUTHORIZATION},
    response::{Html, IntoResponse, Response},
};

use super::{AppState, REQUEST_ID};
use crate::service::{Ctx, ServiceError};

pub async fn graphiql() -> Html<String> {
    Html(
        GraphiQLSource::build()
            .endpoint("/graphql")
            .subscription_endpoint("/graphql/ws")
            .title("shuno GraphQL")
            .finish(),
    )
}

fn error_response(status: StatusCode, code: &str, message: &str) -> Response {
    let mut error = ServerError::new(message, None);
    let mut extensions = async_graphql::ErrorExtensionValues::default();
    extensions.set("code", code);
    error.extensions = Some(extensions);
    (status, Json(GqlResponse::from_errors(vec![error]))).into_response()
}

/// The token after `Bearer `, if the header is there at all.
fn bearer(headers: &HeaderMap) -> Option<Result<String, ()>> {
    let value = headers.get(AUTHORIZATION)?;
    let text = value.to_str().map_err(|_| ());
    Some(text.and_then(|t| {
        t.strip_prefix("Bearer ")
            .map(|t| t.trim().to_owned())
            .ok_or(())
    }))
}

async fn caller(
    state: &AppState,
    authorization: Option<Result<String, ()>>,
    request_id: String,
) -> Result<Ctx, Response> {
    let unauthenticated = || {
        error_response(
            StatusCode::UNAUTHORIZED,
            "UNAUTHENTICATED",
            "invalid or expired credentials",
        )
    };
    let principal = match authorization {
        None => None,
        Some(Err(())) => return Err(unauthenticated()),
        Some(Ok(token)) => match state.services.authenticate(&token).await {
            Ok(principal) => Some(principal),
            Err(ServiceError::Internal(cause)) => {
                tracing::error!(error = ?cause, "authentication failed internally");
                return Err(error_response(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "INTERNAL",
                    "internal error",
                ));
            }
            Err(_) => return Err(unauthenticated()),
        },
    };
    Ok(Ctx::new(principal, request_id))
}

/// Gives every error a code: the limits and parse/validation failures that
/// async-graphql reports without one get theirs here.
fn with_codes(mut response: GqlResponse, request_id: &str) -> GqlResponse {
    for error in &mut response.errors {
        let has_code = error
            .extensions
            .as_ref()
            .is_some_and(|e| e.get("code").is_some());
        if has_code {
            continue;
        }
        let code = if error.message.contains("nested too deep") {
            "QUERY_TOO_DEEP"
        } else if error.message.contains("too complex") {
            "QUERY_TOO_COMPLEX"
        } else if error.path.is_empty() {
            "BAD_REQUEST"
        } else {
            tracing::error!(request_id, message = %error.message, "resolver error without a code");
            error.message = "internal error".into();
            "INTERNAL"
        };
        let extensions = error.extensions.get_or_insert_with(Default::default);
        extensions.set("code", code);
        if code == "INTERNAL" {
            extensions.set("requestId", request_id);
        }
    }
    response
}

/// Whether the request's only operation is a mutation whose only field is
/// `uploadPlugin`: the one request allowed past the ordinary body limit.
fn is_plugin_upload(request: &async_graphql::Request) -> bool {
    use async_graphql::parser::types::{OperationType, Selection};
    let Ok(document) = async_graphql::parser::parse_query(&request.query) else {
        return false;
    };
    let operations: Vec<_> = document.operations.iter().collect();
    let [(_, operation)] = operations.as_slice() else {
        return false;
    };
    let fields = &operation.node.selection_set.node.items;
    operation.node.ty == OperationType::Mutation
        && document.fragments.is_empty()
        && fields.len() == 1
        && matches!(&fields[0].node, Selection::Field(f) if f.node.name.node == "uploadPlugin")
}

pub async fn execute(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let request_id = headers
        .get(REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let body = match body {
        Ok(body) => body,
        Err(rejection) if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE => {
            return error_response(
                StatusCode::PAYLOAD_TOO_LARGE,
                "PAYLOAD_TOO_LARGE",
                "request body too large",
            );
        }
        Err(rejection) => {
            return error_response(
                StatusCode::BAD_REQUEST,
                "BAD_REQUEST",
                &rejection.body_text(),
            );
        }
    };
    let request: async_graphql::Request = match serde_json::from_slice(&body) {
        Ok(request) => request,
        Err(_) => {
            return error_response(
                StatusCode::BAD_REQUEST,
                "BAD_REQUEST",
                "body must be one GraphQL request as JSON",
            );
        }
    };
    if body.len() > state.services.config.max_body_bytes && !is_plugin_upload(&request) {
        return error_response(
            StatusCode::PAYLOAD_TOO_LARGE,
            "PAYLOAD_TOO_LARGE",
            "request body too large",
        );
    }
    let ctx = match caller(&state, bearer(&headers), request_id.clone()).await {
        Ok(ctx) => ctx,
        Err(response) => return response,
    };
    let response = state.schema.execute(request.data(ctx)).await;
    Json(with_codes(response, &request_id)).into_response()
}

pub async fn subscribe(
    State(state): State<AppState>,
    headers: HeaderMap,
    protocol: GraphQLProtocol,
    upgrade: WebSocketUpgrade,
) -> Response {
    let request_id = headers
        .get(REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let schema = state.schema.clone();
    upgrade
        .protocols(async_graphql::http::ALL_WEBSOCKET_PROTOCOLS)
        .on_upgrade(move |stream| {
            GraphQLWebSocket::new(stream, schema, protocol)
                .on_connection_init(move |payload| async move {
                    let authorization = payload
                        .get("authorization")
                        .or_else(|| payload.get("Authorization"))
                        .and_then(|v| v.as_str())
                        .map(|v| {
                            v.strip_prefix("Bearer ")
                                .map(|t| t.trim().to_owned())
                                .ok_or(())
                        });
                    let ctx = caller(&state, authorization, request_id)
                        .await
                        .map_err(|_| async_graphql::Error::new("UNAUTHENTICATED"))?;
                    let mut data = Data::default();
                    data.insert(ctx);
                    Ok(data)
                })
                .serve()
        })
}
