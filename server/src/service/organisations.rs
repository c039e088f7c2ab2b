//! Owners and tenants.

use super::{Ctx, Page, PageRequest, ServiceError, Services, Validation};
use crate::{
    authz::Scope,
    domain::{
        organisation::{CorporateOrigin, LegalForm, LegalIdentity, OrganisationKind, TenantKind},
        text::Name,
    },
    store::{
        entity::organisation::Model as Organisation,
        organisations::{self, NewOrganisation},
    },
};

/// The facts every organisation is created with.
pub struct OrganisationFacts {
    pub name: String,
    pub legal_form: LegalForm,
    pub corporate_origin: Option<CorporateOrigin>,
    pub corporate_number: Option<String>,
    pub representative_name: Option<String>,
}

pub struct NewTenant {
    pub owner_id: i64,
    pub kind: TenantKind,
    pub facts: OrganisationFacts,
}

/// The authorization scope of an organisation: itself and its owner.
pub fn scope_of(organisation: &Organisation) -> Scope {
    Scope::Organisation {
        id: organisation.id,
        owner_id: organisation.owner_id.unwrap_or(organisation.id),
    }
}

pub fn kind_of(organisation: &Organisation) -> Option<OrganisationKind> {
    OrganisationKind::from_name(&organisation.kind)
}

struct ValidFacts {
    name: Name,
    legal: LegalIdentity,
    representative_name: Option<Name>,
}

fn validate(facts: OrganisationFacts) -> Result<ValidFacts, ServiceError> {
    let mut validation = Validation::default();
    let name = validation.check(&["input", "name"], Name::parse(&facts.name));
    let representative_name = match facts.representative_name.as_deref().map(str::trim) {
        None | Some("") => Some(None),
        Some(raw) => validation
            .check(&["input", "representativeName"], Name::parse(raw))
            .map(Some),
    };
    let legal = match LegalIdentity::parse(
        facts.legal_form,
        facts.corporate_origin,
        facts.corporate_number.as_deref(),
    ) {
        Ok(legal) => Some(legal),
        Err((field, rule)) => {
            validation.push(super::UserError::from_rule(&["input", field], rule));
            None
        }
    };
    validation.finish()?;
    match (name, legal, representative_name) {
        (Some(name), Some(legal), Some(representative_name)) => Ok(ValidFacts {
            name,
            legal,
            representative_name,
        }),
        _ => Err(ServiceError::Internal(anyhow::anyhow!(
            "validation passed without values"
        ))),
    }
}

impl Services {
    /// Looks an organisation up for the caller: None when it does not exist
    /// or the caller may not see it (the two are indistinguishable).
    pub async fn visible_organisation(
        &self,
        ctx: &Ctx,
        id: i64,
    ) -> Result<Option<Organisation>, ServiceError> {
        let Some(organisation) = organisations::find(&self.db, id).await? else {
            return Ok(None);
        };
        if self
            .may(ctx, scope_of(&organisation), "organisation", "read")
            .await?
        {
            Ok(Some(organisation))
        } else {
            Ok(None)
        }
    }

    #[tracing::instrument(skip(self, ctx, facts))]
    pub async fn create_owner(
        &self,
        ctx: &Ctx,
        facts: OrganisationFacts,
    ) -> Result<Organisation, ServiceError> {
        self.authorize(ctx, Scope::Platform, "owner", "create")
            .await?;
        let valid = validate(facts)?;
        let txn = crate::store::write(&self.db).await?;
        let owner = organisations::insert(
            &txn,
            NewOrganisation {
                kind: OrganisationKind::Owner,
                owner_id: None,
                name: valid.name,
                tenant_kind: None,
                legal: valid.legal,
                representative_name: valid.representative_name,
            },
        )
        .await?;
        // New owners start with the built-in screening pipeline.
        super::plugins::install_default_pipeline(&txn, owner.id).await?;
        txn.commit().await?;
        tracing::info!(owner_id = owner.id, "owner created");
        Ok(owner)
    }

    /// The owner `owner_id` as the caller sees it, or a userError naming
    /// `field` when it does not exist, is not visible, or is not an owner.
    pub async fn visible_owner(
        &self,
        ctx: &Ctx,
        owner_id: i64,
        field: &[&str],
    ) -> Result<Organisation, ServiceError> {
        match self.visible_organisation(ctx, owner_id).await? {
            Some(owner) if kind_of(&owner) == Some(OrganisationKind::Owner) => Ok(owner),
            _ => Err(ServiceError::invalid(
                field,
                "OWNER_NOT_FOUND",
                "指定されたオーナー企業が見つかりません。",
            )),
        }
    }

    #[tracing::instrument(skip(self, ctx, tenant), fields(owner_id = tenant.owner_id))]
    pub async fn create_tenant(
        &self,
        ctx: &Ctx,
        tenant: NewTenant,
    ) -> Result<Organisation, ServiceError> {
        ctx.principal()?;
        let owner = self
            .visible_owner(ctx, tenant.owner_id, &["input", "ownerId"])
            .await?;
        self.authorize(ctx, scope_of(&owner), "tenant", "create")
            .await?;
        let valid = validate(tenant.facts)?;
        let created = organisations::insert(
            &self.db,
            NewOrganisation {
                kind: OrganisationKind::Tenant,
                owner_id: Some(owner.id),
                name: valid.name,
                tenant_kind: Some(tenant.kind),
                legal: valid.legal,
                representative_name: valid.representative_name,
            },
        )
        .await?;
        tracing::info!(tenant_id = created.id, "tenant created");
        Ok(created)
    }

    /// The tenants of an owner the caller can see.
    pub async fn tenants(
        &self,
        ctx: &Ctx,
        owner_id: i64,
        page: PageRequest,
    ) -> Result<Page<Organisation>, ServiceError> {
        ctx.principal()?;
        let owner = match self.visible_organisation(ctx, owner_id).await? {
            Some(owner) if kind_of(&owner) == Some(OrganisationKind::Owner) => owner,
            _ => return Err(ServiceError::NotFound),
        };
        self.authorize(ctx, scope_of(&owner), "tenant", "list")
            .await?;
        Ok(organisations::tenants(&self.db, owner.id, page).await?)
    }

    /// Every owner, for platform staff.
    pub async fn owners(
        &self,
        ctx: &Ctx,
        page: PageRequest,
    ) -> Result<Page<Organisation>, ServiceError> {
        self.authorize(ctx, Scope::Platform, "owner", "list")
            .await?;
        Ok(organisations::owners(&self.db, page).await?)
    }
}
