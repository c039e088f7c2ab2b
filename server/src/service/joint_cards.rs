//! Joint cards (Q12, Q13, Q20): requested by an approved organisation,
//! moved along by the organisation (its design) and by reviewers.

use serde_json::json;

use super::{Ctx, ServiceError, Services, organisations::scope_of};
use crate::{
    authz::Scope,
    domain::{
        contract::ContractStatus,
        joint_card::{JointCardAction, JointCardStatus, Party},
    },
    store::{
        self, PageRequest,
        entity::{joint_card::Model as JointCard, joint_card_transition::Model as Transition},
    },
};

fn not_found() -> ServiceError {
    ServiceError::invalid(
        &["input", "jointCardId"],
        "JOINT_CARD_NOT_FOUND",
        "指定されたジョイントカードが見つかりません。",
    )
}

impl Services {
    /// An organisation with an active contract asks for a joint card.
    pub async fn request_joint_card(
        &self,
        ctx: &Ctx,
        organisation_id: i64,
    ) -> Result<JointCard, ServiceError> {
        let principal = ctx.principal()?;
        let Some(organisation) = self.visible_organisation(ctx, organisation_id).await? else {
            return Err(ServiceError::invalid(
                &["input", "organisationId"],
                "ORGANISATION_NOT_FOUND",
                "指定された組織が見つかりません。",
            ));
        };
        self.authorize(ctx, scope_of(&organisation), "joint_card", "request")
            .await?;
        let contracts = store::contracts::of_organisation(
            &self.db,
            organisation.id,
            PageRequest::new(None, Some(100)),
        )
        .await?;
        if !contracts
            .items
            .iter()
            .any(|c| c.status == ContractStatus::Active.as_str())
        {
            return Err(ServiceError::invalid(
                &["input", "organisationId"],
                "NO_ACTIVE_CONTRACT",
                "ジョイントカードは利用承認済みの組織のみ申し込めます。",
            ));
        }
        let open = store::joint_cards::of_organisation(&self.db, organisation.id)
            .await?
            .into_iter()
            .any(|c| {
                c.status != JointCardStatus::Rejected.as_str()
                    && c.status != JointCardStatus::Active.as_str()
            });
        if open {
            return Err(ServiceError::invalid(
                &["input", "organisationId"],
                "JOINT_CARD_IN_PROGRESS",
                "手続き中のジョイントカードがあります。",
            ));
        }
        let actor = principal.subject.casbin_name();
        let txn = crate::store::write(&self.db).await?;
        let card =
            store::joint_cards::insert(&txn, organisation.id, JointCardStatus::Requested.as_str())
                .await?;
        store::joint_cards::record(
            &txn,
            card.id,
            None,
            JointCardStatus::Requested.as_str(),
            &actor,
            Some("ジョイントカードの申込".into()),
        )
        .await?;
        super::events::emit(
            &txn,
            Some(organisation.id),
            "joint_card.status_changed",
            json!({ "jointCardId": card.id, "organisationId": organisation.id, "status": card.status }),
            self.clock.now(),
        )
        .await?;
        txn.commit().await?;
        Ok(card)
    }

    pub async fn visible_joint_card(
        &self,
        ctx: &Ctx,
        id: i64,
    ) -> Result<Option<JointCard>, ServiceError> {
        let Some(card) = store::joint_cards::find(&self.db, id).await? else {
            return Ok(None);
        };
        let Some(organisation) = store::organisations::find(&self.db, card.organisation_id).await?
        else {
            return Ok(None);
        };
        Ok(self
            .may(ctx, scope_of(&organisation), "joint_card", "read")
            .await?
            .then_some(card))
    }

    pub async fn joint_cards_of(
        &self,
        ctx: &Ctx,
        organisation_id: i64,
    ) -> Result<Vec<JointCard>, ServiceError> {
        let Some(organisation) = self.visible_organisation(ctx, organisation_id).await? else {
            return Err(ServiceError::NotFound);
        };
        self.authorize(ctx, scope_of(&organisation), "joint_card", "read")
            .await?;
        Ok(store::joint_cards::of_organisation(&self.db, organisation.id).await?)
    }

    pub async fn joint_card_transitions(
        &self,
        card_id: i64,
    ) -> Result<Vec<Transition>, ServiceError> {
        Ok(store::joint_cards::transitions(&self.db, card_id).await?)
    }

    /// Takes one step of the card's state machine; the organisation submits
    /// its design, reviewers do the rest. Each step is recorded and emitted.
    #[tracing::instrument(skip(self, ctx, reason))]
    pub async fn advance_joint_card(
        &self,
        ctx: &Ctx,
        card_id: i64,
        action: JointCardAction,
        reason: Option<String>,
    ) -> Result<JointCard, ServiceError> {
        let principal = ctx.principal()?;
        let card = self
            .visible_joint_card(ctx, card_id)
            .await?
            .ok_or_else(not_found)?;
        let organisation = store::organisations::find(&self.db, card.organisation_id)
            .await?
            .ok_or_else(not_found)?;
        match action.party() {
            Party::Organisation => {
                self.authorize(ctx, scope_of(&organisation), "joint_card", "submit_design")
                    .await?
            }
            Party::Reviewer => {
                self.authorize(ctx, Scope::Platform, "joint_card", "review")
                    .await?
            }
        }
        let current = JointCardStatus::from_name(&card.status).ok_or_else(|| {
            ServiceError::Internal(anyhow::anyhow!("joint card {} in unknown status", card.id))
        })?;
        let next = current.after(action).map_err(|rule| {
            ServiceError::Invalid(vec![super::UserError::from_rule(
                &["input", "action"],
                rule,
            )])
        })?;
        let reason = reason
            .map(|r| r.trim().to_owned())
            .filter(|r| !r.is_empty());
        if action == JointCardAction::Reject && reason.is_none() {
            return Err(ServiceError::invalid(
                &["input", "reason"],
                "REASON_REQUIRED",
                "却下の理由を入力してください。",
            ));
        }
        let actor = principal.subject.casbin_name();
        let txn = crate::store::write(&self.db).await?;
        if !store::joint_cards::claim(&txn, card.id, current.as_str(), next.as_str()).await? {
            return Err(ServiceError::invalid(
                &["input", "action"],
                "INVALID_JOINT_CARD_TRANSITION",
                "ジョイントカードの状態が変わりました。もう一度お試しください。",
            ));
        }
        let updated = store::joint_cards::find(&txn, card.id)
            .await?
            .ok_or_else(not_found)?;
        store::joint_cards::record(
            &txn,
            card.id,
            Some(current.as_str()),
            next.as_str(),
            &actor,
            reason,
        )
        .await?;
        super::events::emit(
            &txn,
            Some(organisation.id),
            "joint_card.status_changed",
            json!({ "jointCardId": card.id, "organisationId": organisation.id, "from": current.as_str(), "status": next.as_str() }),
            self.clock.now(),
        )
        .await?;
        txn.commit().await?;
        Ok(updated)
    }
}
