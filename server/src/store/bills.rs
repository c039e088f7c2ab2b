//! Payment numbers, bills and their versions.

use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::{
    ActiveModelTrait,
    ActiveValue::{NotSet, Set},
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
    sea_query::{Expr, ExprTrait, OnConflict},
};

use super::{
    Page, PageRequest,
    entity::{
        bill::{self, Column as B, Entity as Bills, Model as Bill},
        bill_version,
        payment_number::{self, Column as N},
    },
};

pub async fn insert_number(
    db: &impl ConnectionTrait,
    number: &str,
    organisation_id: Option<i64>,
    email: Option<&str>,
    issued_by: &str,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let row = payment_number::ActiveModel {
        number: Set(number.to_owned()),
        organisation_id: Set(organisation_id),
        email: Set(email.map(str::to_owned)),
        issued_by: Set(issued_by.to_owned()),
        created_at: Set(now),
    };
    let inserted = payment_number::Entity::insert(row)
        .on_conflict(OnConflict::column(N::Number).do_nothing().to_owned())
        .exec_without_returning(db)
        .await?;
    Ok(inserted == 1)
}

/// Which of `numbers` have been issued.
pub async fn issued_numbers(
    db: &impl ConnectionTrait,
    numbers: Vec<String>,
) -> Result<Vec<String>, DbErr> {
    payment_number::Entity::find()
        .select_only()
        .column(N::Number)
        .filter(N::Number.is_in(numbers))
        .into_tuple::<String>()
        .all(db)
        .await
}

/// What a new bill is stored with.
pub struct NewBill {
    pub contract_id: i64,
    pub organisation_id: i64,
    pub payment_number: String,
    pub usage: String,
    pub amount: i64,
    pub due_date: NaiveDate,
    pub category: String,
    pub description: String,
    pub customer_email: Option<String>,
    pub available_chains: String,
    pub screening: Option<String>,
}

/// Inserts bills at version 1 with their first version rows; returns them in order.
pub async fn insert_bills(
    db: &impl ConnectionTrait,
    bills: Vec<NewBill>,
    changed_by: &str,
    now: DateTime<Utc>,
) -> Result<Vec<Bill>, DbErr> {
    let mut stored = Vec::with_capacity(bills.len());
    for chunk in bills.chunks(200) {
        let rows = chunk.iter().map(|b| bill::ActiveModel {
            id: NotSet,
            contract_id: Set(b.contract_id),
            organisation_id: Set(b.organisation_id),
            payment_number: Set(b.payment_number.clone()),
            usage: Set(b.usage.clone()),
            amount: Set(b.amount),
            due_date: Set(b.due_date),
            category: Set(b.category.clone()),
            description: Set(b.description.clone()),
            customer_email: Set(b.customer_email.clone()),
            available_chains: Set(b.available_chains.clone()),
            screening: Set(b.screening.clone()),
            status: Set("OPEN".to_owned()),
            version: Set(1),
            payment_count: Set(0),
            created_at: Set(now),
            updated_at: Set(now),
            paid_at: Set(None),
        });
        let inserted = Bills::insert_many(rows).exec_with_returning(db).await?;
        stored.extend(inserted);
    }
    stored.sort_by_key(|b| b.id);
    let versions = stored.iter().map(|b| version_row(b, changed_by, now));
    for chunk in versions.collect::<Vec<_>>().chunks(200) {
        bill_version::Entity::insert_many(chunk.to_vec())
            .exec_without_returning(db)
            .await?;
    }
    Ok(stored)
}

fn version_row(b: &Bill, changed_by: &str, at: DateTime<Utc>) -> bill_version::ActiveModel {
    bill_version::ActiveModel {
        id: NotSet,
        bill_id: Set(b.id),
        version: Set(b.version),
        amount: Set(b.amount),
        due_date: Set(b.due_date),
        category: Set(b.category.clone()),
        description: Set(b.description.clone()),
        available_chains: Set(b.available_chains.clone()),
        status: Set(b.status.clone()),
        changed_by: Set(changed_by.to_owned()),
        at: Set(at),
    }
}

pub async fn record_version(
    db: &impl ConnectionTrait,
    bill: &Bill,
    changed_by: &str,
    at: DateTime<Utc>,
) -> Result<(), DbErr> {
    version_row(bill, changed_by, at).insert(db).await?;
    Ok(())
}

pub async fn find(db: &impl ConnectionTrait, id: i64) -> Result<Option<Bill>, DbErr> {
    Bills::find_by_id(id).one(db).await
}

pub async fn find_many(db: &impl ConnectionTrait, ids: Vec<i64>) -> Result<Vec<Bill>, DbErr> {
    Bills::find()
        .filter(B::Id.is_in(ids))
        .order_by_asc(B::Id)
        .all(db)
        .await
}

/// A bill read for update: locked on PostgreSQL until the transaction ends.
pub async fn find_for_update(db: &impl ConnectionTrait, id: i64) -> Result<Option<Bill>, DbErr> {
    let mut query = Bills::find_by_id(id);
    if db.get_database_backend() == sea_orm::DbBackend::Postgres {
        query = query.lock_exclusive();
    }
    query.one(db).await
}

/// The changes of an edit.
pub struct Edit {
    pub amount: i64,
    pub due_date: NaiveDate,
    pub category: String,
    pub description: String,
    pub available_chains: String,
    pub screening: Option<String>,
}

/// Applies an edit only if the bill is still OPEN at `expected_version`.
pub async fn edit(
    db: &impl ConnectionTrait,
    id: i64,
    expected_version: i32,
    edit: Edit,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let result = Bills::update_many()
        .col_expr(B::Amount, Expr::value(edit.amount))
        .col_expr(B::DueDate, Expr::value(edit.due_date))
        .col_expr(B::Category, Expr::value(edit.category))
        .col_expr(B::Description, Expr::value(edit.description))
        .col_expr(B::AvailableChains, Expr::value(edit.available_chains))
        .col_expr(B::Screening, Expr::value(edit.screening))
        .col_expr(B::Version, Expr::value(expected_version + 1))
        .col_expr(B::UpdatedAt, Expr::value(now))
        .filter(B::Id.eq(id))
        .filter(B::Version.eq(expected_version))
        .filter(B::Status.eq("OPEN"))
        .exec(db)
        .await?;
    Ok(result.rows_affected == 1)
}

/// Moves an OPEN bill at `version` to `status`, adding a version.
pub async fn set_status(
    db: &impl ConnectionTrait,
    id: i64,
    version: i32,
    status: &str,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let result = Bills::update_many()
        .col_expr(B::Status, Expr::value(status))
        .col_expr(B::Version, Expr::value(version + 1))
        .col_expr(B::UpdatedAt, Expr::value(now))
        .filter(B::Id.eq(id))
        .filter(B::Version.eq(version))
        .filter(B::Status.eq("OPEN"))
        .exec(db)
        .await?;
    Ok(result.rows_affected == 1)
}

/// Records a payment of an OPEN bill at `version`: a STANDARD bill becomes
/// PAID; a REPEAT bill stays OPEN and counts one more payment.
pub async fn mark_paid(
    db: &impl ConnectionTrait,
    id: i64,
    version: i32,
    repeat: bool,
    paid_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let mut update = Bills::update_many()
        .col_expr(B::PaymentCount, Expr::col(B::PaymentCount).add(1))
        .col_expr(B::PaidAt, Expr::value(Some(paid_at)))
        .col_expr(B::UpdatedAt, Expr::value(now))
        .filter(B::Id.eq(id))
        .filter(B::Version.eq(version))
        .filter(B::Status.eq("OPEN"));
    if !repeat {
        update = update.col_expr(B::Status, Expr::value("PAID"));
    }
    Ok(update.exec(db).await?.rows_affected == 1)
}

/// OPEN bills due before `today`, oldest first.
pub async fn overdue(
    db: &impl ConnectionTrait,
    today: NaiveDate,
    limit: u64,
) -> Result<Vec<Bill>, DbErr> {
    Bills::find()
        .filter(B::Status.eq("OPEN"))
        .filter(B::DueDate.lt(today))
        .order_by_asc(B::Id)
        .limit(limit)
        .all(db)
        .await
}

/// Bills payable by this number today: OPEN and not past due.
pub async fn open_for_number(
    db: &impl ConnectionTrait,
    number: &str,
    today: NaiveDate,
) -> Result<Vec<Bill>, DbErr> {
    Bills::find()
        .filter(B::PaymentNumber.eq(number))
        .filter(B::Status.eq("OPEN"))
        .filter(B::DueDate.gte(today))
        .order_by_asc(B::DueDate)
        .order_by_asc(B::Id)
        .all(db)
        .await
}

pub struct BillFilter {
    pub organisation_id: i64,
    pub status: Option<String>,
    pub payment_number: Option<String>,
}

pub async fn list(
    db: &impl ConnectionTrait,
    filter: BillFilter,
    request: PageRequest,
) -> Result<Page<Bill>, DbErr> {
    let mut select = Bills::find().filter(B::OrganisationId.eq(filter.organisation_id));
    if let Some(status) = filter.status {
        select = select.filter(B::Status.eq(status));
    }
    if let Some(number) = filter.payment_number {
        select = select.filter(B::PaymentNumber.eq(number));
    }
    super::page(db, select, B::Id, request).await
}

pub async fn versions(
    db: &impl ConnectionTrait,
    bill_id: i64,
) -> Result<Vec<bill_version::Model>, DbErr> {
    bill_version::Entity::find()
        .filter(bill_version::Column::BillId.eq(bill_id))
        .order_by_asc(bill_version::Column::Version)
        .all(db)
        .await
}
