//! Signing in and recognising callers.

use std::{collections::HashMap, sync::Mutex};

use sha2::{Digest, Sha256};

use super::{ServiceError, Services};
use crate::{
    auth::{Principal, api_key, password, token::Claims},
    authz::Subject,
    domain::{contract::ContractStatus, role::Role},
    store::{self, api_keys, users},
};

/// See [`Services`]: key id → SHA-256 of a secret that passed argon2.
pub type VerifiedKeys = Mutex<HashMap<i64, [u8; 32]>>;

fn invalid_credentials() -> ServiceError {
    ServiceError::invalid(
        &["input"],
        "INVALID_CREDENTIALS",
        "メールアドレスまたはパスワードが正しくありません。",
    )
}

fn unix_now() -> u64 {
    chrono::Utc::now().timestamp().max(0) as u64
}

impl Services {
    /// A token for the user with these credentials. An unknown e-mail and a
    /// wrong password give the same error after the same amount of work.
    #[tracing::instrument(skip_all)]
    pub async fn login(
        &self,
        email: &str,
        password_text: &str,
    ) -> Result<(String, u64), ServiceError> {
        let email = email.trim().to_lowercase();
        let user = users::find_by_email(&self.db, &email).await?;
        let stored = user.as_ref().map_or_else(
            || password::decoy_hash().to_owned(),
            |u| u.password_hash.clone(),
        );
        let matches = password::verify_blocking(password_text.to_owned(), stored).await;
        let Some(user) = user.filter(|_| matches) else {
            return Err(invalid_credentials());
        };
        let subject = Subject::User(user.id).casbin_name();
        let (token, expires) = self
            .tokens
            .issue(&subject, unix_now())
            .map_err(|e| ServiceError::Internal(e.into()))?;
        tracing::info!(user_id = user.id, "login");
        Ok((token, expires))
    }

    /// The principal behind a bearer token (a JWT or an API key).
    pub async fn authenticate(&self, bearer: &str) -> Result<Principal, ServiceError> {
        if api_key::looks_like_key(bearer) {
            self.authenticate_key(bearer).await
        } else {
            let claims = self
                .tokens
                .verify(bearer)
                .map_err(|_| ServiceError::Unauthenticated)?;
            self.authenticate_user(&claims).await
        }
    }

    async fn authenticate_user(&self, claims: &Claims) -> Result<Principal, ServiceError> {
        let id = claims
            .sub
            .strip_prefix("user:")
            .and_then(|id| id.parse::<i64>().ok())
            .ok_or(ServiceError::Unauthenticated)?;
        let user = users::find(&self.db, id)
            .await?
            .ok_or(ServiceError::Unauthenticated)?;
        let role = Role::from_name(&user.role).ok_or_else(|| {
            ServiceError::Internal(anyhow::anyhow!(
                "user {} has unknown role {}",
                user.id,
                user.role
            ))
        })?;
        Ok(Principal {
            subject: Subject::User(user.id),
            organisation_id: user.organisation_id,
            role,
            email: Some(user.email),
            contract_id: None,
        })
    }

    async fn authenticate_key(&self, bearer: &str) -> Result<Principal, ServiceError> {
        let (prefix, secret) = api_key::split(bearer).ok_or(ServiceError::Unauthenticated)?;
        let key = api_keys::find_by_prefix(&self.db, prefix)
            .await?
            .filter(|key| key.revoked_at.is_none())
            .ok_or(ServiceError::Unauthenticated)?;
        let digest: [u8; 32] = Sha256::digest(secret.as_bytes()).into();
        let cached = self
            .api_key_checks
            .lock()
            .map(|checks| checks.get(&key.id) == Some(&digest))
            .unwrap_or(false);
        if !cached {
            if !password::verify_blocking(secret.to_owned(), key.secret_hash.clone()).await {
                return Err(ServiceError::Unauthenticated);
            }
            if let Ok(mut checks) = self.api_key_checks.lock() {
                checks.insert(key.id, digest);
            }
        }
        let contract = store::contracts::find(&self.db, key.contract_id)
            .await?
            .filter(|c| ContractStatus::from_name(&c.status) == Some(ContractStatus::Active))
            .ok_or(ServiceError::Unauthenticated)?;
        Ok(Principal {
            subject: Subject::ApiKey(key.id),
            organisation_id: Some(contract.organisation_id),
            role: Role::ApiClient,
            email: None,
            contract_id: Some(contract.id),
        })
    }
}
