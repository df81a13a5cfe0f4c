//! Points: earning per sale, redemption as a tender, lots with expiry, FIFO consumption, and what a
//! refund takes back or restores.

use jiff::ToSpan;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::money::{Bp, Money, div_ceil, div_floor, narrow};

/// What can go wrong computing or spending points.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PointsError {
    #[error("the points figure is too large to compute")]
    Overflow,
    #[error("points to use must be above zero")]
    NotPositive,
    #[error("the balance of {balance} points is below the {minimum} needed before points can be used")]
    BelowMinimumBalance { balance: i64, minimum: i64 },
    #[error("{max} is the most this sale may take in points")]
    ExceedsShare { max: Money },
    #[error("{needed} points are needed but only {available} are available")]
    Insufficient { needed: i64, available: i64 },
    #[error("{amount} is more than the {due} still due")]
    ExceedsDue { amount: Money, due: Money },
}

/// A dated campaign multiplier such as double-points days (both dates inclusive).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Campaign {
    pub name: String,
    pub from: Date,
    pub to: Date,
    pub multiplier: Bp,
}

impl Campaign {
    pub fn is_active(&self, day: Date) -> bool {
        self.from <= day && day <= self.to
    }
}

/// How points are earned.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EarnRules {
    /// Hundredths of a point per yuan: 1 point per yuan = 100.
    pub earn_per_yuan: i64,
    /// The multiplier in the member's birthday month (20000 = 2×); `None` for no birthday bonus.
    pub birthday_multiplier: Option<Bp>,
    pub campaigns: Vec<Campaign>,
}

impl Default for EarnRules {
    fn default() -> Self {
        EarnRules { earn_per_yuan: 100, birthday_multiplier: Some(Bp(20_000)), campaigns: Vec::new() }
    }
}

impl EarnRules {
    /// The promotion multipliers active for a sale on `day` by a member born on `birthday`.
    pub fn promo_multipliers(&self, day: Date, birthday: Option<Date>) -> Vec<Bp> {
        let mut out = Vec::new();
        if let (Some(m), Some(b)) = (self.birthday_multiplier, birthday)
            && b.month() == day.month()
        {
            out.push(m);
        }
        out.extend(self.campaigns.iter().filter(|c| c.is_active(day)).map(|c| c.multiplier));
        out
    }
}

/// `eligible` of domain.md: the points-eligible lines' nets after the order discount, minus what was
/// paid with points on the sale, never below zero.
pub fn eligible_base(points_eligible_net: Money, paid_with_points: Money) -> Money {
    (points_eligible_net - paid_with_points).max(Money::ZERO)
}

/// `floor(eligible * earn_per_yuan/100 * tier/10000 * Π promo/10000 / 100)`, exactly (one floor).
pub fn earned_points(
    eligible: Money,
    earn_per_yuan: i64,
    tier_multiplier: Bp,
    promo_multipliers: &[Bp],
) -> Result<i64, PointsError> {
    if eligible.0 <= 0 || earn_per_yuan <= 0 {
        return Ok(0);
    }
    let mut num = i128::from(eligible.0)
        .checked_mul(i128::from(earn_per_yuan))
        .and_then(|v| v.checked_mul(i128::from(tier_multiplier.0)))
        .ok_or(PointsError::Overflow)?;
    // 100 (earn hundredths) × 10000 (tier bp) × 100 (fen per yuan)
    let mut den: i128 = 100 * 10_000 * 100;
    for m in promo_multipliers {
        num = num.checked_mul(i128::from(m.0)).ok_or(PointsError::Overflow)?;
        den = den.checked_mul(10_000).ok_or(PointsError::Overflow)?;
    }
    narrow(div_floor(num, den)).ok_or(PointsError::Overflow)
}

/// How points pay for a sale.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RedeemRules {
    /// Points worth one yuan (default 100 points = ¥1).
    pub points_per_yuan: i64,
    /// The balance a member needs before any points can be used.
    pub min_balance: i64,
    /// The largest share of the amount due that points may pay (bp; 10000 = all of it).
    pub max_share: Bp,
}

impl Default for RedeemRules {
    fn default() -> Self {
        RedeemRules { points_per_yuan: 100, min_balance: 0, max_share: Bp(10_000) }
    }
}

impl RedeemRules {
    /// Paying `amount` with points costs `ceil(amount * points_per_yuan / 100)` points.
    pub fn cost(&self, amount: Money) -> i64 {
        div_ceil(i128::from(amount.0) * i128::from(self.points_per_yuan), 100) as i64
    }

    /// What `points` can pay: `floor(points * 100 / points_per_yuan)`.
    pub fn value_of(&self, points: i64) -> Money {
        if self.points_per_yuan <= 0 {
            return Money::ZERO;
        }
        Money(div_floor(i128::from(points) * 100, i128::from(self.points_per_yuan)) as i64)
    }

    /// The most a member with `balance` points may pay with points toward `due`.
    pub fn max_amount(&self, balance: i64, due: Money) -> Money {
        if balance <= 0 || balance < self.min_balance || due.0 <= 0 {
            return Money::ZERO;
        }
        let by_share = Money(div_floor(i128::from(due.0) * i128::from(self.max_share.0), 10_000) as i64);
        self.value_of(balance).min(by_share).min(due)
    }

    /// Checks a redemption of `amount` toward `due` and returns its cost in points.
    pub fn check(&self, amount: Money, balance: i64, due: Money) -> Result<i64, PointsError> {
        if amount.0 <= 0 {
            return Err(PointsError::NotPositive);
        }
        if amount > due {
            return Err(PointsError::ExceedsDue { amount, due });
        }
        if balance < self.min_balance || balance <= 0 {
            return Err(PointsError::BelowMinimumBalance { balance, minimum: self.min_balance.max(1) });
        }
        let by_share = Money(div_floor(i128::from(due.0) * i128::from(self.max_share.0), 10_000) as i64);
        if amount > by_share {
            return Err(PointsError::ExceedsShare { max: by_share });
        }
        let cost = self.cost(amount);
        if cost > balance {
            return Err(PointsError::Insufficient { needed: cost, available: balance });
        }
        Ok(cost)
    }
}

/// When earned points expire.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ExpiryPolicy {
    /// A lot earned on day d expires at the end of the month `months` after d's month.
    Rolling { months: u32 },
    /// A lot earned in year y expires at the end of 31 December of y + `years` (积分年底清零).
    Annual { years: u32 },
    /// Points never expire.
    Never,
}

impl Default for ExpiryPolicy {
    fn default() -> Self {
        ExpiryPolicy::Rolling { months: 12 }
    }
}

impl ExpiryPolicy {
    /// The last day on which a lot earned on `earned_on` can be used; `None` if it never expires.
    pub fn expires_on(&self, earned_on: Date) -> Option<Date> {
        match *self {
            ExpiryPolicy::Rolling { months } => {
                earned_on.first_of_month().checked_add(i64::from(months).months()).ok().map(|d| d.last_of_month())
            }
            ExpiryPolicy::Annual { years } => {
                let year = i32::from(earned_on.year()) + i32::try_from(years).ok()?;
                Date::new(i16::try_from(year).ok()?, 12, 31).ok()
            }
            ExpiryPolicy::Never => None,
        }
    }
}

/// One earning's points, spent and expired lot by lot.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PointsLot {
    /// The ledger entry that created the lot.
    pub id: Uuid,
    pub earned_on: Date,
    pub points: i64,
    pub remaining: i64,
    /// The last day the lot can be used (`None`: never expires).
    pub expires_on: Option<Date>,
}

impl PointsLot {
    pub fn is_expired(&self, today: Date) -> bool {
        self.expires_on.is_some_and(|e| e < today)
    }

    pub fn is_usable(&self, today: Date) -> bool {
        self.remaining > 0 && !self.is_expired(today)
    }
}

/// Points drawn from one lot.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LotDraw {
    pub lot: Uuid,
    pub points: i64,
}

/// The usable points of a set of lots on `today`.
pub fn usable_points(lots: &[PointsLot], today: Date) -> i64 {
    lots.iter().filter(|l| l.is_usable(today)).map(|l| l.remaining).sum()
}

fn fifo_order(lots: &[PointsLot]) -> Vec<&PointsLot> {
    let mut order: Vec<&PointsLot> = lots.iter().collect();
    // Soonest expiry first (never-expiring last), then oldest, then by id for a stable order.
    order.sort_by_key(|l| (l.expires_on.is_none(), l.expires_on, l.earned_on, l.id));
    order
}

/// Which lots a redemption of `points` takes: those that expire first, never an expired lot, never
/// more than a lot holds.
pub fn plan_redemption(lots: &[PointsLot], points: i64, today: Date) -> Result<Vec<LotDraw>, PointsError> {
    if points <= 0 {
        return Err(PointsError::NotPositive);
    }
    let available = usable_points(lots, today);
    if available < points {
        return Err(PointsError::Insufficient { needed: points, available });
    }
    let mut left = points;
    let mut draws = Vec::new();
    for lot in fifo_order(lots).into_iter().filter(|l| l.is_usable(today)) {
        if left == 0 {
            break;
        }
        let take = lot.remaining.min(left);
        draws.push(LotDraw { lot: lot.id, points: take });
        left -= take;
    }
    Ok(draws)
}

/// Applies draws to lots (the HQ ledger and tests use it to keep lot remainders).
pub fn apply_draws(lots: &mut [PointsLot], draws: &[LotDraw]) {
    for d in draws {
        if let Some(l) = lots.iter_mut().find(|l| l.id == d.lot) {
            l.remaining -= d.points;
        }
    }
}

/// What expires on `today`: the remainder of every lot whose last day is before `today`.
pub fn expiring(lots: &[PointsLot], today: Date) -> Vec<LotDraw> {
    lots.iter()
        .filter(|l| l.is_expired(today) && l.remaining > 0)
        .map(|l| LotDraw { lot: l.id, points: l.remaining })
        .collect()
}

/// How a take-back of points earned (a refund) is drawn: the sale's own lot first, then the other
/// unexpired lots in FIFO order; what no lot covers is the `shortfall`, which drives the balance
/// below zero.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TakeBackPlan {
    pub draws: Vec<LotDraw>,
    pub shortfall: i64,
}

pub fn plan_take_back(lots: &[PointsLot], points: i64, own_lot: Option<Uuid>, today: Date) -> TakeBackPlan {
    let mut left = points.max(0);
    let mut draws = Vec::new();
    let own = own_lot.and_then(|id| lots.iter().find(|l| l.id == id));
    let rest = fifo_order(lots).into_iter().filter(|l| Some(l.id) != own_lot && l.is_usable(today));
    for lot in own.into_iter().filter(|l| l.remaining > 0).chain(rest) {
        if left == 0 {
            break;
        }
        let take = lot.remaining.min(left);
        draws.push(LotDraw { lot: lot.id, points: take });
        left -= take;
    }
    TakeBackPlan { draws, shortfall: left }
}

/// `floor(original * refunded_so_far / base)`: how much of `original` belongs to what has been
/// refunded so far. Used for points earned (taken back) and points tendered (restored), and for
/// the bonus share of a stored-value refund. Refunded amounts above `base` count as `base`.
pub fn cumulative_share(original: i64, base: Money, refunded_so_far: Money) -> i64 {
    if base.0 <= 0 || refunded_so_far.0 <= 0 {
        return 0;
    }
    let refunded = refunded_so_far.min(base);
    div_floor(i128::from(original) * i128::from(refunded.0), i128::from(base.0)) as i64
}

/// What one more refund of `refund_now` takes back (or restores), given what earlier refunds of the
/// same sale covered. Across any sequence of refunds the deltas sum to `cumulative_share` of the
/// total, so a full return takes back exactly `original`.
pub fn refund_delta(original: i64, base: Money, refunded_before: Money, refund_now: Money) -> i64 {
    cumulative_share(original, base, refunded_before + refund_now) - cumulative_share(original, base, refunded_before)
}

#[cfg(test)]
mod tests {
    use jiff::civil::date;

    use super::*;

    #[test]
    fn earning_floors_once() {
        assert_eq!(earned_points(Money(99), 100, Bp(10000), &[]), Ok(0));
        assert_eq!(earned_points(Money(100), 100, Bp(10000), &[]), Ok(1));
        // 2 points per yuan, 1.2× silver, ¥33.33 → 79.992 → 79
        assert_eq!(earned_points(Money(3333), 200, Bp(12000), &[]), Ok(79));
        // double points day and birthday stack multiplicatively
        assert_eq!(earned_points(Money(10000), 100, Bp(10000), &[Bp(20000), Bp(20000)]), Ok(400));
        assert_eq!(earned_points(Money(-500), 100, Bp(10000), &[]), Ok(0));
    }

    #[test]
    fn eligible_excludes_points_paid() {
        assert_eq!(eligible_base(Money(12850), Money(1000)), Money(11850));
        assert_eq!(eligible_base(Money(500), Money(1000)), Money::ZERO);
    }

    #[test]
    fn promo_multipliers_by_date() {
        let rules = EarnRules {
            earn_per_yuan: 100,
            birthday_multiplier: Some(Bp(20000)),
            campaigns: vec![Campaign {
                name: "双倍积分日".into(),
                from: date(2026, 11, 11),
                to: date(2026, 11, 11),
                multiplier: Bp(20000),
            }],
        };
        assert_eq!(rules.promo_multipliers(date(2026, 11, 11), Some(date(1990, 11, 3))), vec![Bp(20000), Bp(20000)]);
        assert_eq!(rules.promo_multipliers(date(2026, 11, 12), Some(date(1990, 5, 3))), vec![]);
    }

    #[test]
    fn redemption_cost_and_limits() {
        let rules = RedeemRules { points_per_yuan: 100, min_balance: 500, max_share: Bp(5000) };
        // 100 points = ¥1; ¥12.34 costs 1234 points; ¥0.015 can't exist, but 150 pts/yuan rounds up.
        assert_eq!(rules.cost(Money(1234)), 1234);
        let dear = RedeemRules { points_per_yuan: 150, ..rules.clone() };
        assert_eq!(dear.cost(Money(1)), 2);
        assert_eq!(dear.value_of(1000), Money(666));
        assert_eq!(rules.check(Money(1000), 2000, Money(5000)), Ok(1000));
        assert_eq!(rules.check(Money(3000), 5000, Money(5000)), Err(PointsError::ExceedsShare { max: Money(2500) }));
        assert_eq!(
            rules.check(Money(100), 499, Money(5000)),
            Err(PointsError::BelowMinimumBalance { balance: 499, minimum: 500 })
        );
        assert_eq!(
            rules.check(Money(2000), 1500, Money(5000)),
            Err(PointsError::Insufficient { needed: 2000, available: 1500 })
        );
        assert_eq!(rules.max_amount(1500, Money(5000)), Money(1500));
        assert_eq!(rules.max_amount(9000, Money(5000)), Money(2500));
        assert_eq!(rules.max_amount(-20, Money(5000)), Money::ZERO);
    }

    #[test]
    fn rolling_expiry_at_month_ends() {
        let p = ExpiryPolicy::Rolling { months: 12 };
        assert_eq!(p.expires_on(date(2026, 1, 31)), Some(date(2027, 1, 31)));
        let p = ExpiryPolicy::Rolling { months: 1 };
        assert_eq!(p.expires_on(date(2026, 1, 31)), Some(date(2026, 2, 28)));
    }

    #[test]
    fn annual_expiry() {
        assert_eq!(ExpiryPolicy::Annual { years: 0 }.expires_on(date(2026, 3, 15)), Some(date(2026, 12, 31)));
        assert_eq!(ExpiryPolicy::Annual { years: 1 }.expires_on(date(2026, 12, 31)), Some(date(2027, 12, 31)));
        assert_eq!(ExpiryPolicy::Never.expires_on(date(2026, 3, 15)), None);
    }

    fn lot(n: u128, earned: Date, points: i64, expires: Option<Date>) -> PointsLot {
        PointsLot { id: Uuid::from_u128(n), earned_on: earned, points, remaining: points, expires_on: expires }
    }

    #[test]
    fn fifo_takes_soonest_expiry_and_skips_expired() {
        let lots = vec![
            lot(1, date(2026, 1, 5), 100, Some(date(2026, 12, 31))),
            lot(2, date(2025, 1, 5), 50, Some(date(2025, 12, 31))), // expired on 2026-06-01
            lot(3, date(2025, 6, 5), 80, Some(date(2026, 6, 30))),
            lot(4, date(2025, 6, 5), 500, None),
        ];
        let today = date(2026, 6, 1);
        assert_eq!(usable_points(&lots, today), 680);
        let draws = plan_redemption(&lots, 150, today).expect("enough");
        assert_eq!(
            draws,
            vec![LotDraw { lot: Uuid::from_u128(3), points: 80 }, LotDraw { lot: Uuid::from_u128(1), points: 70 },]
        );
        assert_eq!(plan_redemption(&lots, 681, today), Err(PointsError::Insufficient { needed: 681, available: 680 }));
        assert_eq!(expiring(&lots, today), vec![LotDraw { lot: Uuid::from_u128(2), points: 50 }]);
        // On its last day a lot is still usable; the day after it has expired.
        assert!(lots[2].is_usable(date(2026, 6, 30)));
        assert!(lots[2].is_expired(date(2026, 7, 1)));
    }

    #[test]
    fn take_back_prefers_own_lot_then_goes_negative() {
        let mut lots = vec![lot(1, date(2026, 1, 5), 100, None), lot(2, date(2026, 2, 5), 30, None)];
        lots[1].remaining = 10;
        let plan = plan_take_back(&lots, 150, Some(Uuid::from_u128(2)), date(2026, 3, 1));
        assert_eq!(plan.draws[0].lot, Uuid::from_u128(2));
        assert_eq!(plan.draws[0].points, 10);
        assert_eq!(plan.draws[1].points, 100);
        assert_eq!(plan.shortfall, 40);
    }

    #[test]
    fn partial_refunds_take_back_by_cumulative_floor() {
        // 385 points on a ¥128.50 base, refunded in three parts.
        let (orig, base) = (385, Money(12850));
        let a = refund_delta(orig, base, Money(0), Money(3000));
        let b = refund_delta(orig, base, Money(3000), Money(3000));
        let c = refund_delta(orig, base, Money(6000), Money(6850));
        assert_eq!((a, b, c), (89, 90, 206));
        assert_eq!(a + b + c, 385);
    }
}
