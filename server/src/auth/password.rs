//! Password and key hashing with argon2id (the crate's recommended defaults).
//! Hashing is slow on purpose, so it runs on the blocking pool.

use argon2::{
    Argon2,
    password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString, rand_core::OsRng},
};

/// Hashes `secret` into a PHC string.
pub fn hash(secret: &str) -> Result<String, argon2::password_hash::Error> {
    let salt = SaltString::generate(&mut OsRng);
    Ok(Argon2::default()
        .hash_password(secret.as_bytes(), &salt)?
        .to_string())
}

/// Whether `secret` matches the PHC string `stored`. A malformed stored hash
/// matches nothing.
pub fn verify(secret: &str, stored: &str) -> bool {
    PasswordHash::new(stored)
        .map(|parsed| {
            Argon2::default()
                .verify_password(secret.as_bytes(), &parsed)
                .is_ok()
        })
        .unwrap_or(false)
}

/// A valid hash of nothing anyone knows: verifying against it when a login
/// names an unknown user costs the same time as a real check, so response
/// times do not tell which e-mail addresses have accounts.
pub fn decoy_hash() -> &'static str {
    static DECOY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DECOY.get_or_init(|| hash(&uuid::Uuid::new_v4().to_string()).unwrap_or_default())
}

pub async fn hash_blocking(secret: String) -> Result<String, anyhow::Error> {
    tokio::task::spawn_blocking(move || hash(&secret).map_err(|e| anyhow::anyhow!("argon2: {e}")))
        .await?
}

pub async fn verify_blocking(secret: String, stored: String) -> bool {
    tokio::task::spawn_blocking(move || verify(&secret, &stored))
        .await
        .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hash_verifies_only_its_secret() {
        let stored = hash("demo-pass-1234").expect("hash");
        assert!(stored.starts_with("$argon2id$"));
        assert!(verify("demo-pass-1234", &stored));
        assert!(!verify("demo-pass-1235", &stored));
        assert!(!verify("demo-pass-1234", "not a hash"));
        assert!(!verify("anything", decoy_hash()));
    }
}
