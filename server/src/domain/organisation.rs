//! Owners and tenants, and the legal facts screening depends on.

use super::{RuleViolation, named_values};

named_values! {
    OrganisationKind { Owner = "OWNER", Tenant = "TENANT" }
}

named_values! {
    TenantKind {
        Branch = "BRANCH",
        GroupCompany = "GROUP_COMPANY",
        MallSeller = "MALL_SELLER",
        AgencyClient = "AGENCY_CLIENT",
    }
}

named_values! {
    LegalForm { Individual = "INDIVIDUAL", Corporation = "CORPORATION" }
}

named_values! {
    /// Only corporations have one; SYSTEM_INTEGRATION requires either (Q18).
    CorporateOrigin {
        Japanese = "JAPANESE",
        ForeignWithJapaneseBranch = "FOREIGN_WITH_JAPANESE_BRANCH",
        /// A foreign corporation without a branch registered in Japan.
        Foreign = "FOREIGN",
    }
}

/// A 法人番号 (corporate number): 13 digits, the first a check digit over the
/// other twelve (National Tax Agency specification).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CorporateNumber(String);

impl CorporateNumber {
    pub fn parse(raw: &str) -> Result<Self, RuleViolation> {
        let digits: String = raw.chars().filter(|c| !matches!(c, '-' | ' ')).collect();
        let invalid = || {
            RuleViolation::new(
                "INVALID_CORPORATE_NUMBER",
                "法人番号は13桁の数字で、正しいチェックデジットを含む必要があります。",
            )
        };
        if digits.len() != 13 || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(invalid());
        }
        let bytes = digits.as_bytes();
        if u32::from(bytes[0] - b'0') != Self::check_digit(&digits[1..]) {
            return Err(invalid());
        }
        Ok(Self(digits))
    }

    /// The check digit for the twelve base digits: 9 − (Σ Pn·Qn mod 9), with
    /// n counted from the rightmost digit and Qn = 1 for odd n, 2 for even n.
    pub fn check_digit(base: &str) -> u32 {
        let sum: u32 = base
            .bytes()
            .rev()
            .enumerate()
            .map(|(i, b)| u32::from(b - b'0') * if i % 2 == 0 { 1 } else { 2 })
            .sum();
        9 - sum % 9
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The legal identity of an applicant or organisation, consistent as a whole:
/// an individual has no corporate origin or number; a corporation has an origin.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LegalIdentity {
    pub form: LegalForm,
    pub origin: Option<CorporateOrigin>,
    pub corporate_number: Option<CorporateNumber>,
}

impl LegalIdentity {
    pub fn parse(
        form: LegalForm,
        origin: Option<CorporateOrigin>,
        corporate_number: Option<&str>,
    ) -> Result<Self, (&'static str, RuleViolation)> {
        let corporate_number = corporate_number
            .filter(|n| !n.trim().is_empty())
            .map(CorporateNumber::parse)
            .transpose()
            .map_err(|e| ("corporateNumber", e))?;
        match form {
            LegalForm::Individual if origin.is_some() || corporate_number.is_some() => Err((
                "corporateOrigin",
                RuleViolation::new(
                    "INDIVIDUAL_HAS_NO_CORPORATE_FACTS",
                    "個人事業主には法人の国籍や法人番号を指定できません。",
                ),
            )),
            LegalForm::Corporation if origin.is_none() => Err((
                "corporateOrigin",
                RuleViolation::new(
                    "CORPORATE_ORIGIN_REQUIRED",
                    "法人の場合は、日本法人か外国法人（日本支店の登記の有無）かを指定してください。",
                ),
            )),
            _ => Ok(Self {
                form,
                origin,
                corporate_number,
            }),
        }
    }

    /// Whether this identity may hold a SYSTEM_INTEGRATION contract (Q18).
    pub fn may_integrate_systems(&self) -> bool {
        matches!(
            self.origin,
            Some(CorporateOrigin::Japanese | CorporateOrigin::ForeignWithJapaneseBranch)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn corporate_numbers_carry_a_check_digit() {
        // Published example of the National Tax Agency: 国税庁 7000012050002.
        assert!(CorporateNumber::parse("7000012050002").is_ok());
        assert!(CorporateNumber::parse("7-0000-1205-0002").is_ok());
        assert!(CorporateNumber::parse("8000012050002").is_err());
        assert!(CorporateNumber::parse("700001205000").is_err());
        assert!(CorporateNumber::parse("70000120500a2").is_err());
    }

    #[test]
    fn identities_are_consistent() {
        let individual = LegalIdentity::parse(LegalForm::Individual, None, None).expect("ok");
        assert!(!individual.may_integrate_systems());
        assert!(
            LegalIdentity::parse(LegalForm::Individual, Some(CorporateOrigin::Japanese), None)
                .is_err()
        );
        assert!(LegalIdentity::parse(LegalForm::Corporation, None, None).is_err());
        let foreign =
            LegalIdentity::parse(LegalForm::Corporation, Some(CorporateOrigin::Foreign), None)
                .expect("ok");
        assert!(!foreign.may_integrate_systems());
        let branch = LegalIdentity::parse(
            LegalForm::Corporation,
            Some(CorporateOrigin::ForeignWithJapaneseBranch),
            Some(""),
        )
        .expect("ok");
        assert!(branch.may_integrate_systems());
    }
}
