//! Onboarding (Q16-Q18, Q20): applications, their screening, the review
//! queue and reviewers' decisions. Every transition is recorded with who,
//! when, why and — for screening — the plugin versions and reasons.

use chrono::Utc;
use sea_orm::{ActiveValue::Set, ConnectionTrait};
use serde_json::json;

use super::{
    Ctx, Page, PageRequest, ServiceError, Services, UserError, organisations::scope_of,
    screening::wit_chain,
};
use crate::{
    authz::Scope,
    domain::{
        category,
        contract::{Chain, ChainSet, FeeSchedule, NoticeLag, Plan, SettlementCycle, Usage},
        joint_card::JointCardStatus,
        organisation::{CorporateOrigin, LegalForm},
        screening::{ApplicationStatus, Screening},
    },
    plugins::wit,
    store::{
        self,
        applications::{self, Transition},
        contracts::NewContract,
        entity::{
            application::Model as Application, application_transition::Model as TransitionRow,
            organisation::Model as Organisation,
        },
    },
};

/// The longest merchandise description kept, in characters.
const DESCRIPTION_MAX: usize = 2_000;

pub struct ApplicationInput {
    pub organisation_id: i64,
    pub plan: Plan,
    pub usage: Usage,
    pub chains: Vec<Chain>,
    pub categories: Vec<String>,
    pub merchandise_description: String,
    /// Trade names or former names to screen besides the organisation's name.
    pub other_names: Vec<String>,
    pub settlement_cycle: Option<SettlementCycle>,
    /// REPEAT only: print payment numbers on the organisation's joint card;
    /// needs an ACTIVE joint card (Q13).
    pub printed_on_joint_card: bool,
    pub commitments_affirmed: bool,
}

pub struct Decision {
    pub application_id: i64,
    pub approve: bool,
    pub chains: Option<Vec<Chain>>,
    pub reason: String,
}

fn not_found() -> ServiceError {
    ServiceError::invalid(
        &["input", "applicationId"],
        "APPLICATION_NOT_FOUND",
        "指定された申込が見つかりません。",
    )
}

fn wit_subject(organisation: &Organisation, input: &ApplicationInput) -> wit::Application {
    let legal_form = match LegalForm::from_name(&organisation.legal_form) {
        Some(LegalForm::Corporation) => wit::LegalForm::Corporation,
        _ => wit::LegalForm::Individual,
    };
    let corporate_origin = organisation
        .corporate_origin
        .as_deref()
        .and_then(CorporateOrigin::from_name)
        .map(|origin| match origin {
            CorporateOrigin::Japanese => wit::CorporateOrigin::Japanese,
            CorporateOrigin::ForeignWithJapaneseBranch => {
                wit::CorporateOrigin::ForeignWithJapaneseBranch
            }
            CorporateOrigin::Foreign => wit::CorporateOrigin::Foreign,
        });
    let mut names = vec![organisation.name.clone()];
    names.extend(input.other_names.iter().cloned());
    wit::Application {
        applicant: wit::Applicant {
            legal_form,
            corporate_origin,
            names,
            representative_name: organisation.representative_name.clone(),
        },
        plan: match input.plan {
            Plan::Light => wit::Plan::Light,
            Plan::SystemIntegration => wit::Plan::SystemIntegration,
        },
        usage: super::screening::wit_usage(input.usage),
        requested_chains: input.chains.iter().copied().map(wit_chain).collect(),
        categories: input.categories.clone(),
        merchandise_description: input.merchandise_description.clone(),
    }
}

/// A summary of the steps for the audit trail: plugin, version, verdict, reasons.
fn screening_detail(screening: &Screening) -> String {
    json!({
        "verdict": screening.verdict,
        "steps": screening.steps.iter().map(|s| json!({
            "pluginId": s.plugin_id,
            "plugin": s.plugin,
            "version": s.version,
            "verdict": s.decision.verdict,
            "reasons": s.decision.reasons,
            "excludedChains": s.decision.excluded_chains,
            "failure": s.failure,
        })).collect::<Vec<_>>(),
    })
    .to_string()
}

impl Services {
    fn validate_application(&self, input: &ApplicationInput) -> Result<(), ServiceError> {
        let mut errors = Vec::new();
        if !input.commitments_affirmed {
            errors.push(UserError::new(
                &["input", "commitmentsAffirmed"],
                "COMMITMENTS_NOT_AFFIRMED",
                "反社会的勢力の排除等に関する誓約への同意が必要です。",
            ));
        }
        if let Err(rule) = ChainSet::parse(&input.chains) {
            errors.push(UserError::from_rule(&["input", "chains"], rule));
        }
        if input.categories.is_empty() {
            errors.push(UserError::new(
                &["input", "categories"],
                "CATEGORIES_REQUIRED",
                "取り扱う商材の区分を1つ以上指定してください。",
            ));
        }
        for (i, category) in input.categories.iter().enumerate() {
            if !category::is_known(category) {
                errors.push(UserError::new(
                    &["input", "categories", &i.to_string()],
                    "UNKNOWN_CATEGORY",
                    format!("不明な商材区分です: {category}"),
                ));
            }
        }
        let description = input.merchandise_description.trim();
        if description.is_empty() {
            errors.push(UserError::new(
                &["input", "merchandiseDescription"],
                "DESCRIPTION_REQUIRED",
                "商材の説明を入力してください。",
            ));
        } else if description.chars().count() > DESCRIPTION_MAX {
            errors.push(UserError::new(
                &["input", "merchandiseDescription"],
                "DESCRIPTION_TOO_LONG",
                format!("商材の説明は{DESCRIPTION_MAX}文字以内にしてください。"),
            ));
        }
        if input.other_names.len() > 20
            || input
                .other_names
                .iter()
                .any(|n| n.trim().is_empty() || n.chars().count() > 200)
        {
            errors.push(UserError::new(
                &["input", "otherNames"],
                "INVALID_OTHER_NAMES",
                "その他の名称は200文字以内で20件までです。",
            ));
        }
        if input.printed_on_joint_card && input.usage != Usage::Repeat {
            errors.push(UserError::new(
                &["input", "printedOnJointCard"],
                "JOINT_CARD_ONLY_FOR_REPEAT",
                "ジョイントカードへの印字はリピート利用でのみ指定できます。",
            ));
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(ServiceError::Invalid(errors))
        }
    }

    /// Submits and screens at once; the outcome, the transitions, any
    /// contract and the event are written in one transaction.
    #[tracing::instrument(skip(self, ctx, input), fields(organisation_id = input.organisation_id))]
    pub async fn submit_application(
        &self,
        ctx: &Ctx,
        input: ApplicationInput,
    ) -> Result<Application, ServiceError> {
        let principal = ctx.principal()?;
        let Some(organisation) = self
            .visible_organisation(ctx, input.organisation_id)
            .await?
        else {
            return Err(ServiceError::invalid(
                &["input", "organisationId"],
                "ORGANISATION_NOT_FOUND",
                "指定された組織が見つかりません。",
            ));
        };
        self.authorize(ctx, scope_of(&organisation), "application", "submit")
            .await?;
        let submitted_by = principal.user_id().ok_or(ServiceError::Forbidden)?;
        self.validate_application(&input)?;
        if input.printed_on_joint_card
            && store::joint_cards::count_with_status(
                &self.db,
                organisation.id,
                JointCardStatus::Active.as_str(),
            )
            .await?
                == 0
        {
            return Err(ServiceError::invalid(
                &["input", "printedOnJointCard"],
                "JOINT_CARD_REQUIRED",
                "この機能には有効なジョイントカードが必要です（Q13）。",
            ));
        }
        let chains = ChainSet::parse(&input.chains).map_err(|r| {
            ServiceError::Invalid(vec![UserError::from_rule(&["input", "chains"], r)])
        })?;
        let owner_id = organisation.owner_id.unwrap_or(organisation.id);
        let screening = self
            .screen_application(
                owner_id,
                wit_subject(&organisation, &input),
                chains.chains(),
            )
            .await?;
        let status = screening.application_status();
        let now = Utc::now();
        let actor = format!("user:{submitted_by}");

        let txn = crate::store::write(&self.db).await?;
        let mut row = applications::new_row();
        row.organisation_id = Set(organisation.id);
        row.plan = Set(input.plan.as_str().to_owned());
        row.usage = Set(input.usage.as_str().to_owned());
        row.requested_chains = Set(chains.to_stored());
        row.categories = Set(json!(input.categories).to_string());
        row.merchandise_description = Set(input.merchandise_description.trim().to_owned());
        row.other_names = Set(json!(input.other_names).to_string());
        row.settlement_cycle = Set(input
            .settlement_cycle
            .unwrap_or(SettlementCycle::MonthEnd)
            .as_str()
            .to_owned());
        row.printed_on_joint_card = Set(input.printed_on_joint_card);
        row.commitments_affirmed_at = Set(now);
        row.status = Set(ApplicationStatus::Screening.as_str().to_owned());
        row.screening = Set(Some(
            serde_json::to_string(&screening).map_err(|e| ServiceError::Internal(e.into()))?,
        ));
        row.approved_chains = Set(None);
        row.contract_id = Set(None);
        row.submitted_by = Set(submitted_by);
        row.created_at = Set(now);
        row.decided_at = Set(None);
        let application = applications::insert(&txn, row).await?;
        let steps = [
            (None, ApplicationStatus::Draft, "申込書を作成", None),
            (
                Some(ApplicationStatus::Draft),
                ApplicationStatus::Submitted,
                "申込（誓約事項に同意済み）",
                None,
            ),
            (
                Some(ApplicationStatus::Submitted),
                ApplicationStatus::Screening,
                "審査プラグインによる自動審査を開始",
                None,
            ),
        ];
        for (from, to, reason, detail) in steps {
            let record = Transition {
                from: from.map(|s| s.as_str()),
                to: to.as_str(),
                actor: &actor,
                reason: Some(reason.to_owned()),
                detail,
                at: now,
            };
            applications::record(&txn, application.id, record).await?;
        }
        let why = match status {
            ApplicationStatus::InReview => "自動審査で確認が必要と判定（担当者の審査待ち）",
            ApplicationStatus::Rejected => "自動審査で不可と判定",
            ApplicationStatus::PartiallyApproved => "自動審査で一部のコンビニについて承認",
            _ => "自動審査で承認",
        };
        let transition = Transition {
            from: Some(ApplicationStatus::Screening.as_str()),
            to: status.as_str(),
            actor: "system",
            reason: Some(why.to_owned()),
            detail: Some(screening_detail(&screening)),
            at: now,
        };
        let application = self
            .settle_application(
                &txn,
                application,
                status,
                transition,
                Some(screening.available_chains()),
            )
            .await?;
        txn.commit().await?;
        tracing::info!(application_id = application.id, status = %status, "application screened");
        Ok(application)
    }

    /// Moves an application to `status` with its transition; on approval,
    /// creates the contract for `approved` chains; appends the event.
    async fn settle_application(
        &self,
        db: &impl ConnectionTrait,
        application: Application,
        status: ApplicationStatus,
        transition: Transition<'_>,
        approved: Option<Vec<Chain>>,
    ) -> Result<Application, ServiceError> {
        let at = transition.at;
        applications::record(db, application.id, transition).await?;
        let organisation_id = application.organisation_id;
        let application = match status {
            ApplicationStatus::Approved | ApplicationStatus::PartiallyApproved => {
                let chains = ChainSet::parse(&approved.unwrap_or_default()).map_err(|_| {
                    ServiceError::Internal(anyhow::anyhow!("approval without chains"))
                })?;
                let contract = super::contracts::create(
                    db,
                    NewContract {
                        organisation_id,
                        plan: Plan::from_name(&application.plan).unwrap_or(Plan::Light),
                        usage: Usage::from_name(&application.usage).unwrap_or(Usage::Standard),
                        chains: chains.clone(),
                        settlement_cycle: SettlementCycle::from_name(&application.settlement_cycle)
                            .unwrap_or(SettlementCycle::MonthEnd),
                        notice_lag: NoticeLag::DEFAULT,
                        fee_schedule: FeeSchedule::sample(),
                    },
                )
                .await?;
                applications::decide(
                    db,
                    application,
                    status.as_str(),
                    Some(chains.to_stored()),
                    Some(contract.id),
                    at,
                )
                .await?
            }
            ApplicationStatus::Rejected => {
                applications::decide(db, application, status.as_str(), None, None, at).await?
            }
            _ => applications::set_status(db, application, status.as_str()).await?,
        };
        let event_type = match status {
            ApplicationStatus::InReview => "application.in_review",
            ApplicationStatus::Withdrawn => "application.withdrawn",
            _ => "application.decided",
        };
        super::events::emit(
            db,
            Some(organisation_id),
            event_type,
            json!({ "applicationId": application.id, "organisationId": organisation_id, "status": status.as_str(), "contractId": application.contract_id }),
            self.clock.now(),
        )
        .await?;
        Ok(application)
    }

    /// An application and its organisation, when the caller may read it.
    pub async fn visible_application(
        &self,
        ctx: &Ctx,
        id: i64,
    ) -> Result<Option<Application>, ServiceError> {
        let Some(application) = applications::find(&self.db, id).await? else {
            return Ok(None);
        };
        let Some(organisation) =
            store::organisations::find(&self.db, application.organisation_id).await?
        else {
            return Ok(None);
        };
        Ok(self
            .may(ctx, scope_of(&organisation), "application", "read")
            .await?
            .then_some(application))
    }

    pub async fn applications_of(
        &self,
        ctx: &Ctx,
        organisation_id: i64,
        page: PageRequest,
    ) -> Result<Page<Application>, ServiceError> {
        let Some(organisation) = self.visible_organisation(ctx, organisation_id).await? else {
            return Err(ServiceError::NotFound);
        };
        self.authorize(ctx, scope_of(&organisation), "application", "read")
            .await?;
        Ok(applications::of_organisation(&self.db, organisation.id, page).await?)
    }

    pub async fn application_transitions(
        &self,
        application_id: i64,
    ) -> Result<Vec<TransitionRow>, ServiceError> {
        Ok(applications::transitions(&self.db, application_id).await?)
    }

    /// Applications waiting for a reviewer.
    pub async fn review_queue(
        &self,
        ctx: &Ctx,
        page: PageRequest,
    ) -> Result<Page<Application>, ServiceError> {
        self.authorize(ctx, Scope::Platform, "application", "review_queue")
            .await?;
        Ok(applications::with_status(&self.db, ApplicationStatus::InReview.as_str(), page).await?)
    }

    /// A reviewer's decision on an application IN_REVIEW, with a reason.
    #[tracing::instrument(skip(self, ctx, decision), fields(application_id = decision.application_id))]
    pub async fn decide_application(
        &self,
        ctx: &Ctx,
        decision: Decision,
    ) -> Result<Application, ServiceError> {
        let principal = ctx.principal()?;
        let application = self
            .visible_application(ctx, decision.application_id)
            .await?
            .ok_or_else(not_found)?;
        self.authorize(ctx, Scope::Platform, "application", "decide")
            .await?;
        if ApplicationStatus::from_name(&application.status) != Some(ApplicationStatus::InReview) {
            return Err(ServiceError::invalid(
                &["input", "applicationId"],
                "APPLICATION_NOT_IN_REVIEW",
                "審査待ちの申込ではないため、判断できません。",
            ));
        }
        let reason = decision.reason.trim();
        if reason.is_empty() {
            return Err(ServiceError::invalid(
                &["input", "reason"],
                "REASON_REQUIRED",
                "判断の理由を入力してください。",
            ));
        }
        let requested =
            ChainSet::from_stored(&application.requested_chains).unwrap_or_else(ChainSet::all);
        let (status, approved) = if decision.approve {
            let screening: Option<Screening> = application
                .screening
                .as_deref()
                .and_then(|s| serde_json::from_str(s).ok());
            let chosen = match decision.chains {
                Some(chains) => chains,
                None => screening
                    .map(|s| s.available_chains())
                    .unwrap_or_else(|| requested.chains().to_vec()),
            };
            if chosen.is_empty() {
                return Err(ServiceError::invalid(
                    &["input", "chains"],
                    "CHAINS_REQUIRED",
                    "承認するコンビニを1つ以上指定してください。",
                ));
            }
            if chosen.iter().any(|c| !requested.chains().contains(c)) {
                return Err(ServiceError::invalid(
                    &["input", "chains"],
                    "CHAIN_NOT_REQUESTED",
                    "申込にないコンビニは承認できません。",
                ));
            }
            let chosen = ChainSet::parse(&chosen).map_err(|r| {
                ServiceError::Invalid(vec![UserError::from_rule(&["input", "chains"], r)])
            })?;
            let status = if chosen.chains().len() == requested.chains().len() {
                ApplicationStatus::Approved
            } else {
                ApplicationStatus::PartiallyApproved
            };
            (status, Some(chosen.chains().to_vec()))
        } else {
            (ApplicationStatus::Rejected, None)
        };
        let actor = principal.subject.casbin_name();
        let txn = crate::store::write(&self.db).await?;
        // Only one decision wins: the status moves only if it is still IN_REVIEW.
        if !applications::claim(
            &txn,
            application.id,
            ApplicationStatus::InReview.as_str(),
            status.as_str(),
        )
        .await?
        {
            return Err(ServiceError::invalid(
                &["input", "applicationId"],
                "APPLICATION_NOT_IN_REVIEW",
                "審査待ちの申込ではないため、判断できません。",
            ));
        }
        let transition = Transition {
            from: Some(ApplicationStatus::InReview.as_str()),
            to: status.as_str(),
            actor: &actor,
            reason: Some(reason.to_owned()),
            detail: None,
            at: Utc::now(),
        };
        let decided = self
            .settle_application(&txn, application, status, transition, approved)
            .await?;
        txn.commit().await?;
        tracing::info!(status = %status, "application decided by a reviewer");
        Ok(decided)
    }

    /// Withdraws an application before a decision.
    pub async fn withdraw_application(
        &self,
        ctx: &Ctx,
        application_id: i64,
        reason: Option<String>,
    ) -> Result<Application, ServiceError> {
        let principal = ctx.principal()?;
        let application = self
            .visible_application(ctx, application_id)
            .await?
            .ok_or_else(not_found)?;
        let organisation = store::organisations::find(&self.db, application.organisation_id)
            .await?
            .ok_or_else(not_found)?;
        self.authorize(ctx, scope_of(&organisation), "application", "withdraw")
            .await?;
        let status = ApplicationStatus::from_name(&application.status);
        if !status.is_some_and(ApplicationStatus::is_open) {
            return Err(ServiceError::invalid(
                &["input", "applicationId"],
                "APPLICATION_ALREADY_DECIDED",
                "判断済みの申込は取り下げできません。",
            ));
        }
        let actor = principal.subject.casbin_name();
        let from = application.status.clone();
        let txn = crate::store::write(&self.db).await?;
        if !applications::claim(
            &txn,
            application.id,
            &from,
            ApplicationStatus::Withdrawn.as_str(),
        )
        .await?
        {
            return Err(ServiceError::invalid(
                &["input", "applicationId"],
                "APPLICATION_ALREADY_DECIDED",
                "判断済みの申込は取り下げできません。",
            ));
        }
        let transition = Transition {
            from: Some(&from),
            to: ApplicationStatus::Withdrawn.as_str(),
            actor: &actor,
            reason: Some(
                reason
                    .filter(|r| !r.trim().is_empty())
                    .unwrap_or_else(|| "申込者による取り下げ".into()),
            ),
            detail: None,
            at: Utc::now(),
        };
        let withdrawn = self
            .settle_application(
                &txn,
                application,
                ApplicationStatus::Withdrawn,
                transition,
                None,
            )
            .await?;
        txn.commit().await?;
        Ok(withdrawn)
    }
}
