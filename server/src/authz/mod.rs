//! Access control: casbin RBAC with organisations as domains.
//!
//! The model is `schema/authz.conf`; the default role permissions are
//! `schema/policy.csv`, stored in the database on start. Grants are written by
//! the services in their own transactions ([`Grant::rules`] + `store::policy`)
//! and applied to the in-memory enforcer after commit ([`Authz::applied`]).
//! Another replica picks changes up when it would deny (a grant it has not
//! seen yet) and on a periodic reload (revocations).

mod adapter;

use std::time::{Duration, Instant};

use casbin::{CoreApi, DefaultModel, Enforcer, MgmtApi};
use sea_orm::{DatabaseConnection, DbErr};
use tokio::sync::{Mutex, RwLock};

use crate::{
    domain::role::Role,
    store::policy::{self, Rule},
};

pub const MODEL: &str = include_str!("../../../schema/authz.conf");
pub const DEFAULT_POLICY: &str = include_str!("../../../schema/policy.csv");

/// Where a check happens: the platform itself, or an organisation and its owner.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    Platform,
    Organisation { id: i64, owner_id: i64 },
}

/// What a subject is in casbin: a person or an API key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Subject {
    User(i64),
    ApiKey(i64),
}

impl Subject {
    pub fn casbin_name(&self) -> String {
        match self {
            Subject::User(id) => format!("user:{id}"),
            Subject::ApiKey(id) => format!("key:{id}"),
        }
    }
}

pub fn domain_name(organisation: Option<i64>) -> String {
    organisation.map_or_else(|| "platform".to_owned(), |id| format!("org:{id}"))
}

/// A role held by a subject in an organisation (or on the platform).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grant {
    pub subject: Subject,
    pub role: Role,
    pub organisation: Option<i64>,
}

impl Grant {
    pub fn rule(&self) -> Rule {
        Rule {
            ptype: "g".into(),
            values: vec![
                self.subject.casbin_name(),
                self.role.as_str().to_owned(),
                domain_name(self.organisation),
            ],
        }
    }
}

/// A change to the in-memory policy, after its rows committed.
pub enum Change {
    Granted(Grant),
    Revoked(Grant),
}

#[derive(Debug, thiserror::Error)]
pub enum AuthzError {
    #[error("casbin: {0}")]
    Casbin(#[from] casbin::Error),
    #[error("policy store: {0}")]
    Store(#[from] DbErr),
}

pub struct Authz {
    enforcer: RwLock<Enforcer>,
    db: DatabaseConnection,
    last_reload: Mutex<Instant>,
}

/// Reloading on a denial happens at most this often, so that a stream of
/// legitimate denials cannot turn into a stream of full reloads.
const RELOAD_ON_DENY_INTERVAL: Duration = Duration::from_secs(1);

fn parse_default_policy() -> Vec<Rule> {
    DEFAULT_POLICY
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .map(|line| {
            let mut fields = line.split(',').map(str::trim);
            let ptype = fields.next().unwrap_or_default().to_owned();
            Rule {
                ptype,
                values: fields.map(str::to_owned).collect(),
            }
        })
        .collect()
}

impl Authz {
    /// Stores any default permission that is missing, then loads everything.
    pub async fn load(db: DatabaseConnection) -> Result<Self, AuthzError> {
        policy::insert(&db, &parse_default_policy()).await?;
        let model = DefaultModel::from_str(MODEL).await?;
        let mut enforcer = Enforcer::new(model, adapter::DbAdapter::new(db.clone())).await?;
        enforcer.enable_auto_save(false);
        Ok(Self {
            enforcer: RwLock::new(enforcer),
            db,
            last_reload: Mutex::new(Instant::now()),
        })
    }

    /// Whether `subject` may do `action` on `object` within `scope`.
    pub async fn allows(
        &self,
        subject: &Subject,
        scope: Scope,
        object: &str,
        action: &str,
    ) -> Result<bool, AuthzError> {
        let subject = subject.casbin_name();
        let (domain, owner) = match scope {
            Scope::Platform => ("platform".to_owned(), "platform".to_owned()),
            Scope::Organisation { id, owner_id } => {
                (format!("org:{id}"), format!("org:{owner_id}"))
            }
        };
        let request = (
            subject.as_str(),
            domain.as_str(),
            owner.as_str(),
            object,
            action,
        );
        if self.enforcer.read().await.enforce(request)? {
            return Ok(true);
        }
        if self.reload_if_due(RELOAD_ON_DENY_INTERVAL).await? {
            return Ok(self.enforcer.read().await.enforce(request)?);
        }
        Ok(false)
    }

    /// Reloads from the database when the last load is older than `age`.
    pub async fn reload_if_due(&self, age: Duration) -> Result<bool, AuthzError> {
        let mut last = self.last_reload.lock().await;
        if last.elapsed() < age {
            return Ok(false);
        }
        self.enforcer.write().await.load_policy().await?;
        *last = Instant::now();
        Ok(true)
    }

    /// Applies committed changes to the in-memory policy.
    pub async fn applied(&self, changes: Vec<Change>) -> Result<(), AuthzError> {
        let mut enforcer = self.enforcer.write().await;
        for change in changes {
            match change {
                Change::Granted(grant) => {
                    enforcer.add_grouping_policy(grant.rule().values).await?;
                }
                Change::Revoked(grant) => {
                    enforcer.remove_grouping_policy(grant.rule().values).await?;
                }
            }
        }
        Ok(())
    }

    /// How many policy lines are loaded, for diagnostics and benchmarks.
    pub async fn policy_len(&self) -> usize {
        let enforcer = self.enforcer.read().await;
        enforcer.get_policy().len() + enforcer.get_grouping_policy().len()
    }

    pub fn db(&self) -> &DatabaseConnection {
        &self.db
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_default_policy_line_names_a_known_role() {
        let rules = parse_default_policy();
        assert!(rules.len() > 20);
        for rule in rules {
            assert_eq!(rule.ptype, "p");
            assert_eq!(rule.values.len(), 3, "{rule:?}");
            assert!(Role::from_name(&rule.values[0]).is_some(), "{rule:?}");
        }
    }
}
