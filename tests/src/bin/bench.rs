//! Benchmarks: what users feel, each against a baseline measured in the same
//! run on the same machine, written to BENCHMARKS.md and benchmarks.json.
//!
//! `cargo run --release -p shuno-tests --bin bench -- all` (full sizes) or
//! `-- --quick` (small sizes, for CI). PostgreSQL is measured too when
//! `SHUNO_TEST_POSTGRES` names a server.

use std::time::{Duration, Instant};

use chrono::{Days, Utc};
use sea_orm::{ConnectionTrait, DbBackend, EntityTrait, Statement};
use serde_json::{Value, json};
use shuno::{
    plugins::{CallLimits, PluginHost, builtin::BUILTINS, wit},
    store::{self, bills::NewBill},
};
use shuno_tests::TestApp;

struct Row {
    bench: &'static str,
    backend: String,
    measure: String,
    value: f64,
    unit: &'static str,
    baseline: Option<f64>,
    target: &'static str,
}

fn rss_kib(field: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(field))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0)
}

/// The server's log filter: errors only, unless `SHUNO_BENCH_LOG` says.
fn bench_log() -> String {
    std::env::var("SHUNO_BENCH_LOG").unwrap_or_else(|_| "error".into())
}

/// A server on PostgreSQL (`SHUNO_TEST_POSTGRES`).
async fn spawn_postgres() -> TestApp {
    TestApp::spawn_with(|c| {
        c.demo = true;
        c.log = bench_log();
    })
    .await
}

async fn contract_and_number(app: &TestApp, token: &str) -> (Value, String) {
    let viewer = app
        .graphql(
            token,
            "{ viewer { organisation { contracts { edges { node { id } } } } } }",
            json!({}),
        )
        .await;
    let contract =
        viewer["data"]["viewer"]["organisation"]["contracts"]["edges"][0]["node"]["id"].clone();
    let issued = app
        .graphql(token, "mutation($input: IssuePaymentNumberInput!) { issuePaymentNumber(input: $input) { paymentNumber } }", json!({ "input": { "contractId": contract, "email": "bench@example.jp" } }))
        .await;
    (
        contract,
        issued["data"]["issuePaymentNumber"]["paymentNumber"]
            .as_str()
            .unwrap_or_default()
            .to_owned(),
    )
}

/// 1. registerBills in batches of 500 over HTTP vs the same rows inserted by
///    one batched transaction on the same database.
async fn bulk_registration(app: &TestApp, backend: &str, batches: usize, rows: &mut Vec<Row>) {
    let branch = app.demo_login("branch").await;
    let (contract, number) = contract_and_number(app, &branch).await;
    let due = (Utc::now() + chrono::Duration::days(20))
        .date_naive()
        .to_string();
    let batch: Vec<Value> = (0..500)
        .map(|i| json!({ "paymentNumber": number, "amount": 1_000 + i, "dueDate": due, "category": "GENERAL_MERCHANDISE", "description": "ベンチマーク商品" }))
        .collect();
    let started = Instant::now();
    for _ in 0..batches {
        let reply = app
            .graphql(&branch, "mutation($input: RegisterBillsInput!) { registerBills(input: $input) { bills { id } userErrors { code } } }", json!({ "input": { "contractId": contract, "bills": batch } }))
            .await;
        assert_eq!(
            reply["data"]["registerBills"]["bills"]
                .as_array()
                .map(Vec::len),
            Some(500),
            "{reply}"
        );
    }
    let api_rate = (batches * 500) as f64 / started.elapsed().as_secs_f64();

    let db = &app.services.db;
    let contract_row = shuno::store::entity::contract::Entity::find()
        .one(db)
        .await
        .expect("query")
        .expect("a contract");
    // The same rows as the API wrote, screening outcome included.
    let registered = shuno::store::entity::bill::Entity::find()
        .one(db)
        .await
        .expect("query")
        .expect("a registered bill");
    let started = Instant::now();
    for _ in 0..batches {
        let bills: Vec<NewBill> = (0..500)
            .map(|i| NewBill {
                contract_id: contract_row.id,
                organisation_id: contract_row.organisation_id,
                payment_number: number.clone(),
                usage: "STANDARD".into(),
                amount: 1_000 + i,
                due_date: Utc::now().date_naive() + Days::new(20),
                category: "GENERAL_MERCHANDISE".into(),
                description: "ベンチマーク商品".into(),
                customer_email: None,
                available_chains: registered.available_chains.clone(),
                screening: registered.screening.clone(),
            })
            .collect();
        let txn = store::write(db).await.expect("transaction");
        store::bills::insert_bills(&txn, bills, "bench", Utc::now())
            .await
            .expect("insert");
        txn.commit().await.expect("commit");
    }
    let floor_rate = (batches * 500) as f64 / started.elapsed().as_secs_f64();
    rows.push(Row {
        bench: "1 bulk registration",
        backend: backend.into(),
        measure: "registerBills ×500 over HTTP".into(),
        value: api_rate,
        unit: "bills/s",
        baseline: Some(floor_rate),
        target: "≥ 50% of floor",
    });
}

/// Latencies of a load run: throughput and percentiles.
struct Load {
    per_second: f64,
    latencies: Vec<Duration>,
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// `clients` tasks each send `per_client` requests one after another.
async fn drive<F, Fut>(clients: usize, per_client: usize, request: F) -> Load
where
    F: Fn(usize) -> Fut + Clone + Send + 'static,
    Fut: std::future::Future<Output = ()> + Send,
{
    let started = Instant::now();
    let tasks: Vec<_> = (0..clients)
        .map(|c| {
            let request = request.clone();
            tokio::spawn(async move {
                let mut latencies = Vec::with_capacity(per_client);
                for i in 0..per_client {
                    let sent = Instant::now();
                    request(c * per_client + i).await;
                    latencies.push(sent.elapsed());
                }
                latencies
            })
        })
        .collect();
    let mut latencies = Vec::with_capacity(clients * per_client);
    for task in tasks {
        latencies.extend(task.await.expect("client task"));
    }
    let per_second = latencies.len() as f64 / started.elapsed().as_secs_f64();
    latencies.sort();
    Load {
        per_second,
        latencies,
    }
}

/// Sockets that send at once, as the server's own do.
fn nodelay(
    listener: tokio::net::TcpListener,
) -> impl axum::serve::Listener<Io = tokio::net::TcpStream, Addr = std::net::SocketAddr> {
    use axum::serve::ListenerExt;
    listener.tap_io(|stream| {
        let _ = stream.set_nodelay(true);
    })
}

/// The baseline of bench 2: the same insert behind a bare axum handler, with
/// no GraphQL, authorization or screening.
#[derive(Clone)]
struct Bare {
    db: sea_orm::DatabaseConnection,
    contract: shuno::store::entity::contract::Model,
}

#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct BareBill {
    payment_number: String,
    amount: i64,
    due_date: chrono::NaiveDate,
    category: String,
    description: String,
}

async fn bare_register(
    axum::extract::State(bare): axum::extract::State<Bare>,
    axum::Json(input): axum::Json<BareBill>,
) -> axum::Json<Value> {
    let bill = NewBill {
        contract_id: bare.contract.id,
        organisation_id: bare.contract.organisation_id,
        payment_number: input.payment_number,
        usage: "STANDARD".into(),
        amount: input.amount,
        due_date: input.due_date,
        category: input.category,
        description: input.description,
        customer_email: None,
        available_chains: "LAWSON,MINISTOP,FAMILYMART".into(),
        screening: None,
    };
    let txn = store::write(&bare.db).await.expect("transaction");
    let stored = store::bills::insert_bills(&txn, vec![bill], "bench", Utc::now())
        .await
        .expect("insert");
    txn.commit().await.expect("commit");
    axum::Json(json!({ "id": stored[0].id }))
}

/// 2. registerBill from 32 concurrent clients vs the bare handler.
async fn single_registration(app: &TestApp, backend: &str, per_client: usize, rows: &mut Vec<Row>) {
    const CLIENTS: usize = 32;
    let branch = app.demo_login("branch").await;
    let (contract, number) = contract_and_number(app, &branch).await;
    let due = (Utc::now() + chrono::Duration::days(20)).date_naive();

    let api = app.api.clone();
    let graphql = {
        let (branch, number, contract) = (branch.clone(), number.clone(), contract.clone());
        drive(CLIENTS, per_client, move |i| {
            let (api, branch, number, contract) =
                (api.clone(), branch.clone(), number.clone(), contract.clone());
            async move {
                let reply = api.graphql(&branch, "mutation($input: RegisterBillInput!) { registerBill(input: $input) { bill { id } userErrors { code } } }", json!({ "input": { "contractId": contract, "paymentNumber": number, "amount": 1_000 + i as i64, "dueDate": due, "category": "GENERAL_MERCHANDISE", "description": "ベンチマーク商品" } })).await;
                assert!(reply["data"]["registerBill"]["bill"]["id"].is_string(), "{reply}");
            }
        })
        .await
    };

    let db = app.services.db.clone();
    let contract_row = shuno::store::entity::contract::Entity::find()
        .one(&db)
        .await
        .expect("query")
        .expect("a contract");
    let router = axum::Router::new()
        .route("/bills", axum::routing::post(bare_register))
        .with_state(Bare {
            db,
            contract: contract_row,
        });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!("http://{}/bills", listener.local_addr().expect("addr"));
    let server = tokio::spawn(async move { axum::serve(nodelay(listener), router).await });
    let client = app.api.client.clone();
    let bare = drive(CLIENTS, per_client, move |i| {
        let (client, url, number) = (client.clone(), url.clone(), number.clone());
        async move {
            let reply: Value = client
                .post(url)
                .json(&json!({ "paymentNumber": number, "amount": 1_000 + i as i64, "dueDate": due, "category": "GENERAL_MERCHANDISE", "description": "ベンチマーク商品" }))
                .send()
                .await
                .expect("sent")
                .json()
                .await
                .expect("json");
            assert!(reply["id"].is_number(), "{reply}");
        }
    })
    .await;
    server.abort();

    rows.push(Row {
        bench: "2 single registration",
        backend: backend.into(),
        measure: format!("registerBill, {CLIENTS} clients: throughput"),
        value: graphql.per_second,
        unit: "req/s",
        baseline: Some(bare.per_second),
        target: "≥ 60% of bare handler",
    });
    for p in [50.0, 99.0] {
        rows.push(Row {
            bench: "2 single registration",
            backend: backend.into(),
            measure: format!("registerBill, {CLIENTS} clients: p{p}"),
            value: percentile(&graphql.latencies, p).as_secs_f64() * 1_000.0,
            unit: "ms",
            baseline: Some(percentile(&bare.latencies, p).as_secs_f64() * 1_000.0),
            target: "",
        });
    }
}

/// When a notification arrived, by the key that names its payment.
type Heard = std::sync::Arc<std::sync::Mutex<Vec<(String, Instant)>>>;

async fn webhook_heard(
    axum::extract::State(heard): axum::extract::State<Heard>,
    body: String,
) -> &'static str {
    let at = Instant::now();
    let event: Value = serde_json::from_str(&body).unwrap_or_default();
    if let Some(slip) = event["data"]["slipNumber"].as_str() {
        heard
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .push((slip.to_owned(), at));
    }
    "ok"
}

/// 4. reportStorePayment at a steady rate → a paymentEvents subscriber and a
///    webhook receiver.
async fn notification_latency(
    app: &TestApp,
    backend: &str,
    rate: u32,
    seconds: u32,
    rows: &mut Vec<Row>,
) {
    let total = (rate * seconds) as usize;
    let branch = app.demo_login("branch").await;
    let store_user = app.demo_login("store").await;
    let (contract, number) = contract_and_number(app, &branch).await;
    let branch_id = app
        .graphql(&branch, "{ viewer { organisation { id } } }", json!({}))
        .await["data"]["viewer"]["organisation"]["id"]
        .clone();
    let due = (Utc::now() + chrono::Duration::days(20))
        .date_naive()
        .to_string();
    let mut bills: Vec<Value> = Vec::with_capacity(total);
    while bills.len() < total {
        let batch: Vec<Value> = (0..(total - bills.len()).min(500))
            .map(|i| json!({ "paymentNumber": number, "amount": 1_000 + i, "dueDate": due, "category": "GENERAL_MERCHANDISE", "description": "ベンチマーク商品" }))
            .collect();
        let reply = app
            .graphql(&branch, "mutation($input: RegisterBillsInput!) { registerBills(input: $input) { bills { id amount version } userErrors { code } } }", json!({ "input": { "contractId": contract, "bills": batch } }))
            .await;
        bills.extend(
            reply["data"]["registerBills"]["bills"]
                .as_array()
                .unwrap_or_else(|| panic!("{reply}"))
                .iter()
                .cloned(),
        );
    }

    // The webhook receiver and the subscriber note when each payment arrives.
    let hooked: Heard = Default::default();
    let router = axum::Router::new()
        .route("/hook", axum::routing::post(webhook_heard))
        .with_state(hooked.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let hook_url = format!("http://{}/hook", listener.local_addr().expect("addr"));
    let receiver = tokio::spawn(async move { axum::serve(nodelay(listener), router).await });
    let created = app.graphql(&branch, "mutation($input: CreateWebhookEndpointInput!) { createWebhookEndpoint(input: $input) { endpoint { id } userErrors { code } } }", json!({ "input": { "organisationId": branch_id, "url": hook_url, "eventTypes": ["payment.recorded"] } })).await;
    assert!(
        created["data"]["createWebhookEndpoint"]["endpoint"]["id"].is_string(),
        "{created}"
    );
    let subscribed: Heard = Default::default();
    let mut subscription = app
        .subscribe(
            &branch,
            "subscription($id: ID!) { paymentEvents(organisationId: $id) { paymentId } }",
            json!({ "id": branch_id }),
        )
        .await;
    let listener_task = {
        let subscribed = subscribed.clone();
        tokio::spawn(async move {
            while let Some(message) = subscription.next(Duration::from_secs(60)).await {
                let at = Instant::now();
                if let Some(id) = message["data"]["paymentEvents"]["paymentId"].as_str() {
                    subscribed
                        .lock()
                        .unwrap_or_else(std::sync::PoisonError::into_inner)
                        .push((id.to_owned(), at));
                }
            }
        })
    };
    tokio::time::sleep(Duration::from_millis(200)).await;

    // Open loop: one payment every 1/rate s, whatever the replies take.
    let mut ticker = tokio::time::interval(Duration::from_secs(1) / rate);
    let mut sends = Vec::with_capacity(total);
    for (i, bill) in bills.into_iter().enumerate() {
        ticker.tick().await;
        let (api, token, number) = (app.api.clone(), store_user.clone(), number.clone());
        sends.push(tokio::spawn(async move {
            let slip = format!("N-{i}");
            let sent = Instant::now();
            let reply = api.graphql(&token, "mutation($input: ReportStorePaymentInput!) { reportStorePayment(input: $input) { payment { id } userErrors { code } } }", json!({ "input": { "chain": "LAWSON", "storeCode": "BENCH", "slipNumber": slip, "paidAt": Utc::now().to_rfc3339(), "paymentNumber": number, "items": [{ "billId": bill["id"], "amount": bill["amount"], "version": bill["version"] }], "idempotencyKey": slip } })).await;
            let id = reply["data"]["reportStorePayment"]["payment"]["id"]
                .as_str()
                .unwrap_or_else(|| panic!("{reply}"))
                .to_owned();
            (slip, id, sent, sent.elapsed())
        }));
    }
    let mut sent_at = std::collections::HashMap::new();
    let mut replies = Vec::with_capacity(total);
    for send in sends {
        let (slip, id, at, took) = send.await.expect("payment task");
        sent_at.insert(slip, at);
        sent_at.insert(id, at);
        replies.push(took);
    }
    replies.sort();
    // Everything sent; wait for the stragglers.
    let deadline = Instant::now() + Duration::from_secs(30);
    let count = |heard: &Heard| {
        heard
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .len()
    };
    while (count(&hooked) < total || count(&subscribed) < total) && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    receiver.abort();
    listener_task.abort();

    // p50, p99 and max of sorted latencies, one row each, in ms.
    let mut spread = |what: &str, sorted: &[Duration], target: &'static str| {
        for (label, value) in [
            ("p50", percentile(sorted, 50.0)),
            ("p99", percentile(sorted, 99.0)),
            ("max", sorted.last().copied().unwrap_or_default()),
        ] {
            rows.push(Row {
                bench: "4 notification latency",
                backend: backend.into(),
                measure: format!("{rate}/s for {seconds} s → {what}: {label}"),
                value: value.as_secs_f64() * 1_000.0,
                unit: "ms",
                baseline: None,
                target: if label == "p99" { target } else { "" },
            });
        }
    };
    spread("reportStorePayment reply", &replies, "");
    for (path, heard) in [("subscriber", &subscribed), ("webhook", &hooked)] {
        let heard = heard
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone();
        let mut latencies: Vec<Duration> = heard
            .iter()
            .filter_map(|(key, at)| sent_at.get(key).map(|sent| at.duration_since(*sent)))
            .collect();
        latencies.sort();
        assert_eq!(
            latencies.len(),
            total,
            "every payment reaches the {path} exactly once"
        );
        spread(path, &latencies, "≤ 50 ms");
    }
}

/// One call of a built-in plugin compiled natively, as the host makes it of
/// the wasm build: a fresh plugin, `init` with the default config, then the
/// batch. Returns the number of decisions, so that nothing is optimised away.
fn native_call<S: shuno_plugin_sdk::Screener>(bills: &[shuno_plugin_sdk::Bill]) -> usize {
    let screener = S::init(b"{}").expect("native init");
    screener
        .screen_bills(bills)
        .expect("native screening")
        .len()
}

/// 3. The built-in pipeline as wasm over batches of 1, 100 and 1,000 bills,
///    against the same four plugin crates compiled natively into this binary.
async fn screening(rows: &mut Vec<Row>) {
    let host = PluginHost::shared().expect("host");
    let compiled: Vec<_> = BUILTINS
        .iter()
        .map(|b| host.compile(b.wasm).expect("compiles"))
        .collect();
    let category = |i: usize| {
        if i.is_multiple_of(7) {
            "DONATION"
        } else {
            "GENERAL_MERCHANDISE"
        }
    };
    let description = |i: usize| format!("商品{i} 通信販売");
    let mut fixed = (0.0, 0.0);
    for size in [1usize, 100, 1_000] {
        let bills: Vec<wit::Bill> = (0..size)
            .map(|i| wit::Bill {
                category: category(i).into(),
                description: description(i),
                amount: 1_000 + i as i64,
                usage: wit::Usage::Standard,
            })
            .collect();
        let native_bills: Vec<shuno_plugin_sdk::Bill> = (0..size)
            .map(|i| shuno_plugin_sdk::Bill {
                category: category(i).into(),
                description: description(i),
                amount: 1_000 + i as i64,
                usage: shuno_plugin_sdk::Usage::Standard,
            })
            .collect();
        let rounds = (4_000 / size).max(10);
        let calls = (rounds * compiled.len()) as f64;

        // One call per plugin in turn, awaited one by one: the cost of a
        // call, not of the host's parallelism.
        let mut fuel = 0;
        let started = Instant::now();
        for _ in 0..rounds {
            for plugin in &compiled {
                let screened = host
                    .screen_bills(
                        plugin.clone(),
                        CallLimits {
                            fuel: 1_000_000_000,
                            deadline: Duration::from_secs(5),
                            ..CallLimits::default()
                        },
                        b"{}".to_vec(),
                        bills.clone(),
                    )
                    .await
                    .expect("screens");
                fuel += screened.fuel_used;
            }
        }
        let wasm = started.elapsed().as_nanos() as f64;

        let mut decisions = 0;
        let started = Instant::now();
        for _ in 0..rounds {
            decisions += native_call::<banned_categories::BannedCategories>(&native_bills);
            decisions += native_call::<chain_exclusions::ChainExclusions>(&native_bills);
            decisions += native_call::<antisocial_watchlist::Watchlist>(&native_bills);
            decisions += native_call::<plan_eligibility::PlanEligibility>(&native_bills);
        }
        let native = started.elapsed().as_nanos() as f64;
        assert_eq!(decisions, rounds * size * compiled.len());

        // Per bill through all four plugins.
        let per_bill = |total: f64| total / (rounds * size) as f64;
        rows.push(Row {
            bench: "3 screening",
            backend: "-".into(),
            measure: format!("4 plugins, batch {size}: per bill, wasm vs native"),
            value: per_bill(wasm),
            unit: "ns",
            baseline: Some(per_bill(native)),
            target: if size == 1_000 { "≤ 3× native" } else { "" },
        });
        rows.push(Row {
            bench: "3 screening",
            backend: "-".into(),
            measure: format!("batch {size}: fuel per call"),
            value: fuel as f64 / calls,
            unit: "fuel",
            baseline: None,
            target: "",
        });
        if size == 1 {
            fixed = (wasm / calls, native / calls);
        }
    }
    rows.push(Row {
        bench: "3 screening",
        backend: "-".into(),
        measure: "one call of one bill (instantiate + init + screen), wasm vs native".into(),
        value: fixed.0 / 1_000.0,
        unit: "µs",
        baseline: Some(fixed.1 / 1_000.0),
        target: "≤ 15 µs",
    });
}

/// 5. runSettlement over N payments of one contract, inserted in bulk.
async fn settlement(app: &TestApp, backend: &str, sizes: &[u64], rows: &mut Vec<Row>) {
    let db = &app.services.db;
    let branch = app.demo_login("branch").await;
    let store_user = app.demo_login("store").await;
    let (_contract, number) = contract_and_number(app, &branch).await;
    // One bill and one payment to hang the items on.
    let due = (Utc::now() + chrono::Duration::days(20))
        .date_naive()
        .to_string();
    let contract_id = app
        .graphql(
            &branch,
            "{ viewer { organisation { contracts { edges { node { id } } } } } }",
            json!({}),
        )
        .await["data"]["viewer"]["organisation"]["contracts"]["edges"][0]["node"]["id"]
        .clone();
    let bill = app
        .graphql(&branch, "mutation($input: RegisterBillInput!) { registerBill(input: $input) { bill { id amount version } } }", json!({ "input": { "contractId": contract_id, "paymentNumber": number, "amount": 1000, "dueDate": due, "category": "FOOD", "description": "x" } }))
        .await["data"]["registerBill"]["bill"]
        .clone();
    let paid = app
        .graphql(&store_user, "mutation($input: ReportStorePaymentInput!) { reportStorePayment(input: $input) { payment { id } } }", json!({ "input": { "chain": "LAWSON", "storeCode": "B", "slipNumber": "BENCH", "paidAt": Utc::now().to_rfc3339(), "paymentNumber": number, "items": [{ "billId": bill["id"], "amount": 1000, "version": 1 }], "idempotencyKey": "bench" } }))
        .await;
    assert!(
        paid["data"]["reportStorePayment"]["payment"]["id"].is_string(),
        "{paid}"
    );
    let item = shuno::store::entity::payment_item::Entity::find()
        .one(db)
        .await
        .expect("query")
        .expect("an item");
    let mut previous: Option<(u64, f64)> = None;
    for (round, &n) in sizes.iter().enumerate() {
        // Payments in a past month of their own, so each size settles alone.
        let month = 1 + round as u32;
        let start = format!("2025-{month:02}-01T00:00:00");
        let sql = match db.get_database_backend() {
            DbBackend::Postgres => format!(
                "INSERT INTO payment_items (payment_id, bill_id, contract_id, organisation_id, amount, bill_version, paid_at, chain, statement_id) \
                 SELECT {p}, {b}, {c}, {o}, 1 + (n * 7919) % 300000, 1, TIMESTAMPTZ '{start}+09:00' + (n % 2400000) * INTERVAL '1 second', \
                 CASE n % 3 WHEN 0 THEN 'LAWSON' WHEN 1 THEN 'MINISTOP' ELSE 'FAMILYMART' END, NULL FROM generate_series(1::bigint, {n}::bigint) AS n",
                p = item.payment_id,
                b = item.bill_id,
                c = item.contract_id,
                o = item.organisation_id
            ),
            _ => format!(
                "WITH RECURSIVE seq(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM seq WHERE n < {n}) \
                 INSERT INTO payment_items (payment_id, bill_id, contract_id, organisation_id, amount, bill_version, paid_at, chain, statement_id) \
                 SELECT {p}, {b}, {c}, {o}, 1 + (n * 7919) % 300000, 1, strftime('%Y-%m-%dT%H:%M:%S+00:00', '{start}', '-9 hours', '+' || (n % 2400000) || ' seconds'), \
                 CASE n % 3 WHEN 0 THEN 'LAWSON' WHEN 1 THEN 'MINISTOP' ELSE 'FAMILYMART' END, NULL FROM seq",
                p = item.payment_id,
                b = item.bill_id,
                c = item.contract_id,
                o = item.organisation_id
            ),
        };
        db.execute_raw(Statement::from_string(db.get_database_backend(), sql))
            .await
            .expect("bulk insert");
        let as_of =
            chrono::NaiveDate::from_ymd_opt(2025, month + 1, 1).expect("date") + Days::new(1);
        let started = Instant::now();
        let made = app.services.settle(as_of).await.expect("settles");
        let seconds = started.elapsed().as_secs_f64();
        assert!(!made.is_empty());
        let growth = previous.map(|(pn, ps)| (seconds / ps) / (n as f64 / pn as f64));
        rows.push(Row {
            bench: "5 settlement",
            backend: backend.into(),
            measure: format!("{n} payments"),
            value: seconds,
            unit: "s",
            baseline: growth,
            target: "1M ≤ 10 s; 10× payments ≤ 12× time",
        });
        previous = Some((n, seconds));
    }
}

/// 6. One casbin decision with 10,000 tenants and 100,000 policy lines.
async fn authorization(app: &TestApp, tenants: i64, rows: &mut Vec<Row>) {
    use shuno::authz::{Authz, Scope, Subject};
    let db = &app.services.db;
    let mut rules = Vec::new();
    for t in 0..tenants {
        let org = 1_000_000 + t;
        for u in 0..10 {
            rules.push(store::policy::Rule::new(
                "g",
                &[
                    &format!("user:{}", org * 10 + u),
                    if u == 0 {
                        "TENANT_ADMIN"
                    } else {
                        "TENANT_STAFF"
                    },
                    &format!("org:{org}"),
                ],
            ));
        }
    }
    for chunk in rules.chunks(2_000) {
        store::policy::insert(db, chunk).await.expect("policy");
    }
    let authz = Authz::load(db.clone()).await.expect("loads");
    let lines = authz.policy_len().await;
    // Each tenant's staff member once (a decision made from the policy),
    // then the same questions again (decisions the policy already allowed).
    let pass = |label: &'static str| {
        let authz = &authz;
        async move {
            let started = Instant::now();
            for t in 0..tenants {
                let org = 1_000_000 + t;
                let allowed = authz
                    .allows(
                        &Subject::User(org * 10 + 1),
                        Scope::Organisation {
                            id: org,
                            owner_id: 1,
                        },
                        "bill",
                        "write",
                    )
                    .await
                    .expect("decides");
                assert!(allowed, "every check is a real, allowed decision ({label})");
            }
            started.elapsed().as_nanos() as f64 / tenants as f64
        }
    };
    let cold = pass("first").await;
    let warm = pass("again").await;
    // A denial is always decided from the policy (and never remembered).
    let started = Instant::now();
    for t in 0..tenants.min(1_000) {
        let org = 1_000_000 + t;
        let denied = !authz
            .allows(
                &Subject::User(org * 10 + 1),
                Scope::Organisation {
                    id: org + 1,
                    owner_id: 1,
                },
                "bill",
                "write",
            )
            .await
            .expect("decides");
        assert!(denied, "a sibling tenant is refused");
    }
    let denial = started.elapsed().as_nanos() as f64 / tenants.min(1_000) as f64;

    // Its share of a registration: registerBill over HTTP, with the number
    // of decisions the server made for it counted, not assumed.
    let branch = app.demo_login("branch").await;
    let (contract, number) = contract_and_number(app, &branch).await;
    let due = (Utc::now() + chrono::Duration::days(20))
        .date_naive()
        .to_string();
    let n = 200;
    let decisions_before = app.services.authz.decision_count();
    let started = Instant::now();
    for i in 0..n {
        let reply = app.graphql(&branch, "mutation($input: RegisterBillInput!) { registerBill(input: $input) { bill { id } } }", json!({ "input": { "contractId": contract, "paymentNumber": number, "amount": 100 + i, "dueDate": due, "category": "FOOD", "description": "x" } }))
            .await;
        assert!(
            reply["data"]["registerBill"]["bill"]["id"].is_string(),
            "{reply}"
        );
    }
    let per_request = started.elapsed().as_nanos() as f64 / n as f64;
    let per_registration =
        (app.services.authz.decision_count() - decisions_before) as f64 / n as f64;
    let share = |per_check: f64| 100.0 * per_registration * per_check / per_request;
    for (measure, value, unit, target) in [
        (
            format!("first decision ({lines} policy lines, {tenants} tenants)"),
            cold / 1_000.0,
            "µs",
            "≤ 5 µs",
        ),
        (
            "repeated decision (remembered until the policy changes)".to_owned(),
            warm / 1_000.0,
            "µs",
            "≤ 5 µs",
        ),
        (
            "denial (always evaluated)".to_owned(),
            denial / 1_000.0,
            "µs",
            "",
        ),
        (
            format!(
                "share of one registerBill ({per_registration:.1} decisions, first-decision cost)"
            ),
            share(cold),
            "%",
            "≤ 3%",
        ),
        (
            format!("share of one registerBill ({per_registration:.1} decisions, as served)"),
            share(warm),
            "%",
            "≤ 3%",
        ),
    ] {
        rows.push(Row {
            bench: "6 authorization",
            backend: "sqlite".into(),
            measure,
            value,
            unit,
            baseline: None,
            target,
        });
    }
}

/// Prints the table; writes BENCHMARKS.md and benchmarks.json when `persist`.
fn write_report(rows: &[Row], quick: bool, persist: bool, idle_kib: u64, peak: u64) {
    let mut md = String::from("# Benchmarks\n\n");
    md.push_str(&format!(
        "Measured {} by `cargo run --release -p shuno-tests --bin bench -- {}` on this machine (2 cores). \
         Each figure is next to a baseline measured in the same run where one exists; the ratio is value ÷ baseline \
         (for settlement: time growth ÷ size growth against the previous size).\n\n",
        Utc::now().format("%Y-%m-%d"),
        if quick { "--quick" } else { "all" }
    ));
    md.push_str("| bench | backend | measure | value | baseline | ratio | target |\n|---|---|---|---|---|---|---|\n");
    for r in rows {
        let (baseline, ratio) = match r.baseline {
            Some(b) if r.bench.starts_with('5') => (String::new(), format!("{b:.2}")),
            Some(b) => (format!("{b:.1} {}", r.unit), format!("{:.2}", r.value / b)),
            None => (String::new(), String::new()),
        };
        md.push_str(&format!(
            "| {} | {} | {} | {:.2} {} | {} | {} | {} |\n",
            r.bench, r.backend, r.measure, r.value, r.unit, baseline, ratio, r.target
        ));
    }
    md.push_str(&format!(
        "| 7 memory | all | RSS of the bench process (server and its clients) with the first server idle / peak during 1-4 on every backend | {:.1} / {:.1} MiB | | | ≤ 300 MB peak |\n",
        idle_kib as f64 / 1024.0,
        peak as f64 / 1024.0
    ));
    println!("{md}");
    if !persist {
        return;
    }
    std::fs::write("BENCHMARKS.md", md).expect("BENCHMARKS.md");
    let json: Vec<Value> = rows
        .iter()
        .map(|r| json!({ "bench": r.bench, "backend": r.backend, "measure": r.measure, "value": r.value, "unit": r.unit, "baseline": r.baseline, "target": r.target }))
        .chain(std::iter::once(json!({ "bench": "7 memory", "idleKib": idle_kib, "peakKib": peak })))
        .collect();
    std::fs::write(
        "benchmarks.json",
        serde_json::to_string_pretty(&json).unwrap_or_default(),
    )
    .expect("benchmarks.json");
}

/// Forgets the process's peak RSS, so that VmHWM covers what follows only.
fn reset_peak_rss() {
    // "5" resets the peak resident set size (proc(5), clear_refs).
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let quick = args.iter().any(|a| a == "--quick");
    // `--only 1,4`: run just those benches (for profiling one of them).
    let only: Option<Vec<u32>> = args
        .iter()
        .position(|a| a == "--only")
        .and_then(|i| args.get(i + 1))
        .map(|list| {
            list.split(',')
                .filter_map(|n| n.trim().parse().ok())
                .collect()
        });
    let want = |n: u32| only.as_ref().is_none_or(|only| only.contains(&n));
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let mut rows = Vec::new();
        let postgres = std::env::var("SHUNO_TEST_POSTGRES")
            .ok()
            .filter(|v| !v.is_empty());
        let backends: Vec<Option<String>> = std::iter::once(None)
            .chain(postgres.into_iter().map(Some))
            .collect();
        let name = |backend: &Option<String>| {
            if backend.is_some() {
                "postgres"
            } else {
                "sqlite"
            }
        };
        let spawn = |backend: &Option<String>| {
            let postgres = backend.is_some();
            async move {
                if postgres {
                    spawn_postgres().await
                } else {
                    spawn_sqlite().await
                }
            }
        };
        // Phase one, benches 1-4: what a serving process does. The memory
        // figure is this phase's: idle once the first server is up, and the
        // peak resident set from there to the end of the phase.
        let mut idle_kib = None;
        reset_peak_rss();
        for backend in &backends {
            let app = spawn(backend).await;
            tokio::time::sleep(Duration::from_millis(500)).await;
            if idle_kib.is_none() {
                idle_kib = Some(rss_kib("VmRSS:"));
                reset_peak_rss();
            }
            if backend.is_none() && want(3) {
                screening(&mut rows).await;
            }
            if want(1) {
                bulk_registration(&app, name(backend), if quick { 2 } else { 20 }, &mut rows).await;
            }
            if want(2) {
                single_registration(&app, name(backend), if quick { 10 } else { 100 }, &mut rows)
                    .await;
            }
            if want(4) {
                notification_latency(
                    &app,
                    name(backend),
                    200,
                    if quick { 3 } else { 30 },
                    &mut rows,
                )
                .await;
            }
            app.stop().await;
        }
        let peak_kib = rss_kib("VmHWM:");
        // Phase two, benches 5 and 6: bulk data loaded out of band, on
        // fresh servers and databases.
        for backend in &backends {
            let settles = want(5);
            let authorizes = backend.is_none() && want(6);
            if !settles && !authorizes {
                continue;
            }
            let app = spawn(backend).await;
            let sizes: &[u64] = if quick {
                &[1_000, 10_000]
            } else {
                &[10_000, 100_000, 1_000_000]
            };
            if want(5) {
                settlement(&app, name(backend), sizes, &mut rows).await;
            }
            if backend.is_none() && want(6) {
                authorization(&app, if quick { 1_000 } else { 10_000 }, &mut rows).await;
            }
            app.stop().await;
        }
        let idle_kib = idle_kib.unwrap_or_default();
        write_report(&rows, quick, only.is_none(), idle_kib, peak_kib);
    });
}

/// A SQLite server even when SHUNO_TEST_POSTGRES is set.
async fn spawn_sqlite() -> TestApp {
    TestApp::spawn_sqlite_with(|c| {
        c.demo = true;
        c.log = bench_log();
    })
    .await
}
