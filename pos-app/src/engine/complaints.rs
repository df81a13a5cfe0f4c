//! Complaints (投诉) taken at the till from the manager's menu. A complaint is checked here as HQ
//! would check it (a category the till pulled, a text within HQ's bounds, a receipt number of the
//! shape HQ keeps, a member the till knows), then kept durably with the request id it will be sent
//! under; the sync task sends it to HQ when it can (`crate::sync`), and a refusal is kept with HQ's
//! reason. Nothing typed is lost: offline it waits, and a retry is recorded once at HQ.

use shared::complaints::{Category, TEXT_MAX, TillComplaint};
use shared::ids::MemberId;
use uuid::Uuid;

use super::{Till, TillError, TillResult};
use crate::store::{ComplaintStatus, StoredComplaint};

/// What the complaint screen offers: the categories, the receipt it is most likely about, and the
/// member on the sale in progress.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ComplaintForm {
    pub categories: Vec<Category>,
    /// This till's newest receipt, if any.
    pub last_receipt: Option<String>,
    /// The member attached to the sale in progress (HQ's id) and how to show them.
    pub member: Option<(MemberId, String)>,
}

/// A complaint as the manager typed it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ComplaintDraft {
    pub category: i64,
    /// Blank: none.
    pub receipt_no: Option<String>,
    pub member: Option<MemberId>,
    pub text: String,
}

/// A complaint kept for HQ.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QueuedComplaint {
    pub request_id: Uuid,
    pub category: String,
    /// Complaints waiting to be sent, this one included.
    pub waiting: u64,
}

/// A complaint HQ refused, as the manager's list shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RejectedComplaint {
    pub category: String,
    /// The first characters of what was written.
    pub text: String,
    pub reason: String,
}

impl Till {
    /// What the complaint screen needs (a signed-in staff member only).
    pub fn complaint_form(&self) -> TillResult<ComplaintForm> {
        self.cashier()?;
        let member = self.cart().and_then(|c| c.member.as_ref()).and_then(|m| m.snapshot.as_ref()).map(|s| {
            let who = if s.name.is_empty() { s.code.to_string() } else { format!("{} {}", s.name, s.code) };
            (s.id, who)
        });
        Ok(ComplaintForm {
            categories: self.store.complaint_categories()?,
            last_receipt: self.store.last_receipt_no()?,
            member,
        })
    }

    /// Checks a complaint and keeps it for HQ, on disk before this returns. Refused (nothing
    /// written): no one signed in, a category the till does not offer, a blank text or one longer
    /// than HQ takes, a receipt number that is not one, a member the till does not know.
    pub fn record_complaint(&mut self, draft: &ComplaintDraft) -> TillResult<QueuedComplaint> {
        let staff = self.cashier()?.id;
        let category = self
            .store
            .complaint_categories()?
            .into_iter()
            .find(|c| c.id == draft.category)
            .ok_or_else(|| TillError::Invalid(format!("category: this till has no category {}", draft.category)))?;
        let text = shared::complaints::text("text", &draft.text, TEXT_MAX).map_err(TillError::Invalid)?;
        let receipt_no = match draft.receipt_no.as_deref().map(str::trim).filter(|r| !r.is_empty()) {
            None => None,
            Some(r) => Some(shared::complaints::receipt_no(r).map_err(TillError::Invalid)?),
        };
        if let Some(m) = draft.member {
            let on_sale = self
                .cart()
                .and_then(|c| c.member.as_ref())
                .and_then(|cm| cm.snapshot.as_ref())
                .is_some_and(|s| s.id == m);
            if !on_sale && self.store.cached_member_by_id(&m.to_string())?.is_none() {
                return Err(TillError::MemberNotFound);
            }
        }
        let body = TillComplaint {
            request_id: Uuid::now_v7(),
            member_id: draft.member,
            receipt_no,
            category_id: Some(category.id),
            text,
        };
        let at = self.now();
        self.store.queue_complaint(&body, &category.name, staff, at)?;
        tracing::info!(request = %body.request_id, category = category.id, "complaint kept for HQ");
        Ok(QueuedComplaint {
            request_id: body.request_id,
            category: category.name,
            waiting: self.store.pending_complaint_count()?,
        })
    }

    /// Every complaint taken at this till, oldest first, with where it stands.
    pub fn complaints(&self, limit: usize) -> TillResult<Vec<StoredComplaint>> {
        Ok(self.store.all_complaints(limit)?)
    }

    /// The newest complaints HQ refused, with its reasons, for the manager.
    pub fn rejected_complaints(&self, limit: usize) -> TillResult<Vec<RejectedComplaint>> {
        Ok(self
            .store
            .rejected_complaints(limit)?
            .into_iter()
            .map(|c| RejectedComplaint {
                category: c.category_name,
                text: c.body.text.chars().take(20).collect(),
                reason: match c.status {
                    ComplaintStatus::Rejected(why) => why,
                    ComplaintStatus::Pending | ComplaintStatus::Sent { .. } => String::new(),
                },
            })
            .collect())
    }

    /// How many complaints wait to be sent to HQ.
    pub fn complaints_waiting(&self) -> TillResult<u64> {
        Ok(self.store.pending_complaint_count()?)
    }
}
