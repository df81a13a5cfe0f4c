//! Stock per branch: the rules of the movement ledger HQ keeps for every branch and product.
//!
//! Stock is an append-only ledger of movements; on hand is their sum and is never edited: a
//! correction is a new movement. Quantities are [`Qty`] (thousandths of the selling unit: a piece
//! is 1000, a weighed product's quantity is in grams, as the scale label gives it). Costs are fen
//! per selling unit (a piece, a kilogram), averaged per branch and product as goods are received.
//!
//! What is decided here, with no I/O: which way each kind of movement may go ([`check`]), how
//! much of an order a delivery may bring ([`check_receipt`]) and what may arrive of a transfer
//! ([`check_arrival`]), the moving average cost ([`average_cost`]) and what a quantity is worth
//! at it ([`value_at`]), a count line's variance when goods sold while it was counted ([`variance`]), the order that
//! brings a shelf below its minimum back up to its maximum in whole packs ([`reorder`]), and how
//! many days what is on hand lasts at the recent rate of sale ([`days_of_cover`]).

use serde::{Deserialize, Serialize};

use crate::money::{Money, Qty};

/// Why goods were written off.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WriteOffReason {
    Damage,
    Expiry,
    Theft,
    /// Anything else; the movement's note says what.
    Other,
}

impl WriteOffReason {
    pub const ALL: [WriteOffReason; 4] =
        [WriteOffReason::Damage, WriteOffReason::Expiry, WriteOffReason::Theft, WriteOffReason::Other];

    pub fn code(self) -> &'static str {
        match self {
            WriteOffReason::Damage => "damage",
            WriteOffReason::Expiry => "expiry",
            WriteOffReason::Theft => "theft",
            WriteOffReason::Other => "other",
        }
    }

    pub fn parse(code: &str) -> Option<WriteOffReason> {
        WriteOffReason::ALL.into_iter().find(|r| r.code() == code)
    }
}

/// What moved stock.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MovementKind {
    /// A till sold it (HQ writes it when it ingests the sale, dated when the sale was made).
    Sale,
    /// A customer brought it back (a refund's line, dated when the refund was made).
    Return,
    /// A delivery from a supplier.
    Receipt,
    /// Sent to another branch: it sits in transit until received there.
    TransferOut,
    /// Received from another branch.
    TransferIn,
    /// A posted count's difference between what was counted and what the ledger expected.
    CountAdjustment,
    /// Damaged, expired, stolen: gone without a sale.
    WriteOff,
}

impl MovementKind {
    pub const ALL: [MovementKind; 7] = [
        MovementKind::Sale,
        MovementKind::Return,
        MovementKind::Receipt,
        MovementKind::TransferOut,
        MovementKind::TransferIn,
        MovementKind::CountAdjustment,
        MovementKind::WriteOff,
    ];

    pub fn code(self) -> &'static str {
        match self {
            MovementKind::Sale => "sale",
            MovementKind::Return => "return",
            MovementKind::Receipt => "receipt",
            MovementKind::TransferOut => "transfer_out",
            MovementKind::TransferIn => "transfer_in",
            MovementKind::CountAdjustment => "count_adjustment",
            MovementKind::WriteOff => "write_off",
        }
    }

    pub fn parse(code: &str) -> Option<MovementKind> {
        MovementKind::ALL.into_iter().find(|k| k.code() == code)
    }

    /// The direction a movement of this kind takes stock: `-1` out, `1` in, `0` either way.
    pub fn direction(self) -> i8 {
        match self {
            MovementKind::Sale | MovementKind::TransferOut | MovementKind::WriteOff => -1,
            MovementKind::Return | MovementKind::Receipt | MovementKind::TransferIn => 1,
            MovementKind::CountAdjustment => 0,
        }
    }
}

/// Why a movement cannot be written.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum StockError {
    #[error("a {kind} moves nothing: the quantity is zero")]
    Zero { kind: &'static str },
    #[error("a {kind} takes stock out: its quantity must be negative, not {qty}")]
    MustBeOut { kind: &'static str, qty: String },
    #[error("a {kind} brings stock in: its quantity must be positive, not {qty}")]
    MustBeIn { kind: &'static str, qty: String },
    #[error("a {what} of {qty} is out of range")]
    OutOfRange { what: &'static str, qty: String },
    #[error("{qty} more is over the order: {ordered} ordered, {received} already received, at most 10% over")]
    OverDelivered { ordered: String, received: String, qty: String },
    #[error("{arrived} arrived of {sent} sent: a transfer cannot bring more than was sent")]
    MoreThanSent { sent: String, arrived: String },
}

/// The largest quantity one movement may carry: ten million units (or tonnes of a weighed good).
pub const MAX_MOVEMENT: Qty = Qty(10_000_000_000);

/// Whether a movement of `kind` may carry the signed quantity `qty` (negative takes stock out).
/// A sale of a negative quantity (a till's line with a minus sign is a return) and a return of
/// a positive one are the tills' business: HQ signs them by kind before they get here.
pub fn check(kind: MovementKind, qty: Qty) -> Result<(), StockError> {
    if qty.0 == 0 {
        return Err(StockError::Zero { kind: kind.code() });
    }
    if qty.0.unsigned_abs() > MAX_MOVEMENT.0.unsigned_abs() {
        return Err(StockError::OutOfRange { what: kind.code(), qty: qty.display() });
    }
    match kind.direction() {
        -1 if qty.0 > 0 => Err(StockError::MustBeOut { kind: kind.code(), qty: qty.display() }),
        1 if qty.0 < 0 => Err(StockError::MustBeIn { kind: kind.code(), qty: qty.display() }),
        _ => Ok(()),
    }
}

/// How much more than ordered a delivery may bring before it is refused: 10 %.
pub const OVER_DELIVERY_BP: i64 = 1000;

/// Whether `qty` more of an order line that asked for `ordered` (of which `received` already
/// arrived) may be received: above zero, and in all not more than the order plus
/// [`OVER_DELIVERY_BP`].
pub fn check_receipt(ordered: Qty, received: Qty, qty: Qty) -> Result<(), StockError> {
    check(MovementKind::Receipt, qty)?;
    let most = i128::from(ordered.0) * i128::from(10_000 + OVER_DELIVERY_BP) / 10_000;
    if i128::from(received.0) + i128::from(qty.0) > most {
        return Err(StockError::OverDelivered {
            ordered: ordered.display(),
            received: received.display(),
            qty: qty.display(),
        });
    }
    Ok(())
}

/// Whether what arrived of a transfer line that sent `sent` adds up: neither part below zero, and
/// together not more than was sent (what is missing is short).
pub fn check_arrival(sent: Qty, received: Qty, damaged: Qty) -> Result<Qty, StockError> {
    if received.0 < 0 || damaged.0 < 0 {
        return Err(StockError::OutOfRange { what: "arrival", qty: Qty(received.0.min(damaged.0)).display() });
    }
    let arrived = received.0.saturating_add(damaged.0);
    if arrived > sent.0 {
        return Err(StockError::MoreThanSent { sent: sent.display(), arrived: Qty(arrived).display() });
    }
    Ok(Qty(sent.0 - arrived))
}

/// `a * b / c` rounded half away from zero, in 128 bits (no overflow for any `i64` inputs
/// whose result fits); `None` when `c` is zero or the result does not fit.
fn mul_div_round(a: i64, b: i64, c: i64) -> Option<i64> {
    if c == 0 {
        return None;
    }
    let n = i128::from(a) * i128::from(b);
    let c = i128::from(c);
    let half = c.abs() / 2;
    let q = if (n < 0) == (c < 0) { (n.abs() + half) / c.abs() } else { -((n.abs() + half) / c.abs()) };
    i64::try_from(q).ok()
}

/// What `qty` is worth at `unit_cost` (fen per selling unit), rounded half up to the fen.
pub fn value_at(qty: Qty, unit_cost: Money) -> Money {
    Money(mul_div_round(qty.0, unit_cost.0, 1000).unwrap_or(if (qty.0 < 0) == (unit_cost.0 < 0) {
        i64::MAX
    } else {
        i64::MIN
    }))
}

/// The moving average cost after receiving `received` at `unit_cost` onto `on_hand` that was
/// carried at `average` (all costs fen per selling unit, rounded half up).
///
/// Stock that is not there carries no cost: when nothing (or less than nothing, after sales HQ
/// heard of before the delivery) is on hand, the delivery's cost is the new average.
pub fn average_cost(on_hand: Qty, average: Money, received: Qty, unit_cost: Money) -> Money {
    if on_hand.0 <= 0 || received.0 <= 0 {
        return if received.0 > 0 { unit_cost } else { average };
    }
    let held = i128::from(on_hand.0) * i128::from(average.0);
    let added = i128::from(received.0) * i128::from(unit_cost.0);
    let qty = i128::from(on_hand.0) + i128::from(received.0);
    let avg = (held + added + qty / 2) / qty;
    Money(i64::try_from(avg).unwrap_or(unit_cost.0))
}

/// A count line's variance: what was counted less what the ledger expected when it was counted.
///
/// `snapshot` is on hand when the count began; `moved_since` is the sum of the movements dated
/// between the snapshot and the moment this line was counted (sales during the count, and a sale
/// from a till that was offline, which HQ dates when it was made, not when it arrives). The
/// expected figure is therefore what was on the shelf at the moment the counter looked at it.
pub fn variance(snapshot: Qty, moved_since: Qty, counted: Qty) -> Qty {
    Qty(counted.0 - (snapshot.0 + moved_since.0))
}

/// The quantity to order for a shelf below its minimum: up to `max`, in whole packs of `pack`
/// (rounded up, so the shelf reaches its maximum; a supplier ships whole packs). `None` when
/// on hand is at or above `min`, or the settings make no sense (`max` below `min`, an empty
/// pack).
pub fn reorder(on_hand: Qty, min: Qty, max: Qty, pack: Qty) -> Option<Qty> {
    if on_hand.0 >= min.0 || max.0 < min.0 || pack.0 <= 0 {
        return None;
    }
    let short = max.0 - on_hand.0;
    if short <= 0 {
        return None;
    }
    let packs = (short + pack.0 - 1) / pack.0;
    Some(Qty(packs * pack.0))
}

/// How many whole days what is on hand lasts at the rate sold over the last `days` days.
/// `None` when nothing sold in that time (cover is unbounded) or `days` is zero; zero when
/// nothing (or less) is on hand.
pub fn days_of_cover(on_hand: Qty, sold: Qty, days: u32) -> Option<i64> {
    if sold.0 <= 0 || days == 0 {
        return None;
    }
    if on_hand.0 <= 0 {
        return Some(0);
    }
    Some(i64::try_from(i128::from(on_hand.0) * i128::from(days) / i128::from(sold.0)).unwrap_or(i64::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn each_kind_goes_its_way() {
        assert_eq!(check(MovementKind::Sale, Qty(-2000)), Ok(()));
        assert!(matches!(check(MovementKind::Sale, Qty(2000)), Err(StockError::MustBeOut { .. })));
        assert!(matches!(check(MovementKind::Receipt, Qty(-1)), Err(StockError::MustBeIn { .. })));
        assert!(matches!(check(MovementKind::WriteOff, Qty(5)), Err(StockError::MustBeOut { .. })));
        assert_eq!(check(MovementKind::CountAdjustment, Qty(-532)), Ok(()));
        assert_eq!(check(MovementKind::CountAdjustment, Qty(532)), Ok(()));
        assert!(matches!(check(MovementKind::TransferIn, Qty(0)), Err(StockError::Zero { .. })));
        assert!(matches!(check(MovementKind::Receipt, Qty(MAX_MOVEMENT.0 + 1)), Err(StockError::OutOfRange { .. })));
        assert_eq!(
            check(MovementKind::Receipt, Qty(-3000)).expect_err("refused").to_string(),
            "a receipt brings stock in: its quantity must be positive, not -3"
        );
        for k in MovementKind::ALL {
            assert_eq!(MovementKind::parse(k.code()), Some(k));
        }
        for r in WriteOffReason::ALL {
            assert_eq!(WriteOffReason::parse(r.code()), Some(r));
        }
        assert_eq!(MovementKind::parse("gift"), None);
    }

    /// 10 at ¥3.00 on hand, 20 received at ¥3.60: (30.00 + 72.00) / 30 = ¥3.40.
    #[test]
    fn the_average_cost_moves_with_each_delivery() {
        assert_eq!(average_cost(Qty::pieces(10), Money(300), Qty::pieces(20), Money(360)), Money(340));
        // 3 at ¥1.00 and 1 at ¥1.01: 4.01 / 4 = 1.0025 → ¥1.00 (half up to the fen).
        assert_eq!(average_cost(Qty::pieces(3), Money(100), Qty::pieces(1), Money(101)), Money(100));
        // 1 at ¥1.00 and 1 at ¥1.01: 1.005 → ¥1.01.
        assert_eq!(average_cost(Qty::pieces(1), Money(100), Qty::pieces(1), Money(101)), Money(101));
        // Weighed: 2.5 kg at ¥20.00/kg and 0.532 kg at ¥24.00/kg → (50.00 + 12.768) / 3.032 = ¥20.70.
        assert_eq!(average_cost(Qty(2500), Money(2000), Qty(532), Money(2400)), Money(2070));
        // Nothing (or less) on hand: the delivery's cost.
        assert_eq!(average_cost(Qty(0), Money(300), Qty::pieces(5), Money(410)), Money(410));
        assert_eq!(average_cost(Qty::pieces(-2), Money(300), Qty::pieces(5), Money(410)), Money(410));
    }

    #[test]
    fn a_quantity_is_worth_its_cost() {
        assert_eq!(value_at(Qty::pieces(12), Money(340)), Money(4080));
        // 0.532 kg at ¥24.00/kg = ¥12.768 → ¥12.77; negative stock is a negative value.
        assert_eq!(value_at(Qty(532), Money(2400)), Money(1277));
        assert_eq!(value_at(Qty(-532), Money(2400)), Money(-1277));
        assert_eq!(value_at(Qty(i64::MAX), Money(i64::MAX)), Money(i64::MAX));
    }

    /// The shelf held 20 when the count began; 3 sold before the counter reached it and 1 after;
    /// 16 counted: the counter saw 17 expected, so one is missing. The sale after the line was
    /// counted is not the counter's business.
    #[test]
    fn a_sale_during_the_count_is_not_a_variance() {
        let snapshot = Qty::pieces(20);
        let before_line = Qty::pieces(-3);
        assert_eq!(variance(snapshot, before_line, Qty::pieces(17)), Qty(0));
        assert_eq!(variance(snapshot, before_line, Qty::pieces(16)), Qty::pieces(-1));
        assert_eq!(variance(snapshot, Qty(0), Qty::pieces(21)), Qty::pieces(1));
    }

    #[test]
    fn a_shelf_below_its_minimum_is_ordered_up_to_its_maximum_in_whole_packs() {
        // 3 on hand, min 5, max 24, packs of 6: short 21 → 4 packs = 24.
        assert_eq!(reorder(Qty::pieces(3), Qty::pieces(5), Qty::pieces(24), Qty::pieces(6)), Some(Qty::pieces(24)));
        assert_eq!(reorder(Qty::pieces(5), Qty::pieces(5), Qty::pieces(24), Qty::pieces(6)), None);
        // Oversold by 2: short 26 → 5 packs.
        assert_eq!(reorder(Qty::pieces(-2), Qty::pieces(5), Qty::pieces(24), Qty::pieces(6)), Some(Qty::pieces(30)));
        assert_eq!(reorder(Qty(0), Qty::pieces(5), Qty::pieces(4), Qty::pieces(1)), None, "max below min");
        assert_eq!(reorder(Qty(0), Qty::pieces(5), Qty::pieces(9), Qty(0)), None, "no pack");
    }

    /// 24 ordered: 20 and then 6 arrive (26, within 10 % over: 26.4); 1 more is refused.
    #[test]
    fn a_delivery_may_bring_at_most_a_tenth_over_the_order() {
        assert_eq!(check_receipt(Qty::pieces(24), Qty(0), Qty::pieces(20)), Ok(()));
        assert_eq!(check_receipt(Qty::pieces(24), Qty::pieces(20), Qty::pieces(6)), Ok(()));
        assert!(matches!(
            check_receipt(Qty::pieces(24), Qty::pieces(26), Qty::pieces(1)),
            Err(StockError::OverDelivered { .. })
        ));
        assert!(matches!(check_receipt(Qty::pieces(24), Qty(0), Qty::pieces(-1)), Err(StockError::MustBeIn { .. })));
    }

    #[test]
    fn what_arrives_of_a_transfer_is_at_most_what_was_sent() {
        assert_eq!(check_arrival(Qty::pieces(10), Qty::pieces(8), Qty::pieces(1)), Ok(Qty::pieces(1)));
        assert_eq!(check_arrival(Qty::pieces(10), Qty::pieces(10), Qty(0)), Ok(Qty(0)));
        assert!(matches!(
            check_arrival(Qty::pieces(10), Qty::pieces(10), Qty(1)),
            Err(StockError::MoreThanSent { .. })
        ));
        assert!(matches!(check_arrival(Qty::pieces(10), Qty(-1), Qty(0)), Err(StockError::OutOfRange { .. })));
    }

    #[test]
    fn cover_is_on_hand_over_the_recent_rate() {
        // 30 sold in 7 days, 45 on hand: 10.5 days → 10.
        assert_eq!(days_of_cover(Qty::pieces(45), Qty::pieces(30), 7), Some(10));
        assert_eq!(days_of_cover(Qty::pieces(45), Qty(0), 7), None);
        assert_eq!(days_of_cover(Qty::pieces(-1), Qty::pieces(3), 7), Some(0));
    }

    proptest! {
        #[test]
        fn the_average_lies_between_the_two_costs(
            on_hand in 1i64..1_000_000_000,
            avg in 0i64..10_000_000,
            received in 1i64..1_000_000_000,
            cost in 0i64..10_000_000,
        ) {
            let a = average_cost(Qty(on_hand), Money(avg), Qty(received), Money(cost)).0;
            prop_assert!(a >= avg.min(cost) && a <= avg.max(cost));
        }

        #[test]
        fn a_reorder_reaches_the_maximum_within_one_pack(
            on_hand in -1_000_000i64..1_000_000,
            min in 0i64..1_000_000,
            extra in 0i64..1_000_000,
            pack in 1i64..100_000,
        ) {
            let max = min + extra;
            match reorder(Qty(on_hand), Qty(min), Qty(max), Qty(pack)) {
                Some(q) => {
                    prop_assert!(on_hand < min);
                    prop_assert_eq!(q.0 % pack, 0);
                    prop_assert!(on_hand + q.0 >= max && on_hand + q.0 < max + pack);
                }
                None => prop_assert!(on_hand >= min || max <= on_hand),
            }
        }
    }
}
