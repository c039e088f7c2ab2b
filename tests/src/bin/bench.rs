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
    service::screening::BillSubject,
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

/// A server on PostgreSQL (`SHUNO_TEST_POSTGRES`).
async fn spawn_postgres() -> TestApp {
    TestApp::spawn_with(|c| {
        c.demo = true;
        c.log = "error".into();
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
                available_chains: "LAWSON,MINISTOP,FAMILYMART".into(),
                screening: None,
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

/// 3. The built-in pipeline as wasm over batches of 1, 100 and 1,000 bills.
async fn screening(rows: &mut Vec<Row>) {
    let host = PluginHost::shared().expect("host");
    let compiled: Vec<_> = BUILTINS
        .iter()
        .map(|b| host.compile(b.wasm).expect("compiles"))
        .collect();
    let bill = |i: usize| wit::Bill {
        category: if i.is_multiple_of(7) {
            "DONATION".into()
        } else {
            "GENERAL_MERCHANDISE".into()
        },
        description: format!("商品{i} 通信販売"),
        amount: 1_000 + i as i64,
        usage: wit::Usage::Standard,
    };
    let mut per_call_1 = 0.0;
    for size in [1usize, 100, 1_000] {
        let bills: Vec<wit::Bill> = (0..size).map(bill).collect();
        let rounds = (2_000 / size).max(5);
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
        let elapsed = started.elapsed().as_nanos() as f64;
        let per_call = elapsed / (rounds * compiled.len()) as f64;
        let per_bill = elapsed / (rounds * size) as f64;
        if size == 1 {
            per_call_1 = per_call;
        }
        rows.push(Row {
            bench: "3 screening",
            backend: "-".into(),
            measure: format!("4 plugins, batch {size}: per bill"),
            value: per_bill,
            unit: "ns",
            baseline: None,
            target: "≤ 3× native at 1,000",
        });
        rows.push(Row {
            bench: "3 screening",
            backend: "-".into(),
            measure: format!("batch {size}: fuel per call"),
            value: fuel as f64 / (rounds * compiled.len()) as f64,
            unit: "fuel",
            baseline: None,
            target: "",
        });
    }
    rows.push(Row {
        bench: "3 screening",
        backend: "-".into(),
        measure: "fixed cost per call (batch of 1, incl. instantiate + init)".into(),
        value: per_call_1 / 1_000.0,
        unit: "µs",
        baseline: None,
        target: "≤ 15 µs",
    });
    let _ = BillSubject {
        category: String::new(),
        description: String::new(),
        amount: 0,
    };
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
    let checks = 20_000;
    let started = Instant::now();
    let mut allowed = 0;
    for i in 0..checks {
        let org = 1_000_000 + (i as i64 * 7) % tenants;
        let subject = Subject::User(org * 10 + 1);
        if authz
            .allows(
                &subject,
                Scope::Organisation {
                    id: org,
                    owner_id: 1,
                },
                "bill",
                "write",
            )
            .await
            .unwrap_or(false)
        {
            allowed += 1;
        }
    }
    let per_check = started.elapsed().as_nanos() as f64 / checks as f64;
    assert_eq!(allowed, checks, "every check is a real, allowed decision");
    // Its share of a registration: one registerBill over HTTP.
    let branch = app.demo_login("branch").await;
    let (contract, number) = contract_and_number(app, &branch).await;
    let due = (Utc::now() + chrono::Duration::days(20))
        .date_naive()
        .to_string();
    let started = Instant::now();
    let n = 50;
    for i in 0..n {
        app.graphql(&branch, "mutation($input: RegisterBillInput!) { registerBill(input: $input) { bill { id } } }", json!({ "input": { "contractId": contract, "paymentNumber": number, "amount": 100 + i, "dueDate": due, "category": "FOOD", "description": "x" } }))
            .await;
    }
    let per_request = started.elapsed().as_nanos() as f64 / n as f64;
    rows.push(Row {
        bench: "6 authorization",
        backend: "sqlite".into(),
        measure: format!("one decision ({lines} policy lines, {tenants} tenants)"),
        value: per_check / 1_000.0,
        unit: "µs",
        baseline: None,
        target: "≤ 5 µs",
    });
    rows.push(Row {
        bench: "6 authorization",
        backend: "sqlite".into(),
        measure: "share of one registerBill (4 decisions)".into(),
        value: 100.0 * 4.0 * per_check / per_request,
        unit: "%",
        baseline: None,
        target: "≤ 3%",
    });
}

fn write_report(rows: &[Row], quick: bool, idle_kib: u64) {
    let peak = rss_kib("VmHWM:");
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
        "| 7 memory | - | RSS idle / peak | {:.1} / {:.1} MiB | | | ≤ 300 MB peak |\n",
        idle_kib as f64 / 1024.0,
        peak as f64 / 1024.0
    ));
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
    println!(
        "{}",
        std::fs::read_to_string("BENCHMARKS.md").unwrap_or_default()
    );
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let quick = args.iter().any(|a| a == "--quick");
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let idle = rss_kib("VmRSS:");
        let mut rows = Vec::new();
        let postgres = std::env::var("SHUNO_TEST_POSTGRES")
            .ok()
            .filter(|v| !v.is_empty());
        let backends: Vec<Option<String>> = std::iter::once(None)
            .chain(postgres.into_iter().map(Some))
            .collect();
        for backend in &backends {
            let name = if backend.is_some() {
                "postgres"
            } else {
                "sqlite"
            };
            let app = if backend.is_some() {
                spawn_postgres().await
            } else {
                spawn_sqlite().await
            };
            bulk_registration(&app, name, if quick { 2 } else { 10 }, &mut rows).await;
            let sizes: &[u64] = if quick {
                &[1_000, 10_000]
            } else {
                &[10_000, 100_000, 1_000_000]
            };
            settlement(&app, name, sizes, &mut rows).await;
            if backend.is_none() {
                authorization(&app, if quick { 1_000 } else { 10_000 }, &mut rows).await;
            }
            app.stop().await;
        }
        screening(&mut rows).await;
        write_report(&rows, quick, idle);
    });
}

/// A SQLite server even when SHUNO_TEST_POSTGRES is set.
async fn spawn_sqlite() -> TestApp {
    TestApp::spawn_sqlite_with(|c| {
        c.demo = true;
        c.log = "error".into();
    })
    .await
}
