//! Credentials that must be refused with UNAUTHENTICATED, and API keys.

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};
use shuno_tests::{TEST_JWT_SECRET, TestApp, error_code};

const VIEWER: &str = "{ viewer { roles user { email } } }";

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

fn sign(claims: &Value, secret: &str) -> String {
    jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        claims,
        &EncodingKey::from_secret(secret.as_bytes()),
    )
    .expect("sign")
}

fn claims(sub: &str) -> Value {
    json!({ "iss": "shuno", "aud": "shuno-api", "sub": sub, "iat": now(), "exp": now() + 600, "jti": "t" })
}

#[tokio::test]
async fn forged_stale_and_malformed_tokens_are_unauthenticated() {
    let app = TestApp::spawn_demo().await;
    let good = app.demo_login("owner").await;
    let ok = app.graphql(&good, VIEWER, json!({})).await;
    assert_eq!(ok["data"]["viewer"]["user"]["email"], "owner@demo.example");
    let sub = {
        let payload = good.split('.').nth(1).expect("payload");
        let decoded: Value =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).expect("b64")).expect("json");
        decoded["sub"].as_str().expect("sub").to_owned()
    };
    assert!(sign(&claims(&sub), TEST_JWT_SECRET).len() > 20);
    let self_signed = app
        .graphql(&sign(&claims(&sub), TEST_JWT_SECRET), VIEWER, json!({}))
        .await;
    assert_eq!(
        self_signed["data"]["viewer"]["user"]["email"], "owner@demo.example",
        "control: a correct token passes"
    );

    let mut expired = claims(&sub);
    expired["iat"] = json!(now() - 7200);
    expired["exp"] = json!(now() - 3600);
    let mut wrong_audience = claims(&sub);
    wrong_audience["aud"] = json!("someone-else");
    let mut wrong_issuer = claims(&sub);
    wrong_issuer["iss"] = json!("evil");
    let header_none = URL_SAFE_NO_PAD.encode(r#"{"alg":"none","typ":"JWT"}"#);
    let body = URL_SAFE_NO_PAD.encode(claims(&sub).to_string());
    let alg_none = format!("{header_none}.{body}.");
    let unknown_user = sign(&claims("user:99999"), TEST_JWT_SECRET);

    let refused = [
        ("expired", sign(&expired, TEST_JWT_SECRET)),
        (
            "bad signature",
            sign(&claims(&sub), "another-secret-entirely-0000000"),
        ),
        ("alg none", alg_none),
        ("wrong audience", sign(&wrong_audience, TEST_JWT_SECRET)),
        ("wrong issuer", sign(&wrong_issuer, TEST_JWT_SECRET)),
        ("truncated", good[..good.len() - 10].to_owned()),
        (
            "random bytes",
            URL_SAFE_NO_PAD.encode(uuid::Uuid::new_v4().as_bytes()),
        ),
        ("unknown user", unknown_user),
        ("malformed api key", "shuno_sk_0000_x".to_owned()),
    ];
    for (what, token) in refused {
        let reply = app.graphql(&token, VIEWER, json!({})).await;
        assert_eq!(
            error_code(&reply),
            Some("UNAUTHENTICATED"),
            "{what}: {reply}"
        );
        assert!(reply["data"].is_null(), "{what}: {reply}");
    }

    // Not even `login` runs with a bad credential attached.
    let reply = app
        .graphql("garbage", "mutation { login(input: {email: \"owner@demo.example\", password: \"demo-pass-1234\"}) { token } }", json!({}))
        .await;
    assert_eq!(error_code(&reply), Some("UNAUTHENTICATED"));
    app.stop().await;
}

#[tokio::test]
async fn wrong_password_and_unknown_user_look_the_same() {
    let app = TestApp::spawn_demo().await;
    let login = "mutation($input: LoginInput!) { login(input: $input) { token userErrors { field code message } } }";
    let wrong = app
        .graphql_as(
            None,
            login,
            json!({ "input": { "email": "owner@demo.example", "password": "not-the-password" } }),
        )
        .await;
    let unknown = app
        .graphql_as(
            None,
            login,
            json!({ "input": { "email": "nobody@demo.example", "password": "not-the-password" } }),
        )
        .await;
    assert_eq!(wrong, unknown);
    assert_eq!(
        wrong["data"]["login"]["userErrors"][0]["code"],
        "INVALID_CREDENTIALS"
    );
    assert!(wrong["data"]["login"]["token"].is_null());
    app.stop().await;
}

#[tokio::test]
async fn api_keys_work_until_revoked() {
    let app = TestApp::spawn_demo().await;
    let branch = app.demo_login("branch").await;
    let contracts = app
        .graphql(
            &branch,
            "{ viewer { organisation { id contracts { edges { node { id } } } } } }",
            json!({}),
        )
        .await;
    let organisation = &contracts["data"]["viewer"]["organisation"];
    let contract_id = organisation["contracts"]["edges"][0]["node"]["id"]
        .as_str()
        .expect("contract");

    let created = app
        .graphql(&branch, "mutation($input: CreateApiKeyInput!) { createApiKey(input: $input) { apiKey { id prefix } secret userErrors { code } } }", json!({ "input": { "contractId": contract_id } }))
        .await;
    let secret = created["data"]["createApiKey"]["secret"]
        .as_str()
        .expect("secret shown once")
        .to_owned();
    let key_id = created["data"]["createApiKey"]["apiKey"]["id"]
        .as_str()
        .expect("key")
        .to_owned();
    assert!(
        secret.starts_with(
            created["data"]["createApiKey"]["apiKey"]["prefix"]
                .as_str()
                .expect("prefix")
        )
    );

    let as_key = app
        .graphql(
            &secret,
            "{ viewer { roles contractId organisation { id } user { id } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        as_key["data"]["viewer"]["roles"],
        json!(["API_CLIENT"]),
        "{as_key}"
    );
    assert_eq!(as_key["data"]["viewer"]["contractId"], contract_id);
    assert_eq!(
        as_key["data"]["viewer"]["organisation"]["id"],
        organisation["id"]
    );
    // Twice: the second use is served from the verified-key cache.
    let again = app
        .graphql(&secret, "{ viewer { roles } }", json!({}))
        .await;
    assert_eq!(again["data"]["viewer"]["roles"], json!(["API_CLIENT"]));
    // A key of the right shape with a wrong secret fails even after the right one passed.
    let mut forged = secret.clone();
    let last = forged.pop().expect("char");
    forged.push(if last == 'A' { 'B' } else { 'A' });
    assert_eq!(
        error_code(
            &app.graphql(&forged, "{ viewer { roles } }", json!({}))
                .await
        ),
        Some("UNAUTHENTICATED")
    );

    // A key cannot make keys or users.
    let reply = app
        .graphql(&secret, "mutation($input: CreateApiKeyInput!) { createApiKey(input: $input) { secret userErrors { code } } }", json!({ "input": { "contractId": contract_id } }))
        .await;
    assert_eq!(error_code(&reply), Some("FORBIDDEN"), "{reply}");

    let revoked = app
        .graphql(&branch, "mutation($input: RevokeApiKeyInput!) { revokeApiKey(input: $input) { apiKey { revokedAt } userErrors { code } } }", json!({ "input": { "apiKeyId": key_id } }))
        .await;
    assert!(
        revoked["data"]["revokeApiKey"]["apiKey"]["revokedAt"].is_string(),
        "{revoked}"
    );
    let after = app
        .graphql(&secret, "{ viewer { roles } }", json!({}))
        .await;
    assert_eq!(error_code(&after), Some("UNAUTHENTICATED"), "{after}");
    app.stop().await;
}

#[tokio::test]
async fn api_keys_are_only_for_system_integration_contracts() {
    let app = TestApp::spawn_demo().await;
    let owner = app.demo_login("owner").await;
    // The owner itself has no contract; an id of a user is not a contract.
    let viewer = app
        .graphql(&owner, "{ viewer { user { id } } }", json!({}))
        .await;
    let user_id = viewer["data"]["viewer"]["user"]["id"].as_str().expect("id");
    let reply = app
        .graphql(&owner, "mutation($input: CreateApiKeyInput!) { createApiKey(input: $input) { secret userErrors { field code } } }", json!({ "input": { "contractId": user_id } }))
        .await;
    assert_eq!(
        reply["data"]["createApiKey"]["userErrors"][0]["code"], "CONTRACT_NOT_FOUND",
        "{reply}"
    );
    assert_eq!(
        reply["data"]["createApiKey"]["userErrors"][0]["field"],
        json!(["input", "contractId"])
    );
    app.stop().await;
}
