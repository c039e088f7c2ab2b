//! What a contract records: plan, usage, chains, settlement cycle, notice lag
//! and the fee schedule.

use serde::{Deserialize, Serialize};

use super::{RuleViolation, named_values};

named_values! {
    Plan { Light = "LIGHT", SystemIntegration = "SYSTEM_INTEGRATION" }
}

named_values! {
    Usage { Standard = "STANDARD", Repeat = "REPEAT" }
}

named_values! {
    Chain { Lawson = "LAWSON", Ministop = "MINISTOP", FamilyMart = "FAMILYMART" }
}

named_values! {
    SettlementCycle {
        FiveDay = "FIVE_DAY",
        TenDay = "TEN_DAY",
        HalfMonth = "HALF_MONTH",
        MonthEnd = "MONTH_END",
    }
}

named_values! {
    ContractStatus { Active = "ACTIVE", Suspended = "SUSPENDED", Terminated = "TERMINATED" }
}

/// A non-empty set of chains, stored as their names joined by commas in a
/// fixed order so that equal sets are equal strings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainSet(Vec<Chain>);

impl ChainSet {
    pub fn parse(chains: &[Chain]) -> Result<Self, RuleViolation> {
        let mut set = chains.to_vec();
        set.sort();
        set.dedup();
        if set.is_empty() {
            return Err(RuleViolation::new(
                "CHAINS_REQUIRED",
                "利用するコンビニを1つ以上選択してください。",
            ));
        }
        Ok(Self(set))
    }

    pub fn all() -> Self {
        Self(Chain::ALL.to_vec())
    }

    /// Reads the stored form; unknown names are a corrupted row, not input.
    pub fn from_stored(text: &str) -> Option<Self> {
        text.split(',')
            .map(Chain::from_name)
            .collect::<Option<Vec<_>>>()
            .and_then(|chains| Self::parse(&chains).ok())
    }

    pub fn to_stored(&self) -> String {
        self.0
            .iter()
            .map(|c| c.as_str())
            .collect::<Vec<_>>()
            .join(",")
    }

    pub fn chains(&self) -> &[Chain] {
        &self.0
    }
}

/// Bank business days between a period's close and the notice of the
/// confirmed amount (Q06). The FAQ's default is 5.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NoticeLag(u8);

impl NoticeLag {
    pub const DEFAULT: NoticeLag = NoticeLag(5);
    const MAX: i64 = 20;

    pub fn parse(days: i64) -> Result<Self, RuleViolation> {
        if (1..=Self::MAX).contains(&days) {
            Ok(Self(days as u8))
        } else {
            Err(RuleViolation::new(
                "INVALID_NOTICE_LAG",
                format!(
                    "通知までの営業日数は1から{}の間で指定してください。",
                    Self::MAX
                ),
            ))
        }
    }

    pub fn days(self) -> u8 {
        self.0
    }
}

/// One band of a fee schedule: payments up to `up_to` yen (inclusive) cost
/// `fee` yen each, optionally only at one chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FeeBand {
    pub up_to: i64,
    pub fee: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chain: Option<String>,
}

/// Per-payment fees by amount band. Bands for a specific chain take
/// precedence over the general bands for payments at that chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FeeSchedule {
    pub bands: Vec<FeeBand>,
}

/// The largest amount one bill may carry (Q03); the last band must reach it.
pub const MAX_BILL_AMOUNT: i64 = 300_000;

impl FeeSchedule {
    /// A schedule in the shape the FAQ describes, used for demo contracts.
    pub fn sample() -> Self {
        let band = |up_to, fee| FeeBand {
            up_to,
            fee,
            chain: None,
        };
        Self {
            bands: vec![
                band(2_000, 130),
                band(10_000, 160),
                band(30_000, 220),
                band(MAX_BILL_AMOUNT, 330),
            ],
        }
    }

    pub fn parse(bands: Vec<FeeBand>) -> Result<Self, RuleViolation> {
        let invalid = |detail: &str| {
            RuleViolation::new(
                "INVALID_FEE_SCHEDULE",
                format!("手数料表が正しくありません：{detail}"),
            )
        };
        let mut scopes: Vec<Option<String>> = bands.iter().map(|b| b.chain.clone()).collect();
        scopes.sort();
        scopes.dedup();
        if !scopes.contains(&None) {
            return Err(invalid("全コンビニ共通の料金帯が必要です。"));
        }
        for scope in &scopes {
            if let Some(chain) = scope
                && Chain::from_name(chain).is_none()
            {
                return Err(invalid("不明なコンビニが指定されています。"));
            }
            let mut previous = 0;
            for band in bands.iter().filter(|b| &b.chain == scope) {
                if band.up_to <= previous || band.fee < 0 || band.fee > band.up_to {
                    return Err(invalid(
                        "料金帯は金額の昇順で、手数料は0円以上・上限額以下にしてください。",
                    ));
                }
                previous = band.up_to;
            }
            if previous < MAX_BILL_AMOUNT {
                return Err(invalid("料金帯は300,000円までを網羅してください。"));
            }
        }
        Ok(Self { bands })
    }

    /// The fee for one payment of `amount` yen at `chain`.
    pub fn fee_for(&self, amount: i64, chain: Chain) -> Option<i64> {
        let at_chain = |scope: Option<&str>| {
            self.bands
                .iter()
                .filter(move |b| b.chain.as_deref() == scope)
                .find(|b| amount <= b.up_to)
                .map(|b| b.fee)
        };
        at_chain(Some(chain.as_str())).or_else(|| at_chain(None))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chain_sets_are_canonical() {
        let set = ChainSet::parse(&[Chain::FamilyMart, Chain::Lawson, Chain::Lawson]).expect("ok");
        assert_eq!(set.to_stored(), "LAWSON,FAMILYMART");
        assert_eq!(ChainSet::from_stored("LAWSON,FAMILYMART"), Some(set));
        assert!(ChainSet::parse(&[]).is_err());
        assert_eq!(ChainSet::from_stored("LAWSON,SEVEN"), None);
    }

    #[test]
    fn notice_lag_is_bounded() {
        assert!(NoticeLag::parse(0).is_err());
        assert_eq!(NoticeLag::parse(5), Ok(NoticeLag::DEFAULT));
        assert!(NoticeLag::parse(21).is_err());
    }

    #[test]
    fn fee_schedule_bands_cover_every_amount() {
        let schedule = FeeSchedule::sample();
        assert_eq!(
            FeeSchedule::parse(schedule.bands.clone()),
            Ok(schedule.clone())
        );
        assert_eq!(schedule.fee_for(1, Chain::Lawson), Some(130));
        assert_eq!(schedule.fee_for(2_000, Chain::Lawson), Some(130));
        assert_eq!(schedule.fee_for(2_001, Chain::Lawson), Some(160));
        assert_eq!(schedule.fee_for(300_000, Chain::Lawson), Some(330));

        let mut short = schedule.bands.clone();
        short.pop();
        assert!(FeeSchedule::parse(short).is_err());

        let mut with_chain = schedule.bands.clone();
        with_chain.push(FeeBand {
            up_to: 300_000,
            fee: 100,
            chain: Some("MINISTOP".into()),
        });
        let with_chain = FeeSchedule::parse(with_chain).expect("ok");
        assert_eq!(with_chain.fee_for(50, Chain::Ministop), Some(100));
        assert_eq!(with_chain.fee_for(50, Chain::Lawson), Some(130));
    }
}
