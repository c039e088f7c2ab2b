//! The roles a principal can hold, and where each one lives.

use super::named_values;

named_values! {
    /// A role is held in one organisation (or on the platform). Casbin links
    /// principals to roles per organisation; the permissions of each role are
    /// policy rows in `schema/policy.csv`.
    Role {
        PlatformAdmin = "PLATFORM_ADMIN",
        ComplianceReviewer = "COMPLIANCE_REVIEWER",
        StoreNetwork = "STORE_NETWORK",
        OwnerAdmin = "OWNER_ADMIN",
        OwnerStaff = "OWNER_STAFF",
        TenantAdmin = "TENANT_ADMIN",
        TenantStaff = "TENANT_STAFF",
        /// The role of an API key: what a system-integration client may do
        /// for the organisation of its contract.
        ApiClient = "API_CLIENT",
    }
}

/// Where a role can be held.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RoleScope {
    Platform,
    Owner,
    Tenant,
}

impl Role {
    pub fn scope(self) -> RoleScope {
        match self {
            Role::PlatformAdmin | Role::ComplianceReviewer | Role::StoreNetwork => {
                RoleScope::Platform
            }
            Role::OwnerAdmin | Role::OwnerStaff => RoleScope::Owner,
            Role::TenantAdmin | Role::TenantStaff | Role::ApiClient => RoleScope::Tenant,
        }
    }

    /// Roles a person can be given through `createUser` (API clients are keys,
    /// not people).
    pub fn is_assignable_to_people(self) -> bool {
        self != Role::ApiClient
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for role in Role::ALL {
            assert_eq!(Role::from_name(role.as_str()), Some(*role));
        }
        assert_eq!(Role::from_name("ROOT"), None);
    }
}
