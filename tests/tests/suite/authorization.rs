//! The authorization matrix: every operation of the organisation area ×
//! every role, asserted both ways; and `node` across owners and siblings.

use serde_json::{Value, json};
use shuno_tests::{DEMO_PASSWORD, TestApp, error_code, user_error_codes};

/// Everyone the matrix asks about, with a token (None: anonymous).
struct Cast {
    actors: Vec<(&'static str, Option<String>)>,
    owner_id: String,
    branch_id: String,
    group_id: String,
    branch_contract_id: String,
    other_owner_id: String,
}

const CREATE_USER: &str = "mutation($input: CreateUserInput!) { createUser(input: $input) { user { id } userErrors { code } } }";
const CREATE_OWNER: &str = "mutation($input: CreateOwnerInput!) { createOwner(input: $input) { owner { id } userErrors { code } } }";
const CREATE_TENANT: &str = "mutation($input: CreateTenantInput!) { createTenant(input: $input) { tenant { id } userErrors { code } } }";

async fn create_user(
    app: &TestApp,
    token: &str,
    organisation_id: Option<&str>,
    email: &str,
    role: &str,
) {
    let reply = app
        .graphql(
            token,
            CREATE_USER,
            json!({ "input": { "organisationId": organisation_id, "email": email, "password": DEMO_PASSWORD, "role": role } }),
        )
        .await;
    assert!(
        reply["data"]["createUser"]["user"]["id"].is_string(),
        "{reply}"
    );
}

async fn cast(app: &TestApp) -> Cast {
    let platform = app.demo_login("platform").await;
    let owner = app.demo_login("owner").await;
    let branch = app.demo_login("branch").await;

    let viewer = app
        .graphql(&owner, "{ viewer { organisation { id tenants { edges { node { id tenantKind contracts { edges { node { id } } } } } } } } }", json!({}))
        .await;
    let organisation = &viewer["data"]["viewer"]["organisation"];
    let owner_id = organisation["id"].as_str().expect("owner id").to_owned();
    let tenants = organisation["tenants"]["edges"]
        .as_array()
        .expect("tenants")
        .clone();
    let tenant = |kind: &str| -> &Value {
        &tenants
            .iter()
            .find(|e| e["node"]["tenantKind"] == kind)
            .expect("demo tenant")["node"]
    };
    let branch_id = tenant("BRANCH")["id"].as_str().expect("id").to_owned();
    let group_id = tenant("GROUP_COMPANY")["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let branch_contract_id = tenant("BRANCH")["contracts"]["edges"][0]["node"]["id"]
        .as_str()
        .expect("contract")
        .to_owned();

    create_user(
        app,
        &owner,
        Some(&owner_id),
        "owner-staff@demo.example",
        "OWNER_STAFF",
    )
    .await;
    create_user(
        app,
        &branch,
        Some(&branch_id),
        "branch-staff@demo.example",
        "TENANT_STAFF",
    )
    .await;
    let other = app
        .graphql(&platform, CREATE_OWNER, json!({ "input": { "name": "他社収納株式会社", "legalForm": "CORPORATION", "corporateOrigin": "JAPANESE" } }))
        .await;
    let other_owner_id = other["data"]["createOwner"]["owner"]["id"]
        .as_str()
        .expect("other owner")
        .to_owned();
    create_user(
        app,
        &platform,
        Some(&other_owner_id),
        "other-owner@demo.example",
        "OWNER_ADMIN",
    )
    .await;

    let actors = vec![
        ("platform admin", Some(platform)),
        ("reviewer", Some(app.demo_login("reviewer").await)),
        ("store network", Some(app.demo_login("store").await)),
        ("owner admin", Some(owner)),
        ("owner staff", Some(app.demo_login("owner-staff").await)),
        ("tenant admin", Some(branch)),
        ("tenant staff", Some(app.demo_login("branch-staff").await)),
        (
            "other owner admin",
            Some(app.demo_login("other-owner").await),
        ),
        ("anonymous", None),
    ];
    Cast {
        actors,
        owner_id,
        branch_id,
        group_id,
        branch_contract_id,
        other_owner_id,
    }
}

/// Whether a reply allowed the operation: data at `path`, no errors, no
/// userErrors. A denial is an error code or a `*_NOT_FOUND` userError.
fn outcome(reply: &Value, field: &str, object: &str) -> Result<(), String> {
    if let Some(code) = error_code(reply) {
        assert!(
            ["UNAUTHENTICATED", "FORBIDDEN", "NOT_FOUND"].contains(&code),
            "a denial must be one of the access codes: {reply}"
        );
        return Err(code.to_owned());
    }
    let payload = &reply["data"][field];
    let codes = user_error_codes(payload);
    if let Some(code) = codes.first() {
        assert!(
            code.ends_with("_NOT_FOUND"),
            "a denial by userError must look like an unknown id: {reply}"
        );
        return Err(code.clone());
    }
    let value = if object.is_empty() {
        payload
    } else {
        &payload[object]
    };
    assert!(!value.is_null(), "allowed but empty: {reply}");
    Ok(())
}

fn expect(role: &str, operation: &str, allowed: &[&str], result: Result<(), String>) {
    let should = allowed.contains(&role);
    match (should, result) {
        (true, Ok(())) | (false, Err(_)) => {}
        (true, Err(code)) => {
            panic!("{role} should be allowed to {operation}, was refused with {code}")
        }
        (false, Ok(())) => panic!("{role} must not be allowed to {operation}"),
    }
}

#[tokio::test]
async fn every_operation_by_every_role() {
    let app = TestApp::spawn_demo().await;
    let cast = cast(&app).await;
    let everyone_signed_in = [
        "platform admin",
        "reviewer",
        "store network",
        "owner admin",
        "owner staff",
        "tenant admin",
        "tenant staff",
        "other owner admin",
    ];

    for (n, (role, token)) in cast.actors.iter().enumerate() {
        let token = token.as_deref();

        let reply = app
            .graphql_as(token, "{ viewer { roles } }", json!({}))
            .await;
        expect(
            role,
            "see the viewer",
            &everyone_signed_in,
            outcome(&reply, "viewer", "roles"),
        );

        let reply = app
            .graphql_as(token, CREATE_OWNER, json!({ "input": { "name": format!("新オーナー{n}株式会社"), "legalForm": "CORPORATION", "corporateOrigin": "JAPANESE" } }))
            .await;
        expect(
            role,
            "create an owner",
            &["platform admin"],
            outcome(&reply, "createOwner", "owner"),
        );

        let reply = app
            .graphql_as(token, CREATE_TENANT, json!({ "input": { "ownerId": cast.owner_id, "name": format!("新テナント{n}"), "kind": "AGENCY_CLIENT", "legalForm": "INDIVIDUAL" } }))
            .await;
        expect(
            role,
            "create a tenant",
            &["platform admin", "owner admin"],
            outcome(&reply, "createTenant", "tenant"),
        );

        let reply = app
            .graphql_as(token, CREATE_USER, json!({ "input": { "organisationId": cast.branch_id, "email": format!("new{n}@demo.example"), "password": DEMO_PASSWORD, "role": "TENANT_STAFF" } }))
            .await;
        expect(
            role,
            "create a tenant user",
            &["platform admin", "owner admin", "tenant admin"],
            outcome(&reply, "createUser", "user"),
        );

        let reply = app
            .graphql_as(token, CREATE_USER, json!({ "input": { "email": format!("staff{n}@demo.example"), "password": DEMO_PASSWORD, "role": "COMPLIANCE_REVIEWER" } }))
            .await;
        expect(
            role,
            "create platform staff",
            &["platform admin"],
            outcome(&reply, "createUser", "user"),
        );

        let reply = app
            .graphql_as(token, "mutation($input: CreateApiKeyInput!) { createApiKey(input: $input) { apiKey { id } secret userErrors { code } } }", json!({ "input": { "contractId": cast.branch_contract_id } }))
            .await;
        expect(
            role,
            "create an API key",
            &["owner admin", "tenant admin"],
            outcome(&reply, "createApiKey", "secret"),
        );

        let reply = app
            .graphql_as(
                token,
                "query($id: ID!) { tenants(ownerId: $id) { edges { node { id } } } }",
                json!({ "id": cast.owner_id }),
            )
            .await;
        expect(
            role,
            "list the owner's tenants",
            &["platform admin", "reviewer", "owner admin", "owner staff"],
            outcome(&reply, "tenants", "edges"),
        );

        let reply = app
            .graphql_as(token, "{ owners { edges { node { id } } } }", json!({}))
            .await;
        expect(
            role,
            "list every owner",
            &["platform admin", "reviewer"],
            outcome(&reply, "owners", "edges"),
        );

        let reply = app
            .graphql_as(
                token,
                "query($id: ID!) { contracts(organisationId: $id) { edges { node { plan } } } }",
                json!({ "id": cast.branch_id }),
            )
            .await;
        expect(
            role,
            "read the tenant's contracts",
            &[
                "platform admin",
                "reviewer",
                "owner admin",
                "owner staff",
                "tenant admin",
                "tenant staff",
            ],
            outcome(&reply, "contracts", "edges"),
        );

        let app = &app;
        let node = |id: &str| {
            let id = id.to_owned();
            async move {
                let reply = app
                    .graphql_as(
                        token,
                        "query($id: ID!) { node(id: $id) { id } }",
                        json!({ "id": id }),
                    )
                    .await;
                if error_code(&reply).is_some() || reply["data"]["node"].is_null() {
                    Err(format!("{reply}"))
                } else {
                    Ok(())
                }
            }
        };
        expect(
            role,
            "see the owner",
            &["platform admin", "reviewer", "owner admin", "owner staff"],
            node(&cast.owner_id).await,
        );
        expect(
            role,
            "see the tenant",
            &[
                "platform admin",
                "reviewer",
                "owner admin",
                "owner staff",
                "tenant admin",
                "tenant staff",
            ],
            node(&cast.branch_id).await,
        );
        expect(
            role,
            "see a sibling tenant",
            &["platform admin", "reviewer", "owner admin", "owner staff"],
            node(&cast.group_id).await,
        );
        expect(
            role,
            "see another owner",
            &["platform admin", "reviewer", "other owner admin"],
            node(&cast.other_owner_id).await,
        );
        expect(
            role,
            "see the tenant's contract",
            &[
                "platform admin",
                "reviewer",
                "owner admin",
                "owner staff",
                "tenant admin",
                "tenant staff",
            ],
            node(&cast.branch_contract_id).await,
        );
    }
    app.stop().await;
}

#[tokio::test]
async fn node_for_the_invisible_is_exactly_like_node_for_the_missing() {
    let app = TestApp::spawn_demo().await;
    let cast = cast(&app).await;
    let branch = app.demo_login("branch").await;
    let query = "query($id: ID!) { node(id: $id) { id ... on Organisation { name } } }";

    let sibling = app
        .graphql(&branch, query, json!({ "id": cast.group_id }))
        .await;
    let owner = app
        .graphql(&branch, query, json!({ "id": cast.owner_id }))
        .await;
    let missing = app
        .graphql(&branch, query, json!({ "id": "T3JnYW5pc2F0aW9uOjk5OTk5" }))
        .await;
    let garbage = app
        .graphql(&branch, query, json!({ "id": "not-an-id" }))
        .await;
    for reply in [&sibling, &owner, &garbage] {
        assert_eq!(reply, &missing);
    }
    assert_eq!(missing, json!({ "data": { "node": null } }));

    let other_owner = app.demo_login("other-owner").await;
    let across = app
        .graphql(&other_owner, query, json!({ "id": cast.branch_id }))
        .await;
    assert_eq!(across, missing);

    // A tenant's own people see it, but not its owner through it.
    let own = app
        .graphql(
            &branch,
            "query($id: ID!) { node(id: $id) { ... on Organisation { name owner { id } } } }",
            json!({ "id": cast.branch_id }),
        )
        .await;
    assert!(own["data"]["node"]["name"].is_string(), "{own}");
    assert!(own["data"]["node"]["owner"].is_null(), "{own}");
    app.stop().await;
}

/// Allowed decisions are remembered; a revocation, whether applied in this
/// process or loaded from the database, ends them at once.
#[tokio::test]
async fn remembered_decisions_end_with_the_grant() {
    use shuno::{
        authz::{Authz, Change, Grant, Scope, Subject},
        domain::role::Role,
        store::policy,
    };
    let db = shuno_tests::TestDb::create().await.expect("database");
    let config = shuno::config::Config::for_database(&db.url());
    shuno::store::migrate(&config).await.expect("migrate");
    let conn = shuno::store::connect(&config).await.expect("connect");
    let authz = Authz::load(conn.clone()).await.expect("loads");
    let grant = Grant {
        subject: Subject::User(7),
        role: Role::TenantAdmin,
        organisation: Some(12),
    };
    let scope = Scope::Organisation {
        id: 12,
        owner_id: 3,
    };
    let allows = || authz.allows(&Subject::User(7), scope, "bill", "write");

    assert!(!allows().await.expect("decides"));
    policy::insert(&conn, &[grant.rule()]).await.expect("grant");
    authz
        .applied(vec![Change::Granted(grant.clone())])
        .await
        .expect("applies");
    assert!(allows().await.expect("decides"));
    assert!(allows().await.expect("decides"), "remembered");

    // Revoked in this process.
    policy::delete(&conn, &[grant.rule()])
        .await
        .expect("revoke");
    authz
        .applied(vec![Change::Revoked(grant.clone())])
        .await
        .expect("applies");
    assert!(!allows().await.expect("decides"));

    // Granted again, then revoked by another replica: the periodic reload
    // drops what this one remembered.
    policy::insert(&conn, &[grant.rule()]).await.expect("grant");
    authz
        .applied(vec![Change::Granted(grant.clone())])
        .await
        .expect("applies");
    assert!(allows().await.expect("decides"));
    policy::delete(&conn, &[grant.rule()])
        .await
        .expect("revoke");
    assert!(
        authz
            .reload_if_due(std::time::Duration::ZERO)
            .await
            .expect("reloads")
    );
    assert!(!allows().await.expect("decides"));
    // Another organisation is a different question.
    assert!(
        !authz
            .allows(
                &Subject::User(7),
                Scope::Organisation {
                    id: 13,
                    owner_id: 3
                },
                "bill",
                "write"
            )
            .await
            .expect("decides")
    );
}
