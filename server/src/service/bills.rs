//! Payment numbers and bills (Q03, Q04, Q08-Q11, Q14): registration (one or
//! a batch, screened in one call per plugin), edits with versions, cancel,
//! expiry, and the idempotency of creating requests.

use chrono::NaiveDate;
use rand::Rng;
use serde_json::json;
use sha2::{Digest, Sha256};

use super::{
    Ctx, Page, PageRequest, ServiceError, Services, UserError, organisations::scope_of,
    screening::BillSubject,
};
use crate::{
    domain::{
        bill::{Amount, BillStatus, check_due_date, jst_date, latest_due_date},
        category,
        contract::{ChainSet, ContractStatus, Usage},
        payment_number::PaymentNumber,
        screening::{Screening, Verdict},
        text::Email,
    },
    store::{
        self,
        bills::{BillFilter, Edit, NewBill},
        entity::{
            bill::Model as Bill, contract::Model as Contract, organisation::Model as Organisation,
        },
    },
};

/// The most bills one `registerBills` may carry.
pub const MAX_BATCH: usize = 1_000;
const DESCRIPTION_MAX: usize = 200;

/// A bill as the caller sends it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct BillInput {
    pub payment_number: String,
    pub amount: i64,
    pub due_date: NaiveDate,
    pub category: String,
    pub description: String,
    pub customer_email: Option<String>,
}

/// What a registration answered: the bills made and the problems, by index.
#[derive(Debug, Default)]
pub struct Registered {
    pub bills: Vec<Bill>,
    pub errors: Vec<UserError>,
}

pub struct BillChanges {
    pub amount: Option<i64>,
    pub due_date: Option<NaiveDate>,
    pub category: Option<String>,
    pub description: Option<String>,
}

fn hash(value: &serde_json::Value) -> String {
    Sha256::digest(value.to_string().as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn field(path: &[&str], index: Option<usize>, name: &str) -> Vec<String> {
    let mut f: Vec<String> = path.iter().map(|p| (*p).to_owned()).collect();
    if let Some(i) = index {
        f.push(i.to_string());
    }
    f.push(name.to_owned());
    f
}

fn error(
    path: &[&str],
    index: Option<usize>,
    name: &str,
    code: &'static str,
    message: impl Into<String>,
) -> UserError {
    UserError {
        field: field(path, index, name),
        code,
        message: message.into(),
    }
}

/// The Japanese reasons of a screening, for a refusal message.
fn screening_message(screening: &Screening) -> String {
    let reasons: Vec<&str> = screening
        .reasons
        .iter()
        .map(|r| r.message.as_str())
        .collect();
    if reasons.is_empty() {
        "審査で登録できないと判定されました。".into()
    } else {
        reasons.join(" ")
    }
}

fn is_stale(bill: &Bill) -> bool {
    BillStatus::from_name(&bill.status) != Some(BillStatus::Open)
}

impl Services {
    pub fn today(&self) -> NaiveDate {
        jst_date(self.clock.now())
    }

    /// The contract bills are registered under, when the caller may write
    /// bills there. An API key writes only under its own contract.
    pub async fn bill_contract(
        &self,
        ctx: &Ctx,
        contract_id: i64,
    ) -> Result<(Contract, Organisation), ServiceError> {
        let principal = ctx.principal()?;
        let not_found = || {
            ServiceError::invalid(
                &["input", "contractId"],
                "CONTRACT_NOT_FOUND",
                "指定された契約が見つかりません。",
            )
        };
        let (contract, organisation) = self
            .visible_contract(ctx, contract_id)
            .await?
            .ok_or_else(not_found)?;
        self.authorize(ctx, scope_of(&organisation), "bill", "write")
            .await?;
        if principal.contract_id.is_some_and(|own| own != contract.id) {
            return Err(ServiceError::Forbidden);
        }
        if ContractStatus::from_name(&contract.status) != Some(ContractStatus::Active) {
            return Err(ServiceError::invalid(
                &["input", "contractId"],
                "CONTRACT_NOT_ACTIVE",
                "有効な契約ではありません。",
            ));
        }
        Ok((contract, organisation))
    }

    /// Issues a new payment number and e-mails it to the customer (Q11).
    #[tracing::instrument(skip(self, ctx, email))]
    pub async fn issue_payment_number(
        &self,
        ctx: &Ctx,
        contract_id: i64,
        email: &str,
    ) -> Result<PaymentNumber, ServiceError> {
        let principal = ctx.principal()?;
        let (_, organisation) = self.bill_contract(ctx, contract_id).await?;
        self.authorize(ctx, scope_of(&organisation), "payment_number", "issue")
            .await?;
        let email = Email::parse(email).map_err(|r| {
            ServiceError::Invalid(vec![UserError::from_rule(&["input", "email"], r)])
        })?;
        let now = self.clock.now();
        let txn = store::write(&self.db).await?;
        let number = loop {
            let candidate = PaymentNumber::from_base(
                rand::rng().random_range(100_000_000_000..1_000_000_000_000),
            );
            if store::bills::insert_number(
                &txn,
                candidate.as_str(),
                None,
                Some(email.as_str()),
                &principal.subject.casbin_name(),
                now,
            )
            .await?
            {
                break candidate;
            }
        };
        let (subject, body) =
            crate::service::messages::payment_number_mail(&organisation.name, &number);
        store::messages::queue(
            &txn,
            Some(organisation.id),
            email.as_str(),
            &subject,
            &body,
            now,
        )
        .await?;
        txn.commit().await?;
        self.messages_queued();
        Ok(number)
    }

    /// Issues `count` unassigned numbers (for printed sheets and joint cards),
    /// optionally reserved for one organisation.
    pub async fn issue_payment_number_block(
        &self,
        ctx: &Ctx,
        count: u32,
        organisation_id: Option<i64>,
    ) -> Result<Vec<PaymentNumber>, ServiceError> {
        let principal = ctx.principal()?;
        self.authorize(
            ctx,
            crate::authz::Scope::Platform,
            "payment_number",
            "issue_block",
        )
        .await?;
        if !(1..=10_000).contains(&count) {
            return Err(ServiceError::invalid(
                &["input", "count"],
                "INVALID_BLOCK_SIZE",
                "発行数は1〜10,000で指定してください。",
            ));
        }
        if let Some(id) = organisation_id
            && self.visible_organisation(ctx, id).await?.is_none()
        {
            return Err(ServiceError::invalid(
                &["input", "organisationId"],
                "ORGANISATION_NOT_FOUND",
                "指定された組織が見つかりません。",
            ));
        }
        let now = self.clock.now();
        let issued_by = principal.subject.casbin_name();
        let txn = store::write(&self.db).await?;
        let mut numbers = Vec::with_capacity(count as usize);
        while numbers.len() < count as usize {
            let candidate = PaymentNumber::from_base(
                rand::rng().random_range(100_000_000_000..1_000_000_000_000),
            );
            if store::bills::insert_number(
                &txn,
                candidate.as_str(),
                organisation_id,
                None,
                &issued_by,
                now,
            )
            .await?
            {
                numbers.push(candidate);
            }
        }
        txn.commit().await?;
        Ok(numbers)
    }

    /// Validates, screens and registers bills. Valid bills are registered and
    /// invalid ones come back as userErrors naming their index; with
    /// `all_or_nothing`, any error registers none. A repeated
    /// `idempotency_key` returns the first result.
    #[tracing::instrument(skip(self, ctx, bills, idempotency_key), fields(count = bills.len()))]
    pub async fn register_bills(
        &self,
        ctx: &Ctx,
        contract_id: i64,
        bills: Vec<BillInput>,
        all_or_nothing: bool,
        idempotency_key: Option<String>,
        scope: &str,
    ) -> Result<Registered, ServiceError> {
        let principal = ctx.principal()?;
        let (contract, organisation) = self.bill_contract(ctx, contract_id).await?;
        let path: &[&str] = if scope == "registerBill" {
            &["input"]
        } else {
            &["input", "bills"]
        };
        let index = |i: usize| {
            if scope == "registerBill" {
                None
            } else {
                Some(i)
            }
        };
        if bills.len() > MAX_BATCH {
            return Err(ServiceError::invalid(
                &["input", "bills"],
                "TOO_MANY_BILLS",
                format!("一度に登録できる請求は{MAX_BATCH}件までです。"),
            ));
        }
        let key_scope = format!("{scope}:contract:{}", contract.id);
        let request_hash = hash(&json!({ "bills": bills, "allOrNothing": all_or_nothing }));
        if let Some(key) = &idempotency_key {
            if key.is_empty() || key.len() > 128 {
                return Err(ServiceError::invalid(
                    &["input", "idempotencyKey"],
                    "INVALID_IDEMPOTENCY_KEY",
                    "idempotencyKey は1〜128文字で指定してください。",
                ));
            }
            if let Some(seen) = store::idempotency::find(&self.db, &key_scope, key).await? {
                return self.replay(seen, &request_hash).await;
            }
        }

        let now = self.clock.now();
        let today = jst_date(now);
        let usage = Usage::from_name(&contract.usage).unwrap_or(Usage::Standard);
        let mut errors = Vec::new();
        let mut valid: Vec<(usize, BillInput, String)> = Vec::new();
        for (i, input) in bills.into_iter().enumerate() {
            let mut problems = Vec::new();
            let number = match PaymentNumber::parse(&input.payment_number) {
                Ok(n) => Some(n),
                Err(rule) => {
                    problems.push(error(
                        path,
                        index(i),
                        "paymentNumber",
                        rule.code,
                        rule.message,
                    ));
                    None
                }
            };
            if let Err(rule) = Amount::parse(input.amount) {
                problems.push(error(path, index(i), "amount", rule.code, rule.message));
            }
            if let Err(rule) = check_due_date(input.due_date, today) {
                problems.push(error(path, index(i), "dueDate", rule.code, rule.message));
            }
            if !category::is_known(&input.category) {
                problems.push(error(
                    path,
                    index(i),
                    "category",
                    "UNKNOWN_CATEGORY",
                    format!("不明な商材区分です: {}", input.category),
                ));
            }
            let description = input.description.trim();
            if description.is_empty() || description.chars().count() > DESCRIPTION_MAX {
                problems.push(error(
                    path,
                    index(i),
                    "description",
                    "INVALID_DESCRIPTION",
                    format!("請求内容は1〜{DESCRIPTION_MAX}文字で入力してください。"),
                ));
            }
            if let Some(email) = input
                .customer_email
                .as_deref()
                .filter(|e| !e.trim().is_empty())
                && let Err(rule) = Email::parse(email)
            {
                problems.push(error(
                    path,
                    index(i),
                    "customerEmail",
                    rule.code,
                    rule.message,
                ));
            }
            match (problems.is_empty(), number) {
                (true, Some(number)) => valid.push((i, input, number.as_str().to_owned())),
                _ => errors.extend(problems),
            }
        }

        // The numbers must be ones the platform issued.
        let issued = store::bills::issued_numbers(
            &self.db,
            valid.iter().map(|(_, _, n)| n.clone()).collect(),
        )
        .await?;
        let (known, unknown): (Vec<_>, Vec<_>) =
            valid.into_iter().partition(|(_, _, n)| issued.contains(n));
        for (i, _, _) in unknown {
            errors.push(error(
                path,
                index(i),
                "paymentNumber",
                "PAYMENT_NUMBER_UNKNOWN",
                "発行されていない支払番号です。",
            ));
        }

        // Screening: one call per plugin for the whole batch.
        let subjects: Vec<BillSubject> = known
            .iter()
            .map(|(_, b, _)| BillSubject {
                category: b.category.clone(),
                description: b.description.clone(),
                amount: b.amount,
            })
            .collect();
        let screenings = if subjects.is_empty() {
            Vec::new()
        } else {
            self.screen_bills(&contract, &organisation, &subjects)
                .await?
        };
        let mut accepted = Vec::new();
        for ((i, input, number), screening) in known.into_iter().zip(screenings) {
            let chains = screening.available_chains();
            match screening.verdict() {
                Verdict::Block => errors.push(error(
                    path,
                    index(i),
                    "category",
                    "BILL_BLOCKED",
                    screening_message(&screening),
                )),
                Verdict::Review => errors.push(error(
                    path,
                    index(i),
                    "category",
                    "BILL_NEEDS_REVIEW",
                    format!(
                        "審査で確認が必要と判定されたため登録できません。{}",
                        screening_message(&screening)
                    ),
                )),
                Verdict::Allow if chains.is_empty() => {
                    errors.push(error(
                        path,
                        index(i),
                        "category",
                        "NO_CHAIN_AVAILABLE",
                        "この請求を支払えるコンビニがありません。",
                    ));
                }
                Verdict::Allow => accepted.push(NewBill {
                    contract_id: contract.id,
                    organisation_id: organisation.id,
                    payment_number: number,
                    usage: usage.as_str().to_owned(),
                    amount: input.amount,
                    due_date: input.due_date,
                    category: input.category.clone(),
                    description: input.description.trim().to_owned(),
                    customer_email: input
                        .customer_email
                        .clone()
                        .filter(|e| !e.trim().is_empty())
                        .map(|e| e.trim().to_lowercase()),
                    available_chains: ChainSet::parse(&chains)
                        .map(|c| c.to_stored())
                        .unwrap_or_default(),
                    screening: serde_json::to_string(&screening).ok(),
                }),
            }
        }
        errors.sort_by(|a, b| a.field.cmp(&b.field));
        if all_or_nothing && !errors.is_empty() {
            accepted.clear();
        }

        let txn = store::write(&self.db).await?;
        let claimed = match &idempotency_key {
            Some(key) => {
                match store::idempotency::claim(&txn, &key_scope, key, &request_hash, now).await {
                    Ok(row) => Some(row),
                    Err(err) if store::unique_violation(&err) == Some("ux_idempotency_keys") => {
                        drop(txn);
                        let seen = store::idempotency::find(&self.db, &key_scope, key)
                            .await?
                            .ok_or(ServiceError::NotFound)?;
                        return self.replay(seen, &request_hash).await;
                    }
                    Err(err) => return Err(err.into()),
                }
            }
            None => None,
        };
        let stored =
            store::bills::insert_bills(&txn, accepted, &principal.subject.casbin_name(), now)
                .await?;
        for bill in stored.iter().filter(|b| b.customer_email.is_some()) {
            let (subject, body) = crate::service::messages::bill_mail(&organisation.name, bill);
            if let Some(to) = &bill.customer_email {
                store::messages::queue(&txn, Some(organisation.id), to, &subject, &body, now)
                    .await?;
            }
        }
        if let Some(row) = claimed {
            let response = json!({
                "billIds": stored.iter().map(|b| b.id).collect::<Vec<_>>(),
                "errors": errors.iter().map(|e| json!({ "field": e.field, "code": e.code, "message": e.message })).collect::<Vec<_>>(),
            });
            store::idempotency::complete(&txn, row.id, response.to_string()).await?;
        }
        txn.commit().await?;
        if stored.iter().any(|b| b.customer_email.is_some()) {
            self.messages_queued();
        }
        tracing::info!(
            registered = stored.len(),
            refused = errors.len(),
            "bills registered"
        );
        Ok(Registered {
            bills: stored,
            errors,
        })
    }

    /// The first result of an idempotent request, or a refusal when the same
    /// key came with different input.
    async fn replay(
        &self,
        seen: store::entity::idempotency_key::Model,
        request_hash: &str,
    ) -> Result<Registered, ServiceError> {
        if seen.request_hash != request_hash {
            return Err(ServiceError::invalid(
                &["input", "idempotencyKey"],
                "IDEMPOTENCY_KEY_REUSED",
                "同じ idempotencyKey が異なる内容で使われています。",
            ));
        }
        let response: serde_json::Value = seen
            .response
            .as_deref()
            .and_then(|r| serde_json::from_str(r).ok())
            .unwrap_or_default();
        let ids: Vec<i64> = response["billIds"]
            .as_array()
            .map(|a| a.iter().filter_map(|v| v.as_i64()).collect())
            .unwrap_or_default();
        let bills = store::bills::find_many(&self.db, ids).await?;
        let errors = response["errors"]
            .as_array()
            .map(|list| {
                list.iter()
                    .map(|e| UserError {
                        field: e["field"]
                            .as_array()
                            .map(|f| {
                                f.iter()
                                    .filter_map(|s| s.as_str().map(str::to_owned))
                                    .collect()
                            })
                            .unwrap_or_default(),
                        code: stable_code(e["code"].as_str().unwrap_or("")),
                        message: e["message"].as_str().unwrap_or_default().to_owned(),
                    })
                    .collect()
            })
            .unwrap_or_default();
        Ok(Registered { bills, errors })
    }

    /// A bill the caller may read.
    pub async fn visible_bill(&self, ctx: &Ctx, id: i64) -> Result<Option<Bill>, ServiceError> {
        let principal = ctx.principal()?;
        let Some(bill) = store::bills::find(&self.db, id).await? else {
            return Ok(None);
        };
        let Some(organisation) = store::organisations::find(&self.db, bill.organisation_id).await?
        else {
            return Ok(None);
        };
        if principal
            .contract_id
            .is_some_and(|own| own != bill.contract_id)
        {
            return Ok(None);
        }
        Ok(self
            .may(ctx, scope_of(&organisation), "bill", "read")
            .await?
            .then_some(bill))
    }

    async fn writable_bill(
        &self,
        ctx: &Ctx,
        id: i64,
    ) -> Result<(Bill, Contract, Organisation), ServiceError> {
        let not_found = || {
            ServiceError::invalid(
                &["input", "billId"],
                "BILL_NOT_FOUND",
                "指定された請求が見つかりません。",
            )
        };
        let bill = self.visible_bill(ctx, id).await?.ok_or_else(not_found)?;
        let (contract, organisation) =
            self.bill_contract(ctx, bill.contract_id)
                .await
                .map_err(|e| match e {
                    ServiceError::Invalid(_) => not_found(),
                    other => other,
                })?;
        Ok((bill, contract, organisation))
    }

    fn not_editable(bill: &Bill) -> ServiceError {
        let (code, message) = match BillStatus::from_name(&bill.status) {
            Some(BillStatus::Paid) => ("BILL_ALREADY_PAID", "支払済みの請求は変更できません。"),
            Some(BillStatus::Cancelled) => ("BILL_CANCELLED", "取消済みの請求は変更できません。"),
            _ => ("BILL_EXPIRED", "支払期限を過ぎた請求は変更できません。"),
        };
        ServiceError::invalid(&["input", "billId"], code, message)
    }

    /// Edits an OPEN bill at `expected_version` (Q09); every edit is a version.
    #[tracing::instrument(skip(self, ctx, changes))]
    pub async fn update_bill(
        &self,
        ctx: &Ctx,
        bill_id: i64,
        changes: BillChanges,
        expected_version: i32,
    ) -> Result<Bill, ServiceError> {
        let principal = ctx.principal()?;
        let (bill, contract, organisation) = self.writable_bill(ctx, bill_id).await?;
        if is_stale(&bill) {
            return Err(Self::not_editable(&bill));
        }
        if bill.version != expected_version {
            return Err(ServiceError::invalid(
                &["input", "expectedVersion"],
                "VERSION_CONFLICT",
                format!("請求は既に更新されています（現在の版: {}）。", bill.version),
            ));
        }
        let now = self.clock.now();
        let mut problems = Vec::new();
        let amount = changes.amount.unwrap_or(bill.amount);
        if let Err(rule) = Amount::parse(amount) {
            problems.push(UserError::from_rule(&["input", "amount"], rule));
        }
        let due_date = changes.due_date.unwrap_or(bill.due_date);
        let registered = jst_date(bill.created_at);
        if due_date < jst_date(now) {
            problems.push(UserError::new(
                &["input", "dueDate"],
                "DUE_DATE_IN_PAST",
                "支払期限に過去の日付は指定できません。",
            ));
        } else if due_date > latest_due_date(registered) {
            problems.push(UserError::new(
                &["input", "dueDate"],
                "DUE_DATE_TOO_FAR",
                "支払期限は登録日を含めて60日以内（登録日＋59日まで）で指定してください。",
            ));
        }
        let category = changes.category.unwrap_or_else(|| bill.category.clone());
        if !category::is_known(&category) {
            problems.push(UserError::new(
                &["input", "category"],
                "UNKNOWN_CATEGORY",
                format!("不明な商材区分です: {category}"),
            ));
        }
        let description = changes
            .description
            .map(|d| d.trim().to_owned())
            .unwrap_or_else(|| bill.description.clone());
        if description.is_empty() || description.chars().count() > DESCRIPTION_MAX {
            problems.push(UserError::new(
                &["input", "description"],
                "INVALID_DESCRIPTION",
                format!("請求内容は1〜{DESCRIPTION_MAX}文字で入力してください。"),
            ));
        }
        if !problems.is_empty() {
            return Err(ServiceError::Invalid(problems));
        }
        // Screening runs again when what it looks at changed.
        let (available_chains, screening) = if category != bill.category
            || description != bill.description
            || amount != bill.amount
        {
            let subject = BillSubject {
                category: category.clone(),
                description: description.clone(),
                amount,
            };
            let screening = self
                .screen_bills(&contract, &organisation, &[subject])
                .await?
                .remove(0);
            let chains = screening.available_chains();
            match screening.verdict() {
                Verdict::Allow if !chains.is_empty() => {}
                Verdict::Allow => {
                    return Err(ServiceError::invalid(
                        &["input", "category"],
                        "NO_CHAIN_AVAILABLE",
                        "この請求を支払えるコンビニがありません。",
                    ));
                }
                Verdict::Block => {
                    return Err(ServiceError::invalid(
                        &["input", "category"],
                        "BILL_BLOCKED",
                        screening_message(&screening),
                    ));
                }
                Verdict::Review => {
                    return Err(ServiceError::invalid(
                        &["input", "category"],
                        "BILL_NEEDS_REVIEW",
                        screening_message(&screening),
                    ));
                }
            }
            (
                ChainSet::parse(&chains)
                    .map(|c| c.to_stored())
                    .unwrap_or_default(),
                serde_json::to_string(&screening).ok(),
            )
        } else {
            (bill.available_chains.clone(), bill.screening.clone())
        };
        let txn = store::write(&self.db).await?;
        let edit = Edit {
            amount,
            due_date,
            category,
            description,
            available_chains,
            screening,
        };
        if !store::bills::edit(&txn, bill.id, expected_version, edit, now).await? {
            drop(txn);
            let current = store::bills::find(&self.db, bill.id).await?.unwrap_or(bill);
            return Err(if is_stale(&current) {
                Self::not_editable(&current)
            } else {
                ServiceError::invalid(
                    &["input", "expectedVersion"],
                    "VERSION_CONFLICT",
                    format!(
                        "請求は既に更新されています（現在の版: {}）。",
                        current.version
                    ),
                )
            });
        }
        let updated = store::bills::find(&txn, bill.id)
            .await?
            .ok_or(ServiceError::NotFound)?;
        store::bills::record_version(&txn, &updated, &principal.subject.casbin_name(), now).await?;
        txn.commit().await?;
        Ok(updated)
    }

    /// Cancels an OPEN bill; a paid bill cannot be cancelled.
    pub async fn cancel_bill(&self, ctx: &Ctx, bill_id: i64) -> Result<Bill, ServiceError> {
        let principal = ctx.principal()?;
        let (bill, _, _) = self.writable_bill(ctx, bill_id).await?;
        if is_stale(&bill) {
            return Err(Self::not_editable(&bill));
        }
        let now = self.clock.now();
        let txn = store::write(&self.db).await?;
        if !store::bills::set_status(
            &txn,
            bill.id,
            bill.version,
            BillStatus::Cancelled.as_str(),
            now,
        )
        .await?
        {
            drop(txn);
            let current = store::bills::find(&self.db, bill.id).await?.unwrap_or(bill);
            return Err(Self::not_editable(&current));
        }
        let updated = store::bills::find(&txn, bill.id)
            .await?
            .ok_or(ServiceError::NotFound)?;
        store::bills::record_version(&txn, &updated, &principal.subject.casbin_name(), now).await?;
        txn.commit().await?;
        Ok(updated)
    }

    pub async fn bills_of(
        &self,
        ctx: &Ctx,
        filter: BillFilter,
        page: PageRequest,
    ) -> Result<Page<Bill>, ServiceError> {
        let Some(organisation) = self
            .visible_organisation(ctx, filter.organisation_id)
            .await?
        else {
            return Err(ServiceError::NotFound);
        };
        self.authorize(ctx, scope_of(&organisation), "bill", "read")
            .await?;
        Ok(store::bills::list(&self.db, filter, page).await?)
    }

    /// Marks OPEN bills past their due date (JST) EXPIRED, with an event each.
    pub async fn expire_overdue(&self) -> Result<usize, ServiceError> {
        let now = self.clock.now();
        let today = jst_date(now);
        let mut expired = 0;
        loop {
            let batch = store::bills::overdue(&self.db, today, 200).await?;
            if batch.is_empty() {
                break;
            }
            let txn = store::write(&self.db).await?;
            for bill in &batch {
                if store::bills::set_status(
                    &txn,
                    bill.id,
                    bill.version,
                    BillStatus::Expired.as_str(),
                    now,
                )
                .await?
                {
                    let updated = store::bills::find(&txn, bill.id)
                        .await?
                        .ok_or(ServiceError::NotFound)?;
                    store::bills::record_version(&txn, &updated, "system", now).await?;
                    super::events::emit(
                        &txn,
                        Some(bill.organisation_id),
                        "bill.expired",
                        json!({ "billId": bill.id, "contractId": bill.contract_id, "dueDate": bill.due_date, "amount": bill.amount }),
                        now,
                    )
                    .await?;
                    expired += 1;
                }
            }
            txn.commit().await?;
            self.events_committed();
            if batch.len() < 200 {
                break;
            }
        }
        if expired > 0 {
            tracing::info!(expired, "bills expired");
        }
        Ok(expired)
    }
}

/// Codes are `&'static str`; one read back from storage maps to the same
/// static string when it is one of ours.
fn stable_code(code: &str) -> &'static str {
    const KNOWN: &[&str] = &[
        "PAYMENT_NUMBER_NOT_DIGITS",
        "PAYMENT_NUMBER_WRONG_LENGTH",
        "PAYMENT_NUMBER_BAD_CHECK_DIGIT",
        "PAYMENT_NUMBER_UNKNOWN",
        "AMOUNT_TOO_SMALL",
        "AMOUNT_LIMIT_EXCEEDED",
        "DUE_DATE_IN_PAST",
        "DUE_DATE_TOO_FAR",
        "UNKNOWN_CATEGORY",
        "INVALID_DESCRIPTION",
        "INVALID_EMAIL",
        "BILL_BLOCKED",
        "BILL_NEEDS_REVIEW",
        "NO_CHAIN_AVAILABLE",
    ];
    KNOWN
        .iter()
        .find(|k| **k == code)
        .copied()
        .unwrap_or("BILL_REFUSED")
}
