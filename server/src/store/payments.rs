//! Store payments and their items.

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait,
    ActiveValue::{NotSet, Set},
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder,
};

use super::{
    Page, PageRequest,
    entity::{
        payment::{self, Column as P, Model as Payment},
        payment_item::{self, Column as I, Model as Item},
    },
};

pub struct NewPayment<'a> {
    pub chain: &'a str,
    pub store_code: &'a str,
    pub slip_number: &'a str,
    pub paid_at: DateTime<Utc>,
    pub payment_number: &'a str,
    pub idempotency_key: &'a str,
    pub request_hash: &'a str,
    pub total: i64,
    pub reported_by: &'a str,
}

pub async fn insert(
    db: &impl ConnectionTrait,
    new: NewPayment<'_>,
    now: DateTime<Utc>,
) -> Result<Payment, DbErr> {
    payment::ActiveModel {
        id: NotSet,
        chain: Set(new.chain.to_owned()),
        store_code: Set(new.store_code.to_owned()),
        slip_number: Set(new.slip_number.to_owned()),
        paid_at: Set(new.paid_at),
        payment_number: Set(new.payment_number.to_owned()),
        idempotency_key: Set(new.idempotency_key.to_owned()),
        request_hash: Set(new.request_hash.to_owned()),
        total: Set(new.total),
        reported_by: Set(new.reported_by.to_owned()),
        created_at: Set(now),
    }
    .insert(db)
    .await
}

pub struct NewItem {
    pub bill_id: i64,
    pub contract_id: i64,
    pub organisation_id: i64,
    pub amount: i64,
    pub bill_version: i32,
}

pub async fn insert_items(
    db: &impl ConnectionTrait,
    payment: &Payment,
    items: Vec<NewItem>,
) -> Result<(), DbErr> {
    let rows = items.into_iter().map(|i| payment_item::ActiveModel {
        id: NotSet,
        payment_id: Set(payment.id),
        bill_id: Set(i.bill_id),
        contract_id: Set(i.contract_id),
        organisation_id: Set(i.organisation_id),
        amount: Set(i.amount),
        bill_version: Set(i.bill_version),
        paid_at: Set(payment.paid_at),
        chain: Set(payment.chain.clone()),
        statement_id: Set(None),
    });
    payment_item::Entity::insert_many(rows)
        .exec_without_returning(db)
        .await?;
    Ok(())
}

pub async fn find(db: &impl ConnectionTrait, id: i64) -> Result<Option<Payment>, DbErr> {
    payment::Entity::find_by_id(id).one(db).await
}

pub async fn by_key(db: &impl ConnectionTrait, key: &str) -> Result<Option<Payment>, DbErr> {
    payment::Entity::find()
        .filter(P::IdempotencyKey.eq(key))
        .one(db)
        .await
}

pub async fn by_slip(
    db: &impl ConnectionTrait,
    chain: &str,
    store: &str,
    slip: &str,
) -> Result<Option<Payment>, DbErr> {
    payment::Entity::find()
        .filter(P::Chain.eq(chain))
        .filter(P::StoreCode.eq(store))
        .filter(P::SlipNumber.eq(slip))
        .one(db)
        .await
}

pub async fn items_of(db: &impl ConnectionTrait, payment_id: i64) -> Result<Vec<Item>, DbErr> {
    payment_item::Entity::find()
        .filter(I::PaymentId.eq(payment_id))
        .order_by_asc(I::Id)
        .all(db)
        .await
}

pub async fn items_of_bill(db: &impl ConnectionTrait, bill_id: i64) -> Result<Vec<Item>, DbErr> {
    payment_item::Entity::find()
        .filter(I::BillId.eq(bill_id))
        .order_by_asc(I::Id)
        .all(db)
        .await
}

/// Paid items of an organisation, newest last.
pub async fn items_of_organisation(
    db: &impl ConnectionTrait,
    organisation_id: i64,
    request: PageRequest,
) -> Result<Page<Item>, DbErr> {
    super::page(
        db,
        payment_item::Entity::find().filter(I::OrganisationId.eq(organisation_id)),
        I::Id,
        request,
    )
    .await
}
