//! Screening outcomes: what each pipeline step said, and what they add up to.
//!
//! The rules (DOMAIN.md, "Onboarding"): any `block` rejects; otherwise any
//! `review` or plugin failure sends the subject to a person (fail closed);
//! otherwise the chains no step excluded are approved, all of them
//! (APPROVED) or some (PARTIALLY_APPROVED). No chain left rejects.

use serde::{Deserialize, Serialize};

use super::{contract::Chain, named_values};

named_values! {
    Verdict { Allow = "ALLOW", Review = "REVIEW", Block = "BLOCK" }
}

named_values! {
    ApplicationStatus {
        Draft = "DRAFT",
        Submitted = "SUBMITTED",
        Screening = "SCREENING",
        InReview = "IN_REVIEW",
        Approved = "APPROVED",
        PartiallyApproved = "PARTIALLY_APPROVED",
        Rejected = "REJECTED",
        Withdrawn = "WITHDRAWN",
    }
}

impl ApplicationStatus {
    /// Whether the application still waits for a decision (and so may be withdrawn).
    pub fn is_open(self) -> bool {
        matches!(
            self,
            ApplicationStatus::Draft
                | ApplicationStatus::Submitted
                | ApplicationStatus::Screening
                | ApplicationStatus::InReview
        )
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reason {
    pub code: String,
    pub message: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

impl Reason {
    pub fn new(code: &str, message: &str) -> Self {
        Self {
            code: code.to_owned(),
            message: message.to_owned(),
            detail: None,
        }
    }
}

/// What one plugin said of one subject.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StepDecision {
    pub verdict: String,
    pub reasons: Vec<Reason>,
    /// Chain name → why it is excluded.
    pub excluded_chains: Vec<(String, Vec<Reason>)>,
}

/// One step of a pipeline run: which plugin, and its decision or failure.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StepResult {
    pub plugin_id: i64,
    pub plugin: String,
    pub version: String,
    pub decision: StepDecision,
    /// Set when the plugin failed (trap, budget, bad output); the decision is
    /// then REVIEW with this reason.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure: Option<Reason>,
    #[serde(default)]
    pub fuel_used: u64,
}

impl StepResult {
    pub fn verdict(&self) -> Verdict {
        Verdict::from_name(&self.decision.verdict).unwrap_or(Verdict::Review)
    }

    /// A failed step: REVIEW, never a silent allow.
    pub fn failed(plugin_id: i64, plugin: &str, version: &str, failure: Reason) -> Self {
        Self {
            plugin_id,
            plugin: plugin.to_owned(),
            version: version.to_owned(),
            decision: StepDecision {
                verdict: Verdict::Review.as_str().to_owned(),
                reasons: vec![failure.clone()],
                excluded_chains: Vec::new(),
            },
            failure: Some(failure),
            fuel_used: 0,
        }
    }
}

/// The verdict for one chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChainOutcome {
    pub chain: String,
    pub verdict: String,
    pub reasons: Vec<Reason>,
}

/// A whole pipeline's answer for one subject.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Screening {
    pub verdict: String,
    pub reasons: Vec<Reason>,
    pub chain_outcomes: Vec<ChainOutcome>,
    pub steps: Vec<StepResult>,
}

impl Screening {
    /// Adds up the steps for a subject that asked for `requested` chains.
    pub fn combine(requested: &[Chain], steps: Vec<StepResult>) -> Self {
        let verdict = steps
            .iter()
            .map(StepResult::verdict)
            .max()
            .unwrap_or(Verdict::Allow);
        let reasons: Vec<Reason> = steps
            .iter()
            .filter(|s| s.verdict() != Verdict::Allow)
            .flat_map(|s| s.decision.reasons.iter().cloned())
            .collect();
        let chain_outcomes = requested
            .iter()
            .map(|chain| {
                let exclusions: Vec<Reason> = steps
                    .iter()
                    .flat_map(|s| s.decision.excluded_chains.iter())
                    .filter(|(name, _)| name == chain.as_str())
                    .flat_map(|(_, reasons)| reasons.iter().cloned())
                    .collect();
                let chain_verdict = if exclusions.is_empty() {
                    verdict
                } else {
                    Verdict::Block
                };
                ChainOutcome {
                    chain: chain.as_str().to_owned(),
                    verdict: chain_verdict.as_str().to_owned(),
                    reasons: exclusions,
                }
            })
            .collect();
        Self {
            verdict: verdict.as_str().to_owned(),
            reasons,
            chain_outcomes,
            steps,
        }
    }

    pub fn verdict(&self) -> Verdict {
        Verdict::from_name(&self.verdict).unwrap_or(Verdict::Review)
    }

    /// Chains no step excluded.
    pub fn available_chains(&self) -> Vec<Chain> {
        self.chain_outcomes
            .iter()
            .filter(|o| o.reasons.is_empty())
            .filter_map(|o| Chain::from_name(&o.chain))
            .collect()
    }

    /// Where an application goes after this screening.
    pub fn application_status(&self) -> ApplicationStatus {
        match self.verdict() {
            Verdict::Block => ApplicationStatus::Rejected,
            Verdict::Review => ApplicationStatus::InReview,
            Verdict::Allow => {
                let available = self.available_chains().len();
                if available == 0 {
                    ApplicationStatus::Rejected
                } else if available < self.chain_outcomes.len() {
                    ApplicationStatus::PartiallyApproved
                } else {
                    ApplicationStatus::Approved
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn step(verdict: Verdict, excluded: &[Chain]) -> StepResult {
        StepResult {
            plugin_id: 1,
            plugin: "p".into(),
            version: "1.0.0".into(),
            decision: StepDecision {
                verdict: verdict.as_str().into(),
                reasons: vec![Reason::new("R", "理由")],
                excluded_chains: excluded
                    .iter()
                    .map(|c| (c.as_str().to_owned(), vec![Reason::new("X", "除外")]))
                    .collect(),
            },
            failure: None,
            fuel_used: 0,
        }
    }

    const ALL: [Chain; 3] = [Chain::Lawson, Chain::Ministop, Chain::FamilyMart];

    #[test]
    fn the_worst_verdict_wins_and_chains_narrow() {
        let approved = Screening::combine(
            &ALL,
            vec![step(Verdict::Allow, &[]), step(Verdict::Allow, &[])],
        );
        assert_eq!(approved.application_status(), ApplicationStatus::Approved);
        assert!(approved.reasons.is_empty());

        let partial = Screening::combine(&ALL, vec![step(Verdict::Allow, &[Chain::FamilyMart])]);
        assert_eq!(
            partial.application_status(),
            ApplicationStatus::PartiallyApproved
        );
        assert_eq!(
            partial.available_chains(),
            vec![Chain::Lawson, Chain::Ministop]
        );

        let none_left = Screening::combine(
            &[Chain::FamilyMart],
            vec![step(Verdict::Allow, &[Chain::FamilyMart])],
        );
        assert_eq!(none_left.application_status(), ApplicationStatus::Rejected);

        let review = Screening::combine(
            &ALL,
            vec![step(Verdict::Allow, &[]), step(Verdict::Review, &[])],
        );
        assert_eq!(review.application_status(), ApplicationStatus::InReview);

        let blocked = Screening::combine(
            &ALL,
            vec![step(Verdict::Review, &[]), step(Verdict::Block, &[])],
        );
        assert_eq!(blocked.application_status(), ApplicationStatus::Rejected);

        let failed = Screening::combine(
            &ALL,
            vec![StepResult::failed(
                1,
                "p",
                "1.0.0",
                Reason::new("PLUGIN_TRAPPED", "x"),
            )],
        );
        assert_eq!(failed.application_status(), ApplicationStatus::InReview);
        assert_eq!(
            Screening::combine(&ALL, vec![]).application_status(),
            ApplicationStatus::Approved
        );
    }
}
