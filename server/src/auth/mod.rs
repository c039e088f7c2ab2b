//! Identity: password hashes, login tokens (JWT), API keys, and the
//! [`Principal`] a request acts as.

pub mod api_key;
pub mod password;
pub mod principal;
pub mod token;

pub use principal::Principal;
