//! Anti-social-forces check (Q16): the applicant's names against a watchlist,
//! after normalising widths, kana, case, spaces and corporate designators.
//! A hit is `review`, never `block` and never auto-approved: a person decides.

use serde::Deserialize;
use shuno_plugin_sdk::{text, *};

#[derive(Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// Names to look for (organisations or people).
    pub names: Vec<String>,
}

impl Default for Config {
    /// Fictional sample entries, for demos; operators replace them.
    fn default() -> Self {
        Config {
            names: vec![
                "暴力団フロント商事".to_owned(),
                "反社会勢力ホールディングス".to_owned(),
            ],
        }
    }
}

pub struct Watchlist(Vec<(String, String)>);

impl Screener for Watchlist {
    fn init(config: &[u8]) -> Result<Self, Error> {
        let config: Config = parse_config(config)?;
        let mut entries = Vec::new();
        for name in config.names {
            let key = text::name_key(&name);
            if key.chars().count() < 2 {
                return Err(Error::new(
                    "INVALID_CONFIG",
                    format!("照合に使えない名前です: {name}"),
                ));
            }
            entries.push((key, name));
        }
        Ok(Self(entries))
    }

    fn screen_application(&self, application: &Application) -> Result<Decision, Error> {
        let applicant = &application.applicant;
        let names = applicant
            .names
            .iter()
            .chain(applicant.representative_name.iter());
        let mut reasons = Vec::new();
        for name in names {
            let key = text::name_key(name);
            if key.is_empty() {
                continue;
            }
            for (entry, listed) in &self.0 {
                if key.contains(entry.as_str()) || entry.contains(key.as_str()) {
                    reasons.push(
                        Reason::new("WATCHLIST_MATCH", "反社会的勢力の照合リストに一致する名前があります。担当者が確認します。")
                            .with_detail(format!("{name} ≈ {listed}")),
                    );
                }
            }
        }
        Ok(if reasons.is_empty() {
            Decision::allow()
        } else {
            Decision::review(reasons)
        })
    }
}

register_screener!(Watchlist);
