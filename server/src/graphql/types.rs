//! The object types of the API, mapped from storage rows (never derived from
//! them: the API is a contract, the table a detail).

use async_graphql::{Context, ID, Object, Result, SimpleObject};
use chrono::{DateTime, Utc};

use super::{
    Conn, connection,
    enums::{
        Chain, ContractStatus, CorporateOrigin, LegalForm, OrganisationKind, Plan, Role,
        SettlementCycle, TenantKind, Usage,
    },
    env,
    errors::to_graphql,
    ids::{self, Kind},
    page_request,
};
use crate::{
    domain::contract::{ChainSet, FeeSchedule as DomainFeeSchedule},
    store::entity::{api_key, contract, organisation, user},
};

/// The organisation `id` for the caller: None when it may not see it.
pub(crate) async fn organisation_for(ctx: &Context<'_>, id: i64) -> Result<Option<Organisation>> {
    let (services, caller) = env(ctx)?;
    let organisation = services
        .visible_organisation(caller, id)
        .await
        .map_err(|e| to_graphql(ctx, e))?;
    Ok(organisation.map(Organisation))
}

/// An owner company or a tenant under one.
pub struct Organisation(pub organisation::Model);

#[Object]
impl Organisation {
    pub async fn id(&self) -> ID {
        ids::encode(Kind::Organisation, self.0.id)
    }
    async fn kind(&self) -> Option<OrganisationKind> {
        OrganisationKind::from_stored(&self.0.kind)
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// For tenants: branch, group company, mall seller or agency client.
    async fn tenant_kind(&self) -> Option<TenantKind> {
        self.0
            .tenant_kind
            .as_deref()
            .and_then(TenantKind::from_stored)
    }
    async fn legal_form(&self) -> Option<LegalForm> {
        LegalForm::from_stored(&self.0.legal_form)
    }
    async fn corporate_origin(&self) -> Option<CorporateOrigin> {
        self.0
            .corporate_origin
            .as_deref()
            .and_then(CorporateOrigin::from_stored)
    }
    /// 法人番号, 13 digits.
    async fn corporate_number(&self) -> Option<&str> {
        self.0.corporate_number.as_deref()
    }
    async fn representative_name(&self) -> Option<&str> {
        self.0.representative_name.as_deref()
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    /// The owner of a tenant, when the caller may see it (a tenant's own
    /// people may not).
    async fn owner(&self, ctx: &Context<'_>) -> Result<Option<Organisation>> {
        let Some(owner_id) = self.0.owner_id else {
            return Ok(None);
        };
        organisation_for(ctx, owner_id).await
    }
    /// The tenants of an owner.
    #[graphql(complexity = "super::page_complexity(first, child_complexity)")]
    async fn tenants(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Conn<Organisation>> {
        let (services, caller) = env(ctx)?;
        let page = services
            .tenants(caller, self.0.id, page_request(first, after)?)
            .await
            .map_err(|e| to_graphql(ctx, e))?;
        Ok(connection(page, |o| o.id, Organisation))
    }
    #[graphql(complexity = "super::page_complexity(first, child_complexity)")]
    async fn contracts(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Conn<Contract>> {
        let (services, caller) = env(ctx)?;
        let page = services
            .contracts(caller, self.0.id, page_request(first, after)?)
            .await
            .map_err(|e| to_graphql(ctx, e))?;
        Ok(connection(page, |c| c.id, Contract))
    }
    #[graphql(complexity = "super::page_complexity(first, child_complexity)")]
    async fn users(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Conn<User>> {
        let (services, caller) = env(ctx)?;
        let page = services
            .users_of(caller, self.0.id, page_request(first, after)?)
            .await
            .map_err(|e| to_graphql(ctx, e))?;
        Ok(connection(page, |u| u.id, User))
    }
}

/// A person who signs in.
pub struct User(pub user::Model);

#[Object]
impl User {
    pub async fn id(&self) -> ID {
        ids::encode(Kind::User, self.0.id)
    }
    async fn email(&self) -> &str {
        &self.0.email
    }
    async fn display_name(&self) -> &str {
        &self.0.display_name
    }
    async fn role(&self) -> Option<Role> {
        Role::from_stored(&self.0.role)
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    async fn organisation(&self, ctx: &Context<'_>) -> Result<Option<Organisation>> {
        let Some(id) = self.0.organisation_id else {
            return Ok(None);
        };
        organisation_for(ctx, id).await
    }
}

/// One band of a fee schedule.
#[derive(SimpleObject)]
pub struct FeeBand {
    /// Payments up to this amount (yen, inclusive) …
    pub up_to: i64,
    /// … cost this fee (yen, before consumption tax).
    pub fee: i64,
    /// Only at this chain; null for every chain.
    pub chain: Option<Chain>,
}

#[derive(SimpleObject)]
pub struct FeeSchedule {
    pub bands: Vec<FeeBand>,
}

/// What an organisation may do on the service: plan, usage, chains, cycle, fees.
pub struct Contract(pub contract::Model);

#[Object]
impl Contract {
    pub async fn id(&self) -> ID {
        ids::encode(Kind::Contract, self.0.id)
    }
    async fn plan(&self) -> Option<Plan> {
        Plan::from_stored(&self.0.plan)
    }
    async fn usage(&self) -> Option<Usage> {
        Usage::from_stored(&self.0.usage)
    }
    async fn chains(&self) -> Vec<Chain> {
        ChainSet::from_stored(&self.0.chains)
            .map(|set| set.chains().iter().map(|c| Chain::from(*c)).collect())
            .unwrap_or_default()
    }
    async fn settlement_cycle(&self) -> Option<SettlementCycle> {
        SettlementCycle::from_stored(&self.0.settlement_cycle)
    }
    /// Bank business days from a period's close to the notice of its amount.
    async fn notice_lag_days(&self) -> i32 {
        self.0.notice_lag_days
    }
    async fn status(&self) -> Option<ContractStatus> {
        ContractStatus::from_stored(&self.0.status)
    }
    async fn fee_schedule(&self) -> Result<FeeSchedule> {
        let schedule: DomainFeeSchedule = serde_json::from_str(&self.0.fee_schedule)
            .map_err(|_| super::errors::code_error("INTERNAL", "unreadable fee schedule"))?;
        Ok(FeeSchedule {
            bands: schedule
                .bands
                .into_iter()
                .map(|band| FeeBand {
                    up_to: band.up_to,
                    fee: band.fee,
                    chain: band.chain.as_deref().and_then(Chain::from_stored),
                })
                .collect(),
        })
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    async fn organisation(&self, ctx: &Context<'_>) -> Result<Option<Organisation>> {
        organisation_for(ctx, self.0.organisation_id).await
    }
}

/// An API key of a SYSTEM_INTEGRATION contract. The secret is never shown
/// after creation.
pub struct ApiKey(pub api_key::Model);

#[Object]
impl ApiKey {
    pub async fn id(&self) -> ID {
        ids::encode(Kind::ApiKey, self.0.id)
    }
    /// The public start of the key, to tell keys apart.
    async fn prefix(&self) -> String {
        format!("shuno_sk_{}", self.0.prefix)
    }
    async fn contract_id(&self) -> ID {
        ids::encode(Kind::Contract, self.0.contract_id)
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    async fn revoked_at(&self) -> Option<DateTime<Utc>> {
        self.0.revoked_at
    }
}
