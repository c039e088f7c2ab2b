//! Plugins, pipelines, applications and joint cards.

use async_graphql::{Context, ID, InputObject, Json, Object, Result, SimpleObject};
use chrono::{DateTime, Utc};

use super::{
    Conn, connection,
    enums::{
        ApplicationStatus, Chain, JointCardAction, JointCardStatus, Plan, SettlementCycle, Usage,
        Verdict,
    },
    env,
    errors::{UserError, payload, to_graphql},
    ids::{self, Kind},
    page_request,
    types::{Contract, Organisation, organisation_for},
};
use crate::{
    domain::{contract::ChainSet, screening as domain},
    service::{
        applications::{ApplicationInput, Decision},
        plugins::{StepInput, UploadPlugin},
    },
    store::{
        entity::{application, joint_card, screening_step},
        plugins::PluginMeta,
    },
};

/// An uploaded or built-in screening plugin (a WebAssembly component).
pub struct Plugin(pub PluginMeta);

#[Object]
impl Plugin {
    pub async fn id(&self) -> ID {
        ids::encode(Kind::Plugin, self.0.id)
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    async fn version(&self) -> &str {
        &self.0.version
    }
    /// Hex SHA-256 of the component.
    async fn sha256(&self) -> &str {
        &self.0.sha256
    }
    async fn size_bytes(&self) -> i64 {
        self.0.size_bytes
    }
    /// Shipped with the server.
    async fn builtin(&self) -> bool {
        self.0.builtin
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    /// Set once disabled; a disabled plugin sends its subjects to review.
    async fn disabled_at(&self) -> Option<DateTime<Utc>> {
        self.0.disabled_at
    }
}

/// The budget of a step; null means the host default.
#[derive(SimpleObject)]
pub struct StepLimits {
    pub fuel: Option<i64>,
    pub deadline_ms: Option<i32>,
    pub memory_bytes: Option<i64>,
    pub output_bytes: Option<i64>,
}

/// One step of an owner's screening pipeline.
pub struct PipelineStep(pub screening_step::Model, pub PluginMeta);

#[Object]
impl PipelineStep {
    async fn position(&self) -> i32 {
        self.0.position
    }
    async fn plugin(&self) -> Plugin {
        Plugin(self.1.clone())
    }
    /// The JSON the plugin's `init` receives.
    async fn config(&self) -> Json<serde_json::Value> {
        Json(serde_json::from_str(&self.0.config).unwrap_or(serde_json::Value::Null))
    }
    async fn limits(&self) -> StepLimits {
        StepLimits {
            fuel: self.0.fuel,
            deadline_ms: self.0.deadline_ms,
            memory_bytes: self.0.memory_bytes,
            output_bytes: self.0.output_bytes,
        }
    }
}

#[derive(SimpleObject, Clone)]
pub struct ScreeningReason {
    pub code: String,
    pub message: String,
    pub detail: Option<String>,
}

fn reasons(list: &[domain::Reason]) -> Vec<ScreeningReason> {
    list.iter()
        .map(|r| ScreeningReason {
            code: r.code.clone(),
            message: r.message.clone(),
            detail: r.detail.clone(),
        })
        .collect()
}

#[derive(SimpleObject)]
pub struct ChainOutcome {
    pub chain: Option<Chain>,
    pub verdict: Option<Verdict>,
    pub reasons: Vec<ScreeningReason>,
}

#[derive(SimpleObject)]
pub struct ChainExclusion {
    pub chain: Option<Chain>,
    pub reasons: Vec<ScreeningReason>,
}

/// The plugin version a step ran, as it was then.
#[derive(SimpleObject)]
pub struct PluginRef {
    pub id: ID,
    pub name: String,
    pub version: String,
}

#[derive(SimpleObject)]
pub struct ScreeningStep {
    pub plugin: PluginRef,
    pub verdict: Option<Verdict>,
    pub reasons: Vec<ScreeningReason>,
    pub excluded_chains: Vec<ChainExclusion>,
    /// Set when the plugin failed (trap, budget, bad output): the subject went to review.
    pub failure: Option<ScreeningReason>,
    pub fuel_used: i64,
}

/// Why a subject was decided as it was: the combined verdict, per chain, and per step.
#[derive(SimpleObject)]
pub struct ScreeningResult {
    pub verdict: Option<Verdict>,
    pub reasons: Vec<ScreeningReason>,
    pub chain_outcomes: Vec<ChainOutcome>,
    pub steps: Vec<ScreeningStep>,
}

impl From<domain::Screening> for ScreeningResult {
    fn from(s: domain::Screening) -> Self {
        ScreeningResult {
            verdict: Verdict::from_stored(&s.verdict),
            reasons: reasons(&s.reasons),
            chain_outcomes: s
                .chain_outcomes
                .iter()
                .map(|o| ChainOutcome {
                    chain: Chain::from_stored(&o.chain),
                    verdict: Verdict::from_stored(&o.verdict),
                    reasons: reasons(&o.reasons),
                })
                .collect(),
            steps: s
                .steps
                .iter()
                .map(|step| ScreeningStep {
                    plugin: PluginRef {
                        id: ids::encode(Kind::Plugin, step.plugin_id),
                        name: step.plugin.clone(),
                        version: step.version.clone(),
                    },
                    verdict: Verdict::from_stored(&step.decision.verdict),
                    reasons: reasons(&step.decision.reasons),
                    excluded_chains: step
                        .decision
                        .excluded_chains
                        .iter()
                        .map(|(chain, list)| ChainExclusion {
                            chain: Chain::from_stored(chain),
                            reasons: reasons(list),
                        })
                        .collect(),
                    failure: step
                        .failure
                        .as_ref()
                        .map(|f| reasons(std::slice::from_ref(f)).remove(0)),
                    fuel_used: step.fuel_used.min(i64::MAX as u64) as i64,
                })
                .collect(),
        }
    }
}

/// One change of status: who, when, why, and what screening found.
#[derive(SimpleObject)]
pub struct StatusTransition {
    pub from: Option<String>,
    pub to: String,
    /// `user:<id>` or `system`.
    pub actor: String,
    pub reason: Option<String>,
    /// For screening: the plugin versions, verdicts and reasons behind it.
    pub detail: Option<Json<serde_json::Value>>,
    pub at: DateTime<Utc>,
}

impl From<crate::store::entity::application_transition::Model> for StatusTransition {
    fn from(t: crate::store::entity::application_transition::Model) -> Self {
        StatusTransition {
            from: t.from_status,
            to: t.to_status,
            actor: t.actor,
            reason: t.reason,
            detail: t
                .detail
                .and_then(|d| serde_json::from_str(&d).ok())
                .map(Json),
            at: t.at,
        }
    }
}

impl From<crate::store::entity::joint_card_transition::Model> for StatusTransition {
    fn from(t: crate::store::entity::joint_card_transition::Model) -> Self {
        StatusTransition {
            from: t.from_status,
            to: t.to_status,
            actor: t.actor,
            reason: t.reason,
            detail: None,
            at: t.at,
        }
    }
}

fn chains_of(stored: &str) -> Vec<Chain> {
    ChainSet::from_stored(stored)
        .map(|set| set.chains().iter().map(|c| Chain::from(*c)).collect())
        .unwrap_or_default()
}

/// An onboarding application.
pub struct Application(pub application::Model);

#[Object]
impl Application {
    pub async fn id(&self) -> ID {
        ids::encode(Kind::Application, self.0.id)
    }
    async fn status(&self) -> Option<ApplicationStatus> {
        ApplicationStatus::from_stored(&self.0.status)
    }
    async fn plan(&self) -> Option<Plan> {
        Plan::from_stored(&self.0.plan)
    }
    async fn usage(&self) -> Option<Usage> {
        Usage::from_stored(&self.0.usage)
    }
    async fn requested_chains(&self) -> Vec<Chain> {
        chains_of(&self.0.requested_chains)
    }
    async fn approved_chains(&self) -> Vec<Chain> {
        self.0
            .approved_chains
            .as_deref()
            .map(chains_of)
            .unwrap_or_default()
    }
    async fn categories(&self) -> Vec<String> {
        serde_json::from_str(&self.0.categories).unwrap_or_default()
    }
    async fn merchandise_description(&self) -> &str {
        &self.0.merchandise_description
    }
    async fn other_names(&self) -> Vec<String> {
        serde_json::from_str(&self.0.other_names).unwrap_or_default()
    }
    async fn settlement_cycle(&self) -> Option<SettlementCycle> {
        SettlementCycle::from_stored(&self.0.settlement_cycle)
    }
    async fn printed_on_joint_card(&self) -> bool {
        self.0.printed_on_joint_card
    }
    /// When the applicant affirmed the commitments (anti-social forces, Q16).
    async fn commitments_affirmed_at(&self) -> DateTime<Utc> {
        self.0.commitments_affirmed_at
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    async fn decided_at(&self) -> Option<DateTime<Utc>> {
        self.0.decided_at
    }
    async fn organisation(&self, ctx: &Context<'_>) -> Result<Option<Organisation>> {
        organisation_for(ctx, self.0.organisation_id).await
    }
    /// The contract created on approval.
    async fn contract(&self, ctx: &Context<'_>) -> Result<Option<Contract>> {
        let Some(id) = self.0.contract_id else {
            return Ok(None);
        };
        let (services, caller) = env(ctx)?;
        let found = services
            .visible_contract(caller, id)
            .await
            .map_err(|e| to_graphql(ctx, e))?;
        Ok(found.map(|(c, _)| Contract(c)))
    }
    /// What screening decided, and why.
    async fn screening(&self) -> Option<ScreeningResult> {
        let stored: domain::Screening = serde_json::from_str(self.0.screening.as_deref()?).ok()?;
        Some(stored.into())
    }
    /// Every change of status, oldest first.
    async fn transitions(&self, ctx: &Context<'_>) -> Result<Vec<StatusTransition>> {
        let (services, _) = env(ctx)?;
        let rows = services
            .application_transitions(self.0.id)
            .await
            .map_err(|e| to_graphql(ctx, e))?;
        Ok(rows.into_iter().map(Into::into).collect())
    }
}

/// A joint card: the organisation's own card carrying payment-number data.
pub struct JointCard(pub joint_card::Model);

#[Object]
impl JointCard {
    pub async fn id(&self) -> ID {
        ids::encode(Kind::JointCard, self.0.id)
    }
    async fn status(&self) -> Option<JointCardStatus> {
        JointCardStatus::from_stored(&self.0.status)
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
    async fn organisation(&self, ctx: &Context<'_>) -> Result<Option<Organisation>> {
        organisation_for(ctx, self.0.organisation_id).await
    }
    async fn transitions(&self, ctx: &Context<'_>) -> Result<Vec<StatusTransition>> {
        let (services, _) = env(ctx)?;
        let rows = services
            .joint_card_transitions(self.0.id)
            .await
            .map_err(|e| to_graphql(ctx, e))?;
        Ok(rows.into_iter().map(Into::into).collect())
    }
}

#[derive(Default)]
pub struct ScreeningQuery;

#[Object]
impl ScreeningQuery {
    /// Every plugin: for reviewers and platform admins.
    #[graphql(complexity = "super::page_complexity(first, child_complexity)")]
    async fn plugins(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Conn<Plugin>> {
        let (services, caller) = env(ctx)?;
        let page = services
            .list_plugins(caller, page_request(first, after)?)
            .await
            .map_err(|e| to_graphql(ctx, e))?;
        Ok(connection(page, |p| p.id, Plugin))
    }

    /// An owner's screening pipeline, in order.
    async fn screening_pipeline(
        &self,
        ctx: &Context<'_>,
        owner_id: ID,
    ) -> Result<Vec<PipelineStep>> {
        let (services, caller) = env(ctx)?;
        let owner_id = ids::decode_as(Kind::Organisation, &owner_id).unwrap_or_default();
        let steps = services
            .screening_pipeline(caller, owner_id)
            .await
            .map_err(|e| to_graphql(ctx, e))?;
        Ok(steps.into_iter().map(|(s, p)| PipelineStep(s, p)).collect())
    }

    /// The applications of an organisation.
    #[graphql(complexity = "super::page_complexity(first, child_complexity)")]
    async fn applications(
        &self,
        ctx: &Context<'_>,
        organisation_id: ID,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Conn<Application>> {
        let (services, caller) = env(ctx)?;
        let request = page_request(first, after)?;
        let id = ids::decode_as(Kind::Organisation, &organisation_id).unwrap_or_default();
        let page = services
            .applications_of(caller, id, request)
            .await
            .map_err(|e| to_graphql(ctx, e))?;
        Ok(connection(page, |a| a.id, Application))
    }

    /// Applications IN_REVIEW, oldest first: for compliance reviewers.
    #[graphql(complexity = "super::page_complexity(first, child_complexity)")]
    async fn review_queue(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Conn<Application>> {
        let (services, caller) = env(ctx)?;
        let page = services
            .review_queue(caller, page_request(first, after)?)
            .await
            .map_err(|e| to_graphql(ctx, e))?;
        Ok(connection(page, |a| a.id, Application))
    }

    /// The joint cards of an organisation.
    async fn joint_cards(&self, ctx: &Context<'_>, organisation_id: ID) -> Result<Vec<JointCard>> {
        let (services, caller) = env(ctx)?;
        let id = ids::decode_as(Kind::Organisation, &organisation_id).unwrap_or_default();
        let cards = services
            .joint_cards_of(caller, id)
            .await
            .map_err(|e| to_graphql(ctx, e))?;
        Ok(cards.into_iter().map(JointCard).collect())
    }
}

#[derive(InputObject)]
pub struct UploadPluginInput {
    /// Lower-case letters, digits and hyphens, e.g. `my-rules`.
    pub name: String,
    /// Semantic version, e.g. `1.2.0`; a name and version are uploaded once.
    pub version: String,
    /// The component (wasm32-wasip2, world `shuno:screening/screener`), base64, at most 2 MiB.
    pub wasm_base64: String,
}

#[derive(SimpleObject)]
pub struct PluginPayload {
    pub plugin: Option<Plugin>,
    pub user_errors: Vec<UserError>,
}

#[derive(InputObject)]
pub struct DisablePluginInput {
    pub plugin_id: ID,
}

#[derive(InputObject)]
pub struct PipelineStepInput {
    pub plugin_id: ID,
    /// A JSON object for the plugin's `init`; null or absent for its defaults.
    pub config: Option<Json<serde_json::Value>>,
    pub fuel: Option<i64>,
    pub deadline_ms: Option<i32>,
    pub memory_bytes: Option<i64>,
    pub output_bytes: Option<i64>,
}

#[derive(InputObject)]
pub struct SetScreeningPipelineInput {
    pub owner_id: ID,
    pub steps: Vec<PipelineStepInput>,
}

#[derive(SimpleObject)]
pub struct SetScreeningPipelinePayload {
    pub steps: Option<Vec<PipelineStep>>,
    pub user_errors: Vec<UserError>,
}

#[derive(InputObject)]
pub struct SubmitApplicationInput {
    pub organisation_id: ID,
    pub plan: Plan,
    pub usage: Usage,
    pub chains: Vec<Chain>,
    /// Merchandise category codes.
    pub categories: Vec<String>,
    pub merchandise_description: String,
    /// Trade names or former names to screen besides the organisation's name.
    #[graphql(default)]
    pub other_names: Vec<String>,
    /// The settlement cycle of the contract to create [default: MONTH_END].
    pub settlement_cycle: Option<SettlementCycle>,
    /// REPEAT only: print payment numbers on the organisation's joint card (needs an ACTIVE card).
    #[graphql(default)]
    pub printed_on_joint_card: bool,
    /// The applicant affirms the commitments (exclusion of anti-social forces, Q16). Required.
    pub commitments_affirmed: bool,
}

#[derive(SimpleObject)]
pub struct ApplicationPayload {
    pub application: Option<Application>,
    pub user_errors: Vec<UserError>,
}

#[derive(InputObject)]
pub struct DecideApplicationInput {
    pub application_id: ID,
    pub approve: bool,
    /// On approval, the chains approved; absent: those screening left available.
    pub chains: Option<Vec<Chain>>,
    pub reason: String,
}

#[derive(InputObject)]
pub struct WithdrawApplicationInput {
    pub application_id: ID,
    pub reason: Option<String>,
}

#[derive(InputObject)]
pub struct RequestJointCardInput {
    pub organisation_id: ID,
}

#[derive(InputObject)]
pub struct AdvanceJointCardInput {
    pub joint_card_id: ID,
    pub action: JointCardAction,
    /// Required to reject.
    pub reason: Option<String>,
}

#[derive(SimpleObject)]
pub struct JointCardPayload {
    pub joint_card: Option<JointCard>,
    pub user_errors: Vec<UserError>,
}

#[derive(Default)]
pub struct ScreeningMutation;

#[Object]
impl ScreeningMutation {
    /// Registers a plugin version (reviewers and platform admins).
    async fn upload_plugin(
        &self,
        ctx: &Context<'_>,
        input: UploadPluginInput,
    ) -> Result<PluginPayload> {
        let (services, caller) = env(ctx)?;
        let upload = UploadPlugin {
            name: input.name,
            version: input.version,
            wasm_base64: input.wasm_base64,
        };
        let result = services.upload_plugin(caller, upload).await;
        payload(
            ctx,
            result,
            |p| PluginPayload {
                plugin: Some(Plugin(p)),
                user_errors: vec![],
            },
            |user_errors| PluginPayload {
                plugin: None,
                user_errors,
            },
        )
    }

    /// Stops a plugin from being used.
    async fn disable_plugin(
        &self,
        ctx: &Context<'_>,
        input: DisablePluginInput,
    ) -> Result<PluginPayload> {
        let (services, caller) = env(ctx)?;
        let id = ids::decode_as(Kind::Plugin, &input.plugin_id).unwrap_or_default();
        let result = services.disable_plugin(caller, id).await;
        payload(
            ctx,
            result,
            |p| PluginPayload {
                plugin: Some(Plugin(p)),
                user_errors: vec![],
            },
            |user_errors| PluginPayload {
                plugin: None,
                user_errors,
            },
        )
    }

    /// Replaces an owner's pipeline; each step's config is checked by its plugin first.
    async fn set_screening_pipeline(
        &self,
        ctx: &Context<'_>,
        input: SetScreeningPipelineInput,
    ) -> Result<SetScreeningPipelinePayload> {
        let (services, caller) = env(ctx)?;
        let owner_id = ids::decode_as(Kind::Organisation, &input.owner_id).unwrap_or_default();
        let steps = input
            .steps
            .into_iter()
            .map(|s| StepInput {
                plugin_id: ids::decode_as(Kind::Plugin, &s.plugin_id).unwrap_or_default(),
                config: s.config.map(|c| c.0),
                fuel: s.fuel,
                deadline_ms: s.deadline_ms,
                memory_bytes: s.memory_bytes,
                output_bytes: s.output_bytes,
            })
            .collect();
        let result = services
            .set_screening_pipeline(caller, owner_id, steps)
            .await;
        payload(
            ctx,
            result,
            |steps| SetScreeningPipelinePayload {
                steps: Some(steps.into_iter().map(|(s, p)| PipelineStep(s, p)).collect()),
                user_errors: vec![],
            },
            |user_errors| SetScreeningPipelinePayload {
                steps: None,
                user_errors,
            },
        )
    }

    /// Applies for a contract; screened at once.
    async fn submit_application(
        &self,
        ctx: &Context<'_>,
        input: SubmitApplicationInput,
    ) -> Result<ApplicationPayload> {
        let (services, caller) = env(ctx)?;
        let application = ApplicationInput {
            organisation_id: ids::decode_as(Kind::Organisation, &input.organisation_id)
                .unwrap_or_default(),
            plan: input.plan.into(),
            usage: input.usage.into(),
            chains: input.chains.into_iter().map(Into::into).collect(),
            categories: input.categories,
            merchandise_description: input.merchandise_description,
            other_names: input.other_names,
            settlement_cycle: input.settlement_cycle.map(Into::into),
            printed_on_joint_card: input.printed_on_joint_card,
            commitments_affirmed: input.commitments_affirmed,
        };
        let result = services.submit_application(caller, application).await;
        payload(
            ctx,
            result,
            |a| ApplicationPayload {
                application: Some(Application(a)),
                user_errors: vec![],
            },
            |user_errors| ApplicationPayload {
                application: None,
                user_errors,
            },
        )
    }

    /// A reviewer approves (for some or all requested chains) or rejects, with a reason.
    async fn decide_application(
        &self,
        ctx: &Context<'_>,
        input: DecideApplicationInput,
    ) -> Result<ApplicationPayload> {
        let (services, caller) = env(ctx)?;
        let decision = Decision {
            application_id: ids::decode_as(Kind::Application, &input.application_id)
                .unwrap_or_default(),
            approve: input.approve,
            chains: input
                .chains
                .map(|c| c.into_iter().map(Into::into).collect()),
            reason: input.reason,
        };
        let result = services.decide_application(caller, decision).await;
        payload(
            ctx,
            result,
            |a| ApplicationPayload {
                application: Some(Application(a)),
                user_errors: vec![],
            },
            |user_errors| ApplicationPayload {
                application: None,
                user_errors,
            },
        )
    }

    /// Withdraws an application before it is decided.
    async fn withdraw_application(
        &self,
        ctx: &Context<'_>,
        input: WithdrawApplicationInput,
    ) -> Result<ApplicationPayload> {
        let (services, caller) = env(ctx)?;
        let id = ids::decode_as(Kind::Application, &input.application_id).unwrap_or_default();
        let result = services
            .withdraw_application(caller, id, input.reason)
            .await;
        payload(
            ctx,
            result,
            |a| ApplicationPayload {
                application: Some(Application(a)),
                user_errors: vec![],
            },
            |user_errors| ApplicationPayload {
                application: None,
                user_errors,
            },
        )
    }

    /// Asks for a joint card (organisations with an active contract).
    async fn request_joint_card(
        &self,
        ctx: &Context<'_>,
        input: RequestJointCardInput,
    ) -> Result<JointCardPayload> {
        let (services, caller) = env(ctx)?;
        let id = ids::decode_as(Kind::Organisation, &input.organisation_id).unwrap_or_default();
        let result = services.request_joint_card(caller, id).await;
        payload(
            ctx,
            result,
            |c| JointCardPayload {
                joint_card: Some(JointCard(c)),
                user_errors: vec![],
            },
            |user_errors| JointCardPayload {
                joint_card: None,
                user_errors,
            },
        )
    }

    /// Takes the next step of a joint card.
    async fn advance_joint_card(
        &self,
        ctx: &Context<'_>,
        input: AdvanceJointCardInput,
    ) -> Result<JointCardPayload> {
        let (services, caller) = env(ctx)?;
        let id = ids::decode_as(Kind::JointCard, &input.joint_card_id).unwrap_or_default();
        let result = services
            .advance_joint_card(caller, id, input.action.into(), input.reason)
            .await;
        payload(
            ctx,
            result,
            |c| JointCardPayload {
                joint_card: Some(JointCard(c)),
                user_errors: vec![],
            },
            |user_errors| JointCardPayload {
                joint_card: None,
                user_errors,
            },
        )
    }
}
