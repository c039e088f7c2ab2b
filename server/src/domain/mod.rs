//! The pure domain: values with their rules and the tests beside them.
//!
//! Nothing here does I/O or knows about sea-orm, async-graphql or axum. A value
//! that exists is a valid value: each is built through a `parse` constructor
//! that returns a [`RuleViolation`] with a stable code.

pub mod bill;
pub mod calendar;
pub mod category;
pub mod contract;
pub mod joint_card;
pub mod organisation;
pub mod payment_number;
pub mod role;
pub mod screening;
pub mod settlement;
pub mod text;

/// A broken business rule: a stable machine code and a Japanese message for
/// the person who can fix the input.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{code}: {message}")]
pub struct RuleViolation {
    pub code: &'static str,
    pub message: String,
}

impl RuleViolation {
    pub fn new(code: &'static str, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
        }
    }
}

/// Declares a closed set of named values with their stable wire/storage name,
/// so that the database, the API and the rules spell each one the same way.
macro_rules! named_values {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name { $($(#[$vmeta])* $variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }

            /// The value stored or sent under `text`, if there is one.
            pub fn from_name(text: &str) -> Option<Self> {
                match text { $($text => Some($name::$variant),)+ _ => None }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}
pub(crate) use named_values;
