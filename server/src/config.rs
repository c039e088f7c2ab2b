//! Configuration: one typed struct, read from flags, `SHUNO_*` environment
//! variables and an optional TOML file, in that order of precedence.
//!
//! [`Settings`] is what a source may say (every field optional); [`Config`] is
//! what the server runs with, after defaults. Secrets are [`Secret`]s and never
//! print.

use std::{net::SocketAddr, path::PathBuf};

use serde::Deserialize;

/// A value that must never reach a log line or an error message.
#[derive(Clone, Deserialize, PartialEq, Eq)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(**redacted**)")
    }
}

impl std::str::FromStr for Secret {
    type Err = std::convert::Infallible;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(Self(s.to_owned()))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Human-readable lines for a terminal.
    Human,
    /// One JSON object per line, for log collectors.
    Json,
}

/// Everything one source (flags/environment, or the TOML file) may set.
#[derive(Debug, Clone, Default, Deserialize, clap::Args)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// Address to listen on [default: 127.0.0.1:8080]. Port 0 picks a free one.
    #[arg(long, env = "SHUNO_BIND")]
    pub bind: Option<SocketAddr>,

    /// Database to use [default: sqlite://shuno.db?mode=rwc, a file in the
    /// working directory]. `postgres://…` runs on PostgreSQL.
    #[arg(long, env = "DATABASE_URL")]
    pub database_url: Option<Secret>,

    /// Most database connections in the pool [default: 16].
    #[arg(long, env = "SHUNO_DB_MAX_CONNECTIONS")]
    pub db_max_connections: Option<u32>,

    /// Log line format [default: human].
    #[arg(long, env = "SHUNO_LOG_FORMAT", value_enum)]
    pub log_format: Option<LogFormat>,

    /// Log filter in `tracing` syntax [default: info].
    #[arg(long, env = "SHUNO_LOG")]
    pub log: Option<String>,

    /// HMAC secret for signing JWTs. When absent, one is generated on first
    /// start and kept in the database, so that every replica shares it.
    #[arg(long, env = "SHUNO_JWT_SECRET")]
    pub jwt_secret: Option<Secret>,

    /// `iss` of issued tokens, checked on every request [default: shuno].
    #[arg(long, env = "SHUNO_JWT_ISSUER")]
    pub jwt_issuer: Option<String>,

    /// `aud` of issued tokens, checked on every request [default: shuno-api].
    #[arg(long, env = "SHUNO_JWT_AUDIENCE")]
    pub jwt_audience: Option<String>,

    /// Lifetime of a login token in seconds [default: 3600].
    #[arg(long, env = "SHUNO_TOKEN_TTL_SECONDS")]
    pub token_ttl_seconds: Option<u64>,

    /// Largest accepted request body in bytes [default: 1048576].
    #[arg(long, env = "SHUNO_MAX_BODY_BYTES")]
    pub max_body_bytes: Option<usize>,

    /// Largest accepted body of a request whose only operation is
    /// `uploadPlugin` (a 2 MiB plugin is ~2.7 MiB in base64) [default: 3145728].
    #[arg(long, env = "SHUNO_MAX_UPLOAD_BODY_BYTES")]
    pub max_upload_body_bytes: Option<usize>,

    /// Deepest accepted GraphQL query [default: 12].
    #[arg(long, env = "SHUNO_MAX_QUERY_DEPTH")]
    pub max_query_depth: Option<usize>,

    /// Highest accepted GraphQL query complexity [default: 10000]; a list field counts its children once per item it may return.
    #[arg(long, env = "SHUNO_MAX_QUERY_COMPLEXITY")]
    pub max_query_complexity: Option<usize>,

    /// Most root fields and aliases in one request [default: 100].
    #[arg(long, env = "SHUNO_MAX_ROOT_FIELDS")]
    pub max_root_fields: Option<usize>,

    /// First webhook retry delay in milliseconds; each retry doubles it, up
    /// to 6 hours, for 3 days [default: 10000].
    #[arg(long, env = "SHUNO_WEBHOOK_RETRY_BASE_MS")]
    pub webhook_retry_base_ms: Option<u64>,

    /// Seconds a replica may keep using an owner's screening pipeline after
    /// another replica changed it; changes made through this replica apply
    /// at once [default: 2].
    #[arg(long, env = "SHUNO_PIPELINE_CACHE_SECONDS")]
    pub pipeline_cache_seconds: Option<u64>,

    /// SMTP server for e-mail, e.g. `smtps://user:password@mail.example:465`.
    /// Without it, e-mail stays pending and is listed by `outgoingMessages`.
    #[arg(long, env = "SHUNO_SMTP_URL")]
    pub smtp_url: Option<Secret>,

    /// Sender address of e-mail [default: no-reply@shuno.invalid].
    #[arg(long, env = "SHUNO_MAIL_FROM")]
    pub mail_from: Option<String>,

    /// Consumption tax on fees, in percent [default: 10].
    #[arg(long, env = "SHUNO_FEE_TAX_PERCENT")]
    pub fee_tax_percent: Option<i64>,

    /// Rounding of the tax on a statement's fees: floor (切り捨て), half_up
    /// (四捨五入) or ceil (切り上げ) [default: floor].
    #[arg(long, env = "SHUNO_FEE_TAX_ROUNDING")]
    pub fee_tax_rounding: Option<String>,

    /// Seed demo organisations and users into an empty database.
    #[arg(long, env = "SHUNO_DEMO", num_args = 0..=1, default_missing_value = "true")]
    pub demo: Option<bool>,

    /// Enable sandbox-only operations (e.g. moving the clock). Never in production.
    #[arg(long, env = "SHUNO_SANDBOX", num_args = 0..=1, default_missing_value = "true")]
    pub sandbox: Option<bool>,
}

impl Settings {
    /// Fields set here win over those set in `fallback`.
    pub fn or(self, fallback: Settings) -> Settings {
        Settings {
            bind: self.bind.or(fallback.bind),
            database_url: self.database_url.or(fallback.database_url),
            db_max_connections: self.db_max_connections.or(fallback.db_max_connections),
            log_format: self.log_format.or(fallback.log_format),
            log: self.log.or(fallback.log),
            jwt_secret: self.jwt_secret.or(fallback.jwt_secret),
            jwt_issuer: self.jwt_issuer.or(fallback.jwt_issuer),
            jwt_audience: self.jwt_audience.or(fallback.jwt_audience),
            token_ttl_seconds: self.token_ttl_seconds.or(fallback.token_ttl_seconds),
            max_body_bytes: self.max_body_bytes.or(fallback.max_body_bytes),
            max_upload_body_bytes: self
                .max_upload_body_bytes
                .or(fallback.max_upload_body_bytes),
            max_query_depth: self.max_query_depth.or(fallback.max_query_depth),
            max_query_complexity: self.max_query_complexity.or(fallback.max_query_complexity),
            max_root_fields: self.max_root_fields.or(fallback.max_root_fields),
            webhook_retry_base_ms: self
                .webhook_retry_base_ms
                .or(fallback.webhook_retry_base_ms),
            pipeline_cache_seconds: self
                .pipeline_cache_seconds
                .or(fallback.pipeline_cache_seconds),
            smtp_url: self.smtp_url.or(fallback.smtp_url),
            mail_from: self.mail_from.or(fallback.mail_from),
            fee_tax_percent: self.fee_tax_percent.or(fallback.fee_tax_percent),
            fee_tax_rounding: self.fee_tax_rounding.or(fallback.fee_tax_rounding),
            demo: self.demo.or(fallback.demo),
            sandbox: self.sandbox.or(fallback.sandbox),
        }
    }

    /// Reads a TOML file whose keys are the field names above.
    pub fn from_toml_file(path: &PathBuf) -> anyhow::Result<Settings> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", path.display()))?;
        toml::from_str(&text).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))
    }
}

/// What the server runs with. See [`Settings`] for each field's meaning.
#[derive(Debug, Clone)]
pub struct Config {
    pub bind: SocketAddr,
    pub database_url: Secret,
    pub db_max_connections: u32,
    pub log_format: LogFormat,
    pub log: String,
    pub jwt_secret: Option<Secret>,
    pub jwt_issuer: String,
    pub jwt_audience: String,
    pub token_ttl_seconds: u64,
    pub max_body_bytes: usize,
    pub max_upload_body_bytes: usize,
    pub max_query_depth: usize,
    pub max_query_complexity: usize,
    pub max_root_fields: usize,
    pub webhook_retry_base_ms: u64,
    pub pipeline_cache_seconds: u64,
    pub smtp_url: Option<Secret>,
    pub mail_from: String,
    pub fee_tax: crate::domain::settlement::TaxRule,
    pub demo: bool,
    pub sandbox: bool,
}

pub const DEFAULT_DATABASE_URL: &str = "sqlite://shuno.db?mode=rwc";

impl From<Settings> for Config {
    fn from(s: Settings) -> Self {
        Config {
            bind: s
                .bind
                .unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], 8080))),
            database_url: s
                .database_url
                .unwrap_or_else(|| Secret::new(DEFAULT_DATABASE_URL)),
            db_max_connections: s.db_max_connections.unwrap_or(16).max(1),
            log_format: s.log_format.unwrap_or(LogFormat::Human),
            log: s.log.unwrap_or_else(|| "info".into()),
            jwt_secret: s.jwt_secret.filter(|secret| !secret.expose().is_empty()),
            jwt_issuer: s.jwt_issuer.unwrap_or_else(|| "shuno".into()),
            jwt_audience: s.jwt_audience.unwrap_or_else(|| "shuno-api".into()),
            token_ttl_seconds: s.token_ttl_seconds.unwrap_or(3600),
            max_body_bytes: s.max_body_bytes.unwrap_or(1024 * 1024),
            max_upload_body_bytes: s.max_upload_body_bytes.unwrap_or(3 * 1024 * 1024),
            max_query_depth: s.max_query_depth.unwrap_or(12),
            max_query_complexity: s.max_query_complexity.unwrap_or(10_000),
            max_root_fields: s.max_root_fields.unwrap_or(100),
            webhook_retry_base_ms: s.webhook_retry_base_ms.unwrap_or(10_000).max(1),
            pipeline_cache_seconds: s.pipeline_cache_seconds.unwrap_or(2),
            smtp_url: s.smtp_url.filter(|u| !u.expose().is_empty()),
            mail_from: s
                .mail_from
                .unwrap_or_else(|| "no-reply@shuno.invalid".into()),
            fee_tax: crate::domain::settlement::TaxRule {
                rate_percent: s.fee_tax_percent.unwrap_or(10).clamp(0, 100),
                rounding: s
                    .fee_tax_rounding
                    .as_deref()
                    .and_then(crate::domain::settlement::Rounding::parse)
                    .unwrap_or(crate::domain::settlement::Rounding::Floor),
            },
            demo: s.demo.unwrap_or(false),
            sandbox: s.sandbox.unwrap_or(false),
        }
    }
}

impl Config {
    /// A configuration for tests and embedding: defaults, this database, a
    /// free port.
    pub fn for_database(database_url: &str) -> Config {
        Config::from(Settings {
            bind: Some(SocketAddr::from(([127, 0, 0, 1], 0))),
            database_url: Some(Secret::new(database_url)),
            ..Settings::default()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_win_over_the_file_and_defaults_fill_the_rest() {
        let file: Settings =
            toml::from_str("bind = \"0.0.0.0:9000\"\njwt_issuer = \"from-file\"\n")
                .expect("valid toml");
        let flags = Settings {
            jwt_issuer: Some("from-flag".into()),
            ..Settings::default()
        };
        let config = Config::from(flags.or(file));
        assert_eq!(config.bind.port(), 9000);
        assert_eq!(config.jwt_issuer, "from-flag");
        assert_eq!(config.token_ttl_seconds, 3600);
    }

    #[test]
    fn secrets_never_print() {
        let config = Config::from(Settings {
            jwt_secret: Some(Secret::new("hunter2-hunter2")),
            database_url: Some(Secret::new("postgres://u:pw@h/db")),
            ..Settings::default()
        });
        let shown = format!("{config:?}");
        assert!(!shown.contains("hunter2") && !shown.contains("pw@h"));
    }

    #[test]
    fn unknown_file_keys_are_refused() {
        assert!(toml::from_str::<Settings>("bnid = \"x\"").is_err());
    }
}
