//! API keys: `shuno_sk_<prefix>_<secret>`. The prefix finds the row; only an
//! argon2 hash of the secret is stored. The whole key is shown once.

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use rand::RngCore;

const MARK: &str = "shuno_sk_";

/// A freshly made key, before it is stored.
pub struct NewKey {
    pub prefix: String,
    pub secret: String,
}

impl NewKey {
    pub fn generate() -> Self {
        let mut rng = rand::rng();
        let mut prefix = [0u8; 8];
        let mut secret = [0u8; 32];
        rng.fill_bytes(&mut prefix);
        rng.fill_bytes(&mut secret);
        Self {
            prefix: prefix.iter().map(|b| format!("{b:02x}")).collect(),
            secret: URL_SAFE_NO_PAD.encode(secret),
        }
    }

    /// What the client puts after `Bearer `.
    pub fn token(&self) -> String {
        format!("{MARK}{}_{}", self.prefix, self.secret)
    }
}

/// Whether a bearer token is shaped like an API key (rather than a JWT).
pub fn looks_like_key(token: &str) -> bool {
    token.starts_with(MARK)
}

/// Splits a presented key into (prefix, secret), or None when malformed.
pub fn split(token: &str) -> Option<(&str, &str)> {
    let rest = token.strip_prefix(MARK)?;
    let (prefix, secret) = rest.split_once('_')?;
    let prefix_ok = prefix.len() == 16 && prefix.bytes().all(|b| b.is_ascii_hexdigit());
    let secret_ok = secret.len() == 43 && URL_SAFE_NO_PAD.decode(secret).is_ok();
    (prefix_ok && secret_ok).then_some((prefix, secret))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_keys_split_back() {
        let key = NewKey::generate();
        let token = key.token();
        assert!(looks_like_key(&token));
        assert_eq!(
            split(&token),
            Some((key.prefix.as_str(), key.secret.as_str()))
        );
        assert_eq!(split("shuno_sk_short_x"), None);
        assert_eq!(split(&token[..token.len() - 1]), None);
    }
}
