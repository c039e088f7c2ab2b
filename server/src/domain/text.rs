//! Names, e-mail addresses and passwords as they are accepted from people.

use super::RuleViolation;

/// The longest organisation or person name we keep, in characters.
pub const NAME_MAX_CHARS: usize = 200;

/// A display name: trimmed, not empty, at most [`NAME_MAX_CHARS`] characters,
/// without control characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Name(String);

impl Name {
    pub fn parse(raw: &str) -> Result<Self, RuleViolation> {
        let trimmed = raw.trim();
        if trimmed.is_empty() {
            return Err(RuleViolation::new(
                "NAME_REQUIRED",
                "名前を入力してください。",
            ));
        }
        if trimmed.chars().count() > NAME_MAX_CHARS {
            return Err(RuleViolation::new(
                "NAME_TOO_LONG",
                format!("名前は{NAME_MAX_CHARS}文字以内で入力してください。"),
            ));
        }
        if trimmed.chars().any(char::is_control) {
            return Err(RuleViolation::new(
                "NAME_INVALID",
                "名前に制御文字は使用できません。",
            ));
        }
        Ok(Self(trimmed.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_inner(self) -> String {
        self.0
    }
}

/// An e-mail address, kept lower-cased so that one mailbox is one account.
///
/// The check is deliberately the practical subset of RFC 5321 that mail
/// systems deliver to: one `@`, a local part of 1-64 printable characters, a
/// domain of dot-separated labels with a dot in it, 254 characters in all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email(String);

impl Email {
    pub fn parse(raw: &str) -> Result<Self, RuleViolation> {
        let invalid =
            || RuleViolation::new("INVALID_EMAIL", "メールアドレスの形式が正しくありません。");
        let candidate = raw.trim().to_lowercase();
        if candidate.len() > 254 {
            return Err(invalid());
        }
        let (local, domain) = candidate.split_once('@').ok_or_else(invalid)?;
        let local_ok = !local.is_empty()
            && local.len() <= 64
            && !local.starts_with('.')
            && !local.ends_with('.')
            && !local.contains("..")
            && local
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "!#$%&'*+-/=?^_`{|}~.".contains(c));
        let labels: Vec<&str> = domain.split('.').collect();
        let domain_ok = labels.len() >= 2
            && labels.iter().all(|label| {
                !label.is_empty()
                    && label.len() <= 63
                    && !label.starts_with('-')
                    && !label.ends_with('-')
                    && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
            });
        if local_ok && domain_ok {
            Ok(Self(candidate))
        } else {
            Err(invalid())
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A password as chosen by a person: long enough to resist guessing, short
/// enough that hashing it is not a denial-of-service lever.
pub struct Password(String);

impl Password {
    pub const MIN_CHARS: usize = 12;
    pub const MAX_CHARS: usize = 128;

    pub fn parse(raw: &str) -> Result<Self, RuleViolation> {
        let count = raw.chars().count();
        if count < Self::MIN_CHARS {
            return Err(RuleViolation::new(
                "PASSWORD_TOO_SHORT",
                format!("パスワードは{}文字以上にしてください。", Self::MIN_CHARS),
            ));
        }
        if count > Self::MAX_CHARS {
            return Err(RuleViolation::new(
                "PASSWORD_TOO_LONG",
                format!("パスワードは{}文字以内にしてください。", Self::MAX_CHARS),
            ));
        }
        Ok(Self(raw.to_owned()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Password(**redacted**)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_trimmed_and_bounded() {
        assert_eq!(
            Name::parse("  デモ株式会社 ").map(Name::into_inner),
            Ok("デモ株式会社".into())
        );
        assert_eq!(Name::parse("   ").map_err(|e| e.code), Err("NAME_REQUIRED"));
        assert!(Name::parse(&"あ".repeat(200)).is_ok());
        assert_eq!(
            Name::parse(&"あ".repeat(201)).map_err(|e| e.code),
            Err("NAME_TOO_LONG")
        );
        assert_eq!(
            Name::parse(&"a".repeat(300)).map_err(|e| e.code),
            Err("NAME_TOO_LONG")
        );
        assert_eq!(
            Name::parse("a\u{0}b").map_err(|e| e.code),
            Err("NAME_INVALID")
        );
    }

    #[test]
    fn emails_are_lowercased_and_checked() {
        assert_eq!(
            Email::parse(" Owner@Demo.Example ").map(|e| e.0),
            Ok("owner@demo.example".into())
        );
        for bad in [
            "",
            "plain",
            "a@b",
            "@demo.example",
            "a@@demo.example",
            "a b@demo.example",
            "a@-demo.example",
            "a@demo..example",
            ".a@demo.example",
            "a@demo.example.",
        ] {
            assert_eq!(
                Email::parse(bad).map_err(|e| e.code),
                Err("INVALID_EMAIL"),
                "{bad}"
            );
        }
        assert!(Email::parse(&format!("{}@demo.example", "a".repeat(65))).is_err());
    }

    #[test]
    fn passwords_have_bounds_and_never_print() {
        assert_eq!(
            Password::parse("short").map_err(|e| e.code).err(),
            Some("PASSWORD_TOO_SHORT")
        );
        assert_eq!(
            Password::parse(&"x".repeat(129)).map_err(|e| e.code).err(),
            Some("PASSWORD_TOO_LONG")
        );
        let password = Password::parse("demo-pass-1234").expect("valid");
        assert!(!format!("{password:?}").contains("demo"));
    }
}
