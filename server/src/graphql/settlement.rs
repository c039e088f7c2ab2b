//! Settlement statements, roll-ups and `runSettlement`.

use async_graphql::{Context, ID, InputObject, Object, Result, SimpleObject};
use chrono::{DateTime, Utc};

use super::{
    Conn,
    bills::PaymentItem,
    connection, env,
    errors::{UserError, payload, to_graphql},
    ids::{self, Kind},
    page_request,
    scalars::Date,
    types::{Contract, Organisation, organisation_for},
};
use crate::{service::ServiceError, store::entity::settlement_statement};

/// One contract's settlement of one period.
pub struct SettlementStatement(pub settlement_statement::Model);

#[Object]
impl SettlementStatement {
    pub async fn id(&self) -> ID {
        ids::encode(Kind::Statement, self.0.id)
    }
    /// The first day of the period (JST).
    async fn period_start(&self) -> Date {
        Date(self.0.period_start)
    }
    /// The close date (JST).
    async fn period_end(&self) -> Date {
        Date(self.0.period_end)
    }
    /// 1, or more for payments reported after the period's first statement.
    async fn sequence(&self) -> i32 {
        self.0.sequence
    }
    async fn payment_count(&self) -> i64 {
        self.0.payment_count
    }
    async fn gross(&self) -> i64 {
        self.0.gross
    }
    async fn fees(&self) -> i64 {
        self.0.fees
    }
    /// Consumption tax on the fees.
    async fn fee_tax(&self) -> i64 {
        self.0.fee_tax
    }
    /// A negative net carried from the previous statement (0 or less).
    async fn carried_in(&self) -> i64 {
        self.0.carried_in
    }
    /// gross − fees − feeTax + carriedIn; negative means it is carried on.
    async fn net(&self) -> i64 {
        self.0.net
    }
    /// What is paid out: never negative.
    async fn payout(&self) -> i64 {
        self.0.payout
    }
    async fn carry_out(&self) -> i64 {
        self.0.carry_out
    }
    /// Close + the contract's notice lag in bank business days.
    async fn notice_date(&self) -> Date {
        Date(self.0.notice_date)
    }
    /// Notice + 5 bank business days (Q06).
    async fn payout_date(&self) -> Date {
        Date(self.0.payout_date)
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    /// `GET` this with the bearer token for the CSV.
    async fn csv_path(&self) -> String {
        format!(
            "/statements/{}.csv",
            ids::encode(Kind::Statement, self.0.id).0
        )
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
    /// The payments behind the statement.
    #[graphql(complexity = "super::page_complexity(first, child_complexity)")]
    async fn payments(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Conn<PaymentItem>> {
        let (services, _) = env(ctx)?;
        let page =
            crate::store::settlement::items(&services.db, self.0.id, page_request(first, after)?)
                .await
                .map_err(|e| to_graphql(ctx, ServiceError::from(e)))?;
        Ok(connection(page, |i| i.id, PaymentItem))
    }
}

/// Totals of one period over an organisation's statements (an owner: with its tenants').
#[derive(SimpleObject)]
pub struct SettlementRollup {
    pub period_end: Date,
    pub statements: i64,
    pub payment_count: i64,
    pub gross: i64,
    pub fees: i64,
    pub fee_tax: i64,
    pub payout: i64,
}

#[derive(Default)]
pub struct SettlementQuery;

#[Object]
impl SettlementQuery {
    /// Statements of an organisation; an owner sees its tenants' too.
    #[graphql(complexity = "super::page_complexity(first, child_complexity)")]
    async fn settlement_statements(
        &self,
        ctx: &Context<'_>,
        organisation_id: ID,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Conn<SettlementStatement>> {
        let (services, caller) = env(ctx)?;
        let request = page_request(first, after)?;
        let id = ids::decode_as(Kind::Organisation, &organisation_id).unwrap_or_default();
        let page = services
            .statements_of(caller, id, request)
            .await
            .map_err(|e| to_graphql(ctx, e))?;
        Ok(connection(page, |s| s.id, SettlementStatement))
    }

    /// Per-period totals: an owner's roll-up of its tenants.
    async fn settlement_rollup(
        &self,
        ctx: &Context<'_>,
        organisation_id: ID,
    ) -> Result<Vec<SettlementRollup>> {
        let (services, caller) = env(ctx)?;
        let id = ids::decode_as(Kind::Organisation, &organisation_id).unwrap_or_default();
        let rows = services
            .settlement_rollup(caller, id)
            .await
            .map_err(|e| to_graphql(ctx, e))?;
        Ok(rows
            .into_iter()
            .map(|r| SettlementRollup {
                period_end: Date(r.period_end),
                statements: r.statements,
                payment_count: r.payment_count,
                gross: r.gross,
                fees: r.fees,
                fee_tax: r.fee_tax,
                payout: r.payout,
            })
            .collect())
    }
}

#[derive(InputObject)]
pub struct RunSettlementInput {
    /// Settles every period that closed before this date (JST).
    pub as_of: Date,
}

#[derive(SimpleObject)]
pub struct RunSettlementPayload {
    /// The statements this run made (none when everything was settled already).
    pub statements: Vec<SettlementStatement>,
    pub user_errors: Vec<UserError>,
}

#[derive(Default)]
pub struct SettlementMutation;

#[Object]
impl SettlementMutation {
    /// Runs settlement now (platform admins); the scheduler runs it daily. Idempotent.
    async fn run_settlement(
        &self,
        ctx: &Context<'_>,
        input: RunSettlementInput,
    ) -> Result<RunSettlementPayload> {
        let (services, caller) = env(ctx)?;
        let result = services.run_settlement(caller, input.as_of.0).await;
        payload(
            ctx,
            result,
            |made| RunSettlementPayload {
                statements: made.into_iter().map(SettlementStatement).collect(),
                user_errors: vec![],
            },
            |user_errors| RunSettlementPayload {
                statements: vec![],
                user_errors,
            },
        )
    }
}
