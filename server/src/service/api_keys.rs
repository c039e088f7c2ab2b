//! API keys for SYSTEM_INTEGRATION contracts.

use super::{Ctx, ServiceError, Services, organisations::scope_of};
use crate::{
    auth::{api_key::NewKey, password},
    authz::{Change, Grant, Subject},
    domain::{
        contract::{ContractStatus, Plan},
        role::Role,
    },
    store::{self, api_keys, entity::api_key::Model as ApiKey},
};

fn contract_not_found() -> ServiceError {
    ServiceError::invalid(
        &["input", "contractId"],
        "CONTRACT_NOT_FOUND",
        "指定された契約が見つかりません。",
    )
}

impl Services {
    /// Makes a key; returns the row and the whole key, which is never shown again.
    #[tracing::instrument(skip(self, ctx))]
    pub async fn create_api_key(
        &self,
        ctx: &Ctx,
        contract_id: i64,
    ) -> Result<(ApiKey, String), ServiceError> {
        let principal = ctx.principal()?;
        let Some((contract, organisation)) = self.visible_contract(ctx, contract_id).await? else {
            return Err(contract_not_found());
        };
        self.authorize(ctx, scope_of(&organisation), "api_key", "create")
            .await?;
        let Some(created_by) = principal.user_id() else {
            return Err(ServiceError::Forbidden);
        };
        if Plan::from_name(&contract.plan) != Some(Plan::SystemIntegration) {
            return Err(ServiceError::invalid(
                &["input", "contractId"],
                "PLAN_HAS_NO_API_ACCESS",
                "APIキーはシステム連携プランの契約にのみ発行できます。",
            ));
        }
        if ContractStatus::from_name(&contract.status) != Some(ContractStatus::Active) {
            return Err(ServiceError::invalid(
                &["input", "contractId"],
                "CONTRACT_NOT_ACTIVE",
                "有効な契約ではないため、APIキーを発行できません。",
            ));
        }
        let key = NewKey::generate();
        let secret_hash = password::hash_blocking(key.secret.clone()).await?;
        let txn = crate::store::write(&self.db).await?;
        let row = api_keys::insert(&txn, contract.id, &key.prefix, secret_hash, created_by).await?;
        let grant = Grant {
            subject: Subject::ApiKey(row.id),
            role: Role::ApiClient,
            organisation: Some(organisation.id),
        };
        store::policy::insert(&txn, &[grant.rule()]).await?;
        txn.commit().await?;
        self.authz.applied(vec![Change::Granted(grant)]).await?;
        tracing::info!(api_key_id = row.id, "api key created");
        Ok((row, key.token()))
    }

    /// A key row with its contract's organisation, when the caller may see
    /// the contract.
    pub async fn visible_api_key(
        &self,
        ctx: &Ctx,
        id: i64,
    ) -> Result<Option<ApiKey>, ServiceError> {
        let Some(key) = api_keys::find(&self.db, id).await? else {
            return Ok(None);
        };
        Ok(self
            .visible_contract(ctx, key.contract_id)
            .await?
            .map(|_| key))
    }

    #[tracing::instrument(skip(self, ctx))]
    pub async fn revoke_api_key(&self, ctx: &Ctx, id: i64) -> Result<ApiKey, ServiceError> {
        ctx.principal()?;
        let not_found = || {
            ServiceError::invalid(
                &["input", "apiKeyId"],
                "API_KEY_NOT_FOUND",
                "指定されたAPIキーが見つかりません。",
            )
        };
        let Some(key) = api_keys::find(&self.db, id).await? else {
            return Err(not_found());
        };
        let Some((_, organisation)) = self.visible_contract(ctx, key.contract_id).await? else {
            return Err(not_found());
        };
        self.authorize(ctx, scope_of(&organisation), "api_key", "revoke")
            .await?;
        if key.revoked_at.is_some() {
            return Ok(key);
        }
        let grant = Grant {
            subject: Subject::ApiKey(key.id),
            role: Role::ApiClient,
            organisation: Some(organisation.id),
        };
        let txn = crate::store::write(&self.db).await?;
        let key = api_keys::revoke(&txn, key).await?;
        store::policy::delete(&txn, &[grant.rule()]).await?;
        txn.commit().await?;
        self.authz.applied(vec![Change::Revoked(grant)]).await?;
        tracing::info!(api_key_id = key.id, "api key revoked");
        Ok(key)
    }
}
