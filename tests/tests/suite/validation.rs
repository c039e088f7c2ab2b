//! Bad input is refused as userErrors with stable codes, and nothing is written.

use serde_json::{Value, json};
use shuno_tests::{DEMO_PASSWORD, TestApp, error_code, user_error_codes};

const CREATE_TENANT: &str = "mutation($input: CreateTenantInput!) { createTenant(input: $input) { tenant { id name } userErrors { field code message } } }";
const CREATE_USER: &str = "mutation($input: CreateUserInput!) { createUser(input: $input) { user { id email } userErrors { field code message } } }";
const TENANT_NAMES: &str =
    "query($id: ID!) { tenants(ownerId: $id, first: 100) { edges { node { name } } } }";

async fn owner_id(app: &TestApp, token: &str) -> String {
    let reply = app
        .graphql(token, "{ viewer { organisation { id } } }", json!({}))
        .await;
    reply["data"]["viewer"]["organisation"]["id"]
        .as_str()
        .expect("owner")
        .to_owned()
}

async fn tenant_names(app: &TestApp, token: &str, owner: &str) -> Value {
    app.graphql(token, TENANT_NAMES, json!({ "id": owner }))
        .await["data"]["tenants"]
        .clone()
}

async fn user_count(app: &TestApp, token: &str, organisation: &str) -> usize {
    let reply = app
        .graphql(token, "query($id: ID!) { node(id: $id) { ... on Organisation { users(first: 100) { edges { node { id } } } } } }", json!({ "id": organisation }))
        .await;
    reply["data"]["node"]["users"]["edges"]
        .as_array()
        .map_or(0, Vec::len)
}

#[tokio::test]
async fn bad_tenants_are_refused_and_nothing_is_written() {
    let app = TestApp::spawn_demo().await;
    let owner = app.demo_login("owner").await;
    let owner_id = owner_id(&app, &owner).await;
    let before = tenant_names(&app, &owner, &owner_id).await;

    let cases = [
        (
            "empty name",
            json!({ "name": "   " }),
            "NAME_REQUIRED",
            vec!["input", "name"],
        ),
        (
            "300-character name",
            json!({ "name": "あ".repeat(300) }),
            "NAME_TOO_LONG",
            vec!["input", "name"],
        ),
        (
            "corporation without origin",
            json!({ "legalForm": "CORPORATION" }),
            "CORPORATE_ORIGIN_REQUIRED",
            vec!["input", "corporateOrigin"],
        ),
        (
            "individual with corporate facts",
            json!({ "corporateOrigin": "JAPANESE" }),
            "INDIVIDUAL_HAS_NO_CORPORATE_FACTS",
            vec!["input", "corporateOrigin"],
        ),
        (
            "bad corporate number",
            json!({ "legalForm": "CORPORATION", "corporateOrigin": "JAPANESE", "corporateNumber": "1234567890123" }),
            "INVALID_CORPORATE_NUMBER",
            vec!["input", "corporateNumber"],
        ),
    ];
    for (what, change, code, field) in cases {
        let mut input = json!({ "ownerId": owner_id, "name": "正しい名前", "kind": "BRANCH", "legalForm": "INDIVIDUAL" });
        for (key, value) in change.as_object().expect("object") {
            input[key] = value.clone();
        }
        let reply = app
            .graphql(&owner, CREATE_TENANT, json!({ "input": input }))
            .await;
        let payload = &reply["data"]["createTenant"];
        assert!(payload["tenant"].is_null(), "{what}: {reply}");
        assert_eq!(
            user_error_codes(payload),
            vec![code.to_owned()],
            "{what}: {reply}"
        );
        assert_eq!(payload["userErrors"][0]["field"], json!(field), "{what}");
        assert!(
            !payload["userErrors"][0]["message"]
                .as_str()
                .unwrap_or_default()
                .is_empty()
        );
    }

    // Several problems at once are all named.
    let reply = app
        .graphql(&owner, CREATE_TENANT, json!({ "input": { "ownerId": owner_id, "name": "", "kind": "BRANCH", "legalForm": "CORPORATION" } }))
        .await;
    let mut codes = user_error_codes(&reply["data"]["createTenant"]);
    codes.sort();
    assert_eq!(codes, vec!["CORPORATE_ORIGIN_REQUIRED", "NAME_REQUIRED"]);

    // An unknown tenant kind never reaches the service: the enum refuses it.
    let reply = app
        .graphql(&owner, CREATE_TENANT, json!({ "input": { "ownerId": owner_id, "name": "謎の種別", "kind": "FRANCHISE", "legalForm": "INDIVIDUAL" } }))
        .await;
    assert_eq!(error_code(&reply), Some("BAD_REQUEST"), "{reply}");

    // A tenant under an owner the caller does not administer.
    let platform = app.demo_login("platform").await;
    let other = app
        .graphql(&platform, "mutation { createOwner(input: {name: \"他社\", legalForm: INDIVIDUAL}) { owner { id } } }", json!({}))
        .await;
    let other_id = other["data"]["createOwner"]["owner"]["id"]
        .as_str()
        .expect("other owner")
        .to_owned();
    let reply = app
        .graphql(&owner, CREATE_TENANT, json!({ "input": { "ownerId": other_id, "name": "乗っ取り支店", "kind": "BRANCH", "legalForm": "INDIVIDUAL" } }))
        .await;
    assert_eq!(
        user_error_codes(&reply["data"]["createTenant"]),
        vec!["OWNER_NOT_FOUND"],
        "{reply}"
    );
    assert_eq!(
        tenant_names(&app, &platform, &other_id).await["edges"],
        json!([])
    );

    assert_eq!(
        tenant_names(&app, &owner, &owner_id).await,
        before,
        "nothing was written"
    );

    // Control: good input is accepted and shows up.
    let reply = app
        .graphql(&owner, CREATE_TENANT, json!({ "input": { "ownerId": owner_id, "name": "  名古屋支店 ", "kind": "BRANCH", "legalForm": "INDIVIDUAL" } }))
        .await;
    assert_eq!(
        reply["data"]["createTenant"]["tenant"]["name"], "名古屋支店",
        "{reply}"
    );
    assert_ne!(tenant_names(&app, &owner, &owner_id).await, before);
    app.stop().await;
}

#[tokio::test]
async fn bad_users_are_refused_and_nothing_is_written() {
    let app = TestApp::spawn_demo().await;
    let owner = app.demo_login("owner").await;
    let owner_id = owner_id(&app, &owner).await;
    let before = user_count(&app, &owner, &owner_id).await;

    let cases = [
        (
            "malformed e-mail",
            json!({ "email": "not-an-address" }),
            "INVALID_EMAIL",
        ),
        (
            "e-mail with a space",
            json!({ "email": "a b@demo.example" }),
            "INVALID_EMAIL",
        ),
        (
            "duplicate e-mail",
            json!({ "email": "branch@demo.example" }),
            "EMAIL_TAKEN",
        ),
        (
            "duplicate e-mail in other case",
            json!({ "email": "Branch@Demo.Example" }),
            "EMAIL_TAKEN",
        ),
        (
            "short password",
            json!({ "password": "short" }),
            "PASSWORD_TOO_SHORT",
        ),
        (
            "tenant role in an owner",
            json!({ "role": "TENANT_ADMIN" }),
            "ROLE_NOT_ALLOWED_FOR_ORGANISATION",
        ),
        (
            "platform role in an owner",
            json!({ "role": "PLATFORM_ADMIN" }),
            "ROLE_NOT_ALLOWED_FOR_ORGANISATION",
        ),
        (
            "api client role for a person",
            json!({ "role": "API_CLIENT" }),
            "ROLE_NOT_ALLOWED_FOR_ORGANISATION",
        ),
        (
            "unknown organisation",
            json!({ "organisationId": "T3JnYW5pc2F0aW9uOjk5OTk5" }),
            "ORGANISATION_NOT_FOUND",
        ),
    ];
    for (what, change, code) in cases {
        let mut input = json!({ "organisationId": owner_id, "email": "fresh@demo.example", "password": DEMO_PASSWORD, "role": "OWNER_STAFF" });
        for (key, value) in change.as_object().expect("object") {
            input[key] = value.clone();
        }
        let reply = app
            .graphql(&owner, CREATE_USER, json!({ "input": input }))
            .await;
        assert!(
            reply["data"]["createUser"]["user"].is_null(),
            "{what}: {reply}"
        );
        assert_eq!(
            user_error_codes(&reply["data"]["createUser"]),
            vec![code.to_owned()],
            "{what}: {reply}"
        );
    }
    assert_eq!(
        user_count(&app, &owner, &owner_id).await,
        before,
        "nothing was written"
    );

    let ok = app
        .graphql(&owner, CREATE_USER, json!({ "input": { "organisationId": owner_id, "email": " Fresh@Demo.Example ", "password": DEMO_PASSWORD, "role": "OWNER_STAFF" } }))
        .await;
    assert_eq!(
        ok["data"]["createUser"]["user"]["email"], "fresh@demo.example",
        "{ok}"
    );
    assert_eq!(user_count(&app, &owner, &owner_id).await, before + 1);
    // The new user can sign in at once, with the role it was given.
    let token = app.login("fresh@demo.example", DEMO_PASSWORD).await;
    let viewer = app.graphql(&token, "{ viewer { roles } }", json!({})).await;
    assert_eq!(viewer["data"]["viewer"]["roles"], json!(["OWNER_STAFF"]));
    app.stop().await;
}
