//! Japanese national holidays (国民の祝日に関する法律) and bank business days.
//!
//! Covers 1990-2050: fixed days and Happy Monday days as the law had them in
//! each year, the vernal and autumnal equinox (the usual approximation of the
//! National Astronomical Observatory's dates, exact for these years), the
//! substitute holiday (振替休日: before 2007 the Monday after a Sunday
//! holiday, since 2007 the first following day that is not a holiday), the
//! citizens' holiday (国民の休日, a day between two holidays, since 1988) and
//! the one-off days of 1990, 1993, 2019, 2020 and 2021.
//!
//! Bank holidays add Saturdays, Sundays and 31 December - 3 January. The test
//! checks every day of 2016-2027 against the Cabinet Office's published list
//! (`cabinet-office-2016-2027.csv`).

use chrono::{Datelike, Days, NaiveDate, Weekday};

/// The years the rules here are written for.
pub const SUPPORTED_YEARS: std::ops::RangeInclusive<i32> = 1990..=2050;

fn date(year: i32, month: u32, day: u32) -> Option<NaiveDate> {
    NaiveDate::from_ymd_opt(year, month, day)
}

/// The n-th Monday of a month.
fn nth_monday(year: i32, month: u32, n: u8) -> Option<NaiveDate> {
    NaiveDate::from_weekday_of_month_opt(year, month, Weekday::Mon, n)
}

/// 春分日 by the standard approximation (valid 1980-2099), in integer arithmetic.
fn vernal_equinox(year: i32) -> Option<NaiveDate> {
    let n = i64::from(year - 1980);
    let day = (20_843_100 + 242_194 * n) / 1_000_000 - n.div_euclid(4);
    date(year, 3, u32::try_from(day).ok()?)
}

/// 秋分日 by the standard approximation (valid 1980-2099).
fn autumnal_equinox(year: i32) -> Option<NaiveDate> {
    let n = i64::from(year - 1980);
    let day = (23_248_800 + 242_194 * n) / 1_000_000 - n.div_euclid(4);
    date(year, 9, u32::try_from(day).ok()?)
}

/// The holidays the law names for `year` (before substitute and citizens'
/// holidays), with their names.
fn named_holidays(year: i32) -> Vec<(NaiveDate, &'static str)> {
    let mut days: Vec<(Option<NaiveDate>, &'static str)> = vec![
        (date(year, 1, 1), "元日"),
        (
            if year >= 2000 {
                nth_monday(year, 1, 2)
            } else {
                date(year, 1, 15)
            },
            "成人の日",
        ),
        (date(year, 2, 11), "建国記念の日"),
        (vernal_equinox(year), "春分の日"),
        (
            date(year, 4, 29),
            if year >= 2007 {
                "昭和の日"
            } else {
                "みどりの日"
            },
        ),
        (date(year, 5, 3), "憲法記念日"),
        (date(year, 5, 5), "こどもの日"),
        (autumnal_equinox(year), "秋分の日"),
        (date(year, 11, 3), "文化の日"),
        (date(year, 11, 23), "勤労感謝の日"),
    ];
    if year >= 2007 {
        days.push((date(year, 5, 4), "みどりの日"));
    }
    match year {
        ..=2018 => days.push((date(year, 12, 23), "天皇誕生日")),
        2019 => {}
        _ => days.push((date(year, 2, 23), "天皇誕生日")),
    }
    // 海の日 from 1996; Happy Monday from 2003; moved for the Olympics.
    let marine = match year {
        ..=1995 => None,
        1996..=2002 => date(year, 7, 20),
        2020 => date(2020, 7, 23),
        2021 => date(2021, 7, 22),
        _ => nth_monday(year, 7, 3),
    };
    days.push((marine, "海の日"));
    // 山の日 from 2016; moved for the Olympics.
    let mountain = match year {
        ..=2015 => None,
        2020 => date(2020, 8, 10),
        2021 => date(2021, 8, 8),
        _ => date(year, 8, 11),
    };
    days.push((mountain, "山の日"));
    days.push((
        if year >= 2003 {
            nth_monday(year, 9, 3)
        } else {
            date(year, 9, 15)
        },
        "敬老の日",
    ));
    // 体育の日, スポーツの日 from 2020; Happy Monday from 2000.
    let sports = match year {
        ..=1999 => date(year, 10, 10),
        2020 => date(2020, 7, 24),
        2021 => date(2021, 7, 23),
        _ => nth_monday(year, 10, 2),
    };
    days.push((
        sports,
        if year >= 2020 {
            "スポーツの日"
        } else {
            "体育の日"
        },
    ));
    // One-off holidays by special law.
    let special: &[(i32, u32, u32, &str)] = &[
        (1990, 11, 12, "即位礼正殿の儀"),
        (1993, 6, 9, "皇太子徳仁親王の結婚の儀"),
        (2019, 5, 1, "天皇の即位の日"),
        (2019, 10, 22, "即位礼正殿の儀の行われる日"),
    ];
    for (y, m, d, name) in special {
        if *y == year {
            days.push((date(*y, *m, *d), name));
        }
    }
    let mut days: Vec<(NaiveDate, &'static str)> = days
        .into_iter()
        .filter_map(|(d, n)| d.map(|d| (d, n)))
        .collect();
    days.sort();
    days.dedup_by_key(|(d, _)| *d);
    days
}

/// Every holiday of `year`: named, substitute (休日) and citizens' (休日).
pub fn holidays(year: i32) -> Vec<(NaiveDate, &'static str)> {
    let named = named_holidays(year);
    let is_named = |d: NaiveDate| named.iter().any(|(n, _)| *n == d);
    let mut all = named.clone();
    // 振替休日.
    for (day, _) in &named {
        if day.weekday() != Weekday::Sun {
            continue;
        }
        let mut next = *day + Days::new(1);
        if year >= 2007 {
            while is_named(next) {
                next = next + Days::new(1);
            }
            all.push((next, "休日"));
        } else if !is_named(next) {
            all.push((next, "休日"));
        }
    }
    // 国民の休日: a day between two named holidays that is not itself one
    // (nor a Sunday, nor already a substitute holiday).
    if year >= 1988 {
        for window in named.windows(2) {
            let (a, b) = (window[0].0, window[1].0);
            if b.signed_duration_since(a).num_days() == 2 {
                let between = a + Days::new(1);
                let taken = all.iter().any(|(d, _)| *d == between);
                if between.weekday() != Weekday::Sun && !taken {
                    all.push((between, "休日"));
                }
            }
        }
    }
    all.sort();
    all.dedup_by_key(|(d, _)| *d);
    all
}

/// Whether `day` is a national holiday (including substitute and citizens').
pub fn is_holiday(day: NaiveDate) -> bool {
    holidays(day.year()).iter().any(|(d, _)| *d == day)
}

/// Banks are closed on Saturdays, Sundays, national holidays and 31 Dec - 3 Jan.
pub fn is_bank_business_day(day: NaiveDate) -> bool {
    let year_end = matches!((day.month(), day.day()), (12, 31) | (1, 1..=3));
    !matches!(day.weekday(), Weekday::Sat | Weekday::Sun) && !year_end && !is_holiday(day)
}

/// The bank business day `n` business days after `day` (n = 0: `day` itself
/// if it is one, else the next).
pub fn add_bank_business_days(day: NaiveDate, n: u32) -> NaiveDate {
    let mut current = day;
    if n == 0 {
        while !is_bank_business_day(current) {
            current = current + Days::new(1);
        }
        return current;
    }
    let mut left = n;
    while left > 0 {
        current = current + Days::new(1);
        if is_bank_business_day(current) {
            left -= 1;
        }
    }
    current
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    const PUBLISHED: &str = include_str!("cabinet-office-2016-2027.csv");

    fn published() -> BTreeSet<NaiveDate> {
        PUBLISHED
            .lines()
            .skip(1)
            .filter_map(|line| line.split(',').next())
            .map(|d| NaiveDate::parse_from_str(d, "%Y/%m/%d").expect("a date"))
            .collect()
    }

    #[test]
    fn every_day_of_2016_to_2027_matches_the_cabinet_office() {
        let published = published();
        assert_eq!(
            published.len(),
            17 + 17 + 20 + 22 + 18 + 17 + 16 + 17 + 21 + 19 + 18 + 17
        );
        let mut day = NaiveDate::from_ymd_opt(2016, 1, 1).expect("date");
        let end = NaiveDate::from_ymd_opt(2027, 12, 31).expect("date");
        while day <= end {
            assert_eq!(is_holiday(day), published.contains(&day), "{day}");
            day = day + Days::new(1);
        }
    }

    #[test]
    fn the_rules_hold_across_the_supported_years() {
        for year in SUPPORTED_YEARS {
            let days = holidays(year);
            assert!(days.len() >= 14, "{year}: {}", days.len());
            assert!(days.iter().all(|(d, _)| d.year() == year));
            // A substitute holiday never lands on a Sunday.
            assert!(
                days.iter()
                    .filter(|(_, n)| *n == "休日")
                    .all(|(d, _)| d.weekday() != Weekday::Sun),
                "{year}"
            );
        }
        // Known dates outside the published range.
        assert!(
            is_holiday(NaiveDate::from_ymd_opt(2009, 9, 22).expect("d")),
            "2009 citizens' holiday"
        );
        assert!(
            is_holiday(NaiveDate::from_ymd_opt(2015, 9, 22).expect("d")),
            "2015 citizens' holiday"
        );
        assert!(is_holiday(
            NaiveDate::from_ymd_opt(1990, 11, 12).expect("d")
        ));
        assert!(
            is_holiday(NaiveDate::from_ymd_opt(2032, 9, 21).expect("d")),
            "2032 citizens' holiday"
        );
    }

    #[test]
    fn bank_business_days_skip_weekends_holidays_and_the_year_end() {
        let d = |y, m, day| NaiveDate::from_ymd_opt(y, m, day).expect("date");
        assert!(!is_bank_business_day(d(2026, 12, 31)));
        assert!(!is_bank_business_day(d(2027, 1, 3)));
        assert!(is_bank_business_day(d(2027, 1, 4)));
        // Golden Week 2026: 4/29 Wed, 5/3 Sun - 5/6 Wed substitute.
        assert_eq!(add_bank_business_days(d(2026, 4, 28), 1), d(2026, 4, 30));
        assert_eq!(add_bank_business_days(d(2026, 5, 1), 1), d(2026, 5, 7));
        // Year end: from 2026-12-30 (Wed) one business day is 2027-01-04.
        assert_eq!(add_bank_business_days(d(2026, 12, 30), 1), d(2027, 1, 4));
        // A Monday substitute holiday: 2027-03-22.
        assert_eq!(add_bank_business_days(d(2027, 3, 19), 1), d(2027, 3, 23));
        assert_eq!(add_bank_business_days(d(2027, 3, 20), 0), d(2027, 3, 23));
    }
}
