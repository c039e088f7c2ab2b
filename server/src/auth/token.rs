//! Login tokens: HS256 JWTs with `iss`, `aud`, `sub`, `exp`, `iat`, `jti`.

use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

use crate::config::Secret;

#[derive(Debug, Serialize, Deserialize)]
pub struct Claims {
    pub iss: String,
    pub aud: String,
    /// `user:<id>`.
    pub sub: String,
    pub exp: u64,
    pub iat: u64,
    pub jti: String,
}

/// Signs and checks tokens with one secret, issuer and audience.
pub struct TokenKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    issuer: String,
    audience: String,
    ttl_seconds: u64,
}

#[derive(Debug, thiserror::Error)]
#[error("invalid token")]
pub struct InvalidToken;

impl TokenKeys {
    pub fn new(secret: &Secret, issuer: &str, audience: &str, ttl_seconds: u64) -> Self {
        // Only HS256 is accepted: `alg: none` and every other algorithm fail.
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_issuer(&[issuer]);
        validation.set_audience(&[audience]);
        validation.set_required_spec_claims(&["exp", "iat", "iss", "aud", "sub"]);
        validation.leeway = 5;
        Self {
            encoding: EncodingKey::from_secret(secret.expose().as_bytes()),
            decoding: DecodingKey::from_secret(secret.expose().as_bytes()),
            validation,
            issuer: issuer.to_owned(),
            audience: audience.to_owned(),
            ttl_seconds,
        }
    }

    /// A token for `subject`, valid from `now` (unix seconds) for the TTL.
    pub fn issue(
        &self,
        subject: &str,
        now: u64,
    ) -> Result<(String, u64), jsonwebtoken::errors::Error> {
        let claims = Claims {
            iss: self.issuer.clone(),
            aud: self.audience.clone(),
            sub: subject.to_owned(),
            iat: now,
            exp: now + self.ttl_seconds,
            jti: uuid::Uuid::new_v4().to_string(),
        };
        let token = jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)?;
        Ok((token, claims.exp))
    }

    pub fn verify(&self, token: &str) -> Result<Claims, InvalidToken> {
        jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation)
            .map(|data| data.claims)
            .map_err(|_| InvalidToken)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys() -> TokenKeys {
        TokenKeys::new(
            &Secret::new("test-secret-test-secret"),
            "shuno",
            "shuno-api",
            3600,
        )
    }

    fn now() -> u64 {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or_default()
    }

    #[test]
    fn issued_tokens_verify() {
        let (token, _) = keys().issue("user:1", now()).expect("issue");
        let claims = keys().verify(&token).expect("valid");
        assert_eq!(claims.sub, "user:1");
        assert!(!claims.jti.is_empty());
    }

    #[test]
    fn foreign_and_stale_tokens_fail() {
        let (expired, _) = keys().issue("user:1", now() - 7200).expect("issue");
        assert!(keys().verify(&expired).is_err());
        let other = TokenKeys::new(
            &Secret::new("another-secret-another"),
            "shuno",
            "shuno-api",
            3600,
        );
        let (forged, _) = other.issue("user:1", now()).expect("issue");
        assert!(keys().verify(&forged).is_err());
        let wrong_aud = TokenKeys::new(
            &Secret::new("test-secret-test-secret"),
            "shuno",
            "elsewhere",
            3600,
        );
        assert!(
            keys()
                .verify(&wrong_aud.issue("user:1", now()).expect("issue").0)
                .is_err()
        );
    }
}
