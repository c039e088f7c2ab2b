//! Owners, tenants, contracts and `node`.

use async_graphql::{Context, ID, InputObject, Object, Result, SimpleObject};

use super::{
    Conn, Node, connection,
    enums::{CorporateOrigin, LegalForm, TenantKind},
    env,
    errors::{UserError, payload, to_graphql},
    ids::{self, Kind},
    page_request,
    types::{ApiKey, Contract, Organisation, User},
};
use crate::service::organisations::{NewTenant, OrganisationFacts};

#[derive(Default)]
pub struct OrganisationQuery;

#[Object]
impl OrganisationQuery {
    /// Any object the caller may see; null otherwise, exactly as for an id
    /// that does not exist.
    async fn node(&self, ctx: &Context<'_>, id: ID) -> Result<Option<Node>> {
        let (services, caller) = env(ctx)?;
        caller.principal().map_err(|e| to_graphql(ctx, e))?;
        let Some((kind, id)) = ids::decode(&id) else {
            return Ok(None);
        };
        let found = match kind {
            Kind::Organisation => services
                .visible_organisation(caller, id)
                .await
                .map(|o| o.map(|o| Node::Organisation(Organisation(o)))),
            Kind::User => services
                .visible_user(caller, id)
                .await
                .map(|u| u.map(|u| Node::User(User(u)))),
            Kind::Contract => services
                .visible_contract(caller, id)
                .await
                .map(|c| c.map(|(c, _)| Node::Contract(Contract(c)))),
            Kind::Plugin => services
                .visible_plugin(caller, id)
                .await
                .map(|p| p.map(|p| Node::Plugin(super::Plugin(p)))),
            Kind::Application => services
                .visible_application(caller, id)
                .await
                .map(|a| a.map(|a| Node::Application(super::Application(a)))),
            Kind::JointCard => services
                .visible_joint_card(caller, id)
                .await
                .map(|c| c.map(|c| Node::JointCard(super::JointCard(c)))),
            Kind::Bill => services
                .visible_bill(caller, id)
                .await
                .map(|b| b.map(|b| Node::Bill(super::Bill(b)))),
            Kind::Payment => services
                .visible_payment(caller, id)
                .await
                .map(|p| p.map(|p| Node::Payment(super::Payment(p)))),
            Kind::Statement => services.visible_statement(caller, id).await.map(|s| {
                s.map(|s| Node::SettlementStatement(super::settlement::SettlementStatement(s)))
            }),
            Kind::Event | Kind::WebhookEndpoint => Ok(None),
            Kind::ApiKey => services
                .visible_api_key(caller, id)
                .await
                .map(|k| k.map(|k| Node::ApiKey(ApiKey(k)))),
        };
        found.map_err(|e| to_graphql(ctx, e))
    }

    /// The tenants of an owner: for the owner's people and platform staff.
    #[graphql(complexity = "super::page_complexity(first, child_complexity)")]
    async fn tenants(
        &self,
        ctx: &Context<'_>,
        owner_id: ID,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Conn<Organisation>> {
        let (services, caller) = env(ctx)?;
        let request = page_request(first, after)?;
        let owner_id = ids::decode_as(Kind::Organisation, &owner_id).unwrap_or_default();
        let page = services
            .tenants(caller, owner_id, request)
            .await
            .map_err(|e| to_graphql(ctx, e))?;
        Ok(connection(page, |o| o.id, Organisation))
    }

    /// Every owner company: for platform staff.
    #[graphql(complexity = "super::page_complexity(first, child_complexity)")]
    async fn owners(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Conn<Organisation>> {
        let (services, caller) = env(ctx)?;
        let page = services
            .owners(caller, page_request(first, after)?)
            .await
            .map_err(|e| to_graphql(ctx, e))?;
        Ok(connection(page, |o| o.id, Organisation))
    }

    /// The contracts of an organisation: plan, usage, chains, cycle, fees.
    #[graphql(complexity = "super::page_complexity(first, child_complexity)")]
    async fn contracts(
        &self,
        ctx: &Context<'_>,
        organisation_id: ID,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Conn<Contract>> {
        let (services, caller) = env(ctx)?;
        let request = page_request(first, after)?;
        let id = ids::decode_as(Kind::Organisation, &organisation_id).unwrap_or_default();
        let page = services
            .contracts(caller, id, request)
            .await
            .map_err(|e| to_graphql(ctx, e))?;
        Ok(connection(page, |c| c.id, Contract))
    }
}

#[derive(InputObject)]
pub struct CreateOwnerInput {
    pub name: String,
    pub legal_form: LegalForm,
    /// Required for corporations; must be absent for individuals.
    pub corporate_origin: Option<CorporateOrigin>,
    /// 法人番号 (13 digits with its check digit), optional.
    pub corporate_number: Option<String>,
    pub representative_name: Option<String>,
}

#[derive(SimpleObject)]
pub struct CreateOwnerPayload {
    pub owner: Option<Organisation>,
    pub user_errors: Vec<UserError>,
}

#[derive(InputObject)]
pub struct CreateTenantInput {
    pub owner_id: ID,
    pub name: String,
    pub kind: TenantKind,
    pub legal_form: LegalForm,
    pub corporate_origin: Option<CorporateOrigin>,
    pub corporate_number: Option<String>,
    pub representative_name: Option<String>,
}

#[derive(SimpleObject)]
pub struct CreateTenantPayload {
    pub tenant: Option<Organisation>,
    pub user_errors: Vec<UserError>,
}

#[derive(Default)]
pub struct OrganisationMutation;

#[Object]
impl OrganisationMutation {
    /// Registers an owner company (platform admins).
    async fn create_owner(
        &self,
        ctx: &Context<'_>,
        input: CreateOwnerInput,
    ) -> Result<CreateOwnerPayload> {
        let (services, caller) = env(ctx)?;
        let facts = OrganisationFacts {
            name: input.name,
            legal_form: input.legal_form.into(),
            corporate_origin: input.corporate_origin.map(Into::into),
            corporate_number: input.corporate_number,
            representative_name: input.representative_name,
        };
        let result = services.create_owner(caller, facts).await;
        payload(
            ctx,
            result,
            |o| CreateOwnerPayload {
                owner: Some(Organisation(o)),
                user_errors: vec![],
            },
            |user_errors| CreateOwnerPayload {
                owner: None,
                user_errors,
            },
        )
    }

    /// Registers a tenant under an owner (the owner's admins).
    async fn create_tenant(
        &self,
        ctx: &Context<'_>,
        input: CreateTenantInput,
    ) -> Result<CreateTenantPayload> {
        let (services, caller) = env(ctx)?;
        // An id that is not an organisation's is refused like an unknown one.
        let owner_id = ids::decode_as(Kind::Organisation, &input.owner_id).unwrap_or_default();
        let tenant = NewTenant {
            owner_id,
            kind: input.kind.into(),
            facts: OrganisationFacts {
                name: input.name,
                legal_form: input.legal_form.into(),
                corporate_origin: input.corporate_origin.map(Into::into),
                corporate_number: input.corporate_number,
                representative_name: input.representative_name,
            },
        };
        let result = services.create_tenant(caller, tenant).await;
        payload(
            ctx,
            result,
            |t| CreateTenantPayload {
                tenant: Some(Organisation(t)),
                user_errors: vec![],
            },
            |user_errors| CreateTenantPayload {
                tenant: None,
                user_errors,
            },
        )
    }
}
