//! Bills, payment numbers, the store network and notifications over GraphQL.

use std::time::Duration;

use chrono::{Days, NaiveDate, Utc};
use serde_json::{Value, json};
use shuno_tests::{Receiver, TestApp, error_code, signature_valid, user_error_codes};

const ISSUE: &str = "mutation($input: IssuePaymentNumberInput!) { issuePaymentNumber(input: $input) { paymentNumber userErrors { code } } }";
const REGISTER: &str = "mutation($input: RegisterBillInput!) { registerBill(input: $input) { bill { id amount dueDate status version availableChains paymentNumber } userErrors { field code message } } }";
const REGISTER_MANY: &str = "mutation($input: RegisterBillsInput!) { registerBills(input: $input) { bills { id amount } userErrors { field code } } }";
const TERMINAL: &str = "query($chain: Chain!, $n: String!) { storeTerminalBills(chain: $chain, paymentNumber: $n) { billId amount dueDate companyName version } }";
const REPORT: &str = "mutation($input: ReportStorePaymentInput!) { reportStorePayment(input: $input) { payment { id total items { billId amount billVersion } } userErrors { field code message } } }";
const UPDATE: &str = "mutation($input: UpdateBillInput!) { updateBill(input: $input) { bill { id amount version } userErrors { field code } } }";

struct Shop {
    app: TestApp,
    branch: String,
    store: String,
    platform: String,
    branch_id: String,
    contract_id: String,
    /// When stores say bills were paid: one instant, so that repeats are identical.
    paid_at: String,
}

fn jst_today() -> NaiveDate {
    (Utc::now() + chrono::Duration::hours(9)).date_naive()
}

impl Shop {
    async fn open() -> Shop {
        Self::open_with(|_| {}).await
    }

    async fn open_with(adjust: impl FnOnce(&mut shuno::config::Config)) -> Shop {
        let app = TestApp::spawn_with(|c| {
            c.demo = true;
            c.sandbox = true;
            c.webhook_retry_base_ms = 100;
            adjust(c);
        })
        .await;
        let branch = app.demo_login("branch").await;
        let viewer = app
            .graphql(
                &branch,
                "{ viewer { organisation { id contracts { edges { node { id } } } } } }",
                json!({}),
            )
            .await;
        let organisation = &viewer["data"]["viewer"]["organisation"];
        Shop {
            branch_id: organisation["id"].as_str().expect("id").to_owned(),
            contract_id: organisation["contracts"]["edges"][0]["node"]["id"]
                .as_str()
                .expect("contract")
                .to_owned(),
            store: app.demo_login("store").await,
            paid_at: (Utc::now() - chrono::Duration::seconds(5)).to_rfc3339(),
            platform: app.demo_login("platform").await,
            branch,
            app,
        }
    }

    async fn number(&self) -> String {
        let reply = self
            .app
            .graphql(&self.branch, ISSUE, json!({ "input": { "contractId": self.contract_id, "email": "customer@example.jp" } }))
            .await;
        reply["data"]["issuePaymentNumber"]["paymentNumber"]
            .as_str()
            .unwrap_or_else(|| panic!("{reply}"))
            .to_owned()
    }

    async fn register(&self, number: &str, amount: i64, due: NaiveDate, category: &str) -> Value {
        let input = json!({ "contractId": self.contract_id, "paymentNumber": number, "amount": amount, "dueDate": due.to_string(), "category": category, "description": "商品代金" });
        self.app
            .graphql(&self.branch, REGISTER, json!({ "input": input }))
            .await["data"]["registerBill"]
            .clone()
    }

    async fn bill(&self, number: &str, amount: i64) -> Value {
        let payload = self
            .register(
                number,
                amount,
                jst_today() + Days::new(10),
                "GENERAL_MERCHANDISE",
            )
            .await;
        assert!(payload["bill"]["id"].is_string(), "{payload}");
        payload["bill"].clone()
    }

    async fn pay(
        &self,
        chain: &str,
        slip: impl AsRef<str>,
        key: impl AsRef<str>,
        number: &str,
        items: Value,
    ) -> Value {
        let (slip, key) = (slip.as_ref(), key.as_ref());
        let input = json!({ "chain": chain, "storeCode": "S001", "slipNumber": slip, "paidAt": self.paid_at, "paymentNumber": number, "items": items, "idempotencyKey": key });
        let reply = self
            .app
            .graphql(&self.store, REPORT, json!({ "input": input }))
            .await;
        assert!(reply["errors"].is_null(), "{reply}");
        reply["data"]["reportStorePayment"].clone()
    }
}

fn item(bill: &Value) -> Value {
    json!({ "billId": bill["id"], "amount": bill["amount"], "version": bill["version"] })
}

#[tokio::test]
async fn amounts_due_dates_and_payment_numbers_at_their_boundaries() {
    let shop = Shop::open().await;
    let number = shop.number().await;
    // The server's UTC date differs from Japan's between 15:00 and 24:00 UTC: pin "now" there.
    let evening_utc = Utc::now()
        .date_naive()
        .and_hms_opt(20, 0, 0)
        .expect("time")
        .and_utc();
    let moved = shop.app.graphql(&shop.platform, "mutation($input: SetSandboxClockInput!) { setSandboxClock(input: $input) { now userErrors { code } } }", json!({ "input": { "now": evening_utc.to_rfc3339() } })).await;
    assert!(
        moved["data"]["setSandboxClock"]["now"].is_string(),
        "{moved}"
    );
    let today = (evening_utc + chrono::Duration::hours(9)).date_naive();
    assert_ne!(
        today,
        evening_utc.date_naive(),
        "the JST date is the next UTC day"
    );

    for (amount, expected) in [
        (0, Some("AMOUNT_TOO_SMALL")),
        (1, None),
        (300_000, None),
        (300_001, Some("AMOUNT_LIMIT_EXCEEDED")),
        (-5, Some("AMOUNT_TOO_SMALL")),
    ] {
        let payload = shop.register(&number, amount, today, "FOOD").await;
        match expected {
            None => assert_eq!(payload["bill"]["amount"], amount, "{payload}"),
            Some(code) => {
                assert!(payload["bill"].is_null(), "{amount}: {payload}");
                assert_eq!(
                    user_error_codes(&payload),
                    vec![code.to_owned()],
                    "{amount}"
                );
                assert_eq!(
                    payload["userErrors"][0]["field"],
                    json!(["input", "amount"])
                );
            }
        }
    }
    let days = |n: i64| {
        if n >= 0 {
            today + Days::new(n as u64)
        } else {
            today - Days::new((-n) as u64)
        }
    };
    for (due, expected) in [
        (days(0), None),
        (days(59), None),
        (days(60), Some("DUE_DATE_TOO_FAR")),
        (days(-1), Some("DUE_DATE_IN_PAST")),
    ] {
        let payload = shop.register(&number, 1_000, due, "FOOD").await;
        match expected {
            None => assert_eq!(payload["bill"]["dueDate"], due.to_string(), "{payload}"),
            Some(code) => assert_eq!(
                user_error_codes(&payload),
                vec![code.to_owned()],
                "{due}: {payload}"
            ),
        }
    }
    // Yesterday in UTC is today in Japan: accepted.
    let utc_today = evening_utc.date_naive();
    assert_eq!(
        user_error_codes(&shop.register(&number, 1_000, utc_today, "FOOD").await),
        vec!["DUE_DATE_IN_PAST"]
    );

    let mut bad = number.clone();
    let last = bad.pop().expect("digit");
    bad.push(if last == '9' {
        '0'
    } else {
        char::from(last as u8 + 1)
    });
    assert_eq!(
        user_error_codes(&shop.register(&bad, 1_000, today, "FOOD").await),
        vec!["PAYMENT_NUMBER_BAD_CHECK_DIGIT"]
    );
    assert_eq!(
        user_error_codes(&shop.register(&number[..12], 1_000, today, "FOOD").await),
        vec!["PAYMENT_NUMBER_WRONG_LENGTH"]
    );
    assert_eq!(
        user_error_codes(&shop.register("12345678901ab", 1_000, today, "FOOD").await),
        vec!["PAYMENT_NUMBER_NOT_DIGITS"]
    );
    // A valid number the platform never issued.
    let never = "0000000000000";
    assert_eq!(
        user_error_codes(&shop.register(never, 1_000, today, "FOOD").await),
        vec!["PAYMENT_NUMBER_UNKNOWN"]
    );
    // Full-width digits with hyphens are the same number.
    let full_width: String = format!("{}-{}-{}", &number[..4], &number[4..8], &number[8..])
        .chars()
        .map(|c| {
            if c.is_ascii_digit() {
                char::from_u32(c as u32 - '0' as u32 + '０' as u32).unwrap_or(c)
            } else {
                c
            }
        })
        .collect();
    let payload = shop.register(&full_width, 1_000, today, "FOOD").await;
    assert_eq!(payload["bill"]["paymentNumber"], number, "{payload}");
    // Screening at registration: banned is refused, excluded chains are left out.
    assert_eq!(
        user_error_codes(
            &shop
                .register(&number, 1_000, today, "REAL_MONEY_TRADING")
                .await
        ),
        vec!["BILL_BLOCKED"]
    );
    let donation = shop.register(&number, 1_000, today, "DONATION").await;
    assert_eq!(
        donation["bill"]["availableChains"],
        json!(["LAWSON", "MINISTOP"])
    );
    shop.app.stop().await;
}

#[tokio::test]
async fn batches_name_their_bad_rows_and_keys_make_repeats_safe() {
    let shop = Shop::open().await;
    let number = shop.number().await;
    let due = (jst_today() + Days::new(5)).to_string();
    let row = |amount: i64, category: &str| json!({ "paymentNumber": number, "amount": amount, "dueDate": due, "category": category, "description": "明細" });
    let bills = json!([
        row(100, "FOOD"),
        row(0, "FOOD"),
        row(200, "REAL_MONEY_TRADING"),
        row(300, "BOOKS_MEDIA")
    ]);

    let partial = shop.app.graphql(&shop.branch, REGISTER_MANY, json!({ "input": { "contractId": shop.contract_id, "bills": bills, "idempotencyKey": "batch-1" } })).await;
    let payload = &partial["data"]["registerBills"];
    assert_eq!(
        payload["bills"].as_array().map(Vec::len),
        Some(2),
        "{partial}"
    );
    let fields: Vec<Value> = payload["userErrors"]
        .as_array()
        .expect("errors")
        .iter()
        .map(|e| e["field"].clone())
        .collect();
    assert_eq!(
        fields,
        vec![
            json!(["input", "bills", "1", "amount"]),
            json!(["input", "bills", "2", "category"])
        ]
    );

    // The same key and input: the first result, nothing registered twice.
    let again = shop.app.graphql(&shop.branch, REGISTER_MANY, json!({ "input": { "contractId": shop.contract_id, "bills": bills, "idempotencyKey": "batch-1" } })).await;
    assert_eq!(
        again["data"]["registerBills"],
        partial["data"]["registerBills"]
    );
    // The same key with other input is refused.
    let other = shop.app.graphql(&shop.branch, REGISTER_MANY, json!({ "input": { "contractId": shop.contract_id, "bills": [row(999, "FOOD")], "idempotencyKey": "batch-1" } })).await;
    assert_eq!(
        user_error_codes(&other["data"]["registerBills"]),
        vec!["IDEMPOTENCY_KEY_REUSED"]
    );

    // All or nothing: one bad row registers none.
    let none = shop.app.graphql(&shop.branch, REGISTER_MANY, json!({ "input": { "contractId": shop.contract_id, "bills": bills, "allOrNothing": true } })).await;
    assert_eq!(none["data"]["registerBills"]["bills"], json!([]));
    assert_eq!(user_error_codes(&none["data"]["registerBills"]).len(), 2);

    let listed = shop
        .app
        .graphql(
            &shop.branch,
            "query($f: BillFilter!) { bills(filter: $f, first: 100) { edges { node { id } } } }",
            json!({ "f": { "organisationId": shop.branch_id } }),
        )
        .await;
    assert_eq!(
        listed["data"]["bills"]["edges"].as_array().map(Vec::len),
        Some(2),
        "only the first batch's two bills exist"
    );

    let too_many: Vec<Value> = (0..1001).map(|_| row(100, "FOOD")).collect();
    let refused = shop
        .app
        .graphql(
            &shop.branch,
            REGISTER_MANY,
            json!({ "input": { "contractId": shop.contract_id, "bills": too_many } }),
        )
        .await;
    assert_eq!(
        user_error_codes(&refused["data"]["registerBills"]),
        vec!["TOO_MANY_BILLS"]
    );

    // registerBill with a key: a repeat returns the same bill.
    let input = json!({ "contractId": shop.contract_id, "paymentNumber": number, "amount": 500, "dueDate": due, "category": "FOOD", "description": "単発", "idempotencyKey": "one-1" });
    let first = shop
        .app
        .graphql(&shop.branch, REGISTER, json!({ "input": input }))
        .await;
    let second = shop
        .app
        .graphql(&shop.branch, REGISTER, json!({ "input": input }))
        .await;
    assert_eq!(
        first["data"]["registerBill"]["bill"]["id"],
        second["data"]["registerBill"]["bill"]["id"]
    );
    shop.app.stop().await;
}

#[tokio::test]
async fn the_terminal_shows_what_is_payable_and_reports_are_checked() {
    let shop = Shop::open().await;
    let number = shop.number().await;
    let food = shop.bill(&number, 1_200).await;
    let donation = shop
        .register(&number, 3_000, jst_today() + Days::new(3), "DONATION")
        .await["bill"]
        .clone();

    let at_lawson = shop
        .app
        .graphql(
            &shop.store,
            TERMINAL,
            json!({ "chain": "LAWSON", "n": number }),
        )
        .await;
    let listed = at_lawson["data"]["storeTerminalBills"]
        .as_array()
        .expect("bills")
        .clone();
    assert_eq!(listed.len(), 2, "{at_lawson}");
    assert!(
        listed
            .iter()
            .all(|b| b["companyName"] == "デモ収納代行株式会社 大阪支店")
    );
    let at_familymart = shop
        .app
        .graphql(
            &shop.store,
            TERMINAL,
            json!({ "chain": "FAMILYMART", "n": number }),
        )
        .await;
    assert_eq!(
        at_familymart["data"]["storeTerminalBills"]
            .as_array()
            .map(Vec::len),
        Some(1),
        "donations are not shown at FamilyMart"
    );
    assert_eq!(
        error_code(
            &shop
                .app
                .graphql(
                    &shop.branch,
                    TERMINAL,
                    json!({ "chain": "LAWSON", "n": number })
                )
                .await
        ),
        Some("FORBIDDEN")
    );

    let refusals = [
        (
            "FAMILYMART",
            json!([item(&donation)]),
            "NOT_PAYABLE_AT_CHAIN",
        ),
        (
            "LAWSON",
            json!([{ "billId": food["id"], "amount": 1_201, "version": 1 }]),
            "AMOUNT_MISMATCH",
        ),
        (
            "LAWSON",
            json!([{ "billId": food["id"], "amount": 1_200, "version": 2 }]),
            "VERSION_MISMATCH",
        ),
        (
            "LAWSON",
            json!([{ "billId": "QmlsbDo5OTk5OTk", "amount": 1, "version": 1 }]),
            "BILL_NOT_FOUND",
        ),
        // All or none: a good bill with a bad one records nothing.
        (
            "LAWSON",
            json!([item(&food), { "billId": donation["id"], "amount": 1, "version": 1 }]),
            "AMOUNT_MISMATCH",
        ),
    ];
    for (n, (chain, items, code)) in refusals.into_iter().enumerate() {
        let payload = shop
            .pay(
                chain,
                format!("R{n}"),
                format!("refused-{n}"),
                &number,
                items,
            )
            .await;
        assert!(payload["payment"].is_null(), "{payload}");
        assert_eq!(
            user_error_codes(&payload),
            vec![code.to_owned()],
            "{payload}"
        );
    }
    let paid = shop
        .pay(
            "LAWSON",
            "SLIP-1",
            "pay-1",
            &number,
            json!([item(&food), item(&donation)]),
        )
        .await;
    assert_eq!(paid["payment"]["total"], 4_200, "{paid}");
    // A paid bill is refused at once, and is no longer listed.
    let twice = shop
        .pay("MINISTOP", "SLIP-2", "pay-2", &number, json!([item(&food)]))
        .await;
    assert_eq!(user_error_codes(&twice), vec!["BILL_ALREADY_PAID"]);
    let listed = shop
        .app
        .graphql(
            &shop.store,
            TERMINAL,
            json!({ "chain": "LAWSON", "n": number }),
        )
        .await;
    assert_eq!(listed["data"]["storeTerminalBills"], json!([]));
    // Edits and cancels of a paid bill are refused.
    let edit = shop
        .app
        .graphql(
            &shop.branch,
            UPDATE,
            json!({ "input": { "billId": food["id"], "amount": 1, "expectedVersion": 1 } }),
        )
        .await;
    assert_eq!(
        user_error_codes(&edit["data"]["updateBill"]),
        vec!["BILL_ALREADY_PAID"]
    );
    let cancel = shop.app.graphql(&shop.branch, "mutation($input: CancelBillInput!) { cancelBill(input: $input) { bill { status } userErrors { code } } }", json!({ "input": { "billId": food["id"] } })).await;
    assert_eq!(
        user_error_codes(&cancel["data"]["cancelBill"]),
        vec!["BILL_ALREADY_PAID"]
    );

    // Cancelled and expired bills are refused too.
    let to_cancel = shop.bill(&number, 700).await;
    shop.app
        .graphql(
            &shop.branch,
            "mutation($input: CancelBillInput!) { cancelBill(input: $input) { bill { status } } }",
            json!({ "input": { "billId": to_cancel["id"] } }),
        )
        .await;
    let cancelled = shop
        .pay(
            "LAWSON",
            "SLIP-3",
            "pay-3",
            &number,
            json!([{ "billId": to_cancel["id"], "amount": 700, "version": 1 }]),
        )
        .await;
    assert_eq!(user_error_codes(&cancelled), vec!["BILL_CANCELLED"]);

    let short = shop.register(&number, 800, jst_today(), "FOOD").await["bill"].clone();
    let tomorrow = Utc::now() + chrono::Duration::days(1);
    shop.app
        .graphql(
            &shop.platform,
            "mutation($input: SetSandboxClockInput!) { setSandboxClock(input: $input) { now } }",
            json!({ "input": { "now": tomorrow.to_rfc3339() } }),
        )
        .await;
    let status = shop
        .app
        .graphql(
            &shop.branch,
            "query($id: ID!) { node(id: $id) { ... on Bill { status versions { status } } } }",
            json!({ "id": short["id"] }),
        )
        .await;
    assert_eq!(status["data"]["node"]["status"], "EXPIRED", "{status}");
    let input = json!({ "chain": "LAWSON", "storeCode": "S001", "slipNumber": "SLIP-4", "paidAt": tomorrow.to_rfc3339(), "paymentNumber": number, "items": [item(&short)], "idempotencyKey": "pay-4" });
    let expired = shop
        .app
        .graphql(&shop.store, REPORT, json!({ "input": input }))
        .await;
    assert_eq!(
        user_error_codes(&expired["data"]["reportStorePayment"]),
        vec!["BILL_EXPIRED"]
    );
    let events = shop
        .app
        .graphql(
            &shop.branch,
            "query($f: EventFilter!) { events(filter: $f) { edges { node { type } } } }",
            json!({ "f": { "organisationId": shop.branch_id } }),
        )
        .await;
    let types: Vec<&str> = events["data"]["events"]["edges"]
        .as_array()
        .expect("edges")
        .iter()
        .filter_map(|e| e["node"]["type"].as_str())
        .collect();
    assert!(
        types.contains(&"bill.expired") && types.contains(&"payment.recorded"),
        "{types:?}"
    );
    shop.app.stop().await;
}

#[tokio::test]
async fn fifty_identical_reports_record_one_payment() {
    let shop = Shop::open().await;
    let number = shop.number().await;
    let bill = shop.bill(&number, 5_000).await;
    let reports = (0..50).map(|_| {
        shop.pay(
            "LAWSON",
            "SLIP-X",
            "same-key",
            &number,
            json!([item(&bill)]),
        )
    });
    let replies = futures_util::future::join_all(reports).await;
    let ids: std::collections::BTreeSet<String> = replies
        .iter()
        .map(|r| {
            r["payment"]["id"]
                .as_str()
                .unwrap_or_else(|| panic!("{r}"))
                .to_owned()
        })
        .collect();
    assert_eq!(ids.len(), 1, "every repeat answers the one payment");
    let payments = shop
        .app
        .graphql(
            &shop.branch,
            "query($f: PaymentFilter!) { payments(filter: $f) { edges { node { amount } } } }",
            json!({ "f": { "organisationId": shop.branch_id } }),
        )
        .await;
    assert_eq!(
        payments["data"]["payments"]["edges"]
            .as_array()
            .map(Vec::len),
        Some(1),
        "{payments}"
    );
    shop.app.stop().await;
}

#[tokio::test]
async fn two_chains_paying_one_bill_at_once_make_one_payment() {
    let shop = Shop::open().await;
    let number = shop.number().await;
    for round in 0..5 {
        let bill = shop.bill(&number, 2_000 + round).await;
        let (a, b) = tokio::join!(
            shop.pay(
                "LAWSON",
                format!("L{round}"),
                format!("lawson-{round}"),
                &number,
                json!([item(&bill)])
            ),
            shop.pay(
                "FAMILYMART",
                format!("F{round}"),
                format!("familymart-{round}"),
                &number,
                json!([item(&bill)])
            ),
        );
        let won = [&a, &b].iter().filter(|p| p["payment"].is_object()).count();
        assert_eq!(won, 1, "round {round}: {a} / {b}");
        let lost = if a["payment"].is_object() { &b } else { &a };
        assert_eq!(user_error_codes(lost), vec!["BILL_ALREADY_PAID"]);
    }
    shop.app.stop().await;
}

#[tokio::test]
async fn an_edit_racing_a_payment_never_leaves_a_paid_bill_with_another_amount() {
    let shop = Shop::open().await;
    let number = shop.number().await;
    for round in 0..8 {
        let bill = shop.bill(&number, 3_000).await;
        let edit = shop.app.graphql(
            &shop.branch,
            UPDATE,
            json!({ "input": { "billId": bill["id"], "amount": 3_500, "expectedVersion": 1 } }),
        );
        let pay = shop.pay(
            "LAWSON",
            format!("E{round}"),
            format!("edit-race-{round}"),
            &number,
            json!([item(&bill)]),
        );
        let (edited, paid) = tokio::join!(edit, pay);
        let state = shop.app.graphql(&shop.branch, "query($id: ID!) { node(id: $id) { ... on Bill { status amount version payments { amount billVersion } } } }", json!({ "id": bill["id"] })).await;
        let node = &state["data"]["node"];
        match node["status"].as_str() {
            Some("PAID") => {
                assert_eq!(
                    node["payments"][0]["amount"], node["amount"],
                    "paid what the bill says: {state}"
                );
                assert_eq!(node["payments"][0]["billVersion"], node["version"]);
                assert_eq!(
                    user_error_codes(&edited["data"]["updateBill"]),
                    vec!["BILL_ALREADY_PAID"],
                    "{edited}"
                );
            }
            Some("OPEN") => {
                assert_eq!(node["amount"], 3_500);
                assert_eq!(user_error_codes(&paid), vec!["VERSION_MISMATCH"], "{paid}");
            }
            other => panic!("unexpected {other:?}: {state}"),
        }
    }
    shop.app.stop().await;
}

#[tokio::test]
async fn payments_reach_subscribers_and_signed_webhooks_only_of_their_organisation() {
    let shop = Shop::open().await;
    let owner = shop.app.demo_login("owner").await;
    let group = shop.app.demo_login("group").await;
    let viewer = shop
        .app
        .graphql(&group, "{ viewer { organisation { id } } }", json!({}))
        .await;
    let group_id = viewer["data"]["viewer"]["organisation"]["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let owner_viewer = shop
        .app
        .graphql(&owner, "{ viewer { organisation { id } } }", json!({}))
        .await;
    let owner_id = owner_viewer["data"]["viewer"]["organisation"]["id"]
        .as_str()
        .expect("id")
        .to_owned();

    // A receiver that fails its first two tries.
    let receiver = Receiver::start(2).await;
    let created = shop.app.graphql(&shop.branch, "mutation($input: CreateWebhookEndpointInput!) { createWebhookEndpoint(input: $input) { endpoint { id } signingSecret userErrors { code } } }", json!({ "input": { "organisationId": shop.branch_id, "url": receiver.url, "eventTypes": ["payment.recorded"] } })).await;
    let secret = created["data"]["createWebhookEndpoint"]["signingSecret"]
        .as_str()
        .unwrap_or_else(|| panic!("{created}"))
        .to_owned();
    let bad = shop.app.graphql(&shop.branch, "mutation($input: CreateWebhookEndpointInput!) { createWebhookEndpoint(input: $input) { userErrors { code } } }", json!({ "input": { "organisationId": shop.branch_id, "url": "ftp://x", "eventTypes": ["nope"] } })).await;
    assert_eq!(
        user_error_codes(&bad["data"]["createWebhookEndpoint"]),
        vec!["INVALID_URL", "UNKNOWN_EVENT_TYPE"]
    );

    let query = "subscription($id: ID!) { paymentEvents(organisationId: $id) { eventId paymentId amount billIds chain } }";
    let mut branch_events = shop
        .app
        .subscribe(&shop.branch, query, json!({ "id": shop.branch_id }))
        .await;
    let mut group_events = shop
        .app
        .subscribe(&group, query, json!({ "id": group_id }))
        .await;
    let mut owner_events = shop
        .app
        .subscribe(&owner, query, json!({ "id": owner_id }))
        .await;
    let mut prying = shop
        .app
        .subscribe(&group, query, json!({ "id": shop.branch_id }))
        .await;
    let refused = prying
        .next(Duration::from_secs(5))
        .await
        .expect("an answer");
    let denied =
        refused["type"] == "error" || refused["errors"][0]["extensions"]["code"] == "NOT_FOUND";
    assert!(denied, "a tenant may not listen to a sibling: {refused}");
    tokio::time::sleep(Duration::from_millis(200)).await;

    let number = shop.number().await;
    let bill = shop.bill(&number, 4_321).await;
    let paid = shop
        .pay("MINISTOP", "WS-1", "ws-1", &number, json!([item(&bill)]))
        .await;
    let payment_id = paid["payment"]["id"].as_str().expect("payment").to_owned();

    let heard = branch_events
        .next(Duration::from_secs(5))
        .await
        .expect("the branch hears its payment");
    assert_eq!(
        heard["data"]["paymentEvents"]["paymentId"],
        payment_id.as_str(),
        "{heard}"
    );
    assert_eq!(heard["data"]["paymentEvents"]["amount"], 4_321);
    assert_eq!(
        heard["data"]["paymentEvents"]["billIds"],
        json!([bill["id"]])
    );
    let owner_heard = owner_events
        .next(Duration::from_secs(5))
        .await
        .expect("the owner hears its tenant");
    assert_eq!(
        owner_heard["data"]["paymentEvents"]["paymentId"],
        payment_id.as_str()
    );
    assert!(
        group_events
            .next(Duration::from_millis(700))
            .await
            .is_none(),
        "a sibling hears nothing"
    );

    // The webhook arrives on the third try, signed.
    let received = receiver.wait_for(3, Duration::from_secs(10)).await;
    assert_eq!(received.len(), 3, "two failures then success");
    for (headers, body) in &received {
        let signature = headers
            .iter()
            .find(|(k, _)| k == "shuno-signature")
            .map(|(_, v)| v.clone())
            .expect("signed");
        assert!(
            signature_valid(&signature, &secret, body),
            "valid signature: {signature}"
        );
        let event: Value = serde_json::from_str(body).expect("json");
        assert_eq!(event["type"], "payment.recorded");
        assert_eq!(event["data"]["amount"], 4_321);
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let log = shop.app.graphql(&shop.branch, "query($f: EventFilter!) { events(filter: $f) { edges { node { id type deliveries { status attempts attemptLog { statusCode } } } } } }", json!({ "f": { "organisationId": shop.branch_id } })).await;
    let event = log["data"]["events"]["edges"]
        .as_array()
        .expect("edges")
        .iter()
        .find(|e| e["node"]["type"] == "payment.recorded")
        .expect("event")["node"]
        .clone();
    assert_eq!(event["deliveries"][0]["status"], "DELIVERED", "{log}");
    assert_eq!(event["deliveries"][0]["attempts"], 3);
    let codes: Vec<i64> = event["deliveries"][0]["attemptLog"]
        .as_array()
        .expect("log")
        .iter()
        .filter_map(|a| a["statusCode"].as_i64())
        .collect();
    assert_eq!(codes, vec![500, 500, 200]);

    // Redelivery sends it once more.
    let again = shop.app.graphql(&shop.branch, "mutation($input: RedeliverEventInput!) { redeliverEvent(input: $input) { event { id } userErrors { code } } }", json!({ "input": { "eventId": event["id"] } })).await;
    assert!(
        again["data"]["redeliverEvent"]["event"]["id"].is_string(),
        "{again}"
    );
    assert_eq!(receiver.wait_for(4, Duration::from_secs(5)).await.len(), 4);
    shop.app.stop().await;
}

#[tokio::test]
async fn numbers_are_mailed_in_japanese_and_sheets_print() {
    let shop = Shop::open().await;
    let number = shop.number().await;
    let messages = shop
        .app
        .graphql(
            &shop.platform,
            "{ outgoingMessages { edges { node { recipient subject body status } } } }",
            json!({}),
        )
        .await;
    let mail = &messages["data"]["outgoingMessages"]["edges"][0]["node"];
    assert_eq!(mail["recipient"], "customer@example.jp");
    assert_eq!(
        mail["status"], "PENDING",
        "no SMTP configured: kept pending"
    );
    assert!(
        mail["subject"]
            .as_str()
            .is_some_and(|s| s.contains("お支払番号"))
    );
    assert!(
        mail["body"]
            .as_str()
            .is_some_and(|b| b.contains(&number[..4]))
    );
    assert_eq!(
        error_code(
            &shop
                .app
                .graphql(
                    &shop.branch,
                    "{ outgoingMessages { edges { node { id } } } }",
                    json!({})
                )
                .await
        ),
        Some("FORBIDDEN")
    );

    shop.bill(&number, 12_345).await;
    let sheet = shop
        .app
        .client
        .get(format!("{}/sheets/{number}", shop.app.address))
        .bearer_auth(&shop.branch)
        .send()
        .await
        .expect("sheet");
    assert_eq!(sheet.status().as_u16(), 200);
    let html = sheet.text().await.expect("html");
    assert!(
        html.contains("12,345円") && html.contains("お支払い方法") && html.contains("ローソン"),
        "{html}"
    );
    let anonymous = shop
        .app
        .client
        .get(format!("{}/sheets/{number}", shop.app.address))
        .send()
        .await
        .expect("sheet");
    assert_eq!(anonymous.status().as_u16(), 401);
    let group = shop.app.demo_login("group").await;
    let other = shop
        .app
        .client
        .get(format!("{}/sheets/{number}", shop.app.address))
        .bearer_auth(&group)
        .send()
        .await
        .expect("sheet");
    assert_eq!(
        other.status().as_u16(),
        404,
        "another tenant sees none of these bills"
    );
    shop.app.stop().await;
}

#[tokio::test]
async fn repeat_bills_are_paid_again_and_again_at_their_fixed_amount() {
    let shop = Shop::open().await;
    let applied = shop
        .app
        .graphql(&shop.branch, "mutation($input: SubmitApplicationInput!) { submitApplication(input: $input) { application { status contract { id usage } } userErrors { code } } }", json!({ "input": {
            "organisationId": shop.branch_id, "plan": "LIGHT", "usage": "REPEAT", "chains": ["LAWSON", "MINISTOP", "FAMILYMART"],
            "categories": ["POINTS"], "merchandiseDescription": "ポイント購入", "commitmentsAffirmed": true } }))
        .await;
    let contract = &applied["data"]["submitApplication"]["application"]["contract"];
    assert_eq!(contract["usage"], "REPEAT", "{applied}");
    let number = shop.number().await;
    let input = json!({ "contractId": contract["id"], "paymentNumber": number, "amount": 1_000, "dueDate": (jst_today() + Days::new(30)).to_string(), "category": "POINTS", "description": "1,000ポイント" });
    let bill = shop
        .app
        .graphql(&shop.branch, REGISTER, json!({ "input": input }))
        .await["data"]["registerBill"]["bill"]
        .clone();
    for n in 0..3 {
        let paid = shop
            .pay(
                "LAWSON",
                format!("REP-{n}"),
                format!("rep-{n}"),
                &number,
                json!([item(&bill)]),
            )
            .await;
        assert!(paid["payment"].is_object(), "payment {n}: {paid}");
    }
    let state = shop.app.graphql(&shop.branch, "query($id: ID!) { node(id: $id) { ... on Bill { status paymentCount payments { amount } } } }", json!({ "id": bill["id"] })).await;
    assert_eq!(state["data"]["node"]["status"], "OPEN");
    assert_eq!(state["data"]["node"]["paymentCount"], 3);
    assert_eq!(
        state["data"]["node"]["payments"].as_array().map(Vec::len),
        Some(3)
    );
    // The same slip twice is still one payment.
    let again = shop
        .pay("LAWSON", "REP-0", "rep-0", &number, json!([item(&bill)]))
        .await;
    assert!(again["payment"].is_object());
    let after = shop
        .app
        .graphql(
            &shop.branch,
            "query($id: ID!) { node(id: $id) { ... on Bill { paymentCount } } }",
            json!({ "id": bill["id"] }),
        )
        .await;
    assert_eq!(after["data"]["node"]["paymentCount"], 3);
    shop.app.stop().await;
}

#[tokio::test]
async fn a_full_batch_of_a_thousand_bills_screens_within_the_default_budgets() {
    let shop = Shop::open().await;
    let number = shop.number().await;
    let due = (jst_today() + Days::new(20)).to_string();
    let bills: Vec<Value> = (0..1_000)
        .map(|i| json!({ "paymentNumber": number, "amount": 1_000 + i, "dueDate": due, "category": if i % 10 == 0 { "DONATION" } else { "GENERAL_MERCHANDISE" }, "description": format!("通信販売の商品 {i} 点目") }))
        .collect();
    let reply = shop.app.graphql(&shop.branch, "mutation($input: RegisterBillsInput!) { registerBills(input: $input) { bills { availableChains } userErrors { code } } }", json!({ "input": { "contractId": shop.contract_id, "bills": bills } })).await;
    let payload = &reply["data"]["registerBills"];
    assert_eq!(
        payload["userErrors"],
        json!([]),
        "{}",
        &reply.to_string()[..reply.to_string().len().min(500)]
    );
    let registered = payload["bills"].as_array().expect("bills");
    assert_eq!(registered.len(), 1_000);
    assert_eq!(
        registered
            .iter()
            .filter(|b| b["availableChains"] == json!(["LAWSON", "MINISTOP"]))
            .count(),
        100
    );
    shop.app.stop().await;
}

/// Registration reads the owner's pipeline from a cache; a pipeline change
/// made through the API reaches the very next registration, however long
/// the cache would otherwise keep it.
#[tokio::test]
async fn a_pipeline_change_reaches_the_next_registration() {
    let shop = Shop::open_with(|c| c.pipeline_cache_seconds = 3_600).await;
    let number = shop.number().await;
    shop.bill(&number, 1_000).await;

    let reviewer = shop.app.demo_login("reviewer").await;
    let owner = shop.app.demo_login("owner").await;
    let owner_id = shop
        .app
        .graphql(&owner, "{ viewer { organisation { id } } }", json!({}))
        .await["data"]["viewer"]["organisation"]["id"]
        .clone();
    let pipeline = shop
        .app
        .graphql(
            &reviewer,
            "query($id: ID!) { screeningPipeline(ownerId: $id) { plugin { id name } } }",
            json!({ "id": owner_id }),
        )
        .await;
    let banned = pipeline["data"]["screeningPipeline"]
        .as_array()
        .and_then(|steps| {
            steps
                .iter()
                .find(|s| s["plugin"]["name"] == "banned-categories")
        })
        .map(|s| s["plugin"]["id"].clone())
        .unwrap_or_else(|| panic!("{pipeline}"));
    let set = shop
        .app
        .graphql(&reviewer, "mutation($input: SetScreeningPipelineInput!) { setScreeningPipeline(input: $input) { userErrors { code } } }", json!({ "input": { "ownerId": owner_id, "steps": [
            { "pluginId": banned, "config": { "categories": ["GENERAL_MERCHANDISE"], "keywords": [] } },
        ] } }))
        .await;
    assert_eq!(
        set["data"]["setScreeningPipeline"]["userErrors"],
        json!([]),
        "{set}"
    );

    let refused = shop
        .register(
            &number,
            2_000,
            jst_today() + Days::new(10),
            "GENERAL_MERCHANDISE",
        )
        .await;
    assert_eq!(
        user_error_codes(&refused),
        vec!["BILL_BLOCKED"],
        "{refused}"
    );
}
