//! Contracts of organisations.

use chrono::Utc;
use sea_orm::{
    ActiveModelTrait,
    ActiveValue::{NotSet, Set},
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter,
};

use super::{
    Page, PageRequest,
    entity::contract::{self, Column, Entity, Model},
};
use crate::domain::contract::{
    ChainSet, ContractStatus, FeeSchedule, NoticeLag, Plan, SettlementCycle, Usage,
};

pub struct NewContract {
    pub organisation_id: i64,
    pub plan: Plan,
    pub usage: Usage,
    pub chains: ChainSet,
    pub settlement_cycle: SettlementCycle,
    pub notice_lag: NoticeLag,
    pub fee_schedule: FeeSchedule,
}

pub async fn insert(db: &impl ConnectionTrait, new: NewContract) -> Result<Model, DbErr> {
    let fee_schedule =
        serde_json::to_string(&new.fee_schedule).map_err(|e| DbErr::Custom(e.to_string()))?;
    contract::ActiveModel {
        id: NotSet,
        organisation_id: Set(new.organisation_id),
        plan: Set(new.plan.as_str().to_owned()),
        usage: Set(new.usage.as_str().to_owned()),
        chains: Set(new.chains.to_stored()),
        settlement_cycle: Set(new.settlement_cycle.as_str().to_owned()),
        notice_lag_days: Set(i32::from(new.notice_lag.days())),
        fee_schedule: Set(fee_schedule),
        status: Set(ContractStatus::Active.as_str().to_owned()),
        created_at: Set(Utc::now()),
    }
    .insert(db)
    .await
}

pub async fn find(db: &impl ConnectionTrait, id: i64) -> Result<Option<Model>, DbErr> {
    Entity::find_by_id(id).one(db).await
}

pub async fn of_organisation(
    db: &impl ConnectionTrait,
    organisation_id: i64,
    request: PageRequest,
) -> Result<Page<Model>, DbErr> {
    let select = Entity::find().filter(Column::OrganisationId.eq(organisation_id));
    super::page(db, select, Column::Id, request).await
}
