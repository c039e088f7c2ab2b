//! Categories some chains do not take (Q17): the chain is excluded for the
//! subject, not the whole subject. Which chain excludes what is data.

use std::collections::BTreeMap;

use serde::Deserialize;
use shuno_plugin_sdk::*;

#[derive(Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// Chain name (`LAWSON`, `MINISTOP`, `FAMILYMART`) → excluded categories.
    pub exclusions: BTreeMap<String, Vec<String>>,
}

impl Default for Config {
    /// Sample data for operators to edit (see the API's category list).
    fn default() -> Self {
        let mut exclusions = BTreeMap::new();
        exclusions.insert(
            "FAMILYMART".to_owned(),
            vec!["DONATION".to_owned(), "TAX".to_owned()],
        );
        exclusions.insert("MINISTOP".to_owned(), vec!["HEALTH_INSURANCE".to_owned()]);
        Config { exclusions }
    }
}

pub struct ChainExclusions(Vec<(Chain, Vec<String>)>);

impl ChainExclusions {
    fn decide(&self, categories: &[String]) -> Decision {
        let mut decision = Decision::allow();
        for (chain, excluded) in &self.0 {
            for category in categories.iter().filter(|c| excluded.contains(c)) {
                decision.exclude(
                    *chain,
                    Reason::new(
                        "CATEGORY_EXCLUDED_AT_CHAIN",
                        "このコンビニではお取り扱いできない商材です。",
                    )
                    .with_detail(category.clone()),
                );
            }
        }
        decision
    }
}

impl Screener for ChainExclusions {
    fn init(config: &[u8]) -> Result<Self, Error> {
        let config: Config = parse_config(config)?;
        let mut rules = Vec::new();
        for (name, categories) in config.exclusions {
            let chain = Chain::from_name(&name).ok_or_else(|| {
                Error::new("INVALID_CONFIG", format!("不明なコンビニです: {name}"))
            })?;
            rules.push((chain, categories));
        }
        Ok(Self(rules))
    }

    fn screen_application(&self, application: &Application) -> Result<Decision, Error> {
        Ok(self.decide(&application.categories))
    }

    fn screen_bill(&self, bill: &Bill) -> Result<Decision, Error> {
        Ok(self.decide(std::slice::from_ref(&bill.category)))
    }
}

register_screener!(ChainExclusions);
