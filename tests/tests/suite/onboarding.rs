//! Onboarding end to end over GraphQL: upload a plugin, arrange a pipeline,
//! submit applications that end APPROVED, PARTIALLY_APPROVED, REJECTED and
//! IN_REVIEW, decide one from the review queue, read the audit trail; hostile
//! plugins in a pipeline; joint cards.

use std::time::{Duration, Instant};

use base64::{Engine, engine::general_purpose::STANDARD};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::{Value, json};
use shuno::store::entity::event;
use shuno_tests::{DEMO_PASSWORD, TestApp, error_code, user_error_codes};

const UPLOAD: &str = "mutation($input: UploadPluginInput!) { uploadPlugin(input: $input) { plugin { id name version sha256 builtin } userErrors { field code message } } }";
const PIPELINE: &str = "mutation($input: SetScreeningPipelineInput!) { setScreeningPipeline(input: $input) { steps { position plugin { name version } config } userErrors { field code message } } }";
const SUBMIT: &str = "mutation($input: SubmitApplicationInput!) { submitApplication(input: $input) { application { id status requestedChains approvedChains commitmentsAffirmedAt contract { id chains plan } screening { verdict reasons { code message detail } chainOutcomes { chain verdict reasons { code detail } } steps { plugin { name version } verdict reasons { code message detail } failure { code detail } fuelUsed } } } userErrors { field code message } } }";
const DECIDE: &str = "mutation($input: DecideApplicationInput!) { decideApplication(input: $input) { application { id status approvedChains contract { chains } } userErrors { field code message } } }";
const TRAIL: &str = "query($id: ID!) { node(id: $id) { ... on Application { status transitions { from to actor reason detail at } } } }";

fn wasm(path: &str) -> String {
    let full = format!("{}/../plugins/dist/{path}.wasm", env!("CARGO_MANIFEST_DIR"));
    STANDARD.encode(std::fs::read(&full).unwrap_or_else(|e| panic!("{full}: {e}")))
}

struct Demo {
    app: TestApp,
    reviewer: String,
    owner: String,
    owner_id: String,
    tenants: Vec<(String, String)>,
}

impl Demo {
    async fn new() -> Demo {
        let app = TestApp::spawn_demo().await;
        let reviewer = app.demo_login("reviewer").await;
        let owner = app.demo_login("owner").await;
        let viewer = app
            .graphql(
                &owner,
                "{ viewer { organisation { id tenants { edges { node { id tenantKind } } } } } }",
                json!({}),
            )
            .await;
        let organisation = &viewer["data"]["viewer"]["organisation"];
        let tenants = organisation["tenants"]["edges"]
            .as_array()
            .expect("tenants")
            .iter()
            .map(|e| {
                (
                    e["node"]["tenantKind"].as_str().expect("kind").to_owned(),
                    e["node"]["id"].as_str().expect("id").to_owned(),
                )
            })
            .collect();
        let owner_id = organisation["id"].as_str().expect("owner").to_owned();
        Demo {
            app,
            reviewer,
            owner,
            owner_id,
            tenants,
        }
    }

    fn tenant(&self, kind: &str) -> String {
        self.tenants
            .iter()
            .find(|(k, _)| k == kind)
            .expect("tenant")
            .1
            .clone()
    }

    async fn create_tenant(&self, name: &str, legal: Value) -> String {
        let mut input = json!({ "ownerId": self.owner_id, "name": name, "kind": "AGENCY_CLIENT" });
        for (k, v) in legal.as_object().expect("object") {
            input[k] = v.clone();
        }
        let reply = self
            .app
            .graphql(&self.owner, "mutation($input: CreateTenantInput!) { createTenant(input: $input) { tenant { id } userErrors { code } } }", json!({ "input": input }))
            .await;
        reply["data"]["createTenant"]["tenant"]["id"]
            .as_str()
            .unwrap_or_else(|| panic!("{reply}"))
            .to_owned()
    }

    async fn submit(
        &self,
        organisation: &str,
        plan: &str,
        categories: &[&str],
        extra: Value,
    ) -> Value {
        let mut input = json!({
            "organisationId": organisation, "plan": plan, "usage": "STANDARD",
            "chains": ["LAWSON", "MINISTOP", "FAMILYMART"], "categories": categories,
            "merchandiseDescription": "通信販売の商品代金", "commitmentsAffirmed": true,
        });
        for (k, v) in extra.as_object().expect("object") {
            input[k] = v.clone();
        }
        let reply = self
            .app
            .graphql(&self.owner, SUBMIT, json!({ "input": input }))
            .await;
        assert!(reply["errors"].is_null(), "{reply}");
        reply["data"]["submitApplication"].clone()
    }
}

fn step_codes(application: &Value, plugin: &str) -> Vec<String> {
    application["screening"]["steps"]
        .as_array()
        .expect("steps")
        .iter()
        .filter(|s| s["plugin"]["name"] == plugin)
        .flat_map(|s| s["reasons"].as_array().cloned().unwrap_or_default())
        .filter_map(|r| r["code"].as_str().map(str::to_owned))
        .collect()
}

#[tokio::test]
async fn upload_arrange_screen_decide_and_audit() {
    let demo = Demo::new().await;
    let app = &demo.app;
    let reviewer = &demo.reviewer;

    // Upload: a new version of a built-in, under its own name.
    let uploaded = app
        .graphql(reviewer, UPLOAD, json!({ "input": { "name": "strict-banned", "version": "2.0.0", "wasmBase64": wasm("banned-categories") } }))
        .await;
    let plugin = &uploaded["data"]["uploadPlugin"]["plugin"];
    assert_eq!(plugin["version"], "2.0.0", "{uploaded}");
    assert_eq!(plugin["builtin"], false);
    assert_eq!(plugin["sha256"].as_str().map(str::len), Some(64));
    let strict_id = plugin["id"].as_str().expect("id").to_owned();

    let refusals = [
        (
            json!({ "name": "strict-banned", "version": "2.0.0", "wasmBase64": wasm("banned-categories") }),
            "PLUGIN_VERSION_EXISTS",
        ),
        (
            json!({ "name": "net", "version": "1.0.0", "wasmBase64": wasm("fixtures/sockets") }),
            "WRONG_WORLD",
        ),
        (
            json!({ "name": "junk", "version": "1.0.0", "wasmBase64": STANDARD.encode(b"\0asm\x0d\0\x01\0junk") }),
            "NOT_A_COMPONENT",
        ),
        (
            json!({ "name": "junk", "version": "1.0.0", "wasmBase64": "***" }),
            "INVALID_WASM_ENCODING",
        ),
        (
            json!({ "name": "Bad Name", "version": "1.0.0", "wasmBase64": "" }),
            "INVALID_PLUGIN_NAME",
        ),
        (
            json!({ "name": "ok-name", "version": "v1", "wasmBase64": "" }),
            "INVALID_VERSION",
        ),
        (
            json!({ "name": "big", "version": "1.0.0", "wasmBase64": STANDARD.encode(vec![0u8; 2 * 1024 * 1024 + 1]) }),
            "PLUGIN_TOO_LARGE",
        ),
    ];
    for (input, code) in refusals {
        let reply = app
            .graphql(reviewer, UPLOAD, json!({ "input": input }))
            .await;
        assert_eq!(
            user_error_codes(&reply["data"]["uploadPlugin"]),
            vec![code.to_owned()],
            "{reply}"
        );
    }
    let owner_upload = app
        .graphql(&demo.owner, UPLOAD, json!({ "input": { "name": "mine", "version": "1.0.0", "wasmBase64": wasm("banned-categories") } }))
        .await;
    assert_eq!(
        error_code(&owner_upload),
        Some("FORBIDDEN"),
        "uploading plugins is for reviewers and platform admins"
    );

    // New owners start with the four built-ins.
    let pipeline = app
        .graphql(reviewer, "query($id: ID!) { screeningPipeline(ownerId: $id) { position plugin { id name builtin } } }", json!({ "id": demo.owner_id }))
        .await;
    let steps = pipeline["data"]["screeningPipeline"]
        .as_array()
        .expect("steps")
        .clone();
    let names: Vec<&str> = steps
        .iter()
        .filter_map(|s| s["plugin"]["name"].as_str())
        .collect();
    assert_eq!(
        names,
        vec![
            "plan-eligibility",
            "banned-categories",
            "chain-exclusions",
            "antisocial-watchlist"
        ]
    );
    let builtin_id = |name: &str| {
        steps
            .iter()
            .find(|s| s["plugin"]["name"] == name)
            .expect("step")["plugin"]["id"]
            .as_str()
            .expect("id")
            .to_owned()
    };

    // A config the plugin refuses is refused with the plugin's message; nothing changes.
    let bad = app
        .graphql(reviewer, PIPELINE, json!({ "input": { "ownerId": demo.owner_id, "steps": [
            { "pluginId": builtin_id("chain-exclusions"), "config": { "exclusions": { "SEVEN": ["FOOD"] } } },
            { "pluginId": strict_id, "config": { "unknownKey": true } },
        ] } }))
        .await;
    let errors = &bad["data"]["setScreeningPipeline"]["userErrors"];
    assert_eq!(
        user_error_codes(&bad["data"]["setScreeningPipeline"]),
        vec!["INVALID_PLUGIN_CONFIG", "INVALID_PLUGIN_CONFIG"],
        "{bad}"
    );
    assert_eq!(errors[1]["field"], json!(["input", "steps", "1", "config"]));
    let unchanged = app
        .graphql(
            reviewer,
            "query($id: ID!) { screeningPipeline(ownerId: $id) { plugin { name } } }",
            json!({ "id": demo.owner_id }),
        )
        .await;
    assert_eq!(
        unchanged["data"]["screeningPipeline"]
            .as_array()
            .map(Vec::len),
        Some(4)
    );

    let arranged = app
        .graphql(reviewer, PIPELINE, json!({ "input": { "ownerId": demo.owner_id, "steps": [
            { "pluginId": builtin_id("plan-eligibility") },
            { "pluginId": strict_id, "config": { "categories": ["PUBLIC_ORDER_VIOLATION", "RENTAL_MOBILE_PHONE", "REAL_MONEY_TRADING"], "keywords": ["RMT"] } },
            { "pluginId": builtin_id("chain-exclusions") },
            { "pluginId": builtin_id("antisocial-watchlist"), "config": { "names": ["反社フロント商事"] } },
        ] } }))
        .await;
    assert!(
        arranged["data"]["setScreeningPipeline"]["userErrors"]
            .as_array()
            .is_some_and(Vec::is_empty),
        "{arranged}"
    );
    assert_eq!(
        arranged["data"]["setScreeningPipeline"]["steps"][1]["plugin"]["version"],
        "2.0.0"
    );
    let owner_arranges = app
        .graphql(
            &demo.owner,
            PIPELINE,
            json!({ "input": { "ownerId": demo.owner_id, "steps": [] } }),
        )
        .await;
    assert_eq!(error_code(&owner_arranges), Some("FORBIDDEN"));

    // APPROVED: a contract on every requested chain.
    let approved = demo
        .submit(
            &demo.tenant("BRANCH"),
            "SYSTEM_INTEGRATION",
            &["BOOKS_MEDIA"],
            json!({}),
        )
        .await;
    let application = &approved["application"];
    assert_eq!(application["status"], "APPROVED", "{approved}");
    assert_eq!(
        application["contract"]["chains"],
        json!(["LAWSON", "MINISTOP", "FAMILYMART"])
    );
    assert!(application["commitmentsAffirmedAt"].is_string());
    assert_eq!(
        application["screening"]["steps"].as_array().map(Vec::len),
        Some(4)
    );
    assert!(
        application["screening"]["steps"]
            .as_array()
            .expect("steps")
            .iter()
            .all(|s| s["fuelUsed"].as_i64().unwrap_or(0) > 0)
    );

    // PARTIALLY_APPROVED: donations are excluded at FamilyMart.
    let partial = demo
        .submit(
            &demo.tenant("GROUP_COMPANY"),
            "SYSTEM_INTEGRATION",
            &["DONATION"],
            json!({}),
        )
        .await;
    let application = &partial["application"];
    assert_eq!(application["status"], "PARTIALLY_APPROVED", "{partial}");
    assert_eq!(application["approvedChains"], json!(["LAWSON", "MINISTOP"]));
    assert_eq!(
        application["contract"]["chains"],
        json!(["LAWSON", "MINISTOP"])
    );
    let familymart = application["screening"]["chainOutcomes"]
        .as_array()
        .expect("outcomes")
        .iter()
        .find(|o| o["chain"] == "FAMILYMART")
        .expect("outcome")
        .clone();
    assert_eq!(familymart["verdict"], "BLOCK");
    assert_eq!(
        familymart["reasons"][0]["code"],
        "CATEGORY_EXCLUDED_AT_CHAIN"
    );

    // REJECTED: real-money trading is banned, by the uploaded plugin version.
    let rejected = demo
        .submit(
            &demo.tenant("MALL_SELLER"),
            "SYSTEM_INTEGRATION",
            &["REAL_MONEY_TRADING"],
            json!({}),
        )
        .await;
    assert_eq!(rejected["application"]["status"], "REJECTED", "{rejected}");
    assert!(rejected["application"]["contract"].is_null());
    assert_eq!(
        step_codes(&rejected["application"], "strict-banned"),
        vec!["BANNED_CATEGORY"]
    );

    // IN_REVIEW: a name on the watchlist, however it is spelled.
    let in_review = demo
        .submit(
            &demo.tenant("MALL_SELLER"),
            "SYSTEM_INTEGRATION",
            &["FOOD"],
            json!({ "otherNames": ["ｶﾌﾞｼｷｶﾞｲｼｬ 反社ﾌﾛﾝﾄ商事"] }),
        )
        .await;
    let review_id = in_review["application"]["id"]
        .as_str()
        .expect("id")
        .to_owned();
    assert_eq!(
        in_review["application"]["status"], "IN_REVIEW",
        "{in_review}"
    );
    assert_eq!(
        step_codes(&in_review["application"], "antisocial-watchlist"),
        vec!["WATCHLIST_MATCH"]
    );

    // The review queue shows it to reviewers only.
    let queue = app
        .graphql(
            reviewer,
            "{ reviewQueue { edges { node { id status } } } }",
            json!({}),
        )
        .await;
    let queued: Vec<&str> = queue["data"]["reviewQueue"]["edges"]
        .as_array()
        .expect("edges")
        .iter()
        .filter_map(|e| e["node"]["id"].as_str())
        .collect();
    assert_eq!(queued, vec![review_id.as_str()]);
    assert_eq!(
        error_code(
            &app.graphql(
                &demo.owner,
                "{ reviewQueue { edges { node { id } } } }",
                json!({})
            )
            .await
        ),
        Some("FORBIDDEN")
    );

    // Deciding needs a reason and a reviewer.
    let no_reason = app
        .graphql(
            reviewer,
            DECIDE,
            json!({ "input": { "applicationId": review_id, "approve": true, "reason": " " } }),
        )
        .await;
    assert_eq!(
        user_error_codes(&no_reason["data"]["decideApplication"]),
        vec!["REASON_REQUIRED"]
    );
    let by_owner = app.graphql(&demo.owner, DECIDE, json!({ "input": { "applicationId": review_id, "approve": true, "reason": "自分で承認" } })).await;
    assert_eq!(error_code(&by_owner), Some("FORBIDDEN"));
    let foreign_chain = app.graphql(reviewer, DECIDE, json!({ "input": { "applicationId": review_id, "approve": true, "chains": [], "reason": "x" } })).await;
    assert_eq!(
        user_error_codes(&foreign_chain["data"]["decideApplication"]),
        vec!["CHAINS_REQUIRED"]
    );

    let decided = app
        .graphql(reviewer, DECIDE, json!({ "input": { "applicationId": review_id, "approve": true, "chains": ["LAWSON"], "reason": "同名の別法人であることを登記簿で確認" } }))
        .await;
    let application = &decided["data"]["decideApplication"]["application"];
    assert_eq!(application["status"], "PARTIALLY_APPROVED", "{decided}");
    assert_eq!(application["contract"]["chains"], json!(["LAWSON"]));
    let again = app.graphql(reviewer, DECIDE, json!({ "input": { "applicationId": review_id, "approve": false, "reason": "やはり却下" } })).await;
    assert_eq!(
        user_error_codes(&again["data"]["decideApplication"]),
        vec!["APPLICATION_NOT_IN_REVIEW"]
    );

    // The audit trail: who, when, why, and the plugin versions behind it.
    let trail = app
        .graphql(&demo.owner, TRAIL, json!({ "id": review_id }))
        .await;
    let transitions = trail["data"]["node"]["transitions"]
        .as_array()
        .expect("transitions")
        .clone();
    let path: Vec<&str> = transitions
        .iter()
        .filter_map(|t| t["to"].as_str())
        .collect();
    assert_eq!(
        path,
        vec![
            "DRAFT",
            "SUBMITTED",
            "SCREENING",
            "IN_REVIEW",
            "PARTIALLY_APPROVED"
        ]
    );
    let screened = &transitions[3];
    assert_eq!(screened["actor"], "system");
    let versions: Vec<String> = screened["detail"]["steps"]
        .as_array()
        .expect("steps")
        .iter()
        .map(|s| {
            format!(
                "{}@{}",
                s["plugin"].as_str().unwrap_or(""),
                s["version"].as_str().unwrap_or("")
            )
        })
        .collect();
    assert_eq!(
        versions,
        vec![
            "plan-eligibility@1.0.0",
            "strict-banned@2.0.0",
            "chain-exclusions@1.0.0",
            "antisocial-watchlist@1.0.0"
        ]
    );
    let decision = &transitions[4];
    assert!(
        decision["actor"]
            .as_str()
            .is_some_and(|a| a.starts_with("user:"))
    );
    assert_eq!(decision["reason"], "同名の別法人であることを登記簿で確認");
    assert!(decision["at"].is_string());

    // Events went to the outbox in the same transactions.
    let decided_events = event::Entity::find()
        .filter(event::Column::EventType.eq("application.decided"))
        .count(&app.services.db)
        .await
        .expect("count");
    assert_eq!(
        decided_events, 4,
        "approved, partial, rejected, decided by the reviewer"
    );
    demo.app.stop().await;
}

#[tokio::test]
async fn refused_applications_write_nothing_and_individuals_get_light() {
    let demo = Demo::new().await;
    let app = &demo.app;
    let branch = demo.tenant("BRANCH");
    let count = || async {
        let reply = app
            .graphql(
                &demo.owner,
                "query($id: ID!) { applications(organisationId: $id) { edges { node { id } } } }",
                json!({ "id": branch }),
            )
            .await;
        reply["data"]["applications"]["edges"]
            .as_array()
            .map_or(usize::MAX, Vec::len)
    };
    let before = count().await;
    let cases = [
        (
            json!({ "commitmentsAffirmed": false }),
            "COMMITMENTS_NOT_AFFIRMED",
        ),
        (json!({ "chains": [] }), "CHAINS_REQUIRED"),
        (json!({ "categories": [] }), "CATEGORIES_REQUIRED"),
        (json!({ "categories": ["WEAPONS"] }), "UNKNOWN_CATEGORY"),
        (
            json!({ "merchandiseDescription": "  " }),
            "DESCRIPTION_REQUIRED",
        ),
        (
            json!({ "printedOnJointCard": true }),
            "JOINT_CARD_ONLY_FOR_REPEAT",
        ),
        (
            json!({ "usage": "REPEAT", "printedOnJointCard": true }),
            "JOINT_CARD_REQUIRED",
        ),
        (
            json!({ "organisationId": "T3JnYW5pc2F0aW9uOjk5OTk5" }),
            "ORGANISATION_NOT_FOUND",
        ),
    ];
    for (change, code) in cases {
        let payload = demo.submit(&branch, "LIGHT", &["FOOD"], change).await;
        assert!(payload["application"].is_null(), "{code}: {payload}");
        assert_eq!(
            user_error_codes(&payload),
            vec![code.to_owned()],
            "{payload}"
        );
    }
    assert_eq!(count().await, before, "nothing written");

    // An individual asking for SYSTEM_INTEGRATION is refused with a reason naming LIGHT …
    let sole_trader = demo
        .create_tenant(
            "山田 太郎（個人事業主）",
            json!({ "legalForm": "INDIVIDUAL" }),
        )
        .await;
    let refused = demo
        .submit(&sole_trader, "SYSTEM_INTEGRATION", &["FOOD"], json!({}))
        .await;
    assert_eq!(refused["application"]["status"], "REJECTED", "{refused}");
    let reasons = refused["application"]["screening"]["reasons"]
        .as_array()
        .expect("reasons")
        .clone();
    assert_eq!(reasons[0]["code"], "PLAN_NOT_ELIGIBLE");
    assert!(
        reasons[0]["message"]
            .as_str()
            .is_some_and(|m| m.contains("LIGHT"))
    );
    // … and passes for LIGHT.
    let light = demo
        .submit(&sole_trader, "LIGHT", &["FOOD"], json!({}))
        .await;
    assert_eq!(light["application"]["status"], "APPROVED", "{light}");
    assert_eq!(light["application"]["contract"]["plan"], "LIGHT");

    // A foreign corporation with a registered Japanese branch may integrate.
    let branch_office = demo
        .create_tenant("Global Goods Ltd. 日本支店", json!({ "legalForm": "CORPORATION", "corporateOrigin": "FOREIGN_WITH_JAPANESE_BRANCH" }))
        .await;
    let foreign = demo
        .submit(&branch_office, "SYSTEM_INTEGRATION", &["FOOD"], json!({}))
        .await;
    assert_eq!(foreign["application"]["status"], "APPROVED", "{foreign}");

    // Withdrawal: open applications only.
    let pending = demo
        .submit(
            &branch,
            "LIGHT",
            &["FOOD"],
            json!({ "otherNames": ["暴力団フロント商事"] }),
        )
        .await;
    assert_eq!(
        pending["application"]["status"], "IN_REVIEW",
        "default watchlist sample: {pending}"
    );
    let withdraw = "mutation($input: WithdrawApplicationInput!) { withdrawApplication(input: $input) { application { status } userErrors { code } } }";
    let id = pending["application"]["id"].as_str().expect("id");
    let withdrawn = app
        .graphql(
            &demo.owner,
            withdraw,
            json!({ "input": { "applicationId": id, "reason": "社内で再検討" } }),
        )
        .await;
    assert_eq!(
        withdrawn["data"]["withdrawApplication"]["application"]["status"], "WITHDRAWN",
        "{withdrawn}"
    );
    let light_id = light["application"]["id"].as_str().expect("id");
    let late = app
        .graphql(
            &demo.owner,
            withdraw,
            json!({ "input": { "applicationId": light_id } }),
        )
        .await;
    assert_eq!(
        user_error_codes(&late["data"]["withdrawApplication"]),
        vec!["APPLICATION_ALREADY_DECIDED"]
    );
    demo.app.stop().await;
}

#[tokio::test]
async fn a_hostile_plugin_sends_the_subject_to_review_and_the_server_carries_on() {
    let demo = Demo::new().await;
    let app = &demo.app;
    let reviewer = &demo.reviewer;
    let mut ids = Vec::new();
    for name in ["spin", "memory-hog", "trap", "huge-output"] {
        let reply = app
            .graphql(reviewer, UPLOAD, json!({ "input": { "name": format!("hostile-{name}"), "version": "0.1.0", "wasmBase64": wasm(&format!("fixtures/{name}")) } }))
            .await;
        ids.push(
            reply["data"]["uploadPlugin"]["plugin"]["id"]
                .as_str()
                .unwrap_or_else(|| panic!("{reply}"))
                .to_owned(),
        );
    }
    // The most fuel a step may have, and for the loop a deadline that comes first.
    let steps: Vec<Value> = ids
        .iter()
        .enumerate()
        .map(|(i, id)| json!({ "pluginId": id, "fuel": 1_000_000_000, "deadlineMs": if i == 0 { 10 } else { 1_000 } }))
        .collect();
    let arranged = app
        .graphql(
            reviewer,
            PIPELINE,
            json!({ "input": { "ownerId": demo.owner_id, "steps": steps } }),
        )
        .await;
    assert!(
        arranged["data"]["setScreeningPipeline"]["userErrors"]
            .as_array()
            .is_some_and(Vec::is_empty),
        "{arranged}"
    );

    let branch = demo.tenant("BRANCH");
    let submit = demo.submit(&branch, "LIGHT", &["FOOD"], json!({}));
    let probe = async {
        // Meanwhile, other requests are answered promptly.
        tokio::time::sleep(Duration::from_millis(20)).await;
        let started = Instant::now();
        let reply = app
            .graphql(&demo.owner, "{ viewer { roles } }", json!({}))
            .await;
        (reply, started.elapsed())
    };
    let (submitted, (probe_reply, probe_time)) = tokio::join!(submit, probe);
    assert_eq!(
        probe_reply["data"]["viewer"]["roles"],
        json!(["OWNER_ADMIN"])
    );
    assert!(
        probe_time < Duration::from_secs(2),
        "a viewer query took {probe_time:?} while plugins ran"
    );

    let application = &submitted["application"];
    assert_eq!(
        application["status"], "IN_REVIEW",
        "fail closed: {submitted}"
    );
    let failures: Vec<String> = application["screening"]["steps"]
        .as_array()
        .expect("steps")
        .iter()
        .map(|s| s["failure"]["code"].as_str().unwrap_or("none").to_owned())
        .collect();
    assert_eq!(
        failures,
        vec![
            "PLUGIN_DEADLINE_EXCEEDED",
            "PLUGIN_MEMORY_EXCEEDED",
            "PLUGIN_TRAPPED",
            "PLUGIN_OUTPUT_TOO_LARGE"
        ]
    );

    // The default fuel budget stops the loop deterministically.
    let fuel_only = app
        .graphql(
            reviewer,
            PIPELINE,
            json!({ "input": { "ownerId": demo.owner_id, "steps": [{ "pluginId": ids[0] }] } }),
        )
        .await;
    assert!(
        fuel_only["data"]["setScreeningPipeline"]["steps"].is_array(),
        "{fuel_only}"
    );
    let again = demo.submit(&branch, "LIGHT", &["FOOD"], json!({})).await;
    assert_eq!(
        again["application"]["screening"]["steps"][0]["failure"]["code"], "PLUGIN_FUEL_EXHAUSTED",
        "{again}"
    );

    // A disabled plugin still in a pipeline fails closed too.
    let disabled = app
        .graphql(reviewer, "mutation($input: DisablePluginInput!) { disablePlugin(input: $input) { plugin { disabledAt } } }", json!({ "input": { "pluginId": ids[0] } }))
        .await;
    assert!(
        disabled["data"]["disablePlugin"]["plugin"]["disabledAt"].is_string(),
        "{disabled}"
    );
    let third = demo.submit(&branch, "LIGHT", &["FOOD"], json!({})).await;
    assert_eq!(third["application"]["status"], "IN_REVIEW");
    let rearrange = app
        .graphql(
            reviewer,
            PIPELINE,
            json!({ "input": { "ownerId": demo.owner_id, "steps": [{ "pluginId": ids[0] }] } }),
        )
        .await;
    assert_eq!(
        user_error_codes(&rearrange["data"]["setScreeningPipeline"]),
        vec!["PLUGIN_DISABLED"]
    );
    demo.app.stop().await;
}

#[tokio::test]
async fn joint_cards_move_through_their_states_and_unlock_repeat_printing() {
    let demo = Demo::new().await;
    let app = &demo.app;
    let branch = demo.tenant("BRANCH");
    let branch_admin = app.demo_login("branch").await;
    let advance = "mutation($input: AdvanceJointCardInput!) { advanceJointCard(input: $input) { jointCard { status } userErrors { code } } }";

    let requested = app
        .graphql(&branch_admin, "mutation($input: RequestJointCardInput!) { requestJointCard(input: $input) { jointCard { id status } userErrors { code } } }", json!({ "input": { "organisationId": branch } }))
        .await;
    let card = requested["data"]["requestJointCard"]["jointCard"].clone();
    assert_eq!(card["status"], "REQUESTED", "{requested}");
    let card_id = card["id"].as_str().expect("id").to_owned();

    let skip = app
        .graphql(
            &demo.reviewer,
            advance,
            json!({ "input": { "jointCardId": card_id, "action": "ACTIVATE" } }),
        )
        .await;
    assert_eq!(
        user_error_codes(&skip["data"]["advanceJointCard"]),
        vec!["INVALID_JOINT_CARD_TRANSITION"]
    );
    let wrong_party = app
        .graphql(
            &branch_admin,
            advance,
            json!({ "input": { "jointCardId": card_id, "action": "SEND_GUIDE" } }),
        )
        .await;
    assert_eq!(error_code(&wrong_party), Some("FORBIDDEN"));

    // Not yet ACTIVE: REPEAT printing on the card is refused.
    let early = demo
        .submit(
            &branch,
            "LIGHT",
            &["POINTS"],
            json!({ "usage": "REPEAT", "printedOnJointCard": true }),
        )
        .await;
    assert_eq!(user_error_codes(&early), vec!["JOINT_CARD_REQUIRED"]);

    let path = [
        ("SEND_GUIDE", &demo.reviewer, "GUIDE_SENT"),
        ("SUBMIT_DESIGN", &branch_admin, "DESIGN_SUBMITTED"),
        ("START_REVIEW", &demo.reviewer, "UNDER_REVIEW"),
        ("NOTIFY_STORES", &demo.reviewer, "STORES_NOTIFIED"),
        ("ACTIVATE", &demo.reviewer, "ACTIVE"),
    ];
    for (action, who, status) in path {
        let reply = app
            .graphql(
                who,
                advance,
                json!({ "input": { "jointCardId": card_id, "action": action } }),
            )
            .await;
        assert_eq!(
            reply["data"]["advanceJointCard"]["jointCard"]["status"], status,
            "{action}: {reply}"
        );
    }
    let after = demo
        .submit(
            &branch,
            "LIGHT",
            &["POINTS"],
            json!({ "usage": "REPEAT", "printedOnJointCard": true }),
        )
        .await;
    assert_eq!(after["application"]["status"], "APPROVED", "{after}");

    let history = app
        .graphql(&branch_admin, "query($id: ID!) { node(id: $id) { ... on JointCard { status transitions { from to actor } } } }", json!({ "id": card_id }))
        .await;
    let steps: Vec<&str> = history["data"]["node"]["transitions"]
        .as_array()
        .expect("transitions")
        .iter()
        .filter_map(|t| t["to"].as_str())
        .collect();
    assert_eq!(
        steps,
        vec![
            "REQUESTED",
            "GUIDE_SENT",
            "DESIGN_SUBMITTED",
            "UNDER_REVIEW",
            "STORES_NOTIFIED",
            "ACTIVE"
        ]
    );
    let emitted = event::Entity::find()
        .filter(event::Column::EventType.eq("joint_card.status_changed"))
        .count(&app.services.db)
        .await
        .expect("count");
    assert_eq!(emitted, 6);

    // Another tenant cannot see or move the card.
    let other_password = DEMO_PASSWORD;
    let group_admin = app.login("group@demo.example", other_password).await;
    let hidden = app
        .graphql(
            &group_admin,
            "query($id: ID!) { node(id: $id) { id } }",
            json!({ "id": card_id }),
        )
        .await;
    assert!(hidden["data"]["node"].is_null());
    demo.app.stop().await;
}

#[tokio::test]
async fn bills_are_screened_in_one_batch_through_the_owners_pipeline() {
    use shuno::{
        domain::contract::Chain,
        service::screening::BillSubject,
        store::entity::{contract, organisation},
    };
    let demo = Demo::new().await;
    let contract = contract::Entity::find()
        .one(&demo.app.services.db)
        .await
        .expect("query")
        .expect("a demo contract");
    let organisation = organisation::Entity::find_by_id(contract.organisation_id)
        .one(&demo.app.services.db)
        .await
        .expect("query")
        .expect("its organisation");
    let bill = |category: &str, description: &str| BillSubject {
        category: category.into(),
        description: description.into(),
        amount: 1_000,
    };
    let bills = [
        bill("FOOD", "お弁当"),
        bill("DONATION", "災害募金"),
        bill("REAL_MONEY_TRADING", "ゲーム内通貨"),
        bill("GENERAL_MERCHANDISE", "RMT代行"),
    ];
    let screened = demo
        .app
        .services
        .screen_bills(&contract, &organisation, &bills)
        .await
        .expect("screens");
    let verdicts: Vec<String> = screened.iter().map(|s| s.verdict.clone()).collect();
    assert_eq!(verdicts, vec!["ALLOW", "ALLOW", "BLOCK", "BLOCK"]);
    assert_eq!(
        screened[0].available_chains(),
        vec![Chain::Lawson, Chain::Ministop, Chain::FamilyMart]
    );
    assert_eq!(
        screened[1].available_chains(),
        vec![Chain::Lawson, Chain::Ministop],
        "donations are not taken at FamilyMart"
    );
    assert_eq!(screened[2].reasons[0].code, "BANNED_CATEGORY");
    assert_eq!(screened[3].reasons[0].code, "BANNED_KEYWORD");
    assert!(
        screened.iter().all(|s| s.steps.len() == 4),
        "every step of the pipeline ran"
    );
    demo.app.stop().await;
}
