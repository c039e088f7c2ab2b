//! Request limits: depth, complexity, root fields and aliases, body size.

use serde_json::json;
use shuno_tests::{TestApp, error_code};

#[tokio::test]
async fn each_limit_is_refused_with_its_code() {
    let app = TestApp::spawn_demo().await;
    let owner = app.demo_login("owner").await;

    // Depth: organisation → owner → … nests without bound unless limited.
    let mut deep = String::from("id");
    for _ in 0..12 {
        deep = format!("owner {{ {deep} }}");
    }
    let reply = app
        .graphql(
            &owner,
            &format!("{{ viewer {{ organisation {{ {deep} }} }} }}"),
            json!({}),
        )
        .await;
    assert_eq!(error_code(&reply), Some("QUERY_TOO_DEEP"), "{reply}");
    assert!(reply["data"].is_null());

    // Complexity: nested lists multiply.
    let wide = "{ viewer { organisation { tenants(first: 100) { edges { node { tenants(first: 100) { edges { node { id name } } } } } } } } }";
    let reply = app.graphql(&owner, wide, json!({})).await;
    assert_eq!(error_code(&reply), Some("QUERY_TOO_COMPLEX"), "{reply}");

    // Aliases: 101 logins in one request.
    let aliases: String = (0..101)
        .map(|i| format!("a{i}: login(input: {{email: \"owner@demo.example\", password: \"guess{i}\"}}) {{ token }} "))
        .collect();
    let reply = app
        .graphql_as(None, &format!("mutation {{ {aliases} }}"), json!({}))
        .await;
    assert_eq!(error_code(&reply), Some("TOO_MANY_FIELDS"), "{reply}");
    // 100 is still fine.
    let hundred: String = (0..100)
        .map(|i| format!("v{i}: viewer {{ roles }} "))
        .collect();
    let reply = app
        .graphql(&owner, &format!("{{ {hundred} }}"), json!({}))
        .await;
    assert!(reply["errors"].is_null(), "{reply}");

    // Body size: just over 1 MiB.
    let padding = " ".repeat(1024 * 1024);
    let response = app
        .client
        .post(format!("{}/graphql", app.address))
        .header("content-type", "application/json")
        .body(format!(
            "{{\"query\": \"{{ viewer {{ roles }} }}{padding}\"}}"
        ))
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status().as_u16(), 413);
    let body: serde_json::Value = response.json().await.expect("json");
    assert_eq!(error_code(&body), Some("PAYLOAD_TOO_LARGE"), "{body}");

    // Not JSON at all.
    let response = app
        .client
        .post(format!("{}/graphql", app.address))
        .body("{{{")
        .send()
        .await
        .expect("sent");
    let body: serde_json::Value = response.json().await.expect("json");
    assert_eq!(error_code(&body), Some("BAD_REQUEST"));

    // A syntax error is a BAD_REQUEST too.
    let reply = app.graphql(&owner, "{ viewer { ", json!({})).await;
    assert_eq!(error_code(&reply), Some("BAD_REQUEST"), "{reply}");
    app.stop().await;
}

#[tokio::test]
async fn every_response_carries_a_request_id_and_probes_answer() {
    let app = TestApp::spawn().await;
    let response = app
        .client
        .get(format!("{}/healthz", app.address))
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status().as_u16(), 200);
    assert!(response.headers().get("x-request-id").is_some());
    let ready = app
        .client
        .get(format!("{}/readyz", app.address))
        .send()
        .await
        .expect("sent");
    assert_eq!(ready.status().as_u16(), 200);
    let graphiql = app
        .client
        .get(format!("{}/graphql", app.address))
        .send()
        .await
        .expect("sent");
    assert!(graphiql.text().await.expect("html").contains("graphiql"));
    // Anonymous callers get UNAUTHENTICATED from operations that need a principal.
    let reply = app
        .graphql_as(None, "{ viewer { roles } }", json!({}))
        .await;
    assert_eq!(error_code(&reply), Some("UNAUTHENTICATED"));
    app.stop().await;
}
