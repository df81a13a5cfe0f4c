//! Tillpoint's domain: the business rules of `spec/domain.md` as pure code.
//!
//! Nothing here does I/O, spawns, sleeps or reads a clock, except that [`ids`] makes UUIDv7s from the
//! system time. Money, points and tax are integers ([`money`]); floats are denied by lint.
//!
//! A newcomer's map:
//! - [`money`], [`tax`]: amounts, quantities, rates, rounding; VAT per rate group;
//! - [`catalog`]: products, barcodes and their check digits, scale labels, member cards;
//! - [`pricing`]: the line pipeline, order discounts, cash rounding;
//! - [`promotions`]: the promotions engine (layers 1–3, choosing, allocations) and what a return pays back;
//! - [`sale`]: a sale from lines to a completed record, tenders, refunds and voids;
//!   [`payment_code`]: a WeChat Pay or Alipay payment code told from a product barcode;
//! - [`tiers`], [`points`], [`stored_value`], [`policy`], [`ledger`], [`member`]: the member side;
//!   [`member_code`]: the rotating code the member pages show and the till scans;
//! - [`shift`]: cash, the blind count, X and Z reports, day end;
//! - [`receipt`]: the receipt document and its text layout;
//! - [`branch`], [`staff`]: what HQ tells tills about the shop and its people;
//! - [`analysis`]: RFM segments and the 80/20 curve of members' spend; [`plans`]: targets split
//!   into months, a period's target, pace and ranking; [`care`]: birthdays in the coming days, care
//!   messages and who may be sent one;
//! - [`analysis`]: RFM segments and the 80/20 curve of members' spend;
//! - [`expenses`]: a branch's expenses by month and subject, and the arithmetic of its P&L;
//! - [`stock`]: a branch's stock as a ledger of movements: which way each goes, the moving
//!   average cost, a count's variance with sales during it, reorder to maximum, days of cover;
//! - [`till_stock`]: what a till pulls of its branch's on hand and open counts, and sends of a count;
//! - [`payment`]: a payment code's payment between the till and HQ's gateway (attempts,
//!   their states, refunds);
//! - [`complaints`]: a complaint a till takes (categories, the body it sends, the texts' bounds);
//! - [`sync`]: the till ↔ HQ messages; [`ids`]: identifiers; [`lang`]: zh-CN and English.
#![deny(clippy::float_arithmetic, clippy::float_cmp, clippy::cast_precision_loss)]

pub mod analysis;
pub mod branch;
pub mod card_data;
pub mod care;
pub mod catalog;
pub mod complaints;
pub mod expenses;
pub mod ids;
pub mod lang;
pub mod ledger;
pub mod limits;
pub mod member;
pub mod member_code;
pub mod money;
pub mod payment;
pub mod payment_code;
pub mod plans;
pub mod points;
pub mod policy;
pub mod pricing;
pub mod promotions;
pub mod receipt;
pub mod sale;
pub mod shift;
pub mod staff;
pub mod stock;
pub mod stored_value;
pub mod sync;
pub mod tax;
pub mod tiers;
pub mod till_stock;

pub use money::{Bp, Money, Qty};
