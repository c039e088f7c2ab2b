//! From what a plugin returned to the domain's step results.

use super::{PluginFailure, wit};
use crate::domain::screening::{Reason, StepDecision, StepResult};

fn reason(r: wit::Reason) -> Reason {
    Reason {
        code: r.code,
        message: r.message,
        detail: r.detail,
    }
}

fn chain_name(chain: wit::Chain) -> &'static str {
    match chain {
        wit::Chain::Lawson => "LAWSON",
        wit::Chain::Ministop => "MINISTOP",
        wit::Chain::Familymart => "FAMILYMART",
    }
}

pub fn decision(d: wit::Decision) -> StepDecision {
    StepDecision {
        verdict: match d.verdict {
            wit::Verdict::Allow => "ALLOW",
            wit::Verdict::Review => "REVIEW",
            wit::Verdict::Block => "BLOCK",
        }
        .to_owned(),
        reasons: d.reasons.into_iter().map(reason).collect(),
        excluded_chains: d
            .excluded_chains
            .into_iter()
            .map(|e| {
                (
                    chain_name(e.chain).to_owned(),
                    e.reasons.into_iter().map(reason).collect(),
                )
            })
            .collect(),
    }
}

/// The step result of a failed call: REVIEW with the failure as its reason.
pub fn failure(plugin_id: i64, plugin: &str, version: &str, failure: &PluginFailure) -> StepResult {
    let mut reason = Reason::new(
        failure.code(),
        "審査プラグインが正常に終了しなかったため、担当者が確認します。",
    );
    reason.detail = Some(failure.to_string());
    StepResult::failed(plugin_id, plugin, version, reason)
}
