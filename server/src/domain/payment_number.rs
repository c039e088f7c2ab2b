//! Payment numbers (Q08, Q11, Q23): 13 digits, the last a Luhn check digit.
//!
//! Input is forgiving in form, strict in substance: full-width digits become
//! ASCII, hyphens and spaces (ASCII or full-width) are dropped; then exactly 13
//! digits with a correct check digit must remain.

use std::fmt;

use super::RuleViolation;

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PaymentNumber(String);

/// The Luhn check digit for `base` (digits only).
pub fn luhn_check_digit(base: &str) -> u32 {
    let sum: u32 = base
        .bytes()
        .rev()
        .enumerate()
        .map(|(i, b)| {
            let d = u32::from(b - b'0');
            if i % 2 == 0 {
                let doubled = d * 2;
                if doubled > 9 { doubled - 9 } else { doubled }
            } else {
                d
            }
        })
        .sum();
    (10 - sum % 10) % 10
}

impl PaymentNumber {
    pub fn parse(raw: &str) -> Result<Self, RuleViolation> {
        let mut digits = String::with_capacity(13);
        for c in raw.chars() {
            match c {
                '0'..='9' => digits.push(c),
                '０'..='９' => digits.push(char::from(b'0' + (c as u32 - '０' as u32) as u8)),
                '-' | '‐' | '－' | 'ー' | '−' | ' ' | '　' => {}
                _ => {
                    return Err(RuleViolation::new(
                        "PAYMENT_NUMBER_NOT_DIGITS",
                        "支払番号は数字で入力してください。",
                    ));
                }
            }
        }
        if digits.len() != 13 {
            return Err(RuleViolation::new(
                "PAYMENT_NUMBER_WRONG_LENGTH",
                "支払番号は13桁です。",
            ));
        }
        let check = u32::from(digits.as_bytes()[12] - b'0');
        if luhn_check_digit(&digits[..12]) != check {
            return Err(RuleViolation::new(
                "PAYMENT_NUMBER_BAD_CHECK_DIGIT",
                "支払番号が正しくありません（チェックデジット不一致）。",
            ));
        }
        Ok(Self(digits))
    }

    /// The number for twelve base digits, with its check digit.
    pub fn from_base(base: u64) -> Self {
        let base = format!("{:012}", base % 1_000_000_000_000);
        let check = luhn_check_digit(&base);
        Self(format!("{base}{check}"))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// `1234-5678-9012-3`: how people read it on a sheet.
    pub fn grouped(&self) -> String {
        format!(
            "{}-{}-{}-{}",
            &self.0[..4],
            &self.0[4..8],
            &self.0[8..12],
            &self.0[12..]
        )
    }
}

impl fmt::Display for PaymentNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn luhn_matches_known_numbers() {
        // 79927398713 is the textbook Luhn example.
        assert_eq!(luhn_check_digit("7992739871"), 3);
        let number = PaymentNumber::from_base(123_456_789_012);
        assert_eq!(number.as_str().len(), 13);
        assert_eq!(PaymentNumber::parse(number.as_str()), Ok(number.clone()));
    }

    #[test]
    fn forms_are_normalised_and_substance_checked() {
        let number = PaymentNumber::from_base(123_456_789_012);
        let full_width: String = number
            .as_str()
            .chars()
            .map(|c| char::from_u32(c as u32 - '0' as u32 + '０' as u32).unwrap_or(c))
            .collect();
        assert_eq!(PaymentNumber::parse(&full_width), Ok(number.clone()));
        assert_eq!(PaymentNumber::parse(&number.grouped()), Ok(number.clone()));
        assert_eq!(
            PaymentNumber::parse(&format!(" {} ", number.grouped().replace('-', "　"))),
            Ok(number.clone())
        );

        let mut wrong = number.as_str().to_owned();
        let last = wrong.pop().unwrap_or('0');
        wrong.push(if last == '9' {
            '0'
        } else {
            char::from(last as u8 + 1)
        });
        assert_eq!(
            PaymentNumber::parse(&wrong).map_err(|e| e.code),
            Err("PAYMENT_NUMBER_BAD_CHECK_DIGIT")
        );
        assert_eq!(
            PaymentNumber::parse("123456789012").map_err(|e| e.code),
            Err("PAYMENT_NUMBER_WRONG_LENGTH")
        );
        assert_eq!(
            PaymentNumber::parse("12345678901234").map_err(|e| e.code),
            Err("PAYMENT_NUMBER_WRONG_LENGTH")
        );
        assert_eq!(
            PaymentNumber::parse("12345678901a3").map_err(|e| e.code),
            Err("PAYMENT_NUMBER_NOT_DIGITS")
        );
        assert_eq!(
            PaymentNumber::parse("").map_err(|e| e.code),
            Err("PAYMENT_NUMBER_WRONG_LENGTH")
        );
    }
}
