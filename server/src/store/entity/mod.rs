//! One sea-orm entity per table. These are storage rows, not the API: the
//! GraphQL layer maps them to its own types.

pub mod api_key;
pub mod casbin_rule;
pub mod contract;
pub mod organisation;
pub mod setting;
pub mod user;
