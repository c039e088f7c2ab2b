//! Settlement (Q06, Q07): cycle periods in Japan time, statement arithmetic,
//! notice and payout dates in bank business days.

use chrono::{DateTime, Datelike, Days, NaiveDate, TimeZone, Utc};
use chrono_tz::Asia::Tokyo;

use super::{calendar::add_bank_business_days, contract::SettlementCycle};

/// Bank business days from the notice to the payout (Q06).
pub const PAYOUT_LAG: u32 = 5;

fn last_day(year: i32, month: u32) -> u32 {
    let next = if month == 12 {
        NaiveDate::from_ymd_opt(year + 1, 1, 1)
    } else {
        NaiveDate::from_ymd_opt(year, month + 1, 1)
    };
    next.and_then(|d| d.pred_opt()).map_or(28, |d| d.day())
}

impl SettlementCycle {
    /// The close days of a month, ascending; the last is the month's last day.
    pub fn close_days(self, year: i32, month: u32) -> Vec<u32> {
        let last = last_day(year, month);
        let mut days: Vec<u32> = match self {
            SettlementCycle::FiveDay => vec![5, 10, 15, 20, 25],
            SettlementCycle::TenDay => vec![10, 20],
            SettlementCycle::HalfMonth => vec![15],
            SettlementCycle::MonthEnd => vec![],
        };
        days.push(last);
        days
    }
}

/// A settlement period: from the day after the previous close to the close,
/// both inclusive, in JST.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Period {
    pub start: NaiveDate,
    pub end: NaiveDate,
}

impl Period {
    /// The period of `cycle` that holds `day`.
    pub fn containing(cycle: SettlementCycle, day: NaiveDate) -> Period {
        let closes = cycle.close_days(day.year(), day.month());
        let close = closes
            .iter()
            .copied()
            .find(|c| *c >= day.day())
            .unwrap_or(day.day());
        let end = NaiveDate::from_ymd_opt(day.year(), day.month(), close).unwrap_or(day);
        let previous = closes.iter().copied().filter(|c| *c < close).max();
        let start = match previous {
            Some(p) => NaiveDate::from_ymd_opt(day.year(), day.month(), p + 1).unwrap_or(day),
            None => NaiveDate::from_ymd_opt(day.year(), day.month(), 1).unwrap_or(day),
        };
        Period { start, end }
    }

    /// The period after this one.
    pub fn next(self, cycle: SettlementCycle) -> Period {
        Period::containing(cycle, self.end + Days::new(1))
    }

    /// The instants the period covers: [start 00:00 JST, day after end 00:00 JST).
    pub fn instants(self) -> (DateTime<Utc>, DateTime<Utc>) {
        let midnight = |d: NaiveDate| {
            Tokyo
                .from_local_datetime(&d.and_hms_opt(0, 0, 0).unwrap_or_default())
                .single()
                .map(|t| t.with_timezone(&Utc))
                .unwrap_or_default()
        };
        (midnight(self.start), midnight(self.end + Days::new(1)))
    }

    /// The notice date (close + `notice_lag` bank business days) and the
    /// payout date (notice + 5 bank business days).
    pub fn notice_and_payout(self, notice_lag: u32) -> (NaiveDate, NaiveDate) {
        let notice = add_bank_business_days(self.end, notice_lag);
        (notice, add_bank_business_days(notice, PAYOUT_LAG))
    }
}

/// How consumption tax on fees is rounded to whole yen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rounding {
    /// 切り捨て (the common practice, and the default).
    Floor,
    /// 四捨五入.
    HalfUp,
    /// 切り上げ.
    Ceil,
}

impl Rounding {
    pub fn parse(text: &str) -> Option<Rounding> {
        match text {
            "floor" => Some(Rounding::Floor),
            "half_up" => Some(Rounding::HalfUp),
            "ceil" => Some(Rounding::Ceil),
            _ => None,
        }
    }
}

/// Consumption tax on fees: `rate_percent`% of the statement's total fees,
/// rounded once per statement.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TaxRule {
    pub rate_percent: i64,
    pub rounding: Rounding,
}

impl Default for TaxRule {
    fn default() -> Self {
        Self {
            rate_percent: 10,
            rounding: Rounding::Floor,
        }
    }
}

impl TaxRule {
    pub fn tax_on(self, fees: i64) -> i64 {
        let scaled = fees * self.rate_percent;
        match self.rounding {
            Rounding::Floor => scaled.div_euclid(100),
            Rounding::Ceil => (scaled + 99).div_euclid(100),
            Rounding::HalfUp => (scaled + 50).div_euclid(100),
        }
    }
}

/// The money of one statement.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Figures {
    pub gross: i64,
    pub fees: i64,
    pub fee_tax: i64,
    /// A negative net carried from the previous statement (0 or less).
    pub carried_in: i64,
    /// gross − fees − tax + carried_in; may be negative.
    pub net: i64,
    /// What is paid: never negative.
    pub payout: i64,
    /// What the next statement starts with: 0 or less.
    pub carry_out: i64,
}

impl Figures {
    pub fn compute(gross: i64, fees: i64, carried_in: i64, tax: TaxRule) -> Figures {
        let fee_tax = tax.tax_on(fees);
        let net = gross - fees - fee_tax + carried_in.min(0);
        Figures {
            gross,
            fees,
            fee_tax,
            carried_in: carried_in.min(0),
            net,
            payout: net.max(0),
            carry_out: net.min(0),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).expect("date")
    }

    #[test]
    fn close_days_end_on_the_last_day_of_the_month() {
        assert_eq!(
            SettlementCycle::FiveDay.close_days(2027, 2),
            vec![5, 10, 15, 20, 25, 28]
        );
        assert_eq!(
            SettlementCycle::FiveDay.close_days(2028, 2),
            vec![5, 10, 15, 20, 25, 29]
        );
        assert_eq!(
            SettlementCycle::TenDay.close_days(2026, 4),
            vec![10, 20, 30]
        );
        assert_eq!(SettlementCycle::HalfMonth.close_days(2026, 1), vec![15, 31]);
        assert_eq!(SettlementCycle::MonthEnd.close_days(2026, 11), vec![30]);
    }

    #[test]
    fn periods_run_from_the_day_after_the_previous_close() {
        assert_eq!(
            Period::containing(SettlementCycle::FiveDay, d(2026, 3, 26)),
            Period {
                start: d(2026, 3, 26),
                end: d(2026, 3, 31)
            }
        );
        assert_eq!(
            Period::containing(SettlementCycle::FiveDay, d(2026, 3, 5)),
            Period {
                start: d(2026, 3, 1),
                end: d(2026, 3, 5)
            }
        );
        assert_eq!(
            Period::containing(SettlementCycle::HalfMonth, d(2028, 2, 29)),
            Period {
                start: d(2028, 2, 16),
                end: d(2028, 2, 29)
            }
        );
        assert_eq!(
            Period::containing(SettlementCycle::MonthEnd, d(2027, 2, 1)).end,
            d(2027, 2, 28)
        );
        let p = Period::containing(SettlementCycle::TenDay, d(2026, 1, 31));
        assert_eq!(
            p.next(SettlementCycle::TenDay),
            Period {
                start: d(2026, 2, 1),
                end: d(2026, 2, 10)
            }
        );
    }

    #[test]
    fn a_period_is_its_jst_days() {
        let p = Period::containing(SettlementCycle::MonthEnd, d(2026, 10, 15));
        let (from, to) = p.instants();
        assert_eq!(
            from,
            "2026-09-30T15:00:00Z".parse::<DateTime<Utc>>().expect("t")
        );
        assert_eq!(
            to,
            "2026-10-31T15:00:00Z".parse::<DateTime<Utc>>().expect("t")
        );
    }

    #[test]
    fn notice_and_payout_count_bank_business_days() {
        // October 2026 closes on Saturday the 31st.
        let p = Period::containing(SettlementCycle::MonthEnd, d(2026, 10, 1));
        assert_eq!(
            p.notice_and_payout(5),
            (d(2026, 11, 9), d(2026, 11, 16)),
            "11/3 is a holiday"
        );
        // April 2026 closes Thu 30; Golden Week follows.
        let april = Period::containing(SettlementCycle::MonthEnd, d(2026, 4, 1));
        assert_eq!(april.notice_and_payout(5), (d(2026, 5, 12), d(2026, 5, 19)));
        // December 2026: the year end and New Year.
        let december = Period::containing(SettlementCycle::MonthEnd, d(2026, 12, 1));
        assert_eq!(
            december.notice_and_payout(5),
            (d(2027, 1, 8), d(2027, 1, 18)),
            "1/1-3 closed; 1/11 is 成人の日"
        );
        // March 2027 close 15th (Mon); 3/22 is a substitute holiday.
        let march = Period::containing(SettlementCycle::HalfMonth, d(2027, 3, 10));
        assert_eq!(march.notice_and_payout(5), (d(2027, 3, 23), d(2027, 3, 30)));
    }

    #[test]
    fn tax_rounds_as_configured_and_negative_nets_carry() {
        let floor = TaxRule::default();
        assert_eq!(floor.tax_on(1_005), 100);
        assert_eq!(
            TaxRule {
                rate_percent: 10,
                rounding: Rounding::HalfUp
            }
            .tax_on(1_005),
            101
        );
        assert_eq!(
            TaxRule {
                rate_percent: 10,
                rounding: Rounding::Ceil
            }
            .tax_on(1_001),
            101
        );
        let negative = Figures::compute(100, 330, 0, floor);
        assert_eq!(
            (negative.net, negative.payout, negative.carry_out),
            (100 - 330 - 33, 0, -263)
        );
        let next = Figures::compute(10_000, 330, negative.carry_out, floor);
        assert_eq!(next.net, 10_000 - 330 - 33 - 263);
        assert_eq!(next.carry_out, 0);
    }
}
