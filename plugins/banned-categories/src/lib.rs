//! Merchandise banned everywhere (Q17): categories and description keywords
//! → `block`, on applications and bills alike.

use serde::Deserialize;
use shuno_plugin_sdk::{text, *};

#[derive(Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// Category codes that are banned.
    pub categories: Vec<String>,
    /// Words that ban a description that mentions them (width, kana and
    /// case do not matter).
    pub keywords: Vec<String>,
}

impl Default for Config {
    fn default() -> Self {
        let owned = |items: &[&str]| items.iter().map(|s| (*s).to_owned()).collect();
        Config {
            categories: owned(&[
                "PUBLIC_ORDER_VIOLATION",
                "RENTAL_MOBILE_PHONE",
                "REAL_MONEY_TRADING",
            ]),
            keywords: owned(&[
                "RMT",
                "リアルマネートレード",
                "レンタル携帯",
                "ゲーム内通貨の現金販売",
                "アカウント売買",
            ]),
        }
    }
}

pub struct BannedCategories(Config);

impl BannedCategories {
    fn reasons(&self, categories: &[String], description: &str) -> Vec<Reason> {
        let mut reasons: Vec<Reason> = categories
            .iter()
            .filter(|c| self.0.categories.contains(c))
            .map(|c| {
                Reason::new(
                    "BANNED_CATEGORY",
                    "取り扱いが禁止されている商材です（公序良俗違反・携帯電話レンタル・RMT等）。",
                )
                .with_detail(c.clone())
            })
            .collect();
        reasons.extend(
            self.0
                .keywords
                .iter()
                .filter(|k| text::mentions(description, k))
                .map(|k| {
                    Reason::new(
                        "BANNED_KEYWORD",
                        "商品説明に取り扱いが禁止されている商材が含まれています。",
                    )
                    .with_detail(k.clone())
                }),
        );
        reasons
    }

    fn decide(&self, categories: &[String], description: &str) -> Decision {
        let reasons = self.reasons(categories, description);
        if reasons.is_empty() {
            Decision::allow()
        } else {
            Decision::block(reasons)
        }
    }
}

impl Screener for BannedCategories {
    fn init(config: &[u8]) -> Result<Self, Error> {
        let config: Config = parse_config(config)?;
        if config.keywords.iter().any(|k| k.trim().is_empty()) {
            return Err(Error::new(
                "INVALID_CONFIG",
                "空のキーワードは指定できません。",
            ));
        }
        Ok(Self(config))
    }

    fn screen_application(&self, application: &Application) -> Result<Decision, Error> {
        Ok(self.decide(
            &application.categories,
            &application.merchandise_description,
        ))
    }

    fn screen_bill(&self, bill: &Bill) -> Result<Decision, Error> {
        Ok(self.decide(std::slice::from_ref(&bill.category), &bill.description))
    }
}

register_screener!(BannedCategories);
