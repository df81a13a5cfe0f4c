//! What the app makes of the engine's answer to a command: the snapshot taken, what is said to
//! the cashier (an error in their language, an outcome), and the screen that follows.

use super::*;
use crate::engine::CodeRefundState;

impl App {
    pub(super) fn reply(&mut self, reply: Reply) {
        self.pending = self.pending.saturating_sub(1);
        let lines_before = self.snap.cart.as_ref().map_or(0, |c| c.lines.len());
        self.snap = reply.snapshot;
        // A payment by code answered: waiting again only if the answer says so.
        if reply.result.is_ok()
            && matches!(
                reply.command,
                Command::PayByCode { .. } | Command::PollCodePayment | Command::CancelCodePayment
            )
        {
            self.code_wait = None;
        }
        // A new line is picked; a picked line that went is not.
        let lines = self.snap.cart.as_ref().map_or(0, |c| c.lines.len());
        if lines > lines_before || self.selected.is_some_and(|s| s >= lines) {
            self.selected = None;
        }
        match reply.result {
            Err(e) => {
                // The engine's own detail is English: it is shown only in English.
                let detail = if let Some(figure) = &e.figure {
                    format!("{} {figure}", e.kind.text(self.lang))
                } else if matches!(e.kind, ErrorKind::Other | ErrorKind::HqRefused | ErrorKind::Invalid)
                    && self.lang == Lang::En
                {
                    format!("{}: {}", e.kind.text(self.lang), e.detail)
                } else if e.kind == ErrorKind::LockedOut && !e.detail.is_empty() {
                    format!("{} ({} {})", e.kind.text(self.lang), self.t(T::LockedUntil), e.detail)
                } else {
                    e.kind.text(self.lang).to_owned()
                };
                self.say(Tone::Bad, detail);
            }
            Ok(Outcome::CodeWaiting { provider, amount, masked }) => self.code_waiting(provider, amount, masked),
            Ok(Outcome::CardNotPaid { message }) => {
                self.say(Tone::Bad, format!("{}: {message}", self.t(T::CardNotPaid)));
            }
            Ok(Outcome::CardUnknown { message }) => {
                self.say(Tone::Bad, format!("{} ({message})", self.t(T::CardUnknown)));
            }
            Ok(Outcome::CodeNotPaid { provider, cancelled, message }) => {
                self.code_not_paid(provider, cancelled, &message)
            }
            Ok(Outcome::Recovered(list, returns)) => self.payments_recovered(list, returns),
            Ok(Outcome::PartPaid { outstanding }) => {
                self.say(Tone::Info, format!("{} {outstanding}", self.t(T::PartPaid)));
            }
            Ok(Outcome::Completed(done)) => {
                self.status = None;
                self.coupon_choices.clear();
                self.last_receipt = Some(done.receipt.clone());
                self.done = Some(*done);
                self.screen = Screen::Sale(Prompt::Scan);
            }
            Ok(Outcome::X(r)) => self.screen = Screen::XReport(r),
            Ok(Outcome::Z(z)) => self.screen = Screen::ZReport(Box::new(z.report), z.number),
            Ok(Outcome::Scanned(ScanOutcomeKind::Receipt(r))) => self.send(Command::StartReturn(r)),
            Ok(Outcome::Return(ctx)) => self.screen = Screen::Return(ctx),
            Ok(Outcome::Refunded { receipt, paid_back, back_to }) => {
                let mut said = format!("{} {paid_back}", self.t(T::Refunded));
                for (to, amount, number) in back_to {
                    let label = if to == super::BackTo::Card { T::CardRef } else { T::RefundNo };
                    said.push_str(&format!(" · {} {amount} {} {number}", self.back_to_name(to), self.t(label)));
                }
                self.say(Tone::Good, said);
                self.last_receipt = Some(*receipt);
            }
            Ok(Outcome::Held(list)) => self.screen = Screen::Held(list),
            Ok(Outcome::MemberCoupons(list)) => {
                if list.is_empty() {
                    self.say(Tone::Info, self.t(T::NoCoupons));
                } else {
                    self.say(Tone::Info, self.t(T::PickCoupon));
                }
                self.coupon_choices = list;
                self.coupon_choices_for = self.member_on_sale();
            }
            Ok(Outcome::CouponAdded(name) | Outcome::Scanned(ScanOutcomeKind::Coupon(name))) => {
                self.say(Tone::Good, format!("{} {name}", self.t(T::CouponAdded)));
            }
            Ok(Outcome::StaffName(name)) => self.login_name = name,
            Ok(Outcome::ComplaintForm(form)) => self.complaint_form(*form),
            Ok(Outcome::ComplaintQueued(q)) => self.complaint_queued(q.waiting),
            Ok(Outcome::Counts(list)) => self.counts_listed(list),
            Ok(Outcome::Count(view)) => self.count_shown(*view),
            Ok(Outcome::CountItem(item)) => self.count_item(*item),
            // One product found is added at once; several are listed to pick from.
            Ok(Outcome::Found { query, hits }) => match hits.as_slice() {
                [] => self.say(Tone::Bad, format!("{} \"{query}\"", self.t(T::NothingFound))),
                [one] => self.send(Command::AddProduct(one.id)),
                _ => self.screen = Screen::Search(hits),
            },
            Ok(Outcome::DayEnded(d)) => {
                let lines = vec![
                    format!("{}: {}", self.t(T::SalesCount), d.sales_count),
                    format!("{}: {}", self.t(T::Net), d.net),
                    format!("{}: {}", self.t(T::Expected), d.expected),
                    format!("{}: {}", self.t(T::Counted), d.counted),
                    format!("{}: {}", self.t(T::OverShort), d.over_short),
                ];
                self.screen = Screen::Info(T::DayEndTitle, lines);
            }
            Ok(Outcome::Printed(r)) => {
                self.say(Tone::Good, self.t(T::Reprinted));
                self.last_receipt = Some(*r);
            }
            Ok(Outcome::Rejected(list, complaints, open)) => {
                let mut lines = vec![format!(
                    "{} · {} {} · {} {}",
                    if self.sync.online { self.t(T::Online) } else { self.t(T::Offline) },
                    self.sync.pending_events,
                    self.t(T::Waiting),
                    self.sync.complaints_waiting,
                    self.t(T::ComplaintsWaiting)
                )];
                if list.is_empty() && complaints.is_empty() {
                    lines.push(self.t(T::NoRejected).to_owned());
                }
                lines.extend(list.into_iter().map(|(what, why)| format!("{what}: {why}")));
                let refused = self.t(T::ComplaintRefused);
                lines.extend(
                    complaints.into_iter().map(|c| format!("{refused} {} 「{}」: {}", c.category, c.text, c.reason)),
                );
                if !open.is_empty() {
                    // The returns waiting on their refunds, each part where it stands; Enter asks
                    // again.
                    lines.push(self.t(T::OpenReturnsHint).to_owned());
                    for (ret, parts) in open {
                        let mut line =
                            format!("{} {} {}", self.t(T::OpenReturn), ret.refund.receipt_no, ret.refund.total);
                        for p in parts.iter().filter(|p| {
                            !(p.state == CodeRefundState::Failed && p.failure_code.as_deref() == Some("seq_taken"))
                        }) {
                            line.push_str(&format!(
                                " · {} {} {}{}",
                                self.tender_name(p.kind),
                                p.amount,
                                self.t(match p.state {
                                    CodeRefundState::Refunded => T::PartRefunded,
                                    CodeRefundState::Pending => T::PartPending,
                                    CodeRefundState::Failed => T::PartRefused,
                                    CodeRefundState::Sending => T::PartWaiting,
                                }),
                                p.message.as_ref().map(|m| format!(" ({m})")).unwrap_or_default()
                            ));
                        }
                        lines.push(line);
                    }
                }
                self.screen = Screen::Info(T::SyncTitle, lines);
            }
            Ok(Outcome::ReturnsRetried(returns)) => {
                if returns.is_empty() {
                    self.say(Tone::Good, self.t(T::NoOpenReturns));
                } else {
                    self.returns_settled(T::OpenReturnsTitle, Vec::new(), returns);
                }
            }
            Ok(Outcome::Scanned(_)) | Ok(Outcome::Done) => match &reply.command {
                Command::Login { .. } if self.back_office => {
                    if self.snap.staff.as_ref().is_some_and(|s| s.can_approve()) {
                        self.screen = Screen::Menu;
                    } else {
                        self.back_office = false;
                        self.send(Command::Logout);
                        self.say(Tone::Bad, ErrorKind::ApprovalRequired.text(self.lang));
                    }
                }
                Command::UnlockStaff { login, .. } => self.say(Tone::Good, format!("{} {login}", self.t(T::Unlocked))),
                // Hold and void confirm; the next action clears the line.
                Command::Hold => self.say(Tone::Good, self.t(T::Held)),
                Command::VoidCart { .. } => self.say(Tone::Good, self.t(T::Voided)),
                _ => {}
            },
        }
        // The member's coupons listed are for the sale and member they were listed for: another
        // sale (voided, held, completed) or another member, and they are gone.
        if !self.coupon_choices.is_empty() && self.member_on_sale() != self.coupon_choices_for {
            self.coupon_choices.clear();
        }
        // The last sale's change stays up until the next sale has its first line.
        if self.snap.cart.as_ref().is_some_and(|c| !c.lines.is_empty()) {
            self.done = None;
        }
        // The screen follows the engine's state.
        self.screen = match (&self.screen, &self.snap) {
            (Screen::ZReport(..) | Screen::Info(..) | Screen::SetupHq | Screen::SetupDevices, _) => self.screen.clone(),
            // A locked till has no staff to show, but it is the same cashier's: their PIN only.
            (_, s) if s.locked => Screen::Locked,
            // Nobody signed in: the login screen (a manager's F1 stays chosen while they sign in).
            (_, s) if s.staff.is_none() => {
                if self.screen != Screen::Login {
                    self.back_office = false;
                }
                Screen::Login
            }
            // A manager in the back office stays there; without a shift nothing else is open.
            (Screen::Login | Screen::Locked | Screen::OpenShift, s) if s.shift.is_none() && self.back_office => {
                Screen::Menu
            }
            (_, s) if s.shift.is_none() && self.back_office => self.screen.clone(),
            (_, s) if s.shift.is_none() => {
                if self.screen != Screen::OpenShift {
                    self.count = [0; Denomination::ALL.len()];
                    self.count_field = 0;
                }
                Screen::OpenShift
            }
            (Screen::Login | Screen::Locked | Screen::OpenShift, _) => Screen::Sale(Prompt::Scan),
            _ => self.screen.clone(),
        };
    }
}
