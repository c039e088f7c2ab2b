//! GraphQL enums, mirrored from the domain's named values so that the wire
//! names are the domain's names (the domain stays free of GraphQL types).

use crate::domain;

macro_rules! mirror_enum {
    ($(#[$meta:meta])* $name:ident => $domain:path { $($variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(async_graphql::Enum, Debug, Clone, Copy, PartialEq, Eq)]
        pub enum $name { $(#[graphql(name = $text)] $variant),+ }

        impl From<$name> for $domain {
            fn from(value: $name) -> Self {
                match value { $($name::$variant => <$domain>::$variant),+ }
            }
        }

        impl From<$domain> for $name {
            fn from(value: $domain) -> Self {
                match value { $(<$domain>::$variant => $name::$variant),+ }
            }
        }

        impl $name {
            /// Reads a stored name; None for a value this server does not know.
            pub fn from_stored(text: &str) -> Option<Self> {
                <$domain>::from_name(text).map(Self::from)
            }
        }
    };
}

mirror_enum! {
    /// A convenience-store chain.
    Chain => domain::contract::Chain { Lawson = "LAWSON", Ministop = "MINISTOP", FamilyMart = "FAMILYMART" }
}
mirror_enum! {
    /// LIGHT: browser and e-mail; SYSTEM_INTEGRATION: API access (Q02, Q18).
    Plan => domain::contract::Plan { Light = "LIGHT", SystemIntegration = "SYSTEM_INTEGRATION" }
}
mirror_enum! {
    /// STANDARD: one bill per purchase; REPEAT: a fixed-amount bill paid again and again (Q14).
    Usage => domain::contract::Usage { Standard = "STANDARD", Repeat = "REPEAT" }
}
mirror_enum! {
    SettlementCycle => domain::contract::SettlementCycle {
        FiveDay = "FIVE_DAY", TenDay = "TEN_DAY", HalfMonth = "HALF_MONTH", MonthEnd = "MONTH_END",
    }
}
mirror_enum! {
    ContractStatus => domain::contract::ContractStatus {
        Active = "ACTIVE", Suspended = "SUSPENDED", Terminated = "TERMINATED",
    }
}
mirror_enum! {
    TenantKind => domain::organisation::TenantKind {
        Branch = "BRANCH", GroupCompany = "GROUP_COMPANY", MallSeller = "MALL_SELLER", AgencyClient = "AGENCY_CLIENT",
    }
}
mirror_enum! {
    LegalForm => domain::organisation::LegalForm { Individual = "INDIVIDUAL", Corporation = "CORPORATION" }
}
mirror_enum! {
    /// For corporations: Japanese, or foreign with or without a branch registered in Japan.
    CorporateOrigin => domain::organisation::CorporateOrigin {
        Japanese = "JAPANESE", ForeignWithJapaneseBranch = "FOREIGN_WITH_JAPANESE_BRANCH", Foreign = "FOREIGN",
    }
}
mirror_enum! {
    OrganisationKind => domain::organisation::OrganisationKind { Owner = "OWNER", Tenant = "TENANT" }
}
mirror_enum! {
    Role => domain::role::Role {
        PlatformAdmin = "PLATFORM_ADMIN", ComplianceReviewer = "COMPLIANCE_REVIEWER", StoreNetwork = "STORE_NETWORK",
        OwnerAdmin = "OWNER_ADMIN", OwnerStaff = "OWNER_STAFF", TenantAdmin = "TENANT_ADMIN",
        TenantStaff = "TENANT_STAFF", ApiClient = "API_CLIENT",
    }
}

mirror_enum! {
    /// What screening said: nothing against it, a person must look, or refused.
    Verdict => domain::screening::Verdict { Allow = "ALLOW", Review = "REVIEW", Block = "BLOCK" }
}
mirror_enum! {
    ApplicationStatus => domain::screening::ApplicationStatus {
        Draft = "DRAFT", Submitted = "SUBMITTED", Screening = "SCREENING", InReview = "IN_REVIEW",
        Approved = "APPROVED", PartiallyApproved = "PARTIALLY_APPROVED", Rejected = "REJECTED", Withdrawn = "WITHDRAWN",
    }
}
mirror_enum! {
    JointCardStatus => domain::joint_card::JointCardStatus {
        Requested = "REQUESTED", GuideSent = "GUIDE_SENT", DesignSubmitted = "DESIGN_SUBMITTED",
        UnderReview = "UNDER_REVIEW", StoresNotified = "STORES_NOTIFIED", Active = "ACTIVE", Rejected = "REJECTED",
    }
}
mirror_enum! {
    /// A step of the joint-card process: SUBMIT_DESIGN by the organisation, the rest by reviewers.
    JointCardAction => domain::joint_card::JointCardAction {
        SendGuide = "SEND_GUIDE", SubmitDesign = "SUBMIT_DESIGN", StartReview = "START_REVIEW",
        NotifyStores = "NOTIFY_STORES", Activate = "ACTIVATE", Reject = "REJECT",
    }
}

mirror_enum! {
    BillStatus => domain::bill::BillStatus { Open = "OPEN", Paid = "PAID", Cancelled = "CANCELLED", Expired = "EXPIRED" }
}
