//! Payment numbers, bills, the store network and payments.

use async_graphql::{Context, ID, InputObject, Object, Result, SimpleObject};
use chrono::{DateTime, Utc};

use super::{
    Conn, connection,
    enums::{BillStatus, Chain},
    env,
    errors::{UserError, payload, to_graphql},
    ids::{self, Kind},
    page_request,
    scalars::Date,
    screening::ScreeningResult,
    types::{Contract, Organisation, organisation_for},
};
use crate::{
    domain::{contract::ChainSet, screening as domain},
    service::{
        ServiceError,
        bills::{BillChanges, BillInput as ServiceBill},
        store_network::{Report, ReportItem},
    },
    store::{
        bills::BillFilter as StoreFilter,
        entity::{bill, bill_version, payment, payment_item},
    },
};

/// A bill registered against a payment number.
pub struct Bill(pub bill::Model);

#[Object]
impl Bill {
    pub async fn id(&self) -> ID {
        ids::encode(Kind::Bill, self.0.id)
    }
    async fn payment_number(&self) -> &str {
        &self.0.payment_number
    }
    /// Yen, tax included.
    async fn amount(&self) -> i64 {
        self.0.amount
    }
    async fn due_date(&self) -> Date {
        Date(self.0.due_date)
    }
    async fn category(&self) -> &str {
        &self.0.category
    }
    async fn description(&self) -> &str {
        &self.0.description
    }
    async fn customer_email(&self) -> Option<&str> {
        self.0.customer_email.as_deref()
    }
    async fn status(&self) -> Option<BillStatus> {
        BillStatus::from_stored(&self.0.status)
    }
    /// Starts at 1; every change adds one. Stores pay a version.
    async fn version(&self) -> i32 {
        self.0.version
    }
    /// Chains the bill may be paid at (after screening).
    async fn available_chains(&self) -> Vec<Chain> {
        ChainSet::from_stored(&self.0.available_chains)
            .map(|set| set.chains().iter().map(|c| Chain::from(*c)).collect())
            .unwrap_or_default()
    }
    /// How many times it was paid (REPEAT bills may be paid many times).
    async fn payment_count(&self) -> i32 {
        self.0.payment_count
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
    async fn paid_at(&self) -> Option<DateTime<Utc>> {
        self.0.paid_at
    }
    async fn screening(&self) -> Option<ScreeningResult> {
        let stored: domain::Screening = serde_json::from_str(self.0.screening.as_deref()?).ok()?;
        Some(stored.into())
    }
    async fn contract(&self, ctx: &Context<'_>) -> Result<Option<Contract>> {
        let (services, caller) = env(ctx)?;
        let found = services
            .visible_contract(caller, self.0.contract_id)
            .await
            .map_err(|e| to_graphql(ctx, e))?;
        Ok(found.map(|(c, _)| Contract(c)))
    }
    async fn organisation(&self, ctx: &Context<'_>) -> Result<Option<Organisation>> {
        organisation_for(ctx, self.0.organisation_id).await
    }
    /// Every version the bill has had, oldest first.
    async fn versions(&self, ctx: &Context<'_>) -> Result<Vec<BillVersion>> {
        let (services, _) = env(ctx)?;
        let rows = crate::store::bills::versions(&services.db, self.0.id)
            .await
            .map_err(|e| to_graphql(ctx, ServiceError::from(e)))?;
        Ok(rows.into_iter().map(BillVersion).collect())
    }
    /// The payments of this bill.
    async fn payments(&self, ctx: &Context<'_>) -> Result<Vec<PaymentItem>> {
        let (services, _) = env(ctx)?;
        let rows = crate::store::payments::items_of_bill(&services.db, self.0.id)
            .await
            .map_err(|e| to_graphql(ctx, ServiceError::from(e)))?;
        Ok(rows.into_iter().map(PaymentItem).collect())
    }
}

pub struct BillVersion(pub bill_version::Model);

#[Object]
impl BillVersion {
    async fn version(&self) -> i32 {
        self.0.version
    }
    async fn amount(&self) -> i64 {
        self.0.amount
    }
    async fn due_date(&self) -> Date {
        Date(self.0.due_date)
    }
    async fn category(&self) -> &str {
        &self.0.category
    }
    async fn description(&self) -> &str {
        &self.0.description
    }
    async fn status(&self) -> Option<BillStatus> {
        BillStatus::from_stored(&self.0.status)
    }
    /// `user:<id>`, `key:<id>` or `system`.
    async fn changed_by(&self) -> &str {
        &self.0.changed_by
    }
    async fn at(&self) -> DateTime<Utc> {
        self.0.at
    }
}

/// A payment reported by the store network: one slip, one or more bills.
pub struct Payment(pub payment::Model);

#[Object]
impl Payment {
    pub async fn id(&self) -> ID {
        ids::encode(Kind::Payment, self.0.id)
    }
    async fn chain(&self) -> Option<Chain> {
        Chain::from_stored(&self.0.chain)
    }
    async fn store_code(&self) -> &str {
        &self.0.store_code
    }
    async fn slip_number(&self) -> &str {
        &self.0.slip_number
    }
    async fn paid_at(&self) -> DateTime<Utc> {
        self.0.paid_at
    }
    async fn payment_number(&self) -> &str {
        &self.0.payment_number
    }
    async fn total(&self) -> i64 {
        self.0.total
    }
    async fn items(&self, ctx: &Context<'_>) -> Result<Vec<PaymentItem>> {
        let (services, _) = env(ctx)?;
        let rows = crate::store::payments::items_of(&services.db, self.0.id)
            .await
            .map_err(|e| to_graphql(ctx, ServiceError::from(e)))?;
        Ok(rows.into_iter().map(PaymentItem).collect())
    }
}

/// One bill paid within a payment.
pub struct PaymentItem(pub payment_item::Model);

#[Object]
impl PaymentItem {
    async fn bill_id(&self) -> ID {
        ids::encode(Kind::Bill, self.0.bill_id)
    }
    async fn payment_id(&self) -> ID {
        ids::encode(Kind::Payment, self.0.payment_id)
    }
    async fn amount(&self) -> i64 {
        self.0.amount
    }
    /// The bill version the store showed and was paid.
    async fn bill_version(&self) -> i32 {
        self.0.bill_version
    }
    async fn paid_at(&self) -> DateTime<Utc> {
        self.0.paid_at
    }
    async fn bill(&self, ctx: &Context<'_>) -> Result<Option<Bill>> {
        let (services, caller) = env(ctx)?;
        let found = services
            .visible_bill(caller, self.0.bill_id)
            .await
            .map_err(|e| to_graphql(ctx, e))?;
        Ok(found.map(Bill))
    }
    async fn payment(&self, ctx: &Context<'_>) -> Result<Option<Payment>> {
        let (services, caller) = env(ctx)?;
        let found = services
            .visible_payment(caller, self.0.payment_id)
            .await
            .map_err(|e| to_graphql(ctx, e))?;
        Ok(found.map(Payment))
    }
}

/// A bill as a store terminal shows it.
#[derive(SimpleObject)]
pub struct TerminalBill {
    pub bill_id: ID,
    pub amount: i64,
    pub due_date: Date,
    pub company_name: String,
    pub description: String,
    /// The version to report with the payment.
    pub version: i32,
}

#[derive(InputObject)]
pub struct BillFilter {
    pub organisation_id: ID,
    pub status: Option<BillStatus>,
    pub payment_number: Option<String>,
}

#[derive(InputObject)]
pub struct PaymentFilter {
    pub organisation_id: ID,
}

#[derive(Default)]
pub struct BillQuery;

#[Object]
impl BillQuery {
    /// The bills of an organisation.
    #[graphql(complexity = "super::page_complexity(first, child_complexity)")]
    async fn bills(
        &self,
        ctx: &Context<'_>,
        filter: BillFilter,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Conn<Bill>> {
        let (services, caller) = env(ctx)?;
        let request = page_request(first, after)?;
        let payment_number = match filter.payment_number {
            Some(raw) => Some(
                crate::domain::payment_number::PaymentNumber::parse(&raw)
                    .map_err(|r| super::errors::code_error("BAD_REQUEST", &r.message))?
                    .as_str()
                    .to_owned(),
            ),
            None => None,
        };
        let store_filter = StoreFilter {
            organisation_id: ids::decode_as(Kind::Organisation, &filter.organisation_id)
                .unwrap_or_default(),
            status: filter
                .status
                .map(|s| crate::domain::bill::BillStatus::from(s).as_str().to_owned()),
            payment_number,
        };
        let page = services
            .bills_of(caller, store_filter, request)
            .await
            .map_err(|e| to_graphql(ctx, e))?;
        Ok(connection(page, |b| b.id, Bill))
    }

    /// The paid bills of an organisation, oldest first.
    #[graphql(complexity = "super::page_complexity(first, child_complexity)")]
    async fn payments(
        &self,
        ctx: &Context<'_>,
        filter: PaymentFilter,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Conn<PaymentItem>> {
        let (services, caller) = env(ctx)?;
        let request = page_request(first, after)?;
        let id = ids::decode_as(Kind::Organisation, &filter.organisation_id).unwrap_or_default();
        let page = services
            .payments_of(caller, id, request)
            .await
            .map_err(|e| to_graphql(ctx, e))?;
        Ok(connection(page, |i| i.id, PaymentItem))
    }

    /// What a store terminal lists for a payment number at a chain (store network).
    async fn store_terminal_bills(
        &self,
        ctx: &Context<'_>,
        chain: Chain,
        payment_number: String,
    ) -> Result<Vec<TerminalBill>> {
        let (services, caller) = env(ctx)?;
        let shown = services
            .terminal_bills(caller, chain.into(), &payment_number)
            .await
            .map_err(|e| to_graphql(ctx, e))?;
        Ok(shown
            .into_iter()
            .map(|t| TerminalBill {
                bill_id: ids::encode(Kind::Bill, t.bill.id),
                amount: t.bill.amount,
                due_date: Date(t.bill.due_date),
                company_name: t.company_name,
                description: t.bill.description,
                version: t.bill.version,
            })
            .collect())
    }
}

#[derive(InputObject)]
pub struct IssuePaymentNumberInput {
    pub contract_id: ID,
    /// The customer's e-mail: the number is sent there in Japanese (Q11).
    pub email: String,
}

#[derive(SimpleObject)]
pub struct IssuePaymentNumberPayload {
    pub payment_number: Option<String>,
    pub user_errors: Vec<UserError>,
}

#[derive(InputObject)]
pub struct IssuePaymentNumberBlockInput {
    pub count: i32,
    /// Reserve the block for one organisation (e.g. its joint card).
    pub organisation_id: Option<ID>,
}

#[derive(SimpleObject)]
pub struct IssuePaymentNumberBlockPayload {
    pub payment_numbers: Option<Vec<String>>,
    pub user_errors: Vec<UserError>,
}

#[derive(InputObject, Clone)]
pub struct BillFields {
    /// 13 digits; full-width digits, hyphens and spaces are accepted and normalised.
    pub payment_number: String,
    /// Yen, tax included, 1 to 300,000.
    pub amount: i64,
    /// From today (JST) to today + 59 days.
    pub due_date: Date,
    pub category: String,
    pub description: String,
    /// Where to e-mail the bill (prepayment, Q10).
    pub customer_email: Option<String>,
}

impl From<BillFields> for ServiceBill {
    fn from(f: BillFields) -> Self {
        ServiceBill {
            payment_number: f.payment_number,
            amount: f.amount,
            due_date: f.due_date.0,
            category: f.category,
            description: f.description,
            customer_email: f.customer_email,
        }
    }
}

#[derive(InputObject)]
pub struct RegisterBillInput {
    pub contract_id: ID,
    pub payment_number: String,
    pub amount: i64,
    pub due_date: Date,
    pub category: String,
    pub description: String,
    pub customer_email: Option<String>,
    /// A repeat with the same key returns the first result (keys live ≥ 24 h).
    pub idempotency_key: Option<String>,
}

#[derive(SimpleObject)]
pub struct RegisterBillPayload {
    pub bill: Option<Bill>,
    pub user_errors: Vec<UserError>,
}

#[derive(InputObject)]
pub struct RegisterBillsInput {
    pub contract_id: ID,
    /// Up to 1,000 bills.
    pub bills: Vec<BillFields>,
    /// false (default): valid bills are registered, invalid ones come back as
    /// userErrors naming their index. true: any error registers none.
    #[graphql(default)]
    pub all_or_nothing: bool,
    pub idempotency_key: Option<String>,
}

#[derive(SimpleObject)]
pub struct RegisterBillsPayload {
    pub bills: Vec<Bill>,
    pub user_errors: Vec<UserError>,
}

#[derive(InputObject)]
pub struct UpdateBillInput {
    pub bill_id: ID,
    pub amount: Option<i64>,
    pub due_date: Option<Date>,
    pub category: Option<String>,
    pub description: Option<String>,
    /// The version the change is based on; a stale version is refused.
    pub expected_version: i32,
}

#[derive(InputObject)]
pub struct CancelBillInput {
    pub bill_id: ID,
}

#[derive(SimpleObject)]
pub struct BillPayload {
    pub bill: Option<Bill>,
    pub user_errors: Vec<UserError>,
}

#[derive(InputObject)]
pub struct PaymentItemInput {
    pub bill_id: ID,
    /// The amount the terminal showed.
    pub amount: i64,
    /// The version the terminal showed.
    pub version: i32,
}

#[derive(InputObject)]
pub struct ReportStorePaymentInput {
    pub chain: Chain,
    pub store_code: String,
    pub slip_number: String,
    pub paid_at: DateTime<Utc>,
    pub payment_number: String,
    pub items: Vec<PaymentItemInput>,
    /// The same report sent again with this key is recorded once.
    pub idempotency_key: String,
}

#[derive(SimpleObject)]
pub struct ReportStorePaymentPayload {
    pub payment: Option<Payment>,
    pub user_errors: Vec<UserError>,
}

#[derive(Default)]
pub struct BillMutation;

#[Object]
impl BillMutation {
    /// Issues a payment number and e-mails it to the customer (Q11).
    async fn issue_payment_number(
        &self,
        ctx: &Context<'_>,
        input: IssuePaymentNumberInput,
    ) -> Result<IssuePaymentNumberPayload> {
        let (services, caller) = env(ctx)?;
        let contract_id = ids::decode_as(Kind::Contract, &input.contract_id).unwrap_or_default();
        let result = services
            .issue_payment_number(caller, contract_id, &input.email)
            .await;
        payload(
            ctx,
            result,
            |n| IssuePaymentNumberPayload {
                payment_number: Some(n.as_str().to_owned()),
                user_errors: vec![],
            },
            |user_errors| IssuePaymentNumberPayload {
                payment_number: None,
                user_errors,
            },
        )
    }

    /// Issues a block of unassigned numbers for printed sheets and joint cards (platform admins).
    async fn issue_payment_number_block(
        &self,
        ctx: &Context<'_>,
        input: IssuePaymentNumberBlockInput,
    ) -> Result<IssuePaymentNumberBlockPayload> {
        let (services, caller) = env(ctx)?;
        let organisation = input
            .organisation_id
            .map(|id| ids::decode_as(Kind::Organisation, &id).unwrap_or_default());
        let result = services
            .issue_payment_number_block(
                caller,
                u32::try_from(input.count).unwrap_or(0),
                organisation,
            )
            .await;
        payload(
            ctx,
            result,
            |numbers| IssuePaymentNumberBlockPayload {
                payment_numbers: Some(numbers.iter().map(|n| n.as_str().to_owned()).collect()),
                user_errors: vec![],
            },
            |user_errors| IssuePaymentNumberBlockPayload {
                payment_numbers: None,
                user_errors,
            },
        )
    }

    /// Registers one bill.
    async fn register_bill(
        &self,
        ctx: &Context<'_>,
        input: RegisterBillInput,
    ) -> Result<RegisterBillPayload> {
        let (services, caller) = env(ctx)?;
        let contract_id = ids::decode_as(Kind::Contract, &input.contract_id).unwrap_or_default();
        let bill = ServiceBill {
            payment_number: input.payment_number,
            amount: input.amount,
            due_date: input.due_date.0,
            category: input.category,
            description: input.description,
            customer_email: input.customer_email,
        };
        let result = services
            .register_bills(
                caller,
                contract_id,
                vec![bill],
                true,
                input.idempotency_key,
                "registerBill",
            )
            .await;
        payload(
            ctx,
            result,
            |r| RegisterBillPayload {
                bill: r.bills.into_iter().next().map(Bill),
                user_errors: r.errors.into_iter().map(UserError::from).collect(),
            },
            |user_errors| RegisterBillPayload {
                bill: None,
                user_errors,
            },
        )
    }

    /// Registers up to 1,000 bills, screened in one batch.
    async fn register_bills(
        &self,
        ctx: &Context<'_>,
        input: RegisterBillsInput,
    ) -> Result<RegisterBillsPayload> {
        let (services, caller) = env(ctx)?;
        let contract_id = ids::decode_as(Kind::Contract, &input.contract_id).unwrap_or_default();
        let bills = input.bills.into_iter().map(ServiceBill::from).collect();
        let result = services
            .register_bills(
                caller,
                contract_id,
                bills,
                input.all_or_nothing,
                input.idempotency_key,
                "registerBills",
            )
            .await;
        payload(
            ctx,
            result,
            |r| RegisterBillsPayload {
                bills: r.bills.into_iter().map(Bill).collect(),
                user_errors: r.errors.into_iter().map(UserError::from).collect(),
            },
            |user_errors| RegisterBillsPayload {
                bills: vec![],
                user_errors,
            },
        )
    }

    /// Changes an unpaid bill (Q09); a new version each time.
    async fn update_bill(&self, ctx: &Context<'_>, input: UpdateBillInput) -> Result<BillPayload> {
        let (services, caller) = env(ctx)?;
        let id = ids::decode_as(Kind::Bill, &input.bill_id).unwrap_or_default();
        let changes = BillChanges {
            amount: input.amount,
            due_date: input.due_date.map(|d| d.0),
            category: input.category,
            description: input.description,
        };
        let result = services
            .update_bill(caller, id, changes, input.expected_version)
            .await;
        payload(
            ctx,
            result,
            |b| BillPayload {
                bill: Some(Bill(b)),
                user_errors: vec![],
            },
            |user_errors| BillPayload {
                bill: None,
                user_errors,
            },
        )
    }

    /// Cancels an unpaid bill.
    async fn cancel_bill(&self, ctx: &Context<'_>, input: CancelBillInput) -> Result<BillPayload> {
        let (services, caller) = env(ctx)?;
        let id = ids::decode_as(Kind::Bill, &input.bill_id).unwrap_or_default();
        let result = services.cancel_bill(caller, id).await;
        payload(
            ctx,
            result,
            |b| BillPayload {
                bill: Some(Bill(b)),
                user_errors: vec![],
            },
            |user_errors| BillPayload {
                bill: None,
                user_errors,
            },
        )
    }

    /// Records a store payment of one or more bills (store network): all or
    /// none, exactly once.
    async fn report_store_payment(
        &self,
        ctx: &Context<'_>,
        input: ReportStorePaymentInput,
    ) -> Result<ReportStorePaymentPayload> {
        let (services, caller) = env(ctx)?;
        let report = Report {
            chain: input.chain.into(),
            store_code: input.store_code,
            slip_number: input.slip_number,
            paid_at: input.paid_at,
            payment_number: input.payment_number,
            items: input
                .items
                .into_iter()
                .map(|i| ReportItem {
                    bill_id: ids::decode_as(Kind::Bill, &i.bill_id).unwrap_or_default(),
                    amount: i.amount,
                    version: i.version,
                })
                .collect(),
            idempotency_key: input.idempotency_key,
        };
        let result = services.report_store_payment(caller, report).await;
        payload(
            ctx,
            result,
            |p| ReportStorePaymentPayload {
                payment: Some(Payment(p)),
                user_errors: vec![],
            },
            |user_errors| ReportStorePaymentPayload {
                payment: None,
                user_errors,
            },
        )
    }
}
