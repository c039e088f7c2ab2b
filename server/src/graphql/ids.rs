//! Relay global IDs: base64 of `Type:id`, opaque to clients; and cursors.

use async_graphql::ID;
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};

/// The kinds of object a global ID can name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Organisation,
    User,
    Contract,
    ApiKey,
    Plugin,
    Application,
    JointCard,
    Bill,
    Payment,
    Event,
    WebhookEndpoint,
    Statement,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Organisation => "Organisation",
            Kind::User => "User",
            Kind::Contract => "Contract",
            Kind::ApiKey => "ApiKey",
            Kind::Plugin => "Plugin",
            Kind::Application => "Application",
            Kind::JointCard => "JointCard",
            Kind::Bill => "Bill",
            Kind::Payment => "Payment",
            Kind::Event => "Event",
            Kind::WebhookEndpoint => "WebhookEndpoint",
            Kind::Statement => "SettlementStatement",
        }
    }

    const ALL: [Kind; 12] = [
        Kind::Organisation,
        Kind::User,
        Kind::Contract,
        Kind::ApiKey,
        Kind::Plugin,
        Kind::Application,
        Kind::JointCard,
        Kind::Bill,
        Kind::Payment,
        Kind::Event,
        Kind::WebhookEndpoint,
        Kind::Statement,
    ];
}

pub fn encode(kind: Kind, id: i64) -> ID {
    ID(URL_SAFE_NO_PAD.encode(format!("{}:{id}", kind.name())))
}

/// The kind and row id behind a global ID, if it is one of ours.
pub fn decode(id: &str) -> Option<(Kind, i64)> {
    let bytes = URL_SAFE_NO_PAD.decode(id.trim_end_matches('=')).ok()?;
    let text = String::from_utf8(bytes).ok()?;
    let (name, raw) = text.split_once(':')?;
    let kind = Kind::ALL.into_iter().find(|k| k.name() == name)?;
    let id = raw.parse::<i64>().ok().filter(|id| *id > 0)?;
    Some((kind, id))
}

/// The row id of a global ID of `kind`.
pub fn decode_as(kind: Kind, id: &ID) -> Option<i64> {
    decode(id).filter(|(k, _)| *k == kind).map(|(_, id)| id)
}

pub fn cursor(id: i64) -> String {
    URL_SAFE_NO_PAD.encode(format!("cursor:{id}"))
}

pub fn decode_cursor(cursor: &str) -> Option<i64> {
    let text = String::from_utf8(URL_SAFE_NO_PAD.decode(cursor).ok()?).ok()?;
    text.strip_prefix("cursor:")?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_and_reject_strangers() {
        let id = encode(Kind::Contract, 42);
        assert_eq!(decode(&id), Some((Kind::Contract, 42)));
        assert_eq!(decode_as(Kind::User, &id), None);
        assert_eq!(decode("garbage!"), None);
        assert_eq!(decode(&URL_SAFE_NO_PAD.encode("Invoice:1")), None);
        assert_eq!(decode(&URL_SAFE_NO_PAD.encode("User:-1")), None);
        assert_eq!(decode_cursor(&cursor(7)), Some(7));
    }
}
