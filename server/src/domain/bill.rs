//! Bills (Q03, Q04, Q09): amounts, due dates, statuses — in Japan time.

use chrono::{DateTime, Days, NaiveDate, Utc};
use chrono_tz::Asia::Tokyo;

use super::{RuleViolation, named_values};

named_values! {
    BillStatus { Open = "OPEN", Paid = "PAID", Cancelled = "CANCELLED", Expired = "EXPIRED" }
}

/// Whole yen, tax included, 1 to 300,000 (Q03).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Amount(i64);

impl Amount {
    pub const MIN: i64 = 1;
    pub const MAX: i64 = 300_000;

    pub fn parse(yen: i64) -> Result<Self, RuleViolation> {
        if yen < Self::MIN {
            Err(RuleViolation::new(
                "AMOUNT_TOO_SMALL",
                "金額は1円以上で指定してください。",
            ))
        } else if yen > Self::MAX {
            Err(RuleViolation::new(
                "AMOUNT_LIMIT_EXCEEDED",
                "金額は300,000円（税込）以下で指定してください。",
            ))
        } else {
            Ok(Self(yen))
        }
    }

    pub fn yen(self) -> i64 {
        self.0
    }
}

/// The calendar date in Japan at `instant`.
pub fn jst_date(instant: DateTime<Utc>) -> NaiveDate {
    instant.with_timezone(&Tokyo).date_naive()
}

/// The latest due date for a bill registered on `registered` (Q04): 60 days
/// counting the registration day as the first.
pub fn latest_due_date(registered: NaiveDate) -> NaiveDate {
    registered + Days::new(59)
}

/// A due date acceptable for a bill registered (or edited) on `today` (JST).
pub fn check_due_date(due: NaiveDate, today: NaiveDate) -> Result<NaiveDate, RuleViolation> {
    if due < today {
        return Err(RuleViolation::new(
            "DUE_DATE_IN_PAST",
            "支払期限に過去の日付は指定できません。",
        ));
    }
    if due > latest_due_date(today) {
        return Err(RuleViolation::new(
            "DUE_DATE_TOO_FAR",
            "支払期限は登録日を含めて60日以内（登録日＋59日まで）で指定してください。",
        ));
    }
    Ok(due)
}

/// Whether a bill due on `due` can still be paid at `now`: until 23:59:59 JST
/// on its due date.
pub fn payable_on(due: NaiveDate, now: DateTime<Utc>) -> bool {
    jst_date(now) <= due
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_are_bounded() {
        for (yen, ok) in [
            (0, false),
            (1, true),
            (300_000, true),
            (300_001, false),
            (-1, false),
        ] {
            assert_eq!(Amount::parse(yen).is_ok(), ok, "{yen}");
        }
        assert_eq!(
            Amount::parse(300_001).map_err(|e| e.code),
            Err("AMOUNT_LIMIT_EXCEEDED")
        );
    }

    #[test]
    fn due_dates_are_counted_in_japan_time() {
        // 2026-03-31 20:00 UTC is already 2026-04-01 in Tokyo.
        let now: DateTime<Utc> = "2026-03-31T20:00:00Z".parse().expect("instant");
        let today = jst_date(now);
        assert_eq!(today, NaiveDate::from_ymd_opt(2026, 4, 1).expect("date"));
        assert!(check_due_date(today, today).is_ok());
        assert!(check_due_date(today + Days::new(59), today).is_ok());
        assert_eq!(
            check_due_date(today + Days::new(60), today).map_err(|e| e.code),
            Err("DUE_DATE_TOO_FAR")
        );
        assert_eq!(
            check_due_date(today - Days::new(1), today).map_err(|e| e.code),
            Err("DUE_DATE_IN_PAST")
        );
    }

    #[test]
    fn a_bill_is_payable_until_midnight_jst_of_its_due_date() {
        let due = NaiveDate::from_ymd_opt(2026, 4, 1).expect("date");
        assert!(payable_on(due, "2026-04-01T14:59:59Z".parse().expect("t")));
        assert!(!payable_on(due, "2026-04-01T15:00:00Z".parse().expect("t")));
    }
}
