//! Layer 4, coupons (券), applied last (domain.md: "a member's coupon (amount off with a minimum
//! spend, percent off a scope, or a fixed-price item), one use, applied last. Redeeming one takes a hold
//! at HQ like points; offline use is refused unless HQ allows it for that coupon kind").
//!
//! The caller passes the coupons HQ holds for this sale ([`super::PromotionCart::coupons`]); holding,
//! one use and the offline rule are the caller's. The engine applies them after layer 3, in the order
//! given, each on the nets the layers (and the coupons before it) left.
//!
//! Decisions where the spec is silent:
//! - A coupon takes the lines a promotion would (discount-eligible, no manual override, in scope).
//! - Amount off (from the minimum spend, reached at ≥) and percent off (rounded half up) are spread over
//!   the scope's lines by what each still costs, largest remainder, never below zero.
//! - A fixed-price item takes one unit sold by the piece, the dearest unit left (its line's net per
//!   unit, floored), down to the coupon's price; never a weighed line.
//! - Coupons do not take part in choosing among promotions (a promotion can therefore take a sale
//!   below a coupon's minimum spend: the coupon is then reported unused, its hold released, and the
//!   member keeps it), and are never clawed back on a return.
//! - A coupon that gives nothing (or fails [`Coupon::validate`]) is reported unused.

use serde::{Deserialize, Serialize};

use super::{CartLine, PromotionCart, PromotionError, PromotionOutcome, Scope};
use crate::catalog::ProductId;
use crate::money::{Bp, Money, div_floor, div_round_half_up};
use crate::pricing::spread_largest_remainder;

/// A coupon's id, assigned by HQ when it issues the coupon to a member.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct CouponId(pub u64);

/// What a coupon gives.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum CouponKind {
    /// `off` from a sale whose goods in `scope` reach `min_spend` (at ≥).
    AmountOff { scope: Scope, min_spend: Money, off: Money },
    /// `bp` off the goods in `scope`.
    PercentOff { scope: Scope, bp: Bp },
    /// One unit of `product` for `price`.
    FixedPriceItem { product: ProductId, price: Money },
}

/// A member's coupon as the till sees it once HQ holds it for the sale.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Coupon {
    pub id: CouponId,
    pub name: String,
    pub kind: CouponKind,
    /// Whether HQ allows this coupon kind to be used while the till is offline.
    pub offline_allowed: bool,
}

/// A coupon that took effect.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppliedCoupon {
    pub id: CouponId,
    pub name: String,
    /// The sum of its allocations, exactly.
    pub discount: Money,
}

/// A coupon campaign's id at HQ: every coupon belongs to one campaign, which says what it gives.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct CampaignId(pub u64);

impl std::fmt::Display for CampaignId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl std::fmt::Display for CouponId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// A coupon campaign as the tills hold it (pulled like the promotions): what its coupons give, and
/// whether and how far they may be taken while HQ cannot be reached.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CouponCampaign {
    pub id: CampaignId,
    pub name: String,
    pub kind: CouponKind,
    /// Offline use: `None` refuses it; `Some(n)` lets one till take up to `n` of this campaign's
    /// coupons per business day while offline (HQ checks each at ingest and flags a bad one; the
    /// sale stands).
    pub offline_cap: Option<u32>,
    /// False once HQ ended the campaign: its coupons are refused, online and offline.
    pub active: bool,
}

impl CouponCampaign {
    /// The coupon a code of this campaign stands for, as the till applies it offline.
    pub fn coupon(&self, id: CouponId) -> Coupon {
        Coupon { id, name: self.name.clone(), kind: self.kind.clone(), offline_allowed: self.offline_cap.is_some() }
    }
}

/// Why a till refuses a coupon offline.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum OfflineCouponRefusal {
    #[error("this till does not know coupon campaign {0}")]
    UnknownCampaign(CampaignId),
    #[error("the campaign “{0}” has ended")]
    Ended(String),
    #[error("“{0}” coupons can only be used while HQ can be reached")]
    NotOffline(String),
    #[error("this till has taken {used} “{name}” coupons offline today, the most allowed is {cap}")]
    CapReached { name: String, used: u32, cap: u32 },
}

/// Whether a till may take a coupon of `campaign` offline, having taken `used_today` of the
/// campaign's coupons offline this business day.
pub fn offline_use(
    campaign: Option<&CouponCampaign>,
    id: CampaignId,
    used_today: u32,
) -> Result<(), OfflineCouponRefusal> {
    let c = campaign.ok_or(OfflineCouponRefusal::UnknownCampaign(id))?;
    if !c.active {
        return Err(OfflineCouponRefusal::Ended(c.name.clone()));
    }
    match c.offline_cap {
        None => Err(OfflineCouponRefusal::NotOffline(c.name.clone())),
        Some(cap) if used_today >= cap => {
            Err(OfflineCouponRefusal::CapReached { name: c.name.clone(), used: used_today, cap })
        }
        Some(_) => Ok(()),
    }
}

/// The code printed on a coupon and shown on the member's phone: `CP{campaign}-{coupon}-{secret}`,
/// the secret being five characters of Crockford's base 32 that HQ drew at random and a sixth that
/// checks the whole code (so a mistyped code is refused at the till, online or not). Only HQ can
/// tell a guessed secret from the real one; a till offline takes the campaign and coupon from the
/// code and HQ checks the secret when the sale arrives.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct CouponCode {
    pub campaign: CampaignId,
    pub coupon: CouponId,
    /// The five random characters (without the check character).
    pub secret: String,
}

/// Why a text is not a coupon code.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CouponCodeError {
    #[error("a coupon code reads CP<campaign>-<number>-<six characters>")]
    Form,
    #[error("this coupon code has a mistake in it (its check character does not match)")]
    Check,
}

/// Crockford's base 32: no I, L, O or U, so a code read aloud or typed is not mistaken.
const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
/// Random characters in a code's secret.
pub const SECRET_LEN: usize = 5;

impl CouponCode {
    /// A code from HQ's ids and `random` (at least [`SECRET_LEN`] bytes of randomness; each byte
    /// gives one character).
    pub fn new(campaign: CampaignId, coupon: CouponId, random: &[u8]) -> CouponCode {
        let secret = random.iter().take(SECRET_LEN).map(|b| ALPHABET[usize::from(b % 32)] as char).collect();
        CouponCode { campaign, coupon, secret }
    }

    /// Whether a scanned or typed text has a coupon code's shape (`CP<digits>-<digits>-<six
    /// letters or digits>`, case and spaces forgiven), right or with a mistyped character: the till
    /// never looks such a text up as a product, so a mistyped coupon gets the coupon's error. A
    /// product code like `CP-0001` or a receipt number does not have it (HQ refuses branch codes
    /// that would make one: `CP` and a digit).
    pub fn looks_like(text: &str) -> bool {
        let t: String = text.chars().filter(|c| !c.is_whitespace()).collect::<String>().to_ascii_uppercase();
        let Some(rest) = t.strip_prefix("CP") else { return false };
        let parts: Vec<&str> = rest.split('-').collect();
        let digits = |s: &str| !s.is_empty() && s.len() <= 15 && s.bytes().all(|b| b.is_ascii_digit());
        matches!(parts.as_slice(), [campaign, coupon, secret]
            if digits(campaign) && digits(coupon) && secret.len() == SECRET_LEN + 1
                && secret.bytes().all(|b| b.is_ascii_alphanumeric()))
    }

    /// Reads a code as scanned or typed: case, spaces and the letters Crockford reads as digits
    /// (I, L → 1, O → 0) are forgiven; anything else that is not a code is an error.
    pub fn parse(text: &str) -> Result<CouponCode, CouponCodeError> {
        let t: String = text.chars().filter(|c| !c.is_whitespace()).collect::<String>().to_ascii_uppercase();
        let rest = t.strip_prefix("CP").ok_or(CouponCodeError::Form)?;
        let mut parts = rest.split('-');
        let (Some(campaign), Some(coupon), Some(secret), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(CouponCodeError::Form);
        };
        let number = |s: &str| -> Result<u64, CouponCodeError> {
            if s.is_empty() || s.len() > 15 || !s.bytes().all(|b| b.is_ascii_digit()) {
                return Err(CouponCodeError::Form);
            }
            s.parse().map_err(|_| CouponCodeError::Form)
        };
        let (campaign, coupon) = (CampaignId(number(campaign)?), CouponId(number(coupon)?));
        let secret: String = secret
            .chars()
            .map(|c| match c {
                'I' | 'L' => '1',
                'O' => '0',
                c => c,
            })
            .collect();
        if secret.len() != SECRET_LEN + 1 || !secret.bytes().all(|b| ALPHABET.contains(&b)) {
            return Err(CouponCodeError::Form);
        }
        let (body, check) = secret.split_at(SECRET_LEN);
        let code = CouponCode { campaign, coupon, secret: body.to_owned() };
        if check.as_bytes()[0] != code.check() {
            return Err(CouponCodeError::Check);
        }
        Ok(code)
    }

    /// The check character: a sum over the code's characters with odd weights, mod 32, so every
    /// single mistyped character changes it (and most swaps of two).
    fn check(&self) -> u8 {
        let text = format!("{}-{}-{}", self.campaign, self.coupon, self.secret);
        let sum = text.bytes().enumerate().fold(0u64, |acc, (i, b)| {
            let v = ALPHABET.iter().position(|a| *a == b).map_or(u64::from(b), |p| p as u64);
            (acc + v * (2 * (i as u64 % 16) + 1)) % 32
        });
        ALPHABET[sum as usize]
    }
}

impl std::fmt::Display for CouponCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "CP{}-{}-{}{}", self.campaign, self.coupon, self.secret, self.check() as char)
    }
}

impl Coupon {
    /// Checks what applying the coupon relies on.
    pub fn validate(&self) -> Result<(), PromotionError> {
        match &self.kind {
            CouponKind::AmountOff { scope, min_spend, off } => {
                if scope.is_empty() {
                    return Err(PromotionError::EmptyScope);
                }
                if min_spend.is_negative() {
                    return Err(PromotionError::NegativeAmount { field: "min_spend", value: *min_spend });
                }
                if off.0 <= 0 {
                    return Err(PromotionError::ZeroOff { field: "off" });
                }
                Ok(())
            }
            CouponKind::PercentOff { scope, bp } => {
                if scope.is_empty() {
                    return Err(PromotionError::EmptyScope);
                }
                if bp.0 <= 0 || bp.0 > 10_000 {
                    return Err(PromotionError::PercentOutOfRange(*bp));
                }
                Ok(())
            }
            CouponKind::FixedPriceItem { price, .. } if price.is_negative() => {
                Err(PromotionError::NegativeAmount { field: "price", value: *price })
            }
            CouponKind::FixedPriceItem { .. } => Ok(()),
        }
    }
}

fn takes(line: &CartLine) -> bool {
    line.discount_eligible && !line.manual_override
}

/// Applies the cart's coupons to `outcome`, after layer 3.
pub(super) fn apply(outcome: &mut PromotionOutcome, cart: &PromotionCart) {
    for coupon in &cart.coupons {
        let parts: Vec<(usize, i64)> =
            if coupon.validate().is_err() { Vec::new() } else { parts(coupon, outcome, cart) };
        let discount: i64 = parts.iter().map(|p| p.1).sum();
        if discount <= 0 {
            outcome.unused_coupons.push(coupon.id);
            continue;
        }
        for (pos, part) in parts.into_iter().filter(|p| p.1 > 0) {
            let line = &mut outcome.lines[pos];
            line.coupon_allocations.push((coupon.id, Money(part)));
            line.net -= Money(part);
        }
        outcome.coupons.push(AppliedCoupon { id: coupon.id, name: coupon.name.clone(), discount: Money(discount) });
        outcome.total_saving += Money(discount);
    }
}

/// What `coupon` takes from each line (cart position, fen).
fn parts(coupon: &Coupon, outcome: &PromotionOutcome, cart: &PromotionCart) -> Vec<(usize, i64)> {
    match &coupon.kind {
        CouponKind::AmountOff { scope, .. } | CouponKind::PercentOff { scope, .. } => {
            let positions: Vec<usize> = (0..cart.lines.len())
                .filter(|p| {
                    let l = &cart.lines[*p];
                    takes(l) && scope.covers(l.product, l.category, l.brand)
                })
                .collect();
            let nets: Vec<i64> = positions.iter().map(|p| outcome.lines[*p].net.0.max(0)).collect();
            let total: i64 = nets.iter().sum();
            let off = match coupon.kind {
                CouponKind::AmountOff { min_spend, off, .. } if total >= min_spend.0 => off.0.min(total),
                CouponKind::PercentOff { bp, .. } => {
                    div_round_half_up(i128::from(total) * i128::from(bp.0), 10_000) as i64
                }
                _ => 0,
            };
            positions.into_iter().zip(spread_largest_remainder(off, &nets)).collect()
        }
        CouponKind::FixedPriceItem { product, price } => {
            let mut best: Option<(i64, usize)> = None;
            for (pos, l) in cart.lines.iter().enumerate() {
                if !takes(l) || l.weighed || l.product != *product || l.qty.0 < 1000 {
                    continue;
                }
                let unit = div_floor(i128::from(outcome.lines[pos].net.0) * 1000, i128::from(l.qty.0)) as i64;
                if best.is_none_or(|(b, _)| unit > b) {
                    best = Some((unit, pos));
                }
            }
            match best {
                Some((unit, pos)) => vec![(pos, (unit - price.0).max(0))],
                None => Vec::new(),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::CategoryId;
    use crate::promotions::tests::{CHIPS, MILK, example_cart, example_set};
    use crate::promotions::{PromotionSet, RecordedLine, price_promotions, refund_for_return};

    fn coupon(id: u64, kind: CouponKind) -> Coupon {
        Coupon { id: CouponId(id), name: format!("券{id}"), kind, offline_allowed: false }
    }

    fn everything() -> Scope {
        Scope { all_products: true, ..Scope::default() }
    }

    /// The worked example (due ¥29.00: nets 8.53 / 10.23 / 10.24) with `coupons` presented.
    fn price(coupons: Vec<Coupon>) -> PromotionOutcome {
        let mut cart = example_cart();
        cart.coupons = coupons;
        price_promotions(&PromotionSet { version: 1, promotions: example_set() }, &cart).expect("priced")
    }

    fn taken(o: &PromotionOutcome) -> Vec<i64> {
        o.lines.iter().map(|l| l.coupon_allocations.iter().map(|a| a.1.0).sum()).collect()
    }

    #[test]
    fn amount_off_from_a_minimum_spend_is_spread_by_what_lines_still_cost() {
        // ¥5 over 853 / 1023 / 1024: 147.07 / 176.38 / 176.55 → 147 / 176 / 177.
        let o = price(vec![coupon(
            1,
            CouponKind::AmountOff { scope: everything(), min_spend: Money::yuan(29), off: Money::yuan(5) },
        )]);
        assert_eq!(taken(&o), vec![147, 176, 177]);
        assert_eq!(o.total_net(), Money::yuan(24));
        assert_eq!(o.total_saving, Money::yuan(16));
        assert_eq!(o.coupons, vec![AppliedCoupon { id: CouponId(1), name: "券1".into(), discount: Money::yuan(5) }]);
        // ¥29.01 is not reached: unused.
        let o = price(vec![coupon(
            1,
            CouponKind::AmountOff { scope: everything(), min_spend: Money(2901), off: Money::yuan(5) },
        )]);
        assert_eq!((o.unused_coupons.clone(), o.total_net()), (vec![CouponId(1)], Money::yuan(29)));
    }

    #[test]
    fn percent_off_a_scope_and_a_fixed_price_item() {
        // 10 % off snacks: 薯片 10.23 → 102.3 → 1.02.
        let snacks = Scope { categories: vec![CategoryId(20)], ..Scope::default() };
        let o = price(vec![coupon(2, CouponKind::PercentOff { scope: snacks, bp: Bp(1000) })]);
        assert_eq!(taken(&o), vec![0, 102, 0]);
        // One 牛奶 for ¥1.00: its unit now costs 10.24, so 9.24 off; then one 薯片 (5.11 a unit) for ¥5.
        let o = price(vec![
            coupon(3, CouponKind::FixedPriceItem { product: MILK, price: Money::yuan(1) }),
            coupon(4, CouponKind::FixedPriceItem { product: CHIPS, price: Money::yuan(5) }),
        ]);
        assert_eq!(taken(&o), vec![0, 11, 924]);
    }

    #[test]
    fn a_return_pays_back_what_the_line_paid_after_coupons() {
        let o = price(vec![coupon(3, CouponKind::FixedPriceItem { product: MILK, price: Money::yuan(1) })]);
        let cart = example_cart();
        let lines: Vec<RecordedLine> =
            o.lines.iter().zip(&cart.lines).map(|(l, c)| RecordedLine::from_outcome(l, c.qty)).collect();
        let none = vec![crate::money::Qty(0); 3];
        let milk = vec![crate::money::Qty(0), crate::money::Qty(0), crate::money::Qty::ONE];
        let r = refund_for_return(&lines, &o.promotions, &none, &milk, Money::ZERO, false).expect("refund");
        assert_eq!(r.refund, Money(100));
    }

    #[test]
    fn validation() {
        let c = coupon(1, CouponKind::PercentOff { scope: everything(), bp: Bp(0) });
        assert_eq!(c.validate(), Err(PromotionError::PercentOutOfRange(Bp(0))));
        let c = coupon(1, CouponKind::AmountOff { scope: Scope::default(), min_spend: Money(0), off: Money(1) });
        assert_eq!(c.validate(), Err(PromotionError::EmptyScope));
        let c = coupon(1, CouponKind::FixedPriceItem { product: MILK, price: Money(-1) });
        assert_eq!(c.validate(), Err(PromotionError::NegativeAmount { field: "price", value: Money(-1) }));
    }

    #[test]
    fn a_code_reads_back_and_a_mistyped_one_is_caught() {
        let code = CouponCode::new(CampaignId(12), CouponId(3456), &[7, 40, 200, 13, 31]);
        let text = code.to_string();
        assert!(text.starts_with("CP12-3456-"), "{text}");
        assert_eq!(text.len(), "CP12-3456-".len() + SECRET_LEN + 1);
        assert_eq!(CouponCode::parse(&text), Ok(code.clone()));
        // As typed: lower case, spaces, O for 0 and I/L for 1 are forgiven.
        let typed = text.to_lowercase().replace('-', " - ");
        assert_eq!(CouponCode::parse(&typed), Ok(code.clone()));
        assert!(CouponCode::looks_like(&typed) && CouponCode::looks_like("cp1-2-abcdeu"));
        for not_a_code in
            ["6901234567892", "CP", "可乐-1", "cp1-2", "CP-0001", "CPA1-01-000042", "CP1-2-ABC", "CP１-2-ABCDEF"]
        {
            assert!(!CouponCode::looks_like(not_a_code), "{not_a_code}");
        }
        // Every single character of the secret changed to any other is caught.
        let secret_at = "CP12-3456-".len();
        for i in secret_at..text.len() {
            for &c in ALPHABET {
                if text.as_bytes()[i] == c {
                    continue;
                }
                let mut wrong = text.clone().into_bytes();
                wrong[i] = c;
                let wrong = String::from_utf8(wrong).expect("ascii");
                assert_eq!(CouponCode::parse(&wrong), Err(CouponCodeError::Check), "{wrong}");
            }
        }
        // So is another coupon's number with this secret.
        assert_eq!(CouponCode::parse(&text.replace("3456", "3457")), Err(CouponCodeError::Check));
        for bad in [
            "",
            "CP",
            "CP12-3456",
            "CP12-3456-ABC",
            "XX12-3456-ABCDEF",
            "CP-3456-ABCDEF",
            "CP1a-3-ABCDEF",
            "CP1-2-3-ABCDEF",
            "CP1-2-ABCDEU",
            "6901234567892",
            "CP99999999999999999-1-ABCDEF",
        ] {
            assert_eq!(CouponCode::parse(bad), Err(CouponCodeError::Form), "{bad:?}");
        }
    }

    proptest::proptest! {
        /// Any text reads as a code or an error, never a panic; every code reads back as itself.
        #[test]
        fn any_text_parses_or_is_refused(text in ".{0,40}", campaign in 0u64..1_000_000, coupon in 0u64..1_000_000_000, random in proptest::collection::vec(proptest::num::u8::ANY, 5)) {
            let _ = CouponCode::parse(&text);
            let _ = CouponCode::looks_like(&text);
            let code = CouponCode::new(CampaignId(campaign), CouponId(coupon), &random);
            proptest::prop_assert_eq!(CouponCode::parse(&code.to_string()), Ok(code));
        }
    }

    #[test]
    fn offline_use_needs_a_known_active_campaign_that_allows_it_and_stops_at_the_cap() {
        let kind = CouponKind::AmountOff { scope: everything(), min_spend: Money::yuan(50), off: Money::yuan(5) };
        let mut c =
            CouponCampaign { id: CampaignId(4), name: "满50减5".into(), kind, offline_cap: Some(2), active: true };
        assert_eq!(offline_use(Some(&c), c.id, 0), Ok(()));
        assert_eq!(offline_use(Some(&c), c.id, 1), Ok(()));
        assert_eq!(
            offline_use(Some(&c), c.id, 2),
            Err(OfflineCouponRefusal::CapReached { name: "满50减5".into(), used: 2, cap: 2 })
        );
        assert_eq!(offline_use(None, CampaignId(9), 0), Err(OfflineCouponRefusal::UnknownCampaign(CampaignId(9))));
        c.offline_cap = None;
        assert_eq!(offline_use(Some(&c), c.id, 0), Err(OfflineCouponRefusal::NotOffline("满50减5".into())));
        c.offline_cap = Some(5);
        c.active = false;
        assert_eq!(offline_use(Some(&c), c.id, 0), Err(OfflineCouponRefusal::Ended("满50减5".into())));
        let coupon = CouponCampaign { active: true, ..c }.coupon(CouponId(77));
        assert_eq!(coupon.id, CouponId(77));
        assert!(coupon.offline_allowed);
    }
}
