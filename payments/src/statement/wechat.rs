//! WeChat Pay's statement (`downloadbill`, `bill_type=ALL`), in the current 27-column form:
//!
//! ```text
//! 交易时间,公众账号ID,商户号,特约商户号,设备号,微信订单号,商户订单号,用户标识,交易类型,交易状态,付款银行,货币种类,应结订单金额,代金券金额,微信退款单号,商户退款单号,退款金额,充值券退款金额,退款类型,退款状态,商品名称,商户数据包,手续费,费率,订单金额,申请退款金额,费率备注
//! `2026-11-30 10:00:00,`wx…,`1900000109,`0,`,`4200…,`B001-01-000042-1,`o…,`MICROPAY,`SUCCESS,`CFT,`CNY,`12.34,`0.00,`0,`0,`0.00,`0.00,`,`,`…,`,`0.00000,`0.60%,`12.34,`0.00,`
//! 总交易单数,应结订单总金额,退款总金额,充值券退款总金额,手续费总金额,订单总金额,申请退款总金额
//! `1,`12.34,`0.00,`0.00,`0.00000,`12.34,`0.00
//! ```
//!
//! Every field is prefixed by a backquote (so spreadsheets keep long numbers as text); fields are
//! not quoted, so a comma cannot occur inside one. Payment rows have `交易状态` SUCCESS, refund rows
//! REFUND (with the refund's ids and `退款金额`), reversed orders REVOKED. The 手续费 (fee) has five
//! decimals, finer than a fen, and is kept as text. The summary's count must equal the rows.

use super::{StatementError, amount, date_time, error, lines, time_text};
use crate::money::fen_to_yuan;

pub const HEADER: &str = "交易时间,公众账号ID,商户号,特约商户号,设备号,微信订单号,商户订单号,用户标识,交易类型,交易状态,付款银行,货币种类,应结订单金额,代金券金额,微信退款单号,商户退款单号,退款金额,充值券退款金额,退款类型,退款状态,商品名称,商户数据包,手续费,费率,订单金额,申请退款金额,费率备注";
pub const SUMMARY_HEADER: &str =
    "总交易单数,应结订单总金额,退款总金额,充值券退款总金额,手续费总金额,订单总金额,申请退款总金额";
const COLUMNS: usize = 27;

/// One payment, refund or reversal of the day
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WeChatRow {
    /// The line of the file
    pub row: usize,
    /// 交易时间 (Beijing time)
    pub traded_at: jiff::civil::DateTime,
    pub appid: String,
    pub mch_id: String,
    pub sub_mch_id: String,
    pub device_info: String,
    /// 微信订单号
    pub transaction_id: String,
    /// 商户订单号
    pub out_trade_no: String,
    pub openid: String,
    pub trade_type: String,
    /// 交易状态: SUCCESS, REFUND, REVOKED, …
    pub trade_state: String,
    pub bank_type: String,
    pub currency: String,
    /// 应结订单金额, fen
    pub settlement_amount: i64,
    /// 代金券金额, fen
    pub coupon_amount: i64,
    /// 微信退款单号 (`0` on a payment row)
    pub refund_id: String,
    /// 商户退款单号 (`0` on a payment row)
    pub out_refund_no: String,
    /// 退款金额, fen
    pub refund_amount: i64,
    /// 充值券退款金额, fen
    pub coupon_refund_amount: i64,
    pub refund_type: String,
    pub refund_status: String,
    /// 商品名称
    pub body: String,
    pub attach: String,
    /// 手续费, yuan with five decimals, as text
    pub fee: String,
    /// 费率, e.g. `0.60%`
    pub rate: String,
    /// 订单金额, fen
    pub order_amount: i64,
    /// 申请退款金额, fen
    pub requested_refund_amount: i64,
    pub rate_note: String,
}

/// The summary at the end
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WeChatSummary {
    /// 总交易单数
    pub count: usize,
    pub settlement_total: i64,
    pub refund_total: i64,
    pub coupon_refund_total: i64,
    /// 手续费总金额, as text
    pub fee_total: String,
    pub order_total: i64,
    pub requested_refund_total: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WeChatStatement {
    pub rows: Vec<WeChatRow>,
    pub summary: WeChatSummary,
}

/// A line's fields without their backquotes
fn fields(row: usize, line: &str, expected: usize) -> Result<Vec<&str>, StatementError> {
    let cells: Vec<&str> = line.split(',').collect();
    if cells.len() != expected {
        return Err(error(row, format!("{} fields, not {expected}", cells.len())));
    }
    cells
        .into_iter()
        .enumerate()
        .map(|(i, cell)| cell.strip_prefix('`').ok_or_else(|| error(row, format!("field {} has no backquote", i + 1))))
        .collect()
}

/// Reads a statement; any broken row refuses the whole file, naming the row
pub fn parse(text: &str) -> Result<WeChatStatement, StatementError> {
    let mut lines = lines(text);
    match lines.next() {
        Some((_, HEADER)) => {}
        Some((row, _)) => {
            return Err(error(row, "not WeChat Pay's statement header (27 columns, 交易时间 … 费率备注)"));
        }
        None => return Err(error(1, "empty file")),
    }
    let mut rows = Vec::new();
    let mut last = 1;
    let mut summary = None;
    for (row, line) in lines.by_ref() {
        last = row;
        if line == SUMMARY_HEADER {
            break;
        }
        if line.is_empty() {
            return Err(error(row, "empty line among the rows"));
        }
        rows.push(parse_row(row, line)?);
    }
    for (row, line) in lines {
        last = row;
        if line.is_empty() {
            continue;
        }
        if summary.is_some() {
            return Err(error(row, "text after the summary"));
        }
        let f = fields(row, line, 7)?;
        let count = f[0].parse::<usize>().map_err(|_| error(row, format!("总交易单数 `{}` is not a count", f[0])))?;
        if count != rows.len() {
            return Err(error(row, format!("the summary counts {count} rows, the file has {}", rows.len())));
        }
        summary = Some(WeChatSummary {
            count,
            settlement_total: amount(row, "应结订单总金额", f[1])?,
            refund_total: amount(row, "退款总金额", f[2])?,
            coupon_refund_total: amount(row, "充值券退款总金额", f[3])?,
            fee_total: f[4].to_owned(),
            order_total: amount(row, "订单总金额", f[5])?,
            requested_refund_total: amount(row, "申请退款总金额", f[6])?,
        });
    }
    let summary =
        summary.ok_or_else(|| error(last + 1, "no summary (总交易单数 …) at the end: the file is cut short"))?;
    Ok(WeChatStatement { rows, summary })
}

fn parse_row(row: usize, line: &str) -> Result<WeChatRow, StatementError> {
    let f = fields(row, line, COLUMNS)?;
    let s = |i: usize| f[i].to_owned();
    if f[6].is_empty() {
        return Err(error(row, "no 商户订单号"));
    }
    Ok(WeChatRow {
        row,
        traded_at: date_time(row, "交易时间", f[0])?,
        appid: s(1),
        mch_id: s(2),
        sub_mch_id: s(3),
        device_info: s(4),
        transaction_id: s(5),
        out_trade_no: s(6),
        openid: s(7),
        trade_type: s(8),
        trade_state: s(9),
        bank_type: s(10),
        currency: s(11),
        settlement_amount: amount(row, "应结订单金额", f[12])?,
        coupon_amount: amount(row, "代金券金额", f[13])?,
        refund_id: s(14),
        out_refund_no: s(15),
        refund_amount: amount(row, "退款金额", f[16])?,
        coupon_refund_amount: amount(row, "充值券退款金额", f[17])?,
        refund_type: s(18),
        refund_status: s(19),
        body: s(20),
        attach: s(21),
        fee: s(22),
        rate: s(23),
        order_amount: amount(row, "订单金额", f[24])?,
        requested_refund_amount: amount(row, "申请退款金额", f[25])?,
        rate_note: s(26),
    })
}

/// Writes a statement as WeChat Pay does (`\r\n` line ends)
pub fn write(statement: &WeChatStatement) -> String {
    let mut out = String::new();
    out.push_str(HEADER);
    out.push_str("\r\n");
    let line = |cells: &[String]| cells.iter().map(|c| format!("`{}", clean(c))).collect::<Vec<_>>().join(",");
    for r in &statement.rows {
        out.push_str(&line(&[
            time_text(r.traded_at),
            r.appid.clone(),
            r.mch_id.clone(),
            r.sub_mch_id.clone(),
            r.device_info.clone(),
            r.transaction_id.clone(),
            r.out_trade_no.clone(),
            r.openid.clone(),
            r.trade_type.clone(),
            r.trade_state.clone(),
            r.bank_type.clone(),
            r.currency.clone(),
            fen_to_yuan(r.settlement_amount),
            fen_to_yuan(r.coupon_amount),
            r.refund_id.clone(),
            r.out_refund_no.clone(),
            fen_to_yuan(r.refund_amount),
            fen_to_yuan(r.coupon_refund_amount),
            r.refund_type.clone(),
            r.refund_status.clone(),
            r.body.clone(),
            r.attach.clone(),
            r.fee.clone(),
            r.rate.clone(),
            fen_to_yuan(r.order_amount),
            fen_to_yuan(r.requested_refund_amount),
            r.rate_note.clone(),
        ]));
        out.push_str("\r\n");
    }
    let s = &statement.summary;
    out.push_str(SUMMARY_HEADER);
    out.push_str("\r\n");
    out.push_str(&line(&[
        s.count.to_string(),
        fen_to_yuan(s.settlement_total),
        fen_to_yuan(s.refund_total),
        fen_to_yuan(s.coupon_refund_total),
        s.fee_total.clone(),
        fen_to_yuan(s.order_total),
        fen_to_yuan(s.requested_refund_total),
    ]));
    out.push_str("\r\n");
    out
}

/// The format has no quoting: a comma or line end inside a field is replaced
fn clean(cell: &str) -> String {
    cell.replace([',', '\r', '\n'], " ")
}
