//! Access control: casbin RBAC with organisations as domains.
//!
//! The model is `schema/authz.conf`; the default role permissions are
//! `schema/policy.csv`, stored in the database on start. Grants are written by
//! the services in their own transactions ([`Grant::rules`] + `store::policy`)
//! and applied to the in-memory enforcer after commit ([`Authz::applied`]).
//! Another replica picks changes up when it would deny (a grant it has not
//! seen yet) and on a periodic reload (revocations).
//!
//! Casbin evaluates the matcher, a rhai expression, once per `p` line until
//! one allows: ~30 µs for our hundred-odd permission lines. The same subject
//! asks the same question over and over (every bill of a batch, every page
//! of a list), so allowed decisions are remembered until the policy changes:
//! the cache is filled under the enforcer's read lock and emptied under its
//! write lock, so no decision outlives the policy it was made under. Denials
//! are never cached: a denial may be a grant this replica has not loaded yet.

mod adapter;

use std::{
    collections::HashSet,
    sync::{
        Mutex as SyncMutex,
        atomic::{AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

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
    /// Requests the current policy allows; see the module documentation.
    allowed: SyncMutex<HashSet<String>>,
    /// Decisions asked for since start, for diagnostics and benchmarks.
    decisions: AtomicU64,
    db: DatabaseConnection,
    last_reload: Mutex<Instant>,
}

/// Beyond this many remembered decisions the cache starts over, which bounds
/// its memory (~100 bytes a decision) whatever the number of subjects.
const ALLOWED_CACHE_LIMIT: usize = 100_000;

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
            allowed: SyncMutex::new(HashSet::new()),
            decisions: AtomicU64::new(0),
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
        self.decisions.fetch_add(1, Ordering::Relaxed);
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
        let key = format!("{subject}\u{1f}{domain}\u{1f}{owner}\u{1f}{object}\u{1f}{action}");
        if self.enforce_remembered(&key, request).await? {
            return Ok(true);
        }
        if self.reload_if_due(RELOAD_ON_DENY_INTERVAL).await? {
            return self.enforce_remembered(&key, request).await;
        }
        Ok(false)
    }

    /// One decision, from the cache when the current policy already allowed it.
    async fn enforce_remembered(
        &self,
        key: &str,
        request: (&str, &str, &str, &str, &str),
    ) -> Result<bool, AuthzError> {
        // Held until the decision is remembered: a policy change (write
        // lock) cannot slip in between deciding and remembering.
        let enforcer = self.enforcer.read().await;
        if self.remembered().contains(key) {
            return Ok(true);
        }
        let allowed = enforcer.enforce(request)?;
        if allowed {
            let mut remembered = self.remembered();
            if remembered.len() >= ALLOWED_CACHE_LIMIT {
                remembered.clear();
            }
            remembered.insert(key.to_owned());
        }
        Ok(allowed)
    }

    fn remembered(&self) -> std::sync::MutexGuard<'_, HashSet<String>> {
        // A panic while holding this lock cannot leave the set half-updated
        // in a way that matters: at worst a decision is missing.
        self.allowed
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Forgets every remembered decision; called with the write lock held.
    fn forget_decisions(&self) {
        self.remembered().clear();
    }

    /// Reloads from the database when the last load is older than `age`.
    pub async fn reload_if_due(&self, age: Duration) -> Result<bool, AuthzError> {
        let mut last = self.last_reload.lock().await;
        if last.elapsed() < age {
            return Ok(false);
        }
        let mut enforcer = self.enforcer.write().await;
        self.forget_decisions();
        enforcer.load_policy().await?;
        drop(enforcer);
        *last = Instant::now();
        Ok(true)
    }

    /// Applies committed changes to the in-memory policy.
    pub async fn applied(&self, changes: Vec<Change>) -> Result<(), AuthzError> {
        let mut enforcer = self.enforcer.write().await;
        // Before the first change: should one fail, nothing stale remains.
        self.forget_decisions();
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

    /// How many decisions were asked for since start.
    pub fn decision_count(&self) -> u64 {
        self.decisions.load(Ordering::Relaxed)
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
