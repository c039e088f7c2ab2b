//! One sea-orm entity per table. These are storage rows, not the API: the
//! GraphQL layer maps them to its own types.

pub mod api_key;
pub mod application;
pub mod application_transition;
pub mod casbin_rule;
pub mod contract;
pub mod event;
pub mod joint_card;
pub mod joint_card_transition;
pub mod organisation;
pub mod plugin;
pub mod screening_step;
pub mod setting;
pub mod user;
