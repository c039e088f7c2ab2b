//! Signing in, the viewer, users and API keys.

use async_graphql::{Context, ID, InputObject, Object, Result, SimpleObject};
use chrono::{DateTime, Utc};

use super::{
    enums::Role,
    env,
    errors::{UserError, payload, to_graphql},
    ids::{self, Kind},
    types::{ApiKey, Organisation, User, organisation_for},
};
use crate::service::users::NewUserInput;

#[derive(InputObject)]
pub struct LoginInput {
    pub email: String,
    pub password: String,
}

#[derive(SimpleObject)]
pub struct LoginPayload {
    /// A JWT to send as `Authorization: Bearer <token>`.
    pub token: Option<String>,
    pub expires_at: Option<DateTime<Utc>>,
    pub user_errors: Vec<UserError>,
}

/// Who the caller is.
pub struct Viewer(crate::auth::Principal);

#[Object]
impl Viewer {
    /// The person signed in; null for an API key.
    async fn user(&self, ctx: &Context<'_>) -> Result<Option<User>> {
        let Some(id) = self.0.user_id() else {
            return Ok(None);
        };
        let (services, caller) = env(ctx)?;
        let user = services
            .visible_user(caller, id)
            .await
            .map_err(|e| to_graphql(ctx, e))?;
        Ok(user.map(User))
    }
    /// The caller's organisation; null for platform staff.
    async fn organisation(&self, ctx: &Context<'_>) -> Result<Option<Organisation>> {
        let Some(id) = self.0.organisation_id else {
            return Ok(None);
        };
        organisation_for(ctx, id).await
    }
    async fn roles(&self) -> Vec<Role> {
        vec![self.0.role.into()]
    }
    /// For API keys: the contract the key belongs to.
    async fn contract_id(&self) -> Option<ID> {
        self.0.contract_id.map(|id| ids::encode(Kind::Contract, id))
    }
}

#[derive(Default)]
pub struct IdentityQuery;

#[Object]
impl IdentityQuery {
    /// The signed-in principal.
    async fn viewer(&self, ctx: &Context<'_>) -> Result<Viewer> {
        let (_, caller) = env(ctx)?;
        let principal = caller.principal().map_err(|e| to_graphql(ctx, e))?;
        Ok(Viewer(principal.clone()))
    }
}

#[derive(InputObject)]
pub struct CreateUserInput {
    /// The organisation the user belongs to; omit for platform staff.
    pub organisation_id: Option<ID>,
    pub email: String,
    pub password: String,
    pub role: Role,
    pub display_name: Option<String>,
}

#[derive(SimpleObject)]
pub struct CreateUserPayload {
    pub user: Option<User>,
    pub user_errors: Vec<UserError>,
}

#[derive(InputObject)]
pub struct CreateApiKeyInput {
    pub contract_id: ID,
}

#[derive(SimpleObject)]
pub struct CreateApiKeyPayload {
    pub api_key: Option<ApiKey>,
    /// The whole key. Shown this once; only a hash is kept.
    pub secret: Option<String>,
    pub user_errors: Vec<UserError>,
}

#[derive(InputObject)]
pub struct RevokeApiKeyInput {
    pub api_key_id: ID,
}

#[derive(SimpleObject)]
pub struct RevokeApiKeyPayload {
    pub api_key: Option<ApiKey>,
    pub user_errors: Vec<UserError>,
}

#[derive(Default)]
pub struct IdentityMutation;

#[Object]
impl IdentityMutation {
    /// Exchanges e-mail and password for a JWT.
    async fn login(&self, ctx: &Context<'_>, input: LoginInput) -> Result<LoginPayload> {
        let (services, _) = env(ctx)?;
        let result = services.login(&input.email, &input.password).await;
        payload(
            ctx,
            result,
            |(token, expires)| LoginPayload {
                token: Some(token),
                expires_at: DateTime::from_timestamp(expires as i64, 0),
                user_errors: vec![],
            },
            |user_errors| LoginPayload {
                token: None,
                expires_at: None,
                user_errors,
            },
        )
    }

    /// Creates a user with one role (admins, within what they administer).
    async fn create_user(
        &self,
        ctx: &Context<'_>,
        input: CreateUserInput,
    ) -> Result<CreateUserPayload> {
        let (services, caller) = env(ctx)?;
        let organisation_id = input
            .organisation_id
            .as_ref()
            .map(|id| ids::decode_as(Kind::Organisation, id).unwrap_or_default());
        let new = NewUserInput {
            organisation_id,
            email: input.email,
            password: input.password,
            role: input.role.into(),
            display_name: input.display_name,
        };
        let result = services.create_user(caller, new).await;
        payload(
            ctx,
            result,
            |u| CreateUserPayload {
                user: Some(User(u)),
                user_errors: vec![],
            },
            |user_errors| CreateUserPayload {
                user: None,
                user_errors,
            },
        )
    }

    /// Issues an API key for a SYSTEM_INTEGRATION contract.
    async fn create_api_key(
        &self,
        ctx: &Context<'_>,
        input: CreateApiKeyInput,
    ) -> Result<CreateApiKeyPayload> {
        let (services, caller) = env(ctx)?;
        let contract_id = ids::decode_as(Kind::Contract, &input.contract_id).unwrap_or_default();
        let result = services.create_api_key(caller, contract_id).await;
        payload(
            ctx,
            result,
            |(key, secret)| CreateApiKeyPayload {
                api_key: Some(ApiKey(key)),
                secret: Some(secret),
                user_errors: vec![],
            },
            |user_errors| CreateApiKeyPayload {
                api_key: None,
                secret: None,
                user_errors,
            },
        )
    }

    /// Revokes an API key at once; requests with it are refused from then on.
    async fn revoke_api_key(
        &self,
        ctx: &Context<'_>,
        input: RevokeApiKeyInput,
    ) -> Result<RevokeApiKeyPayload> {
        let (services, caller) = env(ctx)?;
        let id = ids::decode_as(Kind::ApiKey, &input.api_key_id).unwrap_or_default();
        let result = services.revoke_api_key(caller, id).await;
        payload(
            ctx,
            result,
            |key| RevokeApiKeyPayload {
                api_key: Some(ApiKey(key)),
                user_errors: vec![],
            },
            |user_errors| RevokeApiKeyPayload {
                api_key: None,
                user_errors,
            },
        )
    }
}
