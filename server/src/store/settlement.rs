//! Settlement: aggregates over payment items, statements.

use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DbBackend, DbErr, EntityTrait,
    FromQueryResult, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
    sea_query::{Alias, Expr, ExprTrait, Func, Query},
};

use super::{
    Page, PageRequest,
    entity::{
        payment_item::{self, Column as I},
        settlement_statement::{self, Column as S, Model as Statement},
    },
};

/// Contracts with payments not yet settled that were paid before `before`.
pub async fn unsettled_contracts(
    db: &impl ConnectionTrait,
    before: DateTime<Utc>,
) -> Result<Vec<i64>, DbErr> {
    payment_item::Entity::find()
        .select_only()
        .column(I::ContractId)
        .distinct()
        .filter(I::StatementId.is_null())
        .filter(I::PaidAt.lt(before))
        .into_tuple::<i64>()
        .all(db)
        .await
}

/// When the earliest unsettled payment of a contract before `before` was made.
pub async fn first_unsettled(
    db: &impl ConnectionTrait,
    contract_id: i64,
    before: DateTime<Utc>,
) -> Result<Option<DateTime<Utc>>, DbErr> {
    let first = payment_item::Entity::find()
        .filter(I::ContractId.eq(contract_id))
        .filter(I::StatementId.is_null())
        .filter(I::PaidAt.lt(before))
        .order_by_asc(I::PaidAt)
        .limit(1)
        .one(db)
        .await?;
    Ok(first.map(|i| i.paid_at))
}

/// Holds `contract_id`'s settlement lock until the transaction ends, so that
/// two settlement runs (the scheduler, `runSettlement`, another process)
/// never count and assign the same payments at once. On SQLite the write
/// transaction is already exclusive.
pub async fn lock_contract(txn: &impl ConnectionTrait, contract_id: i64) -> Result<(), DbErr> {
    if txn.get_database_backend() == DbBackend::Postgres {
        txn.query_one_raw(sea_orm::Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT pg_advisory_xact_lock($1)",
            [contract_id.into()],
        ))
        .await?;
    }
    Ok(())
}

#[derive(Debug, Default, FromQueryResult)]
pub struct Totals {
    pub count: i64,
    pub gross: i64,
    pub fees: i64,
}

/// Count, gross and fees of a contract's unsettled payments in [from, to),
/// computed by the database. `fee_sql` is a CASE expression over `amount`
/// and `chain` (see `service::settlement`).
pub async fn totals(
    db: &impl ConnectionTrait,
    contract_id: i64,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    fee_sql: &str,
) -> Result<Totals, DbErr> {
    let select = Query::select()
        .expr_as(Func::count(Expr::col(I::Id)), Alias::new("count"))
        .expr_as(
            Expr::cust("CAST(COALESCE(SUM(amount), 0) AS BIGINT)"),
            Alias::new("gross"),
        )
        .expr_as(
            Expr::cust(format!("CAST(COALESCE(SUM({fee_sql}), 0) AS BIGINT)")),
            Alias::new("fees"),
        )
        .from(payment_item::Entity)
        .and_where(Expr::col(I::ContractId).eq(contract_id))
        .and_where(Expr::col(I::StatementId).is_null())
        .and_where(Expr::col(I::PaidAt).gte(from))
        .and_where(Expr::col(I::PaidAt).lt(to))
        .to_owned();
    let statement = db.get_database_backend().build(&select);
    let row = db.query_one_raw(statement).await?;
    Ok(match row {
        Some(row) => Totals::from_query_result(&row, "")?,
        None => Totals::default(),
    })
}

/// Marks the unsettled payments of [from, to) as settled by `statement_id`.
pub async fn assign(
    db: &impl ConnectionTrait,
    contract_id: i64,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    statement_id: i64,
) -> Result<u64, DbErr> {
    let result = payment_item::Entity::update_many()
        .col_expr(I::StatementId, Expr::value(Some(statement_id)))
        .filter(I::ContractId.eq(contract_id))
        .filter(I::StatementId.is_null())
        .filter(I::PaidAt.gte(from))
        .filter(I::PaidAt.lt(to))
        .exec(db)
        .await?;
    Ok(result.rows_affected)
}

pub async fn last_statement(
    db: &impl ConnectionTrait,
    contract_id: i64,
) -> Result<Option<Statement>, DbErr> {
    settlement_statement::Entity::find()
        .filter(S::ContractId.eq(contract_id))
        .order_by_desc(S::Id)
        .limit(1)
        .one(db)
        .await
}

pub async fn count_for_period(
    db: &impl ConnectionTrait,
    contract_id: i64,
    period_end: NaiveDate,
) -> Result<u64, DbErr> {
    settlement_statement::Entity::find()
        .filter(S::ContractId.eq(contract_id))
        .filter(S::PeriodEnd.eq(period_end))
        .count(db)
        .await
}

pub async fn insert(
    db: &impl ConnectionTrait,
    row: settlement_statement::ActiveModel,
) -> Result<Statement, DbErr> {
    row.insert(db).await
}

pub async fn find(db: &impl ConnectionTrait, id: i64) -> Result<Option<Statement>, DbErr> {
    settlement_statement::Entity::find_by_id(id).one(db).await
}

/// Statements of an organisation, or of an owner and its tenants.
pub async fn of_organisation(
    db: &impl ConnectionTrait,
    organisation_id: i64,
    request: PageRequest,
) -> Result<Page<Statement>, DbErr> {
    let select = settlement_statement::Entity::find().filter(
        Condition::any()
            .add(S::OrganisationId.eq(organisation_id))
            .add(S::OwnerId.eq(organisation_id)),
    );
    super::page(db, select, S::Id, request).await
}

/// Per-period totals over an organisation's statements (and its tenants').
#[derive(Debug, FromQueryResult)]
pub struct Rollup {
    pub period_end: NaiveDate,
    pub statements: i64,
    pub payment_count: i64,
    pub gross: i64,
    pub fees: i64,
    pub fee_tax: i64,
    pub payout: i64,
}

pub async fn rollup(db: &impl ConnectionTrait, organisation_id: i64) -> Result<Vec<Rollup>, DbErr> {
    settlement_statement::Entity::find()
        .select_only()
        .column(S::PeriodEnd)
        .expr_as(Expr::cust("COUNT(*)"), "statements")
        .expr_as(
            Expr::cust("CAST(SUM(payment_count) AS BIGINT)"),
            "payment_count",
        )
        .expr_as(Expr::cust("CAST(SUM(gross) AS BIGINT)"), "gross")
        .expr_as(Expr::cust("CAST(SUM(fees) AS BIGINT)"), "fees")
        .expr_as(Expr::cust("CAST(SUM(fee_tax) AS BIGINT)"), "fee_tax")
        .expr_as(Expr::cust("CAST(SUM(payout) AS BIGINT)"), "payout")
        .filter(
            Condition::any()
                .add(S::OrganisationId.eq(organisation_id))
                .add(S::OwnerId.eq(organisation_id)),
        )
        .group_by(S::PeriodEnd)
        .order_by_asc(S::PeriodEnd)
        .into_model::<Rollup>()
        .all(db)
        .await
}

pub async fn items(
    db: &impl ConnectionTrait,
    statement_id: i64,
    request: PageRequest,
) -> Result<Page<payment_item::Model>, DbErr> {
    super::page(
        db,
        payment_item::Entity::find().filter(I::StatementId.eq(statement_id)),
        I::Id,
        request,
    )
    .await
}

/// Every item of a statement, for the CSV.
pub async fn all_items(
    db: &impl ConnectionTrait,
    statement_id: i64,
) -> Result<Vec<payment_item::Model>, DbErr> {
    payment_item::Entity::find()
        .filter(I::StatementId.eq(statement_id))
        .order_by_asc(I::Id)
        .all(db)
        .await
}
