//! Nothing is lost: events committed before a SIGKILL are delivered after a
//! restart; several processes on one database share their events.

use std::time::Duration;

use chrono::Utc;
use serde_json::{Value, json};
use shuno_tests::{Api, ProcessServer, Receiver, TestDb, free_port, signature_valid};

const BINARY: &str = env!("CARGO_BIN_EXE_shuno");

/// Registers a bill for the demo branch and returns (number, bill).
async fn bill(api: &Api, branch: &str, amount: i64) -> (String, Value) {
    let viewer = api
        .graphql(
            branch,
            "{ viewer { organisation { contracts { edges { node { id } } } } } }",
            json!({}),
        )
        .await;
    let contract =
        viewer["data"]["viewer"]["organisation"]["contracts"]["edges"][0]["node"]["id"].clone();
    let issued = api
        .graphql(branch, "mutation($input: IssuePaymentNumberInput!) { issuePaymentNumber(input: $input) { paymentNumber } }", json!({ "input": { "contractId": contract, "email": "c@example.jp" } }))
        .await;
    let number = issued["data"]["issuePaymentNumber"]["paymentNumber"]
        .as_str()
        .expect("number")
        .to_owned();
    let due = (Utc::now() + chrono::Duration::days(5))
        .date_naive()
        .to_string();
    let registered = api
        .graphql(branch, "mutation($input: RegisterBillInput!) { registerBill(input: $input) { bill { id amount version } } }", json!({ "input": { "contractId": contract, "paymentNumber": number, "amount": amount, "dueDate": due, "category": "FOOD", "description": "食品" } }))
        .await;
    (number, registered["data"]["registerBill"]["bill"].clone())
}

async fn pay(api: &Api, store: &str, number: &str, bill: &Value, slip: &str) -> Value {
    let input = json!({ "chain": "LAWSON", "storeCode": "S1", "slipNumber": slip, "paidAt": Utc::now().to_rfc3339(), "paymentNumber": number, "items": [{ "billId": bill["id"], "amount": bill["amount"], "version": bill["version"] }], "idempotencyKey": slip });
    let reply = api
        .graphql(store, "mutation($input: ReportStorePaymentInput!) { reportStorePayment(input: $input) { payment { id } userErrors { code } } }", json!({ "input": input }))
        .await;
    reply["data"]["reportStorePayment"]["payment"].clone()
}

#[tokio::test]
async fn events_undelivered_at_a_kill_are_delivered_after_a_restart() {
    let db = TestDb::create().await.expect("database");
    let env = [
        ("SHUNO_DEMO", "true"),
        ("SHUNO_WEBHOOK_RETRY_BASE_MS", "100"),
    ];
    let server = ProcessServer::start(BINARY, &db.url(), &env).await;
    let branch = server.demo_login("branch").await;
    let store = server.demo_login("store").await;

    // The receiver is down: nothing listens on its port yet.
    let port = free_port();
    let viewer = server
        .graphql(&branch, "{ viewer { organisation { id } } }", json!({}))
        .await;
    let created = server
        .graphql(&branch, "mutation($input: CreateWebhookEndpointInput!) { createWebhookEndpoint(input: $input) { signingSecret } }", json!({ "input": { "organisationId": viewer["data"]["viewer"]["organisation"]["id"], "url": format!("http://127.0.0.1:{port}/hook") } }))
        .await;
    let secret = created["data"]["createWebhookEndpoint"]["signingSecret"]
        .as_str()
        .expect("secret")
        .to_owned();
    let mut paid = Vec::new();
    for n in 0..3 {
        let (number, bill) = bill(&server.api, &branch, 1_000 + n).await;
        let payment = pay(&server.api, &store, &number, &bill, &format!("KILL-{n}")).await;
        assert!(payment["id"].is_string(), "paid");
        paid.push(1_000 + n);
    }
    server.kill();

    let receiver = Receiver::start_on(port, 0).await;
    let restarted = ProcessServer::start(BINARY, &db.url(), &env).await;
    let received = receiver.wait_for(3, Duration::from_secs(40)).await;
    let mut amounts: Vec<i64> = received
        .iter()
        .map(|(headers, body)| {
            let signature = headers
                .iter()
                .find(|(k, _)| k == "shuno-signature")
                .map(|(_, v)| v.clone())
                .expect("signed");
            assert!(
                signature_valid(&signature, &secret, body),
                "signed correctly after the restart"
            );
            let event: Value = serde_json::from_str(body).expect("json");
            assert_eq!(event["type"], "payment.recorded");
            event["data"]["amount"].as_i64().expect("amount")
        })
        .collect();
    amounts.sort_unstable();
    assert_eq!(amounts, paid, "every payment event arrived, once each");
    drop(restarted);
}

#[tokio::test]
async fn a_payment_through_one_process_reaches_a_subscriber_of_another() {
    let db = TestDb::create().await.expect("database");
    let first = ProcessServer::start(BINARY, &db.url(), &[("SHUNO_DEMO", "true")]).await;
    let second = ProcessServer::start(BINARY, &db.url(), &[]).await;
    let branch = second.demo_login("branch").await;
    let store = first.demo_login("store").await;
    let viewer = second
        .graphql(&branch, "{ viewer { organisation { id } } }", json!({}))
        .await;
    let organisation = viewer["data"]["viewer"]["organisation"]["id"].clone();
    let mut events = second
        .subscribe(
            &branch,
            "subscription($id: ID!) { paymentEvents(organisationId: $id) { paymentId amount } }",
            json!({ "id": organisation }),
        )
        .await;
    tokio::time::sleep(Duration::from_millis(300)).await;

    let (number, bill) = bill(&first.api, &branch, 2_468).await;
    let payment = pay(&first.api, &store, &number, &bill, "TWO-PROCESSES").await;
    let heard = events
        .next(Duration::from_secs(5))
        .await
        .expect("the other process's subscriber hears it");
    assert_eq!(
        heard["data"]["paymentEvents"]["paymentId"], payment["id"],
        "{heard}"
    );
    assert_eq!(heard["data"]["paymentEvents"]["amount"], 2_468);
}
