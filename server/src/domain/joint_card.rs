//! The joint card (Q12, Q13, Q20): an organisation's own member card with
//! payment-number data printed on it, reviewed by the platform and the chains.
//!
//! REQUESTED → GUIDE_SENT → DESIGN_SUBMITTED → UNDER_REVIEW → STORES_NOTIFIED
//! → ACTIVE, or REJECTED from any state before ACTIVE.

use super::{RuleViolation, named_values};

named_values! {
    JointCardStatus {
        Requested = "REQUESTED",
        GuideSent = "GUIDE_SENT",
        DesignSubmitted = "DESIGN_SUBMITTED",
        UnderReview = "UNDER_REVIEW",
        StoresNotified = "STORES_NOTIFIED",
        Active = "ACTIVE",
        Rejected = "REJECTED",
    }
}

named_values! {
    JointCardAction {
        /// The platform sends the guide for making the card (reviewer).
        SendGuide = "SEND_GUIDE",
        /// The organisation submits its card design (organisation admin).
        SubmitDesign = "SUBMIT_DESIGN",
        /// The platform and the chains start reviewing the card (reviewer).
        StartReview = "START_REVIEW",
        /// The review passed and the stores are told about the card (reviewer).
        NotifyStores = "NOTIFY_STORES",
        /// The card is usable at the stores (reviewer).
        Activate = "ACTIVATE",
        /// The card is refused (reviewer).
        Reject = "REJECT",
    }
}

/// Who takes an action.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Party {
    Organisation,
    Reviewer,
}

impl JointCardAction {
    pub fn party(self) -> Party {
        match self {
            JointCardAction::SubmitDesign => Party::Organisation,
            _ => Party::Reviewer,
        }
    }
}

impl JointCardStatus {
    /// The status after `action`, or why it cannot be taken now.
    pub fn after(self, action: JointCardAction) -> Result<JointCardStatus, RuleViolation> {
        use JointCardAction as A;
        use JointCardStatus as S;
        let next = match (self, action) {
            (S::Requested, A::SendGuide) => S::GuideSent,
            (S::GuideSent, A::SubmitDesign) => S::DesignSubmitted,
            (S::DesignSubmitted, A::StartReview) => S::UnderReview,
            (S::UnderReview, A::NotifyStores) => S::StoresNotified,
            (S::StoresNotified, A::Activate) => S::Active,
            (
                S::Requested
                | S::GuideSent
                | S::DesignSubmitted
                | S::UnderReview
                | S::StoresNotified,
                A::Reject,
            ) => S::Rejected,
            _ => {
                return Err(RuleViolation::new(
                    "INVALID_JOINT_CARD_TRANSITION",
                    format!(
                        "ジョイントカードが{}の状態では、この操作はできません。",
                        self.as_str()
                    ),
                ));
            }
        };
        Ok(next)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use JointCardAction as A;
    use JointCardStatus as S;

    #[test]
    fn the_happy_path_reaches_active() {
        let mut status = S::Requested;
        for action in [
            A::SendGuide,
            A::SubmitDesign,
            A::StartReview,
            A::NotifyStores,
            A::Activate,
        ] {
            status = status.after(action).expect("allowed");
        }
        assert_eq!(status, S::Active);
    }

    #[test]
    fn steps_cannot_be_skipped_and_ends_are_final() {
        assert!(S::Requested.after(A::Activate).is_err());
        assert!(S::GuideSent.after(A::StartReview).is_err());
        assert!(S::Active.after(A::Reject).is_err());
        assert!(S::Rejected.after(A::SendGuide).is_err());
        for status in [
            S::Requested,
            S::GuideSent,
            S::DesignSubmitted,
            S::UnderReview,
            S::StoresNotified,
        ] {
            assert_eq!(status.after(A::Reject), Ok(S::Rejected));
        }
        assert_eq!(A::SubmitDesign.party(), Party::Organisation);
        assert_eq!(A::Activate.party(), Party::Reviewer);
    }
}
