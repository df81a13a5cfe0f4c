//! The till engine on a thread of its own, so the UI thread never waits for SQLite, a printer
//! or HQ. The UI sends [`Command`]s; each answer comes back as a [`Reply`] carrying the outcome and
//! a fresh [`Snapshot`] of what the screens show.

use std::sync::mpsc;
use std::thread;

use shared::lang::Lang;
use shared::member::MemberIdentifier;
use shared::money::{Money, Qty};
use shared::receipt::Receipt;
use shared::shift::{CashCount, ShiftReport};
use shared::staff::{ApprovalAction, StaffMember};
use tokio::sync::mpsc as tokio_mpsc;

use crate::engine::{
    CartView, CodePayment, CodeRefund, CodeReturn, ComplaintDraft, ComplaintForm, CountChoice, CountItem, CountView,
    Enrolment, HeldSale, Paid, Payment, ProductHit, QueuedComplaint, RejectedComplaint, ReturnContext, ScanOutcome,
    ShiftRow, ZReport,
};
use crate::{Till, TillError};
use shared::receipt::ReceiptNo;
use shared::sale::{ReturnPick, TenderKind};
use shared::shift::DaySummary;

/// What the UI asks of the engine.
#[derive(Clone, Debug)]
pub enum Command {
    Refresh,
    SetLanguage(Lang),
    Login {
        login: String,
        pin: String,
    },
    Logout,
    Lock,
    Unlock {
        pin: String,
    },
    OpenShift(CashCount),
    /// A code from the scanner or a keyboard-wedge burst.
    Scan(String),
    AttachMember(MemberIdentifier),
    DetachMember,
    SetQty {
        line: usize,
        qty: Qty,
    },
    RemoveLine(usize),
    /// A payment: a part payment while the sale is not covered, else the sale completes (the
    /// receipt prints after it is durable). A refused payment is recorded nowhere.
    Pay(Payment),
    /// A WeChat Pay / Alipay payment code scanned on the payment screen: collects `amount` (the
    /// amount typed first) or what is due, through HQ.
    PayByCode {
        code: String,
        amount: Option<Money>,
    },
    /// The card tender on the payment terminal: `amount` (typed first) or what is due; the engine
    /// waits for the customer's card and PIN.
    PayByCard {
        amount: Option<Money>,
    },
    /// Asks HQ where the sale's payment by code stands (while the customer confirms).
    PollCodePayment,
    /// The cashier gives up on the payment by code not settled (HQ cancels it).
    CancelCodePayment,
    /// At start: settles with HQ every payment by code the till did not see settled.
    RecoverPayments,
    /// Asks again about every return waiting on its refunds to the original payment (HQ's gateway
    /// or the card terminal), a refused part of one that moved money under the next number.
    RetryReturns,
    /// Voids the sale in progress, approved by a manager's login and PIN when it has lines.
    VoidCart {
        manager: Option<(String, String)>,
    },
    XReport,
    CloseShift(CashCount),
    /// Finds a sale to return against (its receipt barcode was scanned or typed).
    StartReturn(String),
    /// Returns `picks` of a sale, approved by a manager.
    CompleteReturn {
        receipt: String,
        picks: Vec<ReturnPick>,
        reason: String,
        manager: (String, String),
    },
    Hold,
    HeldSales,
    Recall(String),
    PaidIn {
        amount: Money,
        reason: String,
        manager: (String, String),
    },
    PaidOut {
        amount: Money,
        reason: String,
        manager: (String, String),
    },
    NoSale {
        manager: (String, String),
    },
    /// Closes today's business day: approved by a manager's login and PIN, or by the manager
    /// signed in.
    DayEnd {
        manager: Option<(String, String)>,
    },
    /// Lifts a cashier's lock-out: approved by a manager's login and PIN, or by the manager
    /// signed in.
    UnlockStaff {
        login: String,
        manager: Option<(String, String)>,
    },
    Reprint(String),
    EnrolMember {
        phone: String,
        name: String,
    },
    /// Events HQ refused, for the manager.
    Rejected,
    /// Products by name, pinyin initials, PLU or code.
    Search(String),
    /// Who a login belongs to, for the login screen.
    StaffName(String),
    /// A product picked from a search, one piece (or 1 kg).
    AddProduct(shared::catalog::ProductId),
    /// A coupon by its code (typed, or picked from the member's coupons).
    AddCoupon(String),
    /// Takes a coupon off the sale (its hold is given back).
    RemoveCoupon(String),
    /// The attached member's coupons, from HQ.
    MemberCoupons,
    /// What the complaint screen offers (categories, the last receipt, the member on the sale).
    ComplaintForm,
    /// Keeps a complaint for HQ (the sync task sends it).
    RecordComplaint(ComplaintDraft),
    /// The branch's open counts (count mode).
    OpenCounts,
    /// A count's screen: its last lines here and where they stand.
    CountView(i64),
    /// A code scanned (or typed) in count mode.
    CountScan {
        count: i64,
        code: String,
    },
    /// Counts a scanned item: the typed quantity (empty: one, or the label's).
    CountRecord {
        item: CountItem,
        typed: String,
    },
}

/// What a command did, beyond the new snapshot.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    Done,
    Scanned(ScanOutcomeKind),
    /// A payment taken; `outstanding` is still to pay.
    PartPaid {
        outstanding: Money,
    },
    Completed(Box<SaleDone>),
    /// A payment by code waiting for the customer to confirm (or for HQ to find out): poll, or
    /// cancel. The provider, the amount and the code's mask.
    CodeWaiting {
        provider: shared::payment_code::Provider,
        amount: Money,
        masked: String,
    },
    /// A card payment not taken (declined, or the terminal never did it): the terminal's words.
    CardNotPaid {
        message: String,
    },
    /// The terminal did not answer and a query could not tell: kept, settled at the next start.
    CardUnknown {
        message: String,
    },
    /// A payment by code not taken: the provider's (or HQ's) words; nothing was tendered.
    CodeNotPaid {
        provider: shared::payment_code::Provider,
        cancelled: bool,
        message: String,
    },
    /// What the start-up settling found: each attempt's order number and how it ended
    /// (`Some(true)` paid, its sale completed; `Some(false)` not paid; `None` still open).
    /// What a start settled: payments by code by order number (paid, not paid, or `None`: still
    /// open), and returns waiting on refunds by code by receipt number (done, refused, open).
    Recovered(Vec<(String, Option<bool>)>, Vec<(String, Option<bool>)>),
    X(Box<ShiftReport>),
    Z(Box<ZReport>),
    Return(Box<ReturnContext>),
    Refunded {
        receipt: Box<Receipt>,
        paid_back: Money,
        /// What went back by code (the provider, the amount and the refund number) and to a card
        /// on the terminal (the amount and the refund's terminal reference).
        back_to: Vec<(super::BackTo, Money, String)>,
    },
    Held(Vec<HeldSale>),
    DayEnded(Box<DaySummary>),
    Printed(Box<Receipt>),
    /// HQ's refusals: what and why (events), the complaints HQ refused, and the returns waiting
    /// on their refunds to the original payment (each with its parts).
    Rejected(Vec<(String, String)>, Vec<RejectedComplaint>, Vec<(CodeReturn, Vec<CodeRefund>)>),
    /// The returns asked about again: by receipt number, done, refused or still open.
    ReturnsRetried(Vec<(String, Option<bool>)>),
    /// The name of a login's staff member (`None`: no such login).
    StaffName(Option<String>),
    /// What a search found.
    Found {
        query: String,
        hits: Vec<ProductHit>,
    },
    /// The attached member's coupons to pick from, each with its last day in the branch's time.
    MemberCoupons(Vec<(shared::sync::MemberCoupon, String)>),
    /// A coupon went on the sale (its name).
    CouponAdded(String),
    /// The complaint screen's choices.
    ComplaintForm(Box<ComplaintForm>),
    /// A complaint kept for HQ.
    ComplaintQueued(QueuedComplaint),
    /// The branch's open counts.
    Counts(Vec<CountChoice>),
    /// A count's screen (opened, or after a line was kept).
    Count(Box<CountView>),
    /// The product a count-mode scan named, waiting for its quantity.
    CountItem(Box<CountItem>),
}

/// A completed sale as the payment screen shows it until the next sale starts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SaleDone {
    pub receipt: Receipt,
    pub total: Money,
    /// What each tender took: its kind, what was handed over, and the points it cost.
    pub tenders: Vec<(TenderKind, Money, i64)>,
    pub received: Money,
    pub change: Money,
    pub points: Option<i64>,
}

/// A scan's effect, for the status line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ScanOutcomeKind {
    Added,
    Member,
    Receipt(String),
    /// A coupon code: the coupon's name.
    Coupon(String),
}

/// What the screens show of the engine's state.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Snapshot {
    pub staff: Option<StaffMember>,
    pub locked: bool,
    pub shift: Option<ShiftRow>,
    pub cart: Option<CartView>,
    pub branch_name: String,
    pub till_number: u16,
    /// The branch's cash rounding: what the drawer is counted in.
    pub cash_rounding: shared::pricing::CashRounding,
    /// What a cashier may do alone, and what they confirm first.
    pub cashier_limits: shared::branch::CashierLimits,
    /// The branch's keys for goods without a barcode.
    pub quick_keys: Vec<crate::engine::QuickKeyView>,
    /// A payment terminal takes the card tender (otherwise the cashier types its reference).
    pub card_terminal: bool,
}

/// The engine's answer to one command.
#[derive(Clone, Debug)]
pub struct Reply {
    pub command: Command,
    /// The engine's error, rendered later in the cashier's language.
    pub result: Result<Outcome, ErrorText>,
    pub snapshot: Snapshot,
}

/// An engine error as the UI needs it: the kind (for the translated text) and the detail.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ErrorText {
    pub kind: super::i18n::ErrorKind,
    pub detail: String,
    /// The amount or count the sentence ends with (a balance, what is still due).
    pub figure: Option<String>,
}

impl From<&TillError> for ErrorText {
    fn from(e: &TillError) -> Self {
        let (kind, figure) = super::i18n::ErrorKind::with_figure(e);
        ErrorText { kind, detail: e.to_string(), figure }
    }
}

/// The UI's handle on the engine thread.
#[derive(Clone, Debug)]
pub struct Engine {
    tx: mpsc::Sender<Command>,
}

/// Where the replies arrive (an iced subscription reads it; tests read it directly).
pub type Replies = tokio_mpsc::Receiver<Reply>;

impl Engine {
    /// Moves the till onto its own thread.
    pub fn spawn(till: Till) -> (Engine, Replies) {
        let (tx, rx) = mpsc::channel::<Command>();
        let (reply_tx, reply_rx) = tokio_mpsc::channel(256);
        thread::Builder::new()
            .name("till-engine".into())
            .spawn(move || {
                let mut till = till;
                while let Ok(command) = rx.recv() {
                    let result = run(&mut till, &command).map_err(|e| error_text(&till, &e));
                    let snapshot = snapshot(&till);
                    if reply_tx.blocking_send(Reply { command, result, snapshot }).is_err() {
                        break;
                    }
                }
            })
            .expect("spawn the engine thread");
        (Engine { tx }, reply_rx)
    }

    /// Queues a command; never blocks.
    pub fn send(&self, command: Command) {
        // The engine thread ends only when the UI is gone.
        let _ = self.tx.send(command);
    }
}

fn run(till: &mut Till, command: &Command) -> Result<Outcome, TillError> {
    let done = Ok(Outcome::Done);
    match command {
        Command::Refresh => done,
        Command::SetLanguage(lang) => {
            till.set_language(*lang);
            done
        }
        Command::Login { login, pin } => till.login(login, pin).map(|_| Outcome::Done),
        Command::Logout => {
            till.logout();
            done
        }
        Command::Lock => till.lock().map(|_| Outcome::Done),
        Command::Unlock { pin } => till.unlock(pin).map(|_| Outcome::Done),
        Command::OpenShift(count) => till.open_shift(count.clone()).map(|_| Outcome::Done),
        Command::Scan(code) => till.scan(code).map(|o| {
            Outcome::Scanned(match o {
                ScanOutcome::Added { .. } => ScanOutcomeKind::Added,
                ScanOutcome::MemberAttached(_) => ScanOutcomeKind::Member,
                ScanOutcome::Receipt(r) => ScanOutcomeKind::Receipt(r.to_string()),
                ScanOutcome::Coupon(c) => ScanOutcomeKind::Coupon(c.name),
            })
        }),
        Command::AttachMember(by) => till.attach_member(by.clone()).map(|_| Outcome::Done),
        Command::DetachMember => till.detach_member().map(|_| Outcome::Done),
        Command::SetQty { line, qty } => till.set_qty(*line, *qty).map(|_| Outcome::Done),
        Command::RemoveLine(line) => till.remove_line(*line).map(|_| Outcome::Done),
        Command::Pay(payment) => till.pay(payment).map(paid_outcome),
        Command::PayByCode { code, amount } => till.pay_by_code(code, *amount).map(code_outcome),
        Command::PayByCard { amount } => till.pay_by_card(*amount).map(|out| match out {
            crate::engine::CardPayment::Approved { paid, .. } => paid_outcome(paid),
            crate::engine::CardPayment::NotPaid(a) => Outcome::CardNotPaid {
                message: match (a.failure_code, a.message) {
                    (Some(code), Some(m)) => format!("{m} ({code})"),
                    (_, m) => m.unwrap_or_default(),
                },
            },
            crate::engine::CardPayment::Unknown(a) => Outcome::CardUnknown { message: a.message.unwrap_or_default() },
        }),
        Command::PollCodePayment => till.poll_code_payment().map(|o| o.map_or(Outcome::Done, code_outcome)),
        Command::CancelCodePayment => till.cancel_code_payment().map(|o| o.map_or(Outcome::Done, code_outcome)),
        Command::RecoverPayments => {
            let payments = till.recover_payments()?;
            // Card requests without an answer, queried on the terminal (listed by request id).
            let cards = till.recover_card_payments()?;
            // Returns waiting on refunds by code, under the refund numbers written before.
            let returns = till.resume_code_returns(false)?;
            let mut settled: Vec<(String, Option<bool>)> = payments
                .into_iter()
                .map(|r| {
                    let how = match r.attempt.state {
                        shared::payment::AttemptState::Paid => Some(true),
                        s if s.is_final() => Some(false),
                        _ => None,
                    };
                    (r.attempt.order_no, how)
                })
                .collect();
            settled.extend(cards.into_iter().map(|r| {
                let how = match r.attempt.state {
                    crate::engine::CardState::Approved => Some(true),
                    s if s.is_final() => Some(false),
                    _ => None,
                };
                (r.attempt.request_id, how)
            }));
            Ok(Outcome::Recovered(settled, returns.into_iter().map(|r| (r.receipt_no.to_string(), r.how())).collect()))
        }
        Command::VoidCart { manager } => {
            let approval = match manager {
                Some((login, pin)) => Some(till.approve(ApprovalAction::VoidCart, login, pin)?),
                None => None,
            };
            till.void_sale_in_progress(approval).map(|_| Outcome::Done)
        }
        Command::XReport => till.x_report().map(|r| Outcome::X(Box::new(r))),
        Command::CloseShift(count) => till.close_shift(count.clone()).map(|z| Outcome::Z(Box::new(z))),
        Command::StartReturn(receipt) => {
            till.start_return(&receipt_no(receipt)?).map(|ctx| Outcome::Return(Box::new(ctx)))
        }
        Command::CompleteReturn { receipt, picks, reason, manager } => {
            let ok = till.approve(ApprovalAction::Refund, &manager.0, &manager.1)?;
            let (refund, printed) = till.complete_return(&receipt_no(receipt)?, picks, reason, Some(ok))?;
            let paid_back =
                refund.tenders.iter().filter(|t| t.kind == TenderKind::Cash).map(|t| t.tendered).sum::<Money>()
                    + refund.tenders.iter().filter(|t| t.kind != TenderKind::Cash).map(|t| t.amount).sum::<Money>();
            let back_to = refund
                .tenders
                .iter()
                .filter(|t| t.amount.0 > 0)
                .filter_map(|t| {
                    let to = match t.kind {
                        TenderKind::WechatPay => super::BackTo::Code(shared::payment_code::Provider::Wechat),
                        TenderKind::Alipay => super::BackTo::Code(shared::payment_code::Provider::Alipay),
                        TenderKind::BankCard if t.authorization.as_ref().is_some_and(|a| a.card.is_some()) => {
                            super::BackTo::Card
                        }
                        _ => return None,
                    };
                    Some((to, t.amount, t.reference.clone().unwrap_or_default()))
                })
                .collect();
            Ok(Outcome::Refunded { receipt: Box::new(printed), paid_back, back_to })
        }
        Command::Hold => {
            let label = till.local_now().map(|t| t.strftime("%H:%M").to_string()).unwrap_or_default();
            till.hold_sale(&label).map(|_| Outcome::Done)
        }
        Command::HeldSales => till.held_sales().map(Outcome::Held),
        Command::Recall(id) => till.recall_sale(id).map(|_| Outcome::Done),
        Command::PaidIn { amount, reason, manager } => {
            let ok = till.approve(ApprovalAction::PaidIn, &manager.0, &manager.1)?;
            till.paid_in(*amount, reason, Some(ok)).map(|_| Outcome::Done)
        }
        Command::PaidOut { amount, reason, manager } => {
            let ok = till.approve(ApprovalAction::PaidOut, &manager.0, &manager.1)?;
            till.paid_out(*amount, reason, Some(ok)).map(|_| Outcome::Done)
        }
        Command::NoSale { manager } => {
            let ok = till.approve(ApprovalAction::NoSaleDrawerOpen, &manager.0, &manager.1)?;
            till.no_sale("no sale", Some(ok)).map(|_| Outcome::Done)
        }
        Command::DayEnd { manager } => {
            let ok = match manager {
                Some((login, pin)) => Some(till.approve(ApprovalAction::DayEnd, login, pin)?),
                None => None,
            };
            let day = till.business_day()?;
            till.day_end(day, ok).map(|d| Outcome::DayEnded(Box::new(d)))
        }
        Command::UnlockStaff { login, manager } => {
            let ok = match manager {
                Some((m, pin)) => till.approve(ApprovalAction::UnlockCashier, m, pin)?,
                None => till.own_approval(ApprovalAction::UnlockCashier)?,
            };
            till.unlock_staff(login, ok).map(|_| Outcome::Done)
        }
        Command::Reprint(receipt) => till.reprint(&receipt_no(receipt)?).map(|r| Outcome::Printed(Box::new(r))),
        Command::EnrolMember { phone, name } => {
            let phone = shared::member::Phone::parse(phone).map_err(|e| TillError::Invalid(e.to_string()))?;
            till.enrol_member(Enrolment {
                phone: phone.clone(),
                name: name.clone(),
                birthday: None,
                code: None,
                card_uid: None,
            })?;
            if till.cart().is_some() {
                till.attach_member(MemberIdentifier::Phone(phone))?;
            }
            done
        }
        Command::Search(query) => till.search(query, 30).map(|hits| Outcome::Found { query: query.clone(), hits }),
        Command::StaffName(login) => till.staff_name(login).map(Outcome::StaffName),
        Command::AddProduct(id) => till.add_product(*id, Qty(1_000)).map(|_| Outcome::Done),
        Command::AddCoupon(code) => till.add_coupon(code).map(|c| Outcome::CouponAdded(c.name)),
        Command::RemoveCoupon(code) => till.remove_coupon(code).map(|_| Outcome::Done),
        Command::MemberCoupons => till.member_coupons().map(|list| {
            let zone = till.local_now().ok().map(|now| now.time_zone().clone());
            let day = |at: jiff::Timestamp| match &zone {
                Some(z) => at.to_zoned(z.clone()).strftime("%m-%d").to_string(),
                None => at.strftime("%m-%d").to_string(),
            };
            Outcome::MemberCoupons(
                list.into_iter()
                    .map(|c| {
                        let last = day(c.valid_until);
                        (c, last)
                    })
                    .collect(),
            )
        }),
        Command::Rejected => {
            let rows = till.rejected_events(50)?;
            let events = rows.into_iter().map(|e| (format!("#{} {}", e.seq, e.kind), e.reason)).collect();
            let mut open = Vec::new();
            for ret in till.open_code_returns()? {
                let parts = till.code_refunds_of(&ret.refund.receipt_no)?;
                open.push((ret, parts));
            }
            Ok(Outcome::Rejected(events, till.rejected_complaints(50)?, open))
        }
        Command::RetryReturns => {
            let returns = till.resume_code_returns(true)?;
            Ok(Outcome::ReturnsRetried(returns.into_iter().map(|r| (r.receipt_no.to_string(), r.how())).collect()))
        }
        Command::ComplaintForm => till.complaint_form().map(|f| Outcome::ComplaintForm(Box::new(f))),
        Command::RecordComplaint(draft) => till.record_complaint(draft).map(Outcome::ComplaintQueued),
        Command::OpenCounts => till.open_counts().map(Outcome::Counts),
        Command::CountView(count) => till.count_view(*count).map(|v| Outcome::Count(Box::new(v))),
        Command::CountScan { count, code } => till.count_scan(*count, code).map(|i| Outcome::CountItem(Box::new(i))),
        Command::CountRecord { item, typed } => till.record_count(item, typed).map(|v| Outcome::Count(Box::new(v))),
    }
}

fn paid_outcome(paid: Paid) -> Outcome {
    match paid {
        Paid::Part { outstanding } => Outcome::PartPaid { outstanding },
        Paid::Completed(c) => Outcome::Completed(Box::new(SaleDone {
            total: c.sale.totals.due,
            tenders: c.sale.tenders.iter().map(|t| (t.kind, t.tendered, t.points)).collect(),
            received: c.sale.tenders.iter().map(|t| t.tendered).sum(),
            change: c.sale.change,
            points: c.sale.member.as_ref().map(|m| m.points_earned),
            receipt: c.receipt,
        })),
    }
}

fn code_outcome(outcome: CodePayment) -> Outcome {
    match outcome {
        CodePayment::Paid { paid, .. } => paid_outcome(paid),
        CodePayment::Waiting(a) => {
            Outcome::CodeWaiting { provider: a.provider, amount: a.amount, masked: a.code_masked }
        }
        CodePayment::NotPaid(a) => Outcome::CodeNotPaid {
            provider: a.provider,
            cancelled: a.state == shared::payment::AttemptState::Cancelled,
            message: a.message.unwrap_or_default(),
        },
    }
}

/// An engine error for the UI; a lock-out says until when, in the branch's local time.
fn error_text(till: &Till, e: &TillError) -> ErrorText {
    let mut text = ErrorText::from(e);
    if let TillError::LockedOut { until } = e {
        let local = until.zip(till.local_now().ok()).map(|(u, now)| u.to_zoned(now.time_zone().clone()));
        text.detail = local.map(|u| u.strftime("%H:%M").to_string()).unwrap_or_default();
    }
    text
}

fn receipt_no(s: &str) -> Result<ReceiptNo, TillError> {
    ReceiptNo::parse(s.trim()).map_err(|_| TillError::ReceiptNotFound(s.to_owned()))
}

/// What the screens need, read after every command.
pub fn snapshot(till: &Till) -> Snapshot {
    let branch = till.branch().ok();
    Snapshot {
        staff: till.current_staff().cloned(),
        locked: till.is_locked(),
        shift: till.current_shift().ok().flatten(),
        cart: till.view().ok().flatten(),
        cash_rounding: branch.as_ref().map(|b| b.cash_rounding).unwrap_or_default(),
        cashier_limits: branch.as_ref().map(|b| b.cashier_limits).unwrap_or_default(),
        quick_keys: till.quick_keys().unwrap_or_default(),
        branch_name: branch.map(|b| b.name).unwrap_or_default(),
        till_number: till.identity().number,
        card_terminal: till.has_card_terminal(),
    }
}
