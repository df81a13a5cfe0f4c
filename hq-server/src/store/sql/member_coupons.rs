//! A member's own coupons, as their pages and HQ's staff see them: every one, or the first few of
//! each shelf (valid, used, expired) with how many each holds.
//!
//! The home page shows a few of each shelf. A long-time member may hold hundreds of coupons,
//! most of them used, and reading each with its campaign and the receipt it was used on cost more
//! than the rest of the page together; so the shelves are sorted on the coupons' own narrow
//! columns and only the coupons shown are read in full.

#![allow(clippy::type_complexity)] // SQL rows read as tuples

use jiff::Timestamp;

use super::conn::{Conn, Value};
use super::coupons::{code_of, status_at};
use super::{from_micros, in_chunks};
use crate::model::{CouponShelf, MemberCouponRecord, MemberCoupons};
use crate::store::StoreResult;

const COLUMNS: &str =
    "SELECT k.id, k.campaign_id, g.name, k.secret, k.status, k.issued_at, k.valid_from, k.valid_until,
            k.hold_expires_at, s.receipt_no, k.redeemed_at, k.redeemed_discount
     FROM coupons k JOIN coupon_campaigns g ON g.id = k.campaign_id
     LEFT JOIN sales s ON s.id = k.redeemed_sale";

type Row = (i64, i64, String, String, String, i64, i64, i64, Option<i64>, Option<String>, Option<i64>, Option<i64>);

fn read_row(r: &super::conn::Row<'_>) -> super::conn::Result<Row> {
    Ok((
        r.get(0)?,
        r.get(1)?,
        r.get(2)?,
        r.get(3)?,
        r.get(4)?,
        r.get(5)?,
        r.get(6)?,
        r.get(7)?,
        r.get(8)?,
        r.get(9)?,
        r.get(10)?,
        r.get(11)?,
    ))
}

fn record(row: Row, now: Timestamp) -> MemberCouponRecord {
    let (k, g, name, secret, status, issued, from, until, hold, receipt, at, discount) = row;
    MemberCouponRecord {
        id: k.max(0) as u64,
        code: code_of(g, k, &secret),
        campaign_id: g.max(0) as u64,
        campaign_name: name,
        status: status_at(&status, until, hold, now),
        issued_at: from_micros(issued),
        valid_from: from_micros(from),
        valid_until: from_micros(until),
        receipt_no: receipt,
        redeemed_at: at.map(from_micros),
        discount,
    }
}

/// Every coupon of the member (by their stored id), soonest to lapse first.
pub(super) fn all(c: &Conn<'_>, member: &str, now: Timestamp) -> StoreResult<Vec<MemberCouponRecord>> {
    let rows: Vec<Row> = c
        .prepare_cached(&format!("{COLUMNS} WHERE k.member_id = ?1 ORDER BY k.valid_until, k.id"))?
        .query_map([member], read_row)?
        .collect::<Result<_, _>>()?;
    Ok(rows.into_iter().map(|r| record(r, now)).collect())
}

/// The first `cap` coupons of each shelf in the shelf's order, with the count of each: the same as
/// `MemberCoupons::sorted(all(..), Some(cap))`, reading in full only the coupons shown.
pub(super) fn shelves(c: &Conn<'_>, member: &str, now: Timestamp, cap: usize) -> StoreResult<MemberCoupons> {
    let narrow: Vec<(i64, String, i64, Option<i64>)> = c
        .prepare_cached("SELECT id, status, valid_until, redeemed_at FROM coupons WHERE member_id = ?1")?
        .query_map([member], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?
        .collect::<Result<_, _>>()?;
    let mut sorted: [Vec<((i128, i128), i64)>; 3] = Default::default();
    let slot = |shelf| match shelf {
        CouponShelf::Valid => 0,
        CouponShelf::Used => 1,
        CouponShelf::Expired => 2,
    };
    for (id, status, until, redeemed) in narrow {
        // A hold's end only tells held from issued, which share a shelf.
        let shelf = CouponShelf::of(status_at(&status, until, None, now));
        let key = MemberCoupons::order_key(shelf, from_micros(until), redeemed.map(from_micros), id.max(0) as u64);
        sorted[slot(shelf)].push((key, id));
    }
    let mut out = MemberCoupons::default();
    let mut wanted: Vec<Value> = Vec::new();
    let mut order: Vec<(CouponShelf, Vec<i64>)> = Vec::new();
    for shelf in [CouponShelf::Valid, CouponShelf::Used, CouponShelf::Expired] {
        let list = &mut sorted[slot(shelf)];
        out.shelf_mut(shelf).total = list.len();
        list.sort_unstable();
        let ids: Vec<i64> = list.iter().take(cap).map(|&(_, id)| id).collect();
        wanted.extend(ids.iter().map(|&id| Value::Int(id)));
        order.push((shelf, ids));
    }
    let mut rows: std::collections::HashMap<i64, Row> =
        in_chunks(c, &format!("{COLUMNS} WHERE k.id IN"), &wanted, read_row)?.into_iter().map(|r| (r.0, r)).collect();
    for (shelf, ids) in order {
        let shown = &mut out.shelf_mut(shelf).shown;
        shown.extend(ids.iter().filter_map(|id| rows.remove(id)).map(|r| record(r, now)));
    }
    Ok(out)
}
