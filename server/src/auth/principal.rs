//! Who a request acts as, once its credential has been checked.

use crate::{authz::Subject, domain::role::Role};

#[derive(Debug, Clone)]
pub struct Principal {
    pub subject: Subject,
    /// The organisation the principal belongs to; None for platform staff.
    pub organisation_id: Option<i64>,
    /// The role the principal was created with (its casbin grant).
    pub role: Role,
    /// For people: their e-mail, for `viewer`.
    pub email: Option<String>,
    /// For API keys: the contract the key was issued for.
    pub contract_id: Option<i64>,
}

impl Principal {
    pub fn user_id(&self) -> Option<i64> {
        match self.subject {
            Subject::User(id) => Some(id),
            Subject::ApiKey(_) => None,
        }
    }
}
