//! Contracts: read by the organisation side; created by onboarding (and by
//! the demo seed) inside the caller's transaction.

use sea_orm::ConnectionTrait;

use super::{Ctx, Page, PageRequest, ServiceError, Services, organisations::scope_of};
use crate::store::{
    self,
    contracts::{self, NewContract},
    entity::{contract::Model as Contract, organisation::Model as Organisation},
};

/// Stores a contract that screening or a reviewer has approved. Authorization
/// belongs to the decision that leads here, not to this step.
pub async fn create(db: &impl ConnectionTrait, new: NewContract) -> Result<Contract, ServiceError> {
    Ok(contracts::insert(db, new).await?)
}

impl Services {
    /// A contract and its organisation, when the caller may read contracts there.
    pub async fn visible_contract(
        &self,
        ctx: &Ctx,
        id: i64,
    ) -> Result<Option<(Contract, Organisation)>, ServiceError> {
        let Some(contract) = contracts::find(&self.db, id).await? else {
            return Ok(None);
        };
        let Some(organisation) =
            store::organisations::find(&self.db, contract.organisation_id).await?
        else {
            return Ok(None);
        };
        Ok(self
            .may(ctx, scope_of(&organisation), "contract", "read")
            .await?
            .then_some((contract, organisation)))
    }

    pub async fn contracts(
        &self,
        ctx: &Ctx,
        organisation_id: i64,
        page: PageRequest,
    ) -> Result<Page<Contract>, ServiceError> {
        let Some(organisation) = self.visible_organisation(ctx, organisation_id).await? else {
            return Err(ServiceError::NotFound);
        };
        self.authorize(ctx, scope_of(&organisation), "contract", "read")
            .await?;
        Ok(contracts::of_organisation(&self.db, organisation.id, page).await?)
    }
}
