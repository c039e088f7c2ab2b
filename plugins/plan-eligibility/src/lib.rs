//! Plan eligibility (Q02, Q18): SYSTEM_INTEGRATION only for Japanese
//! corporations or foreign ones with a branch registered in Japan.

use shuno_plugin_sdk::*;

pub struct PlanEligibility;

impl Screener for PlanEligibility {
    fn init(config: &[u8]) -> Result<Self, Error> {
        let empty = config.iter().all(u8::is_ascii_whitespace)
            || std::str::from_utf8(config).is_ok_and(|c| {
                c.chars().filter(|c| !c.is_whitespace()).collect::<String>() == "{}"
            });
        if empty {
            Ok(PlanEligibility)
        } else {
            Err(Error::new(
                "INVALID_CONFIG",
                "このプラグインに設定項目はありません。",
            ))
        }
    }

    fn screen_application(&self, application: &Application) -> Result<Decision, Error> {
        if application.plan != Plan::SystemIntegration {
            return Ok(Decision::allow());
        }
        let applicant = &application.applicant;
        let eligible = applicant.legal_form == LegalForm::Corporation
            && matches!(
                applicant.corporate_origin,
                Some(CorporateOrigin::Japanese | CorporateOrigin::ForeignWithJapaneseBranch)
            );
        Ok(if eligible {
            Decision::allow()
        } else {
            Decision::block(vec![Reason::new(
                "PLAN_NOT_ELIGIBLE",
                "システム連携プランは日本法人、または日本に支店登記のある外国法人のみご利用いただけます。ライトプラン（LIGHT）でお申し込みください。",
            )
            .with_detail("LIGHT")])
        })
    }
}

register_screener!(PlanEligibility);
