//! One sea-orm entity per table. These are storage rows, not the API: the
//! GraphQL layer maps them to its own types.

pub mod api_key;
pub mod application;
pub mod application_transition;
pub mod bill;
pub mod bill_version;
pub mod casbin_rule;
pub mod contract;
pub mod delivery_attempt;
pub mod event;
pub mod idempotency_key;
pub mod joint_card;
pub mod joint_card_transition;
pub mod organisation;
pub mod outgoing_message;
pub mod payment;
pub mod payment_item;
pub mod payment_number;
pub mod plugin;
pub mod screening_step;
pub mod setting;
pub mod settlement_statement;
pub mod user;
pub mod webhook_delivery;
pub mod webhook_endpoint;
