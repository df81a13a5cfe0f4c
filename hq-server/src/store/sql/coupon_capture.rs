//! What ingest does with the coupons a sale used (see [`super::coupons`] for the rules): reads
//! their campaigns for the re-pricing, and captures each — redeemed for the sale, by its hold or by
//! its code when taken offline, or flagged; a doubtful coupon never refuses the sale.

use jiff::Timestamp;
use shared::ids::HoldId;
use shared::promotions::coupons::{CampaignId, CouponCampaign, CouponCode};
use shared::sale::CompletedSale;

use super::conn::{Conn, OptionalExtension, params};
use super::coupons::{COUPON_FLAG, genuine, load_campaign, resolve, to_record};
use super::{from_micros, micros};
use crate::calendar::hq_day;
use crate::model::CampaignCounts;
use crate::store::StoreResult;

/// Captures the coupons an accepted sale used, in the ingest's transaction: each is redeemed for
/// the sale (by its hold, or by its code when taken offline) or flagged; every coupon the sale
/// recorded is kept in `sale_coupons`. Returns the flags. The event is stored once (by its id and
/// the sale's), so a sale's coupons are captured once.
pub(crate) fn capture_sale(tx: &Conn<'_>, s: &CompletedSale, now: Timestamp) -> StoreResult<Vec<String>> {
    let mut flags = Vec::new();
    let sale_id = s.id.to_string();
    for (k, rc) in s.coupons.iter().enumerate() {
        let mut flag = |why: String| flags.push(format!("{COUPON_FLAG} {}: {why}", rc.code));
        let mut redeemed = false;
        match CouponCode::parse(&rc.code) {
            Err(e) => flag(format!("not a coupon code ({e})")),
            Ok(code) if code.coupon != rc.coupon.id => {
                flag(format!("the code is coupon {}'s, the sale applied coupon {}", code.coupon, rc.coupon.id));
            }
            Ok(code) => match capture_one(tx, s, &code, rc.hold, now)? {
                Capture::Redeemed(warnings) => {
                    redeemed = true;
                    warnings.into_iter().for_each(&mut flag);
                }
                Capture::Refused(why) => flag(why),
            },
        }
        let coupon_id = i64::try_from(rc.coupon.id.0).unwrap_or(-1);
        if redeemed {
            tx.prepare_cached(
                "UPDATE coupons SET status = 'redeemed', redeemed_sale = ?2, redeemed_branch = ?3, redeemed_at = ?4,
                 redeemed_discount = ?5, hold_id = NULL, hold_till = NULL, hold_sale = NULL, hold_expires_at = NULL
                 WHERE id = ?1 AND status <> 'redeemed'",
            )?
            .execute(params![coupon_id, sale_id, s.branch.0, micros(s.completed_at), rc.discount.0])?;
            if let Some(h) = rc.hold {
                tx.prepare_cached(
                    "UPDATE coupon_holds SET status = 'captured', closed_at = ?2 WHERE id = ?1 AND coupon_id = ?3",
                )?
                .execute(params![h.to_string(), micros(now), coupon_id])?;
            }
        }
        tx.prepare_cached(
            "INSERT INTO sale_coupons (sale_id, position, coupon_id, code, hold_id, discount, offline, redeemed)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        )?
        .execute(params![
            sale_id,
            k as i64,
            coupon_id,
            rc.code.chars().take(64).collect::<String>(),
            rc.hold.map(|h| h.to_string()),
            rc.discount.0,
            i64::from(rc.hold.is_none()),
            i64::from(redeemed)
        ])?;
    }
    Ok(flags)
}

enum Capture {
    /// Redeemed for the sale, with what is still doubtful about it.
    Redeemed(Vec<String>),
    Refused(String),
}

fn capture_one(
    tx: &Conn<'_>,
    s: &CompletedSale,
    code: &CouponCode,
    hold: Option<HoldId>,
    now: Timestamp,
) -> StoreResult<Capture> {
    let Some(row) = genuine(tx, code)? else {
        return Ok(Capture::Refused("HQ has no coupon with this code".into()));
    };
    let sale_id = s.id.to_string();
    if row.status == "redeemed" {
        if row.redeemed_sale.as_deref() == Some(&sale_id) {
            return Ok(Capture::Redeemed(Vec::new()));
        }
        let receipt: Option<String> = match &row.redeemed_sale {
            Some(other) => tx
                .prepare_cached("SELECT receipt_no FROM sales WHERE id = ?1")?
                .query_row([other], |r| r.get(0))
                .optional()?,
            None => None,
        };
        return Ok(Capture::Refused(format!(
            "used twice: already redeemed by receipt {}",
            receipt.unwrap_or_else(|| "?".into())
        )));
    }
    let t = micros(now);
    // The coupon's owner against the sale's member, whether held or taken offline: a coupon is
    // its member's (a hold taken without a member on the sale does not make it anyone's).
    let owner = resolve(tx, &row.member)?.unwrap_or_else(|| row.member.clone());
    if let Some(m) = s.member.as_ref().and_then(|m| m.member_id) {
        let named = resolve(tx, &m.to_string())?.unwrap_or_else(|| m.to_string());
        if named != owner {
            return Ok(Capture::Refused("the coupon belongs to another member".into()));
        }
    }
    // A hold captures only for the till HQ gave it to.
    let hold_row: Option<i64> = match hold {
        Some(h) => tx
            .prepare_cached("SELECT coupon_id FROM coupon_holds WHERE id = ?1 AND till_id = ?2")?
            .query_row(params![h.to_string(), s.till.0], |r| r.get(0))
            .optional()?
            .filter(|c| *c == row.id),
        None => None,
    };
    if let (Some(h), Some(_)) = (hold, hold_row) {
        // Captured by its hold: redeemed unless another sale holds the coupon now (its hold lapsed
        // and was taken over).
        let other_live = row.status == "held"
            && row.hold_id.as_deref() != Some(&h.to_string())
            && row.hold_expires.is_some_and(|e| e > t);
        if other_live {
            return Ok(Capture::Refused(format!("its hold {h} lapsed and another sale holds the coupon now")));
        }
        return Ok(Capture::Redeemed(Vec::new()));
    }
    // Taken offline (or with a hold HQ did not give for this coupon): checked by its code.
    let mut warnings = Vec::new();
    if let Some(h) = hold {
        warnings.push(format!("hold {h} is not HQ's hold of this coupon for this till; checked as taken offline"));
    }
    // Checked by the calendar date the sale was made on in HQ's zone, as the coupon's days are
    // (not the business day: between midnight and a branch's cut-off the two differ, and a coupon
    // valid from today is valid at 00:30 today).
    let (from_day, until_day) = (hq_day(from_micros(row.valid_from)), hq_day(from_micros(row.valid_until)));
    let sale_day = hq_day(s.completed_at);
    if sale_day > until_day {
        return Ok(Capture::Refused(format!("expired: valid to {until_day}, the sale was made on {sale_day}")));
    }
    if sale_day < from_day {
        return Ok(Capture::Refused(format!("not yet valid: valid from {from_day}, the sale was made on {sale_day}")));
    }
    let campaign: Option<(String, Option<i64>, Option<i64>)> = tx
        .prepare_cached("SELECT name, offline_cap, ended_at FROM coupon_campaigns WHERE id = ?1")?
        .query_row([row.campaign], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .optional()?;
    let Some((name, cap, ended_at)) = campaign else {
        return Ok(Capture::Refused("HQ has no coupon with this code".into()));
    };
    if ended_at.is_some_and(|e| e < micros(s.completed_at)) {
        return Ok(Capture::Refused(format!("the campaign “{name}” had ended before the sale")));
    }
    match cap {
        None => warnings.push(format!("taken offline, but “{name}” coupons are for online use only")),
        Some(cap) => {
            let used: i64 = tx
                .prepare_cached(
                    "SELECT COUNT(*) FROM sale_coupons sc JOIN sales x ON x.id = sc.sale_id
                     JOIN coupons k ON k.id = sc.coupon_id
                     WHERE sc.offline = 1 AND x.till_id = ?1 AND x.business_day = ?2 AND k.campaign_id = ?3",
                )?
                // This sale's earlier coupons are in `sale_coupons` already: they count too.
                .query_row(params![s.till.0, s.business_day.to_string(), row.campaign], |r| r.get(0))?;
            if used >= cap {
                warnings.push(format!(
                    "taken offline beyond the cap: this till had taken {used} “{name}” coupons offline that day, the most is {cap}"
                ));
            }
        }
    }
    Ok(Capture::Redeemed(warnings))
}

/// A campaign as the re-pricing of a sale reads it (in the ingest's transaction).
pub(crate) fn campaign_tx(c: &Conn<'_>, id: CampaignId) -> StoreResult<Option<CouponCampaign>> {
    match load_campaign(c, id)? {
        Some(row) => Ok(Some(to_record(row, CampaignCounts::default())?.campaign)),
        None => Ok(None),
    }
}
