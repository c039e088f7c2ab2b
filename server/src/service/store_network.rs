//! The store network (Q05, Q08): what a terminal shows for a payment number
//! at a chain, and the report of a payment — recorded exactly once, all bills
//! or none, a bill never paid twice.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde_json::json;
use sha2::{Digest, Sha256};

use super::{Ctx, ServiceError, Services, UserError};
use crate::{
    authz::Scope,
    domain::{
        bill::{BillStatus, jst_date, payable_on},
        contract::{Chain, ChainSet, Usage},
        payment_number::PaymentNumber,
    },
    store::{
        self,
        entity::{bill::Model as Bill, payment::Model as Payment},
        payments::{NewItem, NewPayment},
    },
};

/// A bill as a terminal shows it.
pub struct TerminalBill {
    pub bill: Bill,
    pub company_name: String,
}

pub struct ReportItem {
    pub bill_id: i64,
    pub amount: i64,
    pub version: i32,
}

pub struct Report {
    pub chain: Chain,
    pub store_code: String,
    pub slip_number: String,
    pub paid_at: DateTime<Utc>,
    pub payment_number: String,
    pub items: Vec<ReportItem>,
    pub idempotency_key: String,
}

fn request_hash(report: &Report, number: &str) -> String {
    let canonical = json!({
        "chain": report.chain.as_str(),
        "storeCode": report.store_code,
        "slipNumber": report.slip_number,
        "paidAt": report.paid_at.timestamp_millis(),
        "paymentNumber": number,
        "items": report.items.iter().map(|i| json!([i.bill_id, i.amount, i.version])).collect::<Vec<_>>(),
    });
    Sha256::digest(canonical.to_string().as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn item_error(index: usize, name: &str, code: &'static str, message: &str) -> UserError {
    UserError {
        field: vec![
            "input".into(),
            "items".into(),
            index.to_string(),
            name.into(),
        ],
        code,
        message: message.to_owned(),
    }
}

/// Why a bill cannot be paid now by this report, if it cannot.
fn refusal(
    index: usize,
    bill: &Bill,
    item: &ReportItem,
    number: &str,
    chain: Chain,
    paid_at: DateTime<Utc>,
) -> Option<UserError> {
    if bill.payment_number != number {
        return Some(item_error(
            index,
            "billId",
            "BILL_NOT_FOUND",
            "このお支払番号の請求ではありません。",
        ));
    }
    match BillStatus::from_name(&bill.status) {
        Some(BillStatus::Paid) => {
            return Some(item_error(
                index,
                "billId",
                "BILL_ALREADY_PAID",
                "既に支払済みの請求です。",
            ));
        }
        Some(BillStatus::Cancelled) => {
            return Some(item_error(
                index,
                "billId",
                "BILL_CANCELLED",
                "取り消された請求です。",
            ));
        }
        Some(BillStatus::Expired) => {
            return Some(item_error(
                index,
                "billId",
                "BILL_EXPIRED",
                "支払期限を過ぎた請求です。",
            ));
        }
        _ => {}
    }
    if !payable_on(bill.due_date, paid_at) {
        return Some(item_error(
            index,
            "billId",
            "BILL_EXPIRED",
            "支払期限を過ぎた請求です。",
        ));
    }
    let chains = ChainSet::from_stored(&bill.available_chains);
    if !chains.is_some_and(|c| c.chains().contains(&chain)) {
        return Some(item_error(
            index,
            "billId",
            "NOT_PAYABLE_AT_CHAIN",
            "このコンビニではお支払いいただけない請求です。",
        ));
    }
    if bill.version != item.version {
        return Some(item_error(
            index,
            "version",
            "VERSION_MISMATCH",
            "請求内容が変更されています。端末で再度照会してください。",
        ));
    }
    if bill.amount != item.amount {
        return Some(item_error(
            index,
            "amount",
            "AMOUNT_MISMATCH",
            "金額が請求と一致しません。",
        ));
    }
    None
}

fn valid_code(text: &str, max: usize) -> bool {
    !text.is_empty()
        && text.len() <= max
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

impl Services {
    /// The bills payable by `number` at `chain` now: open, not past due,
    /// allowed at the chain — what a terminal lists.
    pub async fn terminal_bills(
        &self,
        ctx: &Ctx,
        chain: Chain,
        number: &str,
    ) -> Result<Vec<TerminalBill>, ServiceError> {
        self.authorize(ctx, Scope::Platform, "store", "lookup")
            .await?;
        let number = PaymentNumber::parse(number).map_err(|r| {
            ServiceError::Invalid(vec![UserError::from_rule(&["paymentNumber"], r)])
        })?;
        let today = jst_date(self.clock.now());
        let mut shown = Vec::new();
        let mut names: BTreeMap<i64, String> = BTreeMap::new();
        for bill in store::bills::open_for_number(&self.db, number.as_str(), today).await? {
            if !ChainSet::from_stored(&bill.available_chains)
                .is_some_and(|c| c.chains().contains(&chain))
            {
                continue;
            }
            let company_name = match names.get(&bill.organisation_id) {
                Some(name) => name.clone(),
                None => {
                    let name = store::organisations::find(&self.db, bill.organisation_id)
                        .await?
                        .map(|o| o.name)
                        .unwrap_or_default();
                    names.insert(bill.organisation_id, name.clone());
                    name
                }
            };
            shown.push(TerminalBill { bill, company_name });
        }
        Ok(shown)
    }

    /// Records a store payment of one or more bills, atomically and exactly
    /// once per idempotency key and per (chain, store, slip). A repeat of the
    /// same report returns the recorded payment.
    #[tracing::instrument(skip(self, ctx, report), fields(chain = %report.chain, store = %report.store_code, slip = %report.slip_number))]
    pub async fn report_store_payment(
        &self,
        ctx: &Ctx,
        report: Report,
    ) -> Result<Payment, ServiceError> {
        let principal = ctx.principal()?;
        self.authorize(ctx, Scope::Platform, "store", "report")
            .await?;
        let number = PaymentNumber::parse(&report.payment_number).map_err(|r| {
            ServiceError::Invalid(vec![UserError::from_rule(&["input", "paymentNumber"], r)])
        })?;
        let mut problems = Vec::new();
        if !valid_code(&report.store_code, 32) {
            problems.push(UserError::new(
                &["input", "storeCode"],
                "INVALID_STORE_CODE",
                "店舗コードは32文字以内の英数字で指定してください。",
            ));
        }
        if !valid_code(&report.slip_number, 64) {
            problems.push(UserError::new(
                &["input", "slipNumber"],
                "INVALID_SLIP_NUMBER",
                "受付番号は64文字以内の英数字で指定してください。",
            ));
        }
        if report.idempotency_key.is_empty() || report.idempotency_key.len() > 128 {
            problems.push(UserError::new(
                &["input", "idempotencyKey"],
                "INVALID_IDEMPOTENCY_KEY",
                "idempotencyKey は1〜128文字で指定してください。",
            ));
        }
        if report.items.is_empty() || report.items.len() > 50 {
            problems.push(UserError::new(
                &["input", "items"],
                "INVALID_ITEMS",
                "支払う請求を1〜50件指定してください。",
            ));
        }
        let mut ids: Vec<i64> = report.items.iter().map(|i| i.bill_id).collect();
        ids.sort_unstable();
        ids.dedup();
        if ids.len() != report.items.len() {
            problems.push(UserError::new(
                &["input", "items"],
                "DUPLICATE_BILL",
                "同じ請求が複数回指定されています。",
            ));
        }
        if report.paid_at > self.clock.now() + chrono::Duration::minutes(5) {
            problems.push(UserError::new(
                &["input", "paidAt"],
                "PAID_AT_IN_FUTURE",
                "支払日時が未来です。",
            ));
        }
        if !problems.is_empty() {
            return Err(ServiceError::Invalid(problems));
        }
        let hash = request_hash(&report, number.as_str());
        // A repeat is answered before any work.
        if let Some(existing) = self.recorded(&report, &hash).await? {
            return Ok(existing);
        }

        let now = self.clock.now();
        let reporter = principal.subject.casbin_name();
        let txn = store::write(&self.db).await?;
        let mut bills = Vec::with_capacity(report.items.len());
        let mut errors = Vec::new();
        for (index, item) in report.items.iter().enumerate() {
            match store::bills::find_for_update(&txn, item.bill_id).await? {
                None => errors.push(item_error(
                    index,
                    "billId",
                    "BILL_NOT_FOUND",
                    "請求が見つかりません。",
                )),
                Some(bill) => match refusal(
                    index,
                    &bill,
                    item,
                    number.as_str(),
                    report.chain,
                    report.paid_at,
                ) {
                    Some(problem) => errors.push(problem),
                    None => bills.push(bill),
                },
            }
        }
        if !errors.is_empty() {
            drop(txn);
            // The same report may have committed while this one waited for
            // the bills: then it is a repeat, not a refusal.
            if let Some(existing) = self.recorded(&report, &hash).await? {
                return Ok(existing);
            }
            return Err(ServiceError::Invalid(errors));
        }
        let total = report.items.iter().map(|i| i.amount).sum();
        let inserted = store::payments::insert(
            &txn,
            NewPayment {
                chain: report.chain.as_str(),
                store_code: &report.store_code,
                slip_number: &report.slip_number,
                paid_at: report.paid_at,
                payment_number: number.as_str(),
                idempotency_key: &report.idempotency_key,
                request_hash: &hash,
                total,
                reported_by: &reporter,
            },
            now,
        )
        .await;
        let payment = match inserted {
            Ok(payment) => payment,
            Err(err) if store::unique_violation(&err).is_some() => {
                // The same report (or slip) committed meanwhile.
                drop(txn);
                return self
                    .recorded(&report, &hash)
                    .await?
                    .ok_or(ServiceError::NotFound);
            }
            Err(err) => return Err(err.into()),
        };
        let mut items = Vec::with_capacity(bills.len());
        for (index, (bill, item)) in bills.iter().zip(&report.items).enumerate() {
            let repeat = Usage::from_name(&bill.usage) == Some(Usage::Repeat);
            if !store::bills::mark_paid(&txn, bill.id, item.version, repeat, report.paid_at, now)
                .await?
            {
                drop(txn);
                if let Some(existing) = self.recorded(&report, &hash).await? {
                    return Ok(existing);
                }
                return Err(ServiceError::Invalid(vec![item_error(
                    index,
                    "billId",
                    "BILL_ALREADY_PAID",
                    "既に支払済みの請求です。",
                )]));
            }
            items.push(NewItem {
                bill_id: bill.id,
                contract_id: bill.contract_id,
                organisation_id: bill.organisation_id,
                amount: item.amount,
                bill_version: item.version,
            });
        }
        store::payments::insert_items(&txn, &payment, items).await?;
        // One event per organisation whose bills were paid.
        let mut by_organisation: BTreeMap<i64, Vec<&Bill>> = BTreeMap::new();
        for bill in &bills {
            by_organisation
                .entry(bill.organisation_id)
                .or_default()
                .push(bill);
        }
        for (organisation_id, paid) in by_organisation {
            super::events::emit(
                &txn,
                Some(organisation_id),
                "payment.recorded",
                json!({
                    "paymentId": payment.id,
                    "chain": payment.chain,
                    "storeCode": payment.store_code,
                    "slipNumber": payment.slip_number,
                    "paidAt": payment.paid_at,
                    "paymentNumber": payment.payment_number,
                    "bills": paid.iter().map(|b| json!({ "billId": b.id, "contractId": b.contract_id, "amount": b.amount, "version": b.version })).collect::<Vec<_>>(),
                    "amount": paid.iter().map(|b| b.amount).sum::<i64>(),
                }),
                now,
            )
            .await?;
        }
        txn.commit().await?;
        self.events_committed();
        self.delivery_wake.notify_one();
        tracing::info!(payment_id = payment.id, total, "payment recorded");
        Ok(payment)
    }

    /// The payment already recorded for this key or slip: returned for a
    /// repeat of the same report, refused for a different one.
    async fn recorded(&self, report: &Report, hash: &str) -> Result<Option<Payment>, ServiceError> {
        let by_key = store::payments::by_key(&self.db, &report.idempotency_key).await?;
        let existing = match by_key {
            Some(p) => Some(p),
            None => {
                store::payments::by_slip(
                    &self.db,
                    report.chain.as_str(),
                    &report.store_code,
                    &report.slip_number,
                )
                .await?
            }
        };
        match existing {
            None => Ok(None),
            Some(payment) if payment.request_hash == hash => Ok(Some(payment)),
            Some(payment) if payment.idempotency_key == report.idempotency_key => {
                Err(ServiceError::invalid(
                    &["input", "idempotencyKey"],
                    "IDEMPOTENCY_KEY_REUSED",
                    "同じ idempotencyKey で異なる支払が報告されています。",
                ))
            }
            Some(_) => Err(ServiceError::invalid(
                &["input", "slipNumber"],
                "SLIP_ALREADY_RECORDED",
                "この受付番号の支払は既に異なる内容で記録されています。",
            )),
        }
    }

    /// A payment the caller may see: store network staff, or an organisation
    /// whose bill it paid.
    pub async fn visible_payment(
        &self,
        ctx: &Ctx,
        id: i64,
    ) -> Result<Option<Payment>, ServiceError> {
        let Some(payment) = store::payments::find(&self.db, id).await? else {
            return Ok(None);
        };
        if self.may(ctx, Scope::Platform, "store", "report").await? {
            return Ok(Some(payment));
        }
        for item in store::payments::items_of(&self.db, payment.id).await? {
            if self.visible_bill(ctx, item.bill_id).await?.is_some() {
                return Ok(Some(payment));
            }
        }
        Ok(None)
    }
}

impl Services {
    /// The paid bills of an organisation.
    pub async fn payments_of(
        &self,
        ctx: &Ctx,
        organisation_id: i64,
        page: crate::store::PageRequest,
    ) -> Result<crate::store::Page<crate::store::entity::payment_item::Model>, ServiceError> {
        let Some(organisation) = self.visible_organisation(ctx, organisation_id).await? else {
            return Err(ServiceError::NotFound);
        };
        self.authorize(
            ctx,
            super::organisations::scope_of(&organisation),
            "bill",
            "read",
        )
        .await?;
        Ok(store::payments::items_of_organisation(&self.db, organisation.id, page).await?)
    }

    /// Checks that the caller may hear the events of `organisation_id`.
    pub async fn may_subscribe(&self, ctx: &Ctx, organisation_id: i64) -> Result<(), ServiceError> {
        let Some(organisation) = self.visible_organisation(ctx, organisation_id).await? else {
            return Err(ServiceError::NotFound);
        };
        self.authorize(
            ctx,
            super::organisations::scope_of(&organisation),
            "event",
            "subscribe",
        )
        .await
    }
}
