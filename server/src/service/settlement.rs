//! Settlement (Q06, Q07): statements per contract and period, computed with
//! aggregate queries in the database; notice and payout dates in bank
//! business days; `settlement.confirmed` events and e-mail notices.
//! Running it again changes nothing: settled payments carry their statement.

use chrono::{NaiveDate, TimeZone, Utc};
use chrono_tz::Asia::Tokyo;
use sea_orm::ActiveValue::{NotSet, Set};
use serde_json::json;

use super::{Ctx, Page, PageRequest, ServiceError, Services, organisations::scope_of};
use crate::{
    authz::Scope,
    domain::{
        bill::jst_date,
        contract::{FeeSchedule, SettlementCycle},
        settlement::{Figures, Period},
    },
    store::{
        self,
        entity::{contract::Model as Contract, settlement_statement},
        settlement::Rollup,
    },
};

/// The fee of one payment as SQL over `amount` and `chain`: the chain's own
/// bands first, then the general ones (as `FeeSchedule::fee_for`).
pub fn fee_sql(schedule: &FeeSchedule) -> String {
    let mut arms = String::from("CASE");
    for band in schedule.bands.iter().filter(|b| b.chain.is_some()) {
        // Chain names were validated against the closed set when stored.
        let chain: String = band
            .chain
            .as_deref()
            .unwrap_or_default()
            .chars()
            .filter(|c| c.is_ascii_uppercase())
            .collect();
        arms.push_str(&format!(
            " WHEN chain = '{chain}' AND amount <= {} THEN {}",
            band.up_to, band.fee
        ));
    }
    for band in schedule.bands.iter().filter(|b| b.chain.is_none()) {
        arms.push_str(&format!(" WHEN amount <= {} THEN {}", band.up_to, band.fee));
    }
    arms.push_str(" ELSE 0 END");
    arms
}

fn jst_midnight(day: NaiveDate) -> chrono::DateTime<Utc> {
    Tokyo
        .from_local_datetime(&day.and_hms_opt(0, 0, 0).unwrap_or_default())
        .single()
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or_default()
}

impl Services {
    /// Settles every period that closed before `as_of` (JST): what the daily
    /// scheduler runs, and `runSettlement` for platform admins.
    pub async fn settle(
        &self,
        as_of: NaiveDate,
    ) -> Result<Vec<settlement_statement::Model>, ServiceError> {
        let cutoff = jst_midnight(as_of);
        let mut made = Vec::new();
        for contract_id in store::settlement::unsettled_contracts(&self.db, cutoff).await? {
            let Some(contract) = store::contracts::find(&self.db, contract_id).await? else {
                continue;
            };
            made.extend(self.settle_contract(&contract, as_of, cutoff).await?);
        }
        if !made.is_empty() {
            self.events_committed();
            self.messages_queued();
            self.delivery_wake.notify_one();
            tracing::info!(statements = made.len(), %as_of, "settlement confirmed");
        }
        Ok(made)
    }

    async fn settle_contract(
        &self,
        contract: &Contract,
        as_of: NaiveDate,
        cutoff: chrono::DateTime<Utc>,
    ) -> Result<Vec<settlement_statement::Model>, ServiceError> {
        let cycle = SettlementCycle::from_name(&contract.settlement_cycle)
            .unwrap_or(SettlementCycle::MonthEnd);
        let schedule: FeeSchedule = serde_json::from_str(&contract.fee_schedule).map_err(|e| {
            ServiceError::Internal(anyhow::anyhow!(
                "contract {} fee schedule: {e}",
                contract.id
            ))
        })?;
        let fees = fee_sql(&schedule);
        let organisation = store::organisations::find(&self.db, contract.organisation_id)
            .await?
            .ok_or_else(|| {
                ServiceError::Internal(anyhow::anyhow!(
                    "contract {} without organisation",
                    contract.id
                ))
            })?;
        let owner_id = organisation.owner_id.unwrap_or(organisation.id);
        let mut made = Vec::new();
        let mut settled_elsewhere = None;
        while let Some(first) =
            store::settlement::first_unsettled(&self.db, contract.id, cutoff).await?
        {
            let period = Period::containing(cycle, jst_date(first));
            if period.end >= as_of {
                break;
            }
            let (from, to) = period.instants();
            let txn = store::write(&self.db).await?;
            store::settlement::lock_contract(&txn, contract.id).await?;
            let totals = store::settlement::totals(&txn, contract.id, from, to, &fees).await?;
            if totals.count == 0 {
                // Another run settled this period between our look and our
                // lock: go on with the next unsettled payment. The same one
                // twice would mean it is outside its own period: stop.
                if settled_elsewhere == Some(first) {
                    return Err(ServiceError::Internal(anyhow::anyhow!(
                        "contract {}: payment at {first} is unsettled but outside its period",
                        contract.id
                    )));
                }
                settled_elsewhere = Some(first);
                continue;
            }
            let carried_in = store::settlement::last_statement(&txn, contract.id)
                .await?
                .map_or(0, |s| s.carry_out);
            let figures =
                Figures::compute(totals.gross, totals.fees, carried_in, self.config.fee_tax);
            let (notice, payout) =
                period.notice_and_payout(u32::try_from(contract.notice_lag_days).unwrap_or(5));
            let sequence = store::settlement::count_for_period(&txn, contract.id, period.end)
                .await? as i32
                + 1;
            let statement = store::settlement::insert(
                &txn,
                settlement_statement::ActiveModel {
                    id: NotSet,
                    contract_id: Set(contract.id),
                    organisation_id: Set(organisation.id),
                    owner_id: Set(owner_id),
                    period_start: Set(period.start),
                    period_end: Set(period.end),
                    sequence: Set(sequence),
                    payment_count: Set(totals.count),
                    gross: Set(figures.gross),
                    fees: Set(figures.fees),
                    fee_tax: Set(figures.fee_tax),
                    carried_in: Set(figures.carried_in),
                    net: Set(figures.net),
                    payout: Set(figures.payout),
                    carry_out: Set(figures.carry_out),
                    notice_date: Set(notice),
                    payout_date: Set(payout),
                    created_at: Set(self.clock.now()),
                },
            )
            .await?;
            let assigned =
                store::settlement::assign(&txn, contract.id, from, to, statement.id).await?;
            if assigned != totals.count as u64 {
                return Err(ServiceError::Internal(anyhow::anyhow!(
                    "statement {} counted {} payments but settled {assigned}",
                    statement.id,
                    totals.count
                )));
            }
            let payload = json!({
                "statementId": statement.id, "contractId": contract.id,
                "periodStart": period.start, "periodEnd": period.end,
                "paymentCount": totals.count, "gross": figures.gross, "fees": figures.fees, "feeTax": figures.fee_tax,
                "net": figures.net, "payout": figures.payout, "noticeDate": notice, "payoutDate": payout,
            });
            super::events::emit(
                &txn,
                Some(organisation.id),
                "settlement.confirmed",
                payload,
                self.clock.now(),
            )
            .await?;
            let (subject, body) = super::messages::statement_mail(&organisation.name, &statement);
            for admin in store::users::admins_of(&txn, organisation.id).await? {
                store::messages::queue(
                    &txn,
                    Some(organisation.id),
                    &admin.email,
                    &subject,
                    &body,
                    self.clock.now(),
                )
                .await?;
            }
            txn.commit().await?;
            made.push(statement);
        }
        Ok(made)
    }

    /// `runSettlement`: platform admins settle what closed before `as_of`.
    pub async fn run_settlement(
        &self,
        ctx: &Ctx,
        as_of: NaiveDate,
    ) -> Result<Vec<settlement_statement::Model>, ServiceError> {
        self.authorize(ctx, Scope::Platform, "settlement", "run")
            .await?;
        let today = jst_date(self.clock.now());
        if as_of > today + chrono::Days::new(1) {
            return Err(ServiceError::invalid(
                &["input", "asOf"],
                "AS_OF_IN_FUTURE",
                "未来の日付では精算できません。",
            ));
        }
        self.settle(as_of).await
    }

    pub async fn visible_statement(
        &self,
        ctx: &Ctx,
        id: i64,
    ) -> Result<Option<settlement_statement::Model>, ServiceError> {
        let Some(statement) = store::settlement::find(&self.db, id).await? else {
            return Ok(None);
        };
        let Some(organisation) =
            store::organisations::find(&self.db, statement.organisation_id).await?
        else {
            return Ok(None);
        };
        Ok(self
            .may(ctx, scope_of(&organisation), "settlement", "read")
            .await?
            .then_some(statement))
    }

    /// Statements of an organisation; an owner's include its tenants'.
    pub async fn statements_of(
        &self,
        ctx: &Ctx,
        organisation_id: i64,
        page: PageRequest,
    ) -> Result<Page<settlement_statement::Model>, ServiceError> {
        let Some(organisation) = self.visible_organisation(ctx, organisation_id).await? else {
            return Err(ServiceError::NotFound);
        };
        self.authorize(ctx, scope_of(&organisation), "settlement", "read")
            .await?;
        Ok(store::settlement::of_organisation(&self.db, organisation.id, page).await?)
    }

    /// Per-period totals over an organisation's statements (an owner: with its tenants').
    pub async fn settlement_rollup(
        &self,
        ctx: &Ctx,
        organisation_id: i64,
    ) -> Result<Vec<Rollup>, ServiceError> {
        let Some(organisation) = self.visible_organisation(ctx, organisation_id).await? else {
            return Err(ServiceError::NotFound);
        };
        self.authorize(ctx, scope_of(&organisation), "settlement", "read")
            .await?;
        Ok(store::settlement::rollup(&self.db, organisation.id).await?)
    }

    /// The statement as CSV: UTF-8 with a BOM, one row per payment, then totals.
    pub async fn statement_csv(&self, ctx: &Ctx, id: i64) -> Result<String, ServiceError> {
        let statement = self
            .visible_statement(ctx, id)
            .await?
            .ok_or(ServiceError::NotFound)?;
        let mut csv = String::from("\u{feff}支払日時(JST),コンビニ,請求ID,金額,請求版\r\n");
        for item in store::settlement::all_items(&self.db, statement.id).await? {
            let at = item
                .paid_at
                .with_timezone(&Tokyo)
                .format("%Y-%m-%d %H:%M:%S");
            csv.push_str(&format!(
                "{at},{},{},{},{}\r\n",
                item.chain, item.bill_id, item.amount, item.bill_version
            ));
        }
        csv.push_str(&format!(
            "合計,件数 {},総額 {},手数料 {},消費税 {},繰越 {},差引 {},支払額 {}\r\n",
            statement.payment_count,
            statement.gross,
            statement.fees,
            statement.fee_tax,
            statement.carried_in,
            statement.net,
            statement.payout
        ));
        csv.push_str(&format!(
            "期間,{} - {},通知日 {},支払日 {}\r\n",
            statement.period_start,
            statement.period_end,
            statement.notice_date,
            statement.payout_date
        ));
        Ok(csv)
    }
}
