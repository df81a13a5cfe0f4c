//! The reports' SQL: aggregations over the ingested sales, refunds, shifts, the ledger and the
//! registry for business days `from..=to`, one branch or all.

use super::conn::{Conn, params};

use super::SqlStore;
use crate::reports::{Cell, Report, ReportKind, ReportQuery, Unit};
use crate::store::{ReportStore, StoreResult};

type Params = (String, String, Option<i64>);

fn params_of(q: &ReportQuery) -> Params {
    (q.from.to_string(), q.to.to_string(), q.branch.map(|b| b.0))
}

/// Runs `sql` (with ?1 = from, ?2 = to, ?3 = branch or NULL) and turns each row into cells: the
/// first `texts` columns are text, the rest integers.
fn rows(c: &Conn<'_>, sql: &str, p: &Params, texts: usize, width: usize) -> StoreResult<Vec<Vec<Cell>>> {
    let mut st = c.prepare_cached(sql)?;
    let out = st
        .query_map(params![p.0, p.1, p.2], |r| {
            (0..width)
                .map(|i| {
                    if i < texts {
                        Ok(Cell::Text(r.get::<_, Option<String>>(i)?.unwrap_or_default()))
                    } else {
                        Ok(Cell::Int(r.get::<_, Option<i64>>(i)?.unwrap_or(0)))
                    }
                })
                .collect::<super::conn::Result<Vec<Cell>>>()
        })?
        .collect::<Result<_, _>>()?;
    Ok(out)
}

const SALES_COLUMNS: &str = "COUNT(*), SUM(s.gross), SUM(s.member_savings), SUM(s.promotion_discounts),
     SUM(s.coupon_discounts), SUM(s.manual_discounts + s.order_discount),
     SUM(s.total), SUM(s.rounding), SUM(s.due)";

fn sales_by(c: &Conn<'_>, q: &ReportQuery, key: &str, name: &str, group: &str) -> StoreResult<Report> {
    let mut r = Report::new(
        q,
        vec![
            (key, Unit::Text, false),
            (name, Unit::Text, false),
            ("sales", Unit::Count, true),
            ("gross", Unit::Money, true),
            ("member_savings", Unit::Money, true),
            ("promotion_discounts", Unit::Money, true),
            ("coupon_discounts", Unit::Money, true),
            ("discounts", Unit::Money, true),
            ("net", Unit::Money, true),
            ("rounding", Unit::Money, true),
            ("due", Unit::Money, true),
            ("refunded", Unit::Money, true),
        ],
    );
    let sql = format!(
        "SELECT {group}, {SALES_COLUMNS},
                (SELECT COALESCE(SUM(rf.total + rf.rounding), 0) FROM refunds rf
                 WHERE rf.business_day BETWEEN ?1 AND ?2 AND (CAST(?3 AS BIGINT) IS NULL OR rf.branch_id = ?3)
                   AND rf.sale_id IN (SELECT s2.id FROM sales s2 WHERE {correlate}))
         FROM sales s
         WHERE s.business_day BETWEEN ?1 AND ?2 AND (CAST(?3 AS BIGINT) IS NULL OR s.branch_id = ?3)
         GROUP BY {keys} ORDER BY 1",
        correlate = correlation(key),
        keys = key_columns(key)
    );
    r.rows = rows(c, &sql, &params_of(q), 2, 12)?;
    Ok(r.total())
}

/// The sale columns a row of `key` is one value of (its two shown columns are read from them, so
/// PostgreSQL, which wants every column a row's expressions use grouped, accepts them).
fn key_columns(key: &str) -> &'static str {
    match key {
        "branch" => "s.branch_id",
        "day" => "s.business_day, s.branch_id",
        "till" => "s.till_id, s.branch_id",
        _ => "s.cashier_id, s.branch_id",
    }
}

/// How a refund's sale is matched to the row of `key` (a refund counts against its sale's row).
fn correlation(key: &str) -> &'static str {
    match key {
        "branch" => "s2.branch_id = s.branch_id",
        "day" => "s2.business_day = s.business_day AND s2.branch_id = s.branch_id",
        "till" => "s2.till_id = s.till_id",
        _ => "s2.cashier_id = s.cashier_id AND s2.branch_id = s.branch_id",
    }
}

fn lines_by(c: &Conn<'_>, q: &ReportQuery, key: &str, group: &str, join: &str) -> StoreResult<Report> {
    let mut r = Report::new(
        q,
        vec![
            (key, Unit::Text, false),
            ("name", Unit::Text, false),
            ("lines", Unit::Count, true),
            ("qty_milli", Unit::Count, true),
            ("gross", Unit::Money, true),
            ("member_savings", Unit::Money, true),
            ("promotion_discounts", Unit::Money, true),
            ("coupon_discounts", Unit::Money, true),
            ("discounts", Unit::Money, true),
            ("net", Unit::Money, true),
            ("returned_qty_milli", Unit::Count, true),
            ("returned", Unit::Money, true),
        ],
    );
    let sql = format!(
        "SELECT {group}, COUNT(*), SUM(l.qty), SUM(l.gross), SUM(l.member_saving), SUM(l.promotion_discount),
                SUM(l.coupon_discount), SUM(l.manual_discount + l.order_discount), SUM(l.net),
                COALESCE(SUM(rl.qty), 0), COALESCE(SUM(rl.amount), 0)
         FROM sale_lines l JOIN sales s ON s.id = l.sale_id {join}
         LEFT JOIN (SELECT rf.sale_id, rl.sale_line, SUM(rl.qty) AS qty, SUM(rl.amount) AS amount
                    FROM refund_lines rl JOIN refunds rf ON rf.id = rl.refund_id
                    WHERE rf.business_day BETWEEN ?1 AND ?2 AND rl.sale_line IS NOT NULL
                    GROUP BY rf.sale_id, rl.sale_line) rl
                ON rl.sale_id = l.sale_id AND rl.sale_line + 1 = l.line_no
         WHERE s.business_day BETWEEN ?1 AND ?2 AND (CAST(?3 AS BIGINT) IS NULL OR s.branch_id = ?3)
         GROUP BY 1 ORDER BY 1"
    );
    r.rows = rows(c, &sql, &params_of(q), 2, 12)?;
    Ok(r.total())
}

fn tenders(c: &Conn<'_>, q: &ReportQuery) -> StoreResult<Report> {
    let mut r = Report::new(
        q,
        vec![
            ("tender", Unit::Text, false),
            ("taken", Unit::Money, true),
            ("paid_back", Unit::Money, true),
            ("net", Unit::Money, true),
            ("points_used", Unit::Points, true),
        ],
    );
    let sql = "WITH taken AS (
                 SELECT t.kind, SUM(t.amount) AS amount, SUM(t.points) AS points FROM sale_tenders t
                 JOIN sales s ON s.id = t.sale_id
                 WHERE s.business_day BETWEEN ?1 AND ?2 AND (CAST(?3 AS BIGINT) IS NULL OR s.branch_id = ?3) GROUP BY t.kind),
               back AS (
                 SELECT t.kind, SUM(CASE WHEN t.kind = 'cash' THEN t.tendered ELSE t.amount END) AS amount,
                        SUM(t.points) AS points
                 FROM refund_tenders t JOIN refunds rf ON rf.id = t.refund_id
                 WHERE rf.business_day BETWEEN ?1 AND ?2 AND (CAST(?3 AS BIGINT) IS NULL OR rf.branch_id = ?3) GROUP BY t.kind),
               kinds AS (SELECT kind FROM taken UNION SELECT kind FROM back)
               SELECT k.kind, COALESCE(taken.amount, 0), COALESCE(back.amount, 0),
                      COALESCE(taken.amount, 0) - COALESCE(back.amount, 0),
                      COALESCE(taken.points, 0) - COALESCE(back.points, 0)
               FROM kinds k LEFT JOIN taken ON taken.kind = k.kind LEFT JOIN back ON back.kind = k.kind ORDER BY 1";
    r.rows = rows(c, sql, &params_of(q), 1, 5)?;
    Ok(r.total())
}

fn refunds(c: &Conn<'_>, q: &ReportQuery) -> StoreResult<Report> {
    let mut r = Report::new(
        q,
        vec![
            ("receipt", Unit::Text, false),
            ("kind", Unit::Text, false),
            ("original", Unit::Text, false),
            ("day", Unit::Text, false),
            ("reason", Unit::Text, false),
            ("refund", Unit::Money, true),
            ("rounding", Unit::Money, true),
            ("paid_back", Unit::Money, true),
            ("points_taken_back", Unit::Points, true),
            ("points_restored", Unit::Points, true),
        ],
    );
    let sql = "SELECT receipt_no, kind, original_receipt, business_day, reason, total, rounding, total + rounding,
                      points_taken_back, points_restored
               FROM refunds WHERE business_day BETWEEN ?1 AND ?2 AND (CAST(?3 AS BIGINT) IS NULL OR branch_id = ?3)
               ORDER BY business_day, receipt_no";
    r.rows = rows(c, sql, &params_of(q), 5, 10)?;
    Ok(r.total())
}

fn discounts(c: &Conn<'_>, q: &ReportQuery) -> StoreResult<Report> {
    let mut r = Report::new(
        q,
        vec![
            ("branch", Unit::Text, false),
            ("sales", Unit::Count, true),
            ("member_savings", Unit::Money, true),
            ("promotion_discounts", Unit::Money, true),
            ("coupon_discounts", Unit::Money, true),
            ("manual_discounts", Unit::Money, true),
            ("order_discounts", Unit::Money, true),
            ("all_discounts", Unit::Money, true),
            ("rounding", Unit::Money, true),
        ],
    );
    let sql = "SELECT b.code, COUNT(*), SUM(s.member_savings), SUM(s.promotion_discounts), SUM(s.coupon_discounts),
                      SUM(s.manual_discounts), SUM(s.order_discount),
                      SUM(s.member_savings + s.promotion_discounts + s.coupon_discounts + s.manual_discounts
                          + s.order_discount),
                      SUM(s.rounding)
               FROM sales s JOIN branches b ON b.id = s.branch_id
               WHERE s.business_day BETWEEN ?1 AND ?2 AND (CAST(?3 AS BIGINT) IS NULL OR s.branch_id = ?3)
               GROUP BY b.code ORDER BY b.code";
    r.rows = rows(c, sql, &params_of(q), 1, 9)?;
    Ok(r.total())
}

/// Per coupon campaign, for the period: the coupons issued, expired unused and outstanding now
/// (one row per campaign, branch empty: coupons belong to no branch), and the coupons redeemed
/// and what they took off per branch where they were used (the sales of the period; a coupon a
/// sale used but HQ did not redeem, being flagged, is not counted). A refund gives no coupon back.
fn coupons(c: &Conn<'_>, q: &ReportQuery, now: jiff::Timestamp) -> StoreResult<Report> {
    let mut r = Report::new(
        q,
        vec![
            ("campaign", Unit::Text, false),
            ("name", Unit::Text, false),
            ("branch", Unit::Text, false),
            ("issued", Unit::Count, true),
            ("redeemed", Unit::Count, true),
            ("discount", Unit::Money, true),
            ("expired", Unit::Count, true),
            ("outstanding", Unit::Count, true),
            // Coupons sales used that HQ did not redeem (flagged: used twice, unknown, another
            // member's, out of date): the sale stands, so redeemed and flagged discounts together
            // are the sales reports' coupons column.
            ("flagged", Unit::Count, true),
            ("flagged_discount", Unit::Money, true),
        ],
    );
    let zone = crate::calendar::hq_zone();
    let start = |d: jiff::civil::Date| d.to_zoned(zone.clone()).map(|z| super::micros(z.timestamp())).unwrap_or(0);
    let from = start(q.from);
    let to = q.to.tomorrow().map(start).unwrap_or(i64::MAX);
    let campaigns = "SELECT CAST(g.id AS TEXT), g.name, '',
                  CAST(COALESCE(SUM(CASE WHEN k.issued_at >= ?1 AND k.issued_at < ?2 THEN 1 ELSE 0 END), 0) AS BIGINT), 0, 0,
                  CAST(COALESCE(SUM(CASE WHEN k.status <> 'redeemed' AND k.valid_until >= ?1 AND k.valid_until < ?2
                                          AND k.valid_until < ?3 THEN 1 ELSE 0 END), 0) AS BIGINT),
                  CAST(COALESCE(SUM(CASE WHEN k.status <> 'redeemed' AND k.valid_until >= ?3 THEN 1 ELSE 0 END), 0) AS BIGINT),
                  0, 0
           FROM coupon_campaigns g LEFT JOIN coupons k ON k.campaign_id = g.id
           GROUP BY g.id, g.name ORDER BY g.id";
    let read = |r: &super::conn::Row<'_>| -> super::conn::Result<Vec<Cell>> {
        (0..10)
            .map(|i| {
                if i < 3 {
                    Ok(Cell::Text(r.get::<_, Option<String>>(i)?.unwrap_or_default()))
                } else {
                    Ok(Cell::Int(r.get::<_, Option<i64>>(i)?.unwrap_or(0)))
                }
            })
            .collect()
    };
    // The campaigns' own rows are chain-wide (issued, expired, outstanding): a report of one branch
    // (a branch manager's, always) has its branch's redeemed rows only.
    let mut out: Vec<Vec<Cell>> = if q.branch.is_some() {
        Vec::new()
    } else {
        c.prepare(campaigns)?.query_map(params![from, to, super::micros(now)], read)?.collect::<Result<_, _>>()?
    };
    // Per campaign (a coupon HQ does not know under no campaign) and branch where sales used them.
    let redeemed = "SELECT COALESCE(CAST(k.campaign_id AS TEXT), ''), COALESCE(MAX(g.name), ''), b.code, 0,
                  CAST(SUM(CASE WHEN sc.redeemed = 1 THEN 1 ELSE 0 END) AS BIGINT),
                  CAST(SUM(CASE WHEN sc.redeemed = 1 THEN sc.discount ELSE 0 END) AS BIGINT), 0, 0,
                  CAST(SUM(CASE WHEN sc.redeemed = 1 THEN 0 ELSE 1 END) AS BIGINT),
                  CAST(SUM(CASE WHEN sc.redeemed = 1 THEN 0 ELSE sc.discount END) AS BIGINT)
           FROM sale_coupons sc JOIN sales s ON s.id = sc.sale_id LEFT JOIN coupons k ON k.id = sc.coupon_id
           LEFT JOIN coupon_campaigns g ON g.id = k.campaign_id JOIN branches b ON b.id = s.branch_id
           WHERE s.business_day BETWEEN ?1 AND ?2 AND (CAST(?3 AS BIGINT) IS NULL OR s.branch_id = ?3)
           GROUP BY k.campaign_id, b.code ORDER BY k.campaign_id, b.code";
    let p = params_of(q);
    out.extend(c.prepare(redeemed)?.query_map(params![p.0, p.1, p.2], read)?.collect::<Result<Vec<_>, _>>()?);
    // Each campaign's row, then its branches' rows.
    out.sort_by_key(|row| {
        let id = match &row[0] {
            Cell::Text(t) => t.parse::<i64>().unwrap_or(0),
            Cell::Int(i) => *i,
        };
        let branch = match &row[2] {
            Cell::Text(t) => t.clone(),
            Cell::Int(_) => String::new(),
        };
        (id, branch)
    });
    r.rows = out;
    Ok(r.total())
}

/// Per promotion and branch, for the sales of the period: the sales and lines it took something off,
/// what it gave (the sum of its allocations), what came back with returned goods so far (per line,
/// `floor(allocation × returned / sold)` over all its returns: the cumulative rule returns pay by),
/// and the cost that stays. A threshold clawback is not split by promotion: the refunds report has it.
fn promotions(c: &Conn<'_>, q: &ReportQuery) -> StoreResult<Report> {
    let mut r = Report::new(
        q,
        vec![
            ("promotion", Unit::Text, false),
            ("name", Unit::Text, false),
            ("branch", Unit::Text, false),
            ("day", Unit::Text, false),
            ("sales", Unit::Count, true),
            ("lines", Unit::Count, true),
            ("given", Unit::Money, true),
            ("returned", Unit::Money, true),
            ("cost", Unit::Money, true),
        ],
    );
    // By promotion, branch and business day of the sale (what its returns gave back counts on the
    // sale's day, where the discount was given).
    let sql =
        "SELECT CAST(a.promotion_id AS TEXT), MAX(p.name), b.code, s.business_day, COUNT(DISTINCT a.sale_id), COUNT(*),
                      SUM(a.amount), SUM(a.amount * COALESCE(rq.qty, 0) / l.qty),
                      SUM(a.amount - a.amount * COALESCE(rq.qty, 0) / l.qty)
               FROM sale_line_promotions a
               JOIN sales s ON s.id = a.sale_id
               JOIN sale_lines l ON l.sale_id = a.sale_id AND l.line_no = a.line_no
               JOIN branches b ON b.id = s.branch_id
               LEFT JOIN promotions p ON p.id = a.promotion_id
               LEFT JOIN (SELECT rf.sale_id, rl.sale_line, CAST(SUM(rl.qty) AS BIGINT) AS qty
                          FROM refund_lines rl JOIN refunds rf ON rf.id = rl.refund_id
                          WHERE rl.sale_line IS NOT NULL GROUP BY rf.sale_id, rl.sale_line) rq
                      ON rq.sale_id = a.sale_id AND rq.sale_line + 1 = a.line_no
               WHERE s.business_day BETWEEN ?1 AND ?2 AND (CAST(?3 AS BIGINT) IS NULL OR s.branch_id = ?3)
               GROUP BY a.promotion_id, b.code, s.business_day ORDER BY a.promotion_id, b.code, s.business_day";
    r.rows = rows(c, sql, &params_of(q), 4, 9)?;
    Ok(r.total())
}

fn shifts(c: &Conn<'_>, q: &ReportQuery) -> StoreResult<Report> {
    let mut r = Report::new(
        q,
        vec![
            ("branch", Unit::Text, false),
            ("till", Unit::Text, false),
            ("z_number", Unit::Text, false),
            ("day", Unit::Text, false),
            ("cashier", Unit::Text, false),
            ("expected", Unit::Money, true),
            ("counted", Unit::Money, true),
            ("over_short", Unit::Money, true),
        ],
    );
    let sql = format!(
        "SELECT b.code, {}, CAST(z.z_number AS TEXT), z.business_day,
                      COALESCE(st.name, CAST(z.cashier_id AS TEXT)), z.expected, z.counted, z.over_short
               FROM z_reports z JOIN branches b ON b.id = z.branch_id JOIN tills t ON t.id = z.till_id
               LEFT JOIN staff st ON st.id = z.cashier_id
               WHERE z.business_day BETWEEN ?1 AND ?2 AND (CAST(?3 AS BIGINT) IS NULL OR z.branch_id = ?3)
               ORDER BY z.business_day, b.code, t.number, z.z_number",
        c.two_digits("t.number")
    );
    r.rows = rows(c, &sql, &params_of(q), 5, 8)?;
    Ok(r.total())
}

fn day_end(c: &Conn<'_>, q: &ReportQuery) -> StoreResult<Report> {
    let mut r = Report::new(
        q,
        vec![
            ("branch", Unit::Text, false),
            ("day", Unit::Text, false),
            ("status", Unit::Text, false),
            ("tills_open", Unit::Count, true),
            ("tills_closed", Unit::Count, true),
            ("shifts_open", Unit::Count, true),
            ("shifts_closed", Unit::Count, true),
        ],
    );
    // Every (branch, day) with a shift, and how many of its tills have closed the day.
    let sql = "WITH d AS (SELECT DISTINCT branch_id, business_day, till_id FROM shifts
                          WHERE business_day BETWEEN ?1 AND ?2 AND (CAST(?3 AS BIGINT) IS NULL OR branch_id = ?3))
               SELECT b.code, d.business_day,
                      CASE WHEN COUNT(DISTINCT d.till_id) = COUNT(DISTINCT dc.till_id) THEN 'closed' ELSE 'open' END,
                      COUNT(DISTINCT d.till_id) - COUNT(DISTINCT dc.till_id), COUNT(DISTINCT dc.till_id),
                      (SELECT COUNT(*) FROM shifts s WHERE s.branch_id = d.branch_id AND s.business_day = d.business_day
                         AND NOT EXISTS (SELECT 1 FROM z_reports z WHERE z.shift_id = s.id)),
                      (SELECT COUNT(*) FROM z_reports z WHERE z.branch_id = d.branch_id AND z.business_day = d.business_day)
               FROM d JOIN branches b ON b.id = d.branch_id
               LEFT JOIN day_closes dc ON dc.till_id = d.till_id AND dc.business_day = d.business_day
               GROUP BY d.branch_id, b.id, d.business_day ORDER BY d.business_day, b.code";
    r.rows = rows(c, sql, &params_of(q), 3, 7)?;
    Ok(r.total())
}

/// Ledger flows by kind in the period; outstanding balances (chain-wide) as notes.
fn ledger_flows(c: &Conn<'_>, q: &ReportQuery, points: bool, now: jiff::Timestamp) -> StoreResult<Report> {
    let mut r = if points {
        Report::new(
            q,
            vec![("kind", Unit::Text, false), ("entries", Unit::Count, true), ("points", Unit::Points, true)],
        )
    } else {
        Report::new(
            q,
            vec![
                ("kind", Unit::Text, false),
                ("entries", Unit::Count, true),
                ("principal", Unit::Money, true),
                ("bonus", Unit::Money, true),
                ("total", Unit::Money, true),
            ],
        )
    };
    let (sql, width) = if points {
        (
            "SELECT kind, COUNT(*), SUM(points) FROM ledger_entries
             WHERE points <> 0 AND business_day BETWEEN ?1 AND ?2 AND (CAST(?3 AS BIGINT) IS NULL OR branch_id = ?3)
             GROUP BY kind ORDER BY kind",
            3,
        )
    } else {
        (
            "SELECT kind, COUNT(*), SUM(principal), SUM(bonus), SUM(principal + bonus) FROM ledger_entries
             WHERE (principal <> 0 OR bonus <> 0) AND business_day BETWEEN ?1 AND ?2 AND (CAST(?3 AS BIGINT) IS NULL OR branch_id = ?3)
             GROUP BY kind ORDER BY kind",
            5,
        )
    };
    r.rows = rows(c, sql, &params_of(q), 1, width)?;
    if q.branch.is_none() {
        let (pts, principal, bonus): (i64, i64, i64) = c.query_row(
            "SELECT COALESCE(SUM(points), 0), COALESCE(SUM(sv_principal), 0), COALESCE(SUM(sv_bonus), 0) FROM members",
            [],
            |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)),
        )?;
        if points {
            let policy = super::policy_in_force_tx(c, now)?;
            let value = policy.redeem.value_of(pts.max(0));
            r.notes.push(("points_outstanding".into(), Cell::Int(pts)));
            r.notes.push(("points_outstanding_value_fen".into(), Cell::Int(value.0)));
        } else {
            r.notes.push(("principal_outstanding_fen".into(), Cell::Int(principal)));
            r.notes.push(("bonus_outstanding_fen".into(), Cell::Int(bonus)));
            r.notes.push(("stored_value_outstanding_fen".into(), Cell::Int(principal + bonus)));
        }
    }
    Ok(r.total())
}

fn members(c: &Conn<'_>, q: &ReportQuery) -> StoreResult<Report> {
    let mut r = Report::new(
        q,
        vec![
            ("branch", Unit::Text, false),
            ("new_members", Unit::Count, true),
            ("active_members", Unit::Count, true),
            ("member_sales", Unit::Count, true),
            ("member_due", Unit::Money, true),
            ("all_due", Unit::Money, true),
        ],
    );
    let from = super::micros(
        q.from.to_zoned(crate::calendar::hq_zone()).map(|z| z.timestamp()).unwrap_or(jiff::Timestamp::UNIX_EPOCH),
    );
    let to_day = q.to.tomorrow().unwrap_or(q.to);
    let to = super::micros(
        to_day.to_zoned(crate::calendar::hq_zone()).map(|z| z.timestamp()).unwrap_or(jiff::Timestamp::UNIX_EPOCH),
    );
    let sql = "SELECT b.code,
                      (SELECT COUNT(*) FROM members m WHERE m.home_branch = b.id AND m.enrolled_at >= ?4 AND m.enrolled_at < ?5),
                      (SELECT COUNT(DISTINCT s.member_id) FROM sales s WHERE s.branch_id = b.id AND s.member_id IS NOT NULL
                         AND s.business_day BETWEEN ?1 AND ?2),
                      (SELECT COUNT(*) FROM sales s WHERE s.branch_id = b.id AND s.member_id IS NOT NULL
                         AND s.business_day BETWEEN ?1 AND ?2),
                      (SELECT COALESCE(SUM(s.due), 0) FROM sales s WHERE s.branch_id = b.id AND s.member_id IS NOT NULL
                         AND s.business_day BETWEEN ?1 AND ?2),
                      (SELECT COALESCE(SUM(s.due), 0) FROM sales s WHERE s.branch_id = b.id AND s.business_day BETWEEN ?1 AND ?2)
               FROM branches b WHERE (CAST(?3 AS BIGINT) IS NULL OR b.id = ?3) ORDER BY b.code";
    let p = params_of(q);
    let mut st = c.prepare_cached(sql)?;
    r.rows = st
        .query_map(params![p.0, p.1, p.2, from, to], |row| {
            Ok(vec![
                Cell::Text(row.get(0)?),
                Cell::Int(row.get(1)?),
                Cell::Int(row.get(2)?),
                Cell::Int(row.get(3)?),
                Cell::Int(row.get(4)?),
                Cell::Int(row.get(5)?),
            ])
        })?
        .collect::<Result<_, _>>()?;
    Ok(r.total())
}

fn members_by_tier(c: &Conn<'_>, q: &ReportQuery) -> StoreResult<Report> {
    let mut r = Report::new(
        q,
        vec![("tier", Unit::Text, false), ("members", Unit::Count, true), ("points", Unit::Points, true)],
    );
    let sql = "SELECT tier, COUNT(*), SUM(points) FROM members
               WHERE status = 'active' AND (CAST(?3 AS BIGINT) IS NULL OR home_branch = ?3) AND ?1 <= ?2 GROUP BY tier ORDER BY tier";
    r.rows = rows(c, sql, &params_of(q), 1, 3)?;
    Ok(r.total())
}

/// Members by spend in the period, biggest first, down to the ones who together bring 80 % of
/// members' spend (the rest are summed in one row).
fn top_customers(c: &Conn<'_>, q: &ReportQuery) -> StoreResult<Report> {
    let mut r = Report::new(
        q,
        vec![
            ("member", Unit::Text, false),
            ("name", Unit::Text, false),
            ("sales", Unit::Count, true),
            ("spend", Unit::Money, true),
            ("cumulative_share_bp", Unit::Bp, false),
        ],
    );
    let sql = "SELECT m.code, m.name, COUNT(*), SUM(s.due) AS spend FROM sales s JOIN members m ON m.id = s.member_id
               WHERE s.business_day BETWEEN ?1 AND ?2 AND (CAST(?3 AS BIGINT) IS NULL OR s.branch_id = ?3)
               GROUP BY s.member_id, m.id ORDER BY spend DESC, m.code";
    let all = rows(c, sql, &params_of(q), 2, 4)?;
    let total: i64 = all.iter().map(|row| row[3].int()).sum();
    let members = all.len() as i64;
    let mut cumulative = 0i64;
    let mut rest = (0i64, 0i64, 0i64);
    for row in all {
        if total > 0 && cumulative * 10_000 >= total * 8_000 {
            rest.0 += 1;
            rest.1 += row[2].int();
            rest.2 += row[3].int();
            continue;
        }
        cumulative += row[3].int();
        let share = if total > 0 { cumulative * 10_000 / total } else { 0 };
        let mut row = row;
        row.push(Cell::Int(share));
        r.rows.push(row);
    }
    let top = r.rows.len() as i64;
    if rest.0 > 0 {
        r.rows.push(vec![
            Cell::Text(format!("{} others", rest.0)),
            Cell::Text(String::new()),
            Cell::Int(rest.1),
            Cell::Int(rest.2),
            Cell::Int(10_000),
        ]);
    }
    r.notes.push(("members_with_sales".into(), Cell::Int(members)));
    r.notes.push(("members_bringing_80_percent".into(), Cell::Int(top)));
    Ok(r.total())
}

impl ReportStore for SqlStore {
    fn report(&self, q: &ReportQuery) -> StoreResult<Report> {
        let now = self.now();
        self.read(|c| report_in(c, q, now))
    }
}

/// A report in the caller's read transaction (the P&L reads several in one snapshot).
pub(super) fn report_in(c: &Conn<'_>, q: &ReportQuery, now: jiff::Timestamp) -> StoreResult<Report> {
    match q.kind {
            ReportKind::SalesByBranch => sales_by(c, q, "branch", "name", "(SELECT code FROM branches WHERE id = s.branch_id), (SELECT name FROM branches WHERE id = s.branch_id)"),
            ReportKind::SalesByDay => sales_by(c, q, "day", "branch", "s.business_day, (SELECT code FROM branches WHERE id = s.branch_id)"),
            ReportKind::SalesByTill => sales_by(
                c,
                q,
                "till",
                "branch",
                &format!(
                    "(SELECT b.code || '-' || {} FROM tills t JOIN branches b ON b.id = t.branch_id WHERE t.id = s.till_id),
                     (SELECT code FROM branches WHERE id = s.branch_id)",
                    c.two_digits("t.number")
                ),
            ),
            ReportKind::SalesByCashier => sales_by(
                c,
                q,
                "cashier",
                "name",
                "(SELECT code FROM branches WHERE id = s.branch_id) || ':' || s.cashier_id,
                 (SELECT name FROM staff WHERE id = s.cashier_id)",
            ),
            ReportKind::SalesByCategory => lines_by(
                c,
                q,
                "category",
                "COALESCE(cat.code, CAST(l.category_id AS TEXT)), MAX(cat.name)",
                "LEFT JOIN categories cat ON cat.id = l.category_id",
            ),
            ReportKind::SalesByProduct => lines_by(c, q, "product", "l.product_code, MAX(l.name)", ""),
            ReportKind::Tenders => tenders(c, q),
            ReportKind::RefundsAndVoids => refunds(c, q),
            ReportKind::Discounts => discounts(c, q),
            ReportKind::Shifts => shifts(c, q),
            ReportKind::DayEnd => day_end(c, q),
            ReportKind::Points => ledger_flows(c, q, true, now),
            ReportKind::StoredValue => ledger_flows(c, q, false, now),
            ReportKind::Members => members(c, q),
            ReportKind::MembersByTier => members_by_tier(c, q),
            ReportKind::TopCustomers => top_customers(c, q),
            ReportKind::Promotions => promotions(c, q),
            ReportKind::Coupons => coupons(c, q, now),
    }
}
