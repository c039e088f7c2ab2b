//! Settlement end to end with the sandbox clock, and properties over random
//! payments and cycles.

use std::time::Duration;

use chrono::{DateTime, NaiveDate, Utc};
use serde_json::{Value, json};
use shuno_tests::{Receiver, TestApp, user_error_codes};

const SET_CLOCK: &str = "mutation($input: SetSandboxClockInput!) { setSandboxClock(input: $input) { now userErrors { code } } }";
const RUN: &str = "mutation($input: RunSettlementInput!) { runSettlement(input: $input) { statements { id periodStart periodEnd paymentCount gross fees feeTax carriedIn net payout carryOut noticeDate payoutDate csvPath } userErrors { code } } }";

fn at(text: &str) -> DateTime<Utc> {
    text.parse().expect("instant")
}

struct Desk {
    app: TestApp,
    platform: String,
    branch: String,
    store: String,
    branch_id: String,
    contract_id: String,
    number: String,
}

impl Desk {
    async fn open(now: &str) -> Desk {
        let app = TestApp::spawn_with(|c| {
            c.demo = true;
            c.sandbox = true;
            c.webhook_retry_base_ms = 100;
        })
        .await;
        let platform = app.demo_login("platform").await;
        let moved = app
            .graphql(&platform, SET_CLOCK, json!({ "input": { "now": now } }))
            .await;
        assert!(
            moved["data"]["setSandboxClock"]["now"].is_string(),
            "{moved}"
        );
        let branch = app.demo_login("branch").await;
        let viewer = app
            .graphql(
                &branch,
                "{ viewer { organisation { id contracts { edges { node { id } } } } } }",
                json!({}),
            )
            .await;
        let organisation = &viewer["data"]["viewer"]["organisation"];
        let contract_id = organisation["contracts"]["edges"][0]["node"]["id"]
            .as_str()
            .expect("contract")
            .to_owned();
        let issued = app
            .graphql(&branch, "mutation($input: IssuePaymentNumberInput!) { issuePaymentNumber(input: $input) { paymentNumber } }", json!({ "input": { "contractId": contract_id, "email": "c@example.jp" } }))
            .await;
        Desk {
            store: app.demo_login("store").await,
            branch_id: organisation["id"].as_str().expect("id").to_owned(),
            number: issued["data"]["issuePaymentNumber"]["paymentNumber"]
                .as_str()
                .expect("number")
                .to_owned(),
            contract_id,
            platform,
            branch,
            app,
        }
    }

    async fn clock(&self, now: &str) {
        let moved = self
            .app
            .graphql(
                &self.platform,
                SET_CLOCK,
                json!({ "input": { "now": now } }),
            )
            .await;
        assert!(
            moved["data"]["setSandboxClock"]["now"].is_string(),
            "{moved}"
        );
    }

    async fn bill(&self, amount: i64, due: &str) -> Value {
        let input = json!({ "contractId": self.contract_id, "paymentNumber": self.number, "amount": amount, "dueDate": due, "category": "FOOD", "description": "食品" });
        let reply = self.app.graphql(&self.branch, "mutation($input: RegisterBillInput!) { registerBill(input: $input) { bill { id amount version } userErrors { code } } }", json!({ "input": input })).await;
        let bill = reply["data"]["registerBill"]["bill"].clone();
        assert!(bill["id"].is_string(), "{reply}");
        bill
    }

    async fn pay(&self, bill: &Value, paid_at: &str, slip: &str) {
        let input = json!({ "chain": "LAWSON", "storeCode": "S1", "slipNumber": slip, "paidAt": paid_at, "paymentNumber": self.number, "items": [{ "billId": bill["id"], "amount": bill["amount"], "version": bill["version"] }], "idempotencyKey": slip });
        let reply = self.app.graphql(&self.store, "mutation($input: ReportStorePaymentInput!) { reportStorePayment(input: $input) { payment { id } userErrors { code } } }", json!({ "input": input })).await;
        assert!(
            reply["data"]["reportStorePayment"]["payment"]["id"].is_string(),
            "{reply}"
        );
    }

    /// The branch's statements, oldest first, once `count` exist (the
    /// scheduler settles as soon as the clock passes a close).
    async fn statements(&self, count: usize) -> Vec<Value> {
        let query = "query($id: ID!) { settlementStatements(organisationId: $id, first: 100) { edges { node { periodStart periodEnd paymentCount gross fees feeTax carriedIn net payout carryOut } } } }";
        for _ in 0..100 {
            let reply = self
                .app
                .graphql(&self.branch, query, json!({ "id": self.branch_id }))
                .await;
            let nodes: Vec<Value> = reply["data"]["settlementStatements"]["edges"]
                .as_array()
                .map(|e| e.iter().map(|n| n["node"].clone()).collect())
                .unwrap_or_default();
            if nodes.len() >= count {
                return nodes;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("{count} statements never appeared");
    }

    async fn run(&self, as_of: &str) -> Vec<Value> {
        let reply = self
            .app
            .graphql(&self.platform, RUN, json!({ "input": { "asOf": as_of } }))
            .await;
        assert!(reply["errors"].is_null(), "{reply}");
        reply["data"]["runSettlement"]["statements"]
            .as_array()
            .cloned()
            .unwrap_or_default()
    }
}

#[tokio::test]
async fn bills_paid_across_a_close_settle_into_their_periods_with_notices() {
    // 2026-10-30 12:00 JST; October closes on Saturday the 31st (MONTH_END).
    let desk = Desk::open("2026-10-30T03:00:00Z").await;
    let receiver = Receiver::start(0).await;
    let endpoint = desk.app.graphql(&desk.branch, "mutation($input: CreateWebhookEndpointInput!) { createWebhookEndpoint(input: $input) { signingSecret } }", json!({ "input": { "organisationId": desk.branch_id, "url": receiver.url, "eventTypes": ["settlement.confirmed"] } })).await;
    assert!(endpoint["data"]["createWebhookEndpoint"]["signingSecret"].is_string());

    let last_moment = desk.bill(1_500, "2026-11-15").await;
    let next_morning = desk.bill(25_000, "2026-11-15").await;
    // 10/31 23:58 JST: still October, so the scheduler has nothing to close yet.
    desk.clock("2026-10-31T14:58:00Z").await;
    desk.pay(&last_moment, "2026-10-31T14:59:59.999Z", "EDGE-1")
        .await; // 10/31 23:59:59.999 JST
    desk.pay(&next_morning, "2026-10-31T15:00:00Z", "EDGE-2")
        .await; // 11/01 00:00:00 JST

    // October closes at the end of the 31st: settled as of 11/01, not before.
    assert!(
        desk.run("2026-10-31").await.is_empty(),
        "not closed before the close date has passed"
    );
    let made = desk.run("2026-11-01").await;
    assert_eq!(made.len(), 1, "{made:?}");
    let october = &made[0];
    assert_eq!(october["periodStart"], "2026-10-01");
    assert_eq!(october["periodEnd"], "2026-10-31");
    assert_eq!(
        october["paymentCount"], 1,
        "the 23:59:59.999 payment is October's"
    );
    assert_eq!(october["gross"], 1_500);
    assert_eq!(october["fees"], 130);
    assert_eq!(october["feeTax"], 13);
    assert_eq!(october["net"], 1_500 - 130 - 13);
    assert_eq!(
        october["noticeDate"], "2026-11-09",
        "5 bank business days after Sat 10/31, skipping 11/3"
    );
    assert_eq!(october["payoutDate"], "2026-11-16");
    assert!(
        desk.run("2026-11-01").await.is_empty(),
        "running again changes nothing"
    );

    // The owner sees its tenant's statement and a roll-up.
    let owner = desk.app.demo_login("owner").await;
    let owner_id = desk
        .app
        .graphql(&owner, "{ viewer { organisation { id } } }", json!({}))
        .await["data"]["viewer"]["organisation"]["id"]
        .clone();
    let listed = desk.app.graphql(&owner, "query($id: ID!) { settlementStatements(organisationId: $id) { edges { node { id gross payments { edges { node { amount } } } } } } settlementRollup(organisationId: $id) { periodEnd gross payout } }", json!({ "id": owner_id })).await;
    assert_eq!(
        listed["data"]["settlementStatements"]["edges"][0]["node"]["gross"], 1_500,
        "{listed}"
    );
    assert_eq!(
        listed["data"]["settlementStatements"]["edges"][0]["node"]["payments"]["edges"][0]["node"]
            ["amount"],
        1_500
    );
    assert_eq!(
        listed["data"]["settlementRollup"][0]["periodEnd"],
        "2026-10-31"
    );
    let group = desk.app.demo_login("group").await;
    let sibling = desk
        .app
        .graphql(
            &group,
            "query($id: ID!) { node(id: $id) { id } }",
            json!({ "id": october["id"] }),
        )
        .await;
    assert!(
        sibling["data"]["node"].is_null(),
        "a sibling tenant cannot see it"
    );

    // The CSV opens in spreadsheet programs: UTF-8 with a BOM.
    let csv = desk
        .app
        .client
        .get(format!(
            "{}{}",
            desk.app.address,
            october["csvPath"].as_str().expect("path")
        ))
        .bearer_auth(&desk.branch)
        .send()
        .await
        .expect("csv");
    assert_eq!(csv.status().as_u16(), 200);
    let bytes = csv.bytes().await.expect("body");
    assert_eq!(&bytes[..3], b"\xEF\xBB\xBF");
    let text = String::from_utf8(bytes[3..].to_vec()).expect("utf-8");
    assert!(
        text.contains("2026-10-31 23:59:59,LAWSON") && text.contains("件数 1"),
        "{text}"
    );

    // The webhook and the e-mail notice.
    let received = receiver.wait_for(1, Duration::from_secs(10)).await;
    assert_eq!(received.len(), 1);
    let event: Value = serde_json::from_str(&received[0].1).expect("json");
    assert_eq!(event["type"], "settlement.confirmed");
    assert_eq!(event["data"]["payout"], 1_357);
    let mail = desk
        .app
        .graphql(
            &desk.platform,
            "{ outgoingMessages(first: 100) { edges { node { recipient subject body } } } }",
            json!({}),
        )
        .await;
    let notice = mail["data"]["outgoingMessages"]["edges"]
        .as_array()
        .expect("mail")
        .iter()
        .find(|m| {
            m["node"]["subject"]
                .as_str()
                .is_some_and(|s| s.contains("精算確定"))
        })
        .expect("a notice")["node"]
        .clone();
    assert_eq!(notice["recipient"], "branch@demo.example");
    assert!(
        notice["body"]
            .as_str()
            .is_some_and(|b| b.contains("1,357円") && b.contains("2026年11月16日")),
        "{notice}"
    );

    // November: the 11/01 00:00 payment, settled by the scheduler once November closes.
    desk.clock("2026-12-01T01:00:00Z").await;
    let all = desk.statements(2).await;
    assert_eq!(all[1]["periodEnd"], "2026-11-30");
    assert_eq!(all[1]["gross"], 25_000);
    assert_eq!(all[1]["fees"], 220);
    assert!(
        desk.run("2026-12-01").await.is_empty(),
        "nothing left for a manual run"
    );
    desk.app.stop().await;
}

#[tokio::test]
async fn a_negative_net_is_carried_never_paid() {
    let desk = Desk::open("2027-01-05T03:00:00Z").await;
    let small = desk.bill(100, "2027-01-20").await;
    desk.pay(&small, "2027-01-05T02:00:00Z", "NEG-1").await;
    desk.clock("2027-02-02T03:00:00Z").await;
    let january = &desk.statements(1).await[0];
    assert_eq!(january["net"], 100 - 130 - 13);
    assert_eq!(january["payout"], 0);
    assert_eq!(january["carryOut"], -43);
    let big = desk.bill(10_000, "2027-02-20").await;
    desk.pay(&big, "2027-02-02T02:00:00Z", "NEG-2").await;
    desk.clock("2027-03-01T03:00:00Z").await;
    let february = &desk.statements(2).await[1];
    assert_eq!(february["carriedIn"], -43);
    assert_eq!(february["net"], 10_000 - 160 - 16 - 43);
    assert_eq!(february["payout"], 10_000 - 160 - 16 - 43);
    let refused = desk
        .app
        .graphql(
            &desk.platform,
            RUN,
            json!({ "input": { "asOf": "2030-01-01" } }),
        )
        .await;
    assert_eq!(
        user_error_codes(&refused["data"]["runSettlement"]),
        vec!["AS_OF_IN_FUTURE"]
    );
    let by_tenant = desk
        .app
        .graphql(
            &desk.branch,
            RUN,
            json!({ "input": { "asOf": "2027-03-01" } }),
        )
        .await;
    assert_eq!(by_tenant["errors"][0]["extensions"]["code"], "FORBIDDEN");
    desk.app.stop().await;
}

mod properties {
    //! Over random payments and cycles: every payment is in exactly one
    //! statement, grosses add up, fees and tax follow the schedule, and
    //! running again changes nothing.

    use chrono::Days;
    use proptest::prelude::*;
    use sea_orm::{
        ActiveModelTrait,
        ActiveValue::{NotSet, Set},
        ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter,
    };
    use shuno::{
        domain::{
            contract::{Chain, ChainSet, FeeSchedule, NoticeLag, Plan, SettlementCycle, Usage},
            settlement::TaxRule,
        },
        store::{
            contracts::NewContract,
            entity::{bill, payment, payment_item, settlement_statement},
        },
    };

    use super::*;

    #[derive(Debug, Clone)]
    struct Paid {
        /// Minutes after 2026-01-01 00:00 JST, within 100 days.
        minute: i64,
        amount: i64,
        chain: Chain,
    }

    fn scenario() -> impl Strategy<Value = (SettlementCycle, Vec<Paid>)> {
        let cycle = prop::sample::select(SettlementCycle::ALL.to_vec());
        let chain = prop::sample::select(Chain::ALL.to_vec());
        let paid =
            (0i64..100 * 24 * 60, 1i64..=300_000, chain).prop_map(|(minute, amount, chain)| Paid {
                minute,
                amount,
                chain,
            });
        (cycle, prop::collection::vec(paid, 1..40))
    }

    #[test]
    fn settlement_properties_hold_for_random_payments() {
        let runtime = tokio::runtime::Runtime::new().expect("runtime");
        let app = runtime.block_on(TestApp::spawn_demo());
        let mut schedule = FeeSchedule::sample();
        schedule.bands.push(shuno::domain::contract::FeeBand {
            up_to: 300_000,
            fee: 99,
            chain: Some("MINISTOP".into()),
        });
        let schedule = FeeSchedule::parse(schedule.bands).expect("schedule");
        let mut runner = proptest::test_runner::TestRunner::new(ProptestConfig {
            cases: 12,
            ..ProptestConfig::default()
        });
        let result = runner.run(&scenario(), |(cycle, payments)| {
            runtime.block_on(check(&app, cycle, &payments, &schedule));
            Ok(())
        });
        runtime.block_on(app.stop());
        result.expect("properties hold");
    }

    async fn check(
        app: &TestApp,
        cycle: SettlementCycle,
        payments: &[Paid],
        schedule: &FeeSchedule,
    ) {
        let db = &app.services.db;
        let organisation = shuno::store::entity::organisation::Entity::find()
            .filter(shuno::store::entity::organisation::Column::Kind.eq("TENANT"))
            .one(db)
            .await
            .expect("query")
            .expect("a tenant");
        let contract = shuno::service::contracts::create(
            db,
            NewContract {
                organisation_id: organisation.id,
                plan: Plan::SystemIntegration,
                usage: Usage::Standard,
                chains: ChainSet::all(),
                settlement_cycle: cycle,
                notice_lag: NoticeLag::DEFAULT,
                fee_schedule: schedule.clone(),
            },
        )
        .await
        .expect("contract");
        let number = shuno::domain::payment_number::PaymentNumber::from_base(
            contract.id as u64 + 500_000_000_000,
        );
        shuno::store::bills::insert_number(db, number.as_str(), None, None, "test", Utc::now())
            .await
            .expect("number");
        let origin = at("2025-12-31T15:00:00Z"); // 2026-01-01 00:00 JST
        for (n, paid) in payments.iter().enumerate() {
            let paid_at = origin + chrono::Duration::minutes(paid.minute);
            let bill = bill::ActiveModel {
                id: NotSet,
                contract_id: Set(contract.id),
                organisation_id: Set(organisation.id),
                payment_number: Set(number.as_str().to_owned()),
                usage: Set("STANDARD".into()),
                amount: Set(paid.amount),
                due_date: Set(paid_at.date_naive() + Days::new(1)),
                category: Set("FOOD".into()),
                description: Set("prop".into()),
                customer_email: Set(None),
                available_chains: Set(ChainSet::all().to_stored()),
                screening: Set(None),
                status: Set("PAID".into()),
                version: Set(1),
                payment_count: Set(1),
                created_at: Set(paid_at),
                updated_at: Set(paid_at),
                paid_at: Set(Some(paid_at)),
            }
            .insert(db)
            .await
            .expect("bill");
            let slip = format!("P{}-{n}", contract.id);
            let payment = payment::ActiveModel {
                id: NotSet,
                chain: Set(paid.chain.as_str().into()),
                store_code: Set("S".into()),
                slip_number: Set(slip.clone()),
                paid_at: Set(paid_at),
                payment_number: Set(number.as_str().to_owned()),
                idempotency_key: Set(slip),
                request_hash: Set(String::new()),
                total: Set(paid.amount),
                reported_by: Set("test".into()),
                created_at: Set(paid_at),
            }
            .insert(db)
            .await
            .expect("payment");
            shuno::store::payments::insert_items(
                db,
                &payment,
                vec![shuno::store::payments::NewItem {
                    bill_id: bill.id,
                    contract_id: contract.id,
                    organisation_id: organisation.id,
                    amount: paid.amount,
                    bill_version: 1,
                }],
            )
            .await
            .expect("item");
        }
        // Settle everything: as of a day after every period has closed. Two
        // runs at once (the scheduler and runSettlement, say) both succeed
        // and settle each payment once.
        let as_of = NaiveDate::from_ymd_opt(2026, 6, 1).expect("date");
        let (first, second) = tokio::join!(app.services.settle(as_of), app.services.settle(as_of));
        first.expect("settles");
        second.expect("settles alongside");
        let statements = settlement_statement::Entity::find()
            .filter(settlement_statement::Column::ContractId.eq(contract.id))
            .all(db)
            .await
            .expect("statements");
        let items = payment_item::Entity::find()
            .filter(payment_item::Column::ContractId.eq(contract.id))
            .all(db)
            .await
            .expect("items");

        // Every payment is in exactly one statement, and in the right period.
        assert!(
            items.iter().all(|i| i.statement_id.is_some()),
            "all settled"
        );
        for item in &items {
            let statement = statements
                .iter()
                .find(|s| Some(s.id) == item.statement_id)
                .expect("its statement");
            let day = shuno::domain::bill::jst_date(item.paid_at);
            assert!(
                statement.period_start <= day && day <= statement.period_end,
                "{day} in {}..{}",
                statement.period_start,
                statement.period_end
            );
        }
        // Grosses add up; fees and tax follow the schedule.
        assert_eq!(
            statements.iter().map(|s| s.gross).sum::<i64>(),
            payments.iter().map(|p| p.amount).sum::<i64>()
        );
        assert_eq!(
            statements.iter().map(|s| s.payment_count).sum::<i64>(),
            payments.len() as i64
        );
        for statement in &statements {
            let mine: Vec<_> = items
                .iter()
                .filter(|i| i.statement_id == Some(statement.id))
                .collect();
            let fees: i64 = mine
                .iter()
                .map(|i| {
                    schedule
                        .fee_for(i.amount, Chain::from_name(&i.chain).expect("chain"))
                        .expect("a band")
                })
                .sum();
            assert_eq!(statement.fees, fees);
            assert_eq!(statement.fee_tax, TaxRule::default().tax_on(fees));
            assert_eq!(
                statement.net,
                statement.gross - statement.fees - statement.fee_tax + statement.carried_in
            );
            assert!(statement.payout >= 0 && statement.carry_out <= 0);
        }
        // Running again changes nothing.
        assert!(
            app.services
                .settle(as_of)
                .await
                .expect("settles")
                .is_empty()
        );
        let again = settlement_statement::Entity::find()
            .filter(settlement_statement::Column::ContractId.eq(contract.id))
            .count(db)
            .await
            .expect("count");
        assert_eq!(again, statements.len() as u64);
    }
}
