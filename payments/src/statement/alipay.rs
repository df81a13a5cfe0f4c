//! Alipay's statement of trades (`alipay.data.dataservice.bill.downloadurl.query` with
//! `bill_type=trade`: the 业务明细 CSV inside the downloaded zip), GBK-encoded:
//!
//! ```text
//! #支付宝业务明细查询
//! #账号：[2088000000000000]
//! #起始日期：[2026年11月30日 00:00:00]   终止日期：[2026年12月01日 00:00:00]
//! #-----------------------------------------业务明细列表----------------------------------------
//! 支付宝交易号,商户订单号,业务类型,商品名称,创建时间,完成时间,门店编号,门店名称,操作员,终端号,对方账户,订单金额（元）,商家实收（元）,…,退款批次号/请求号,服务费（元）,分润（元）,备注
//! 2026113022000000000000000001\t,B001-01-000042-1\t,交易\t,…
//! #-----------------------------------------业务明细列表结束------------------------------------
//! #交易合计：1笔，商家实收共12.34元，商家优惠共0.00元
//! #退款合计：0笔，商家实收退款共0.00元，商家优惠退款共0.00元
//! #导出时间：[2026年12月01日 09:00:00]
//! ```
//!
//! Cells carry trailing tabs (so spreadsheets keep long numbers as text) and are trimmed;
//! columns are found by their header names, so added columns do not break the import. Refund rows
//! (业务类型 退款) have negative amounts. The footer's counts and 商家实收 totals must match the rows.

use super::{StatementError, amount, date_time, error, time_text};
use crate::money::fen_to_yuan;

pub const LIST_START: &str =
    "#-----------------------------------------业务明细列表----------------------------------------";
pub const LIST_END: &str =
    "#-----------------------------------------业务明细列表结束------------------------------------";
pub const COLUMNS: [&str; 25] = [
    "支付宝交易号",
    "商户订单号",
    "业务类型",
    "商品名称",
    "创建时间",
    "完成时间",
    "门店编号",
    "门店名称",
    "操作员",
    "终端号",
    "对方账户",
    "订单金额（元）",
    "商家实收（元）",
    "支付宝红包（元）",
    "集分宝（元）",
    "支付宝优惠（元）",
    "商家优惠（元）",
    "券核销金额（元）",
    "券名称",
    "商家红包消费金额（元）",
    "卡消费金额（元）",
    "退款批次号/请求号",
    "服务费（元）",
    "分润（元）",
    "备注",
];

/// One trade or refund of the day
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlipayRow {
    /// The line of the file
    pub row: usize,
    /// 支付宝交易号
    pub trade_no: String,
    /// 商户订单号
    pub out_trade_no: String,
    /// 业务类型: 交易 (a payment) or 退款 (a refund)
    pub kind: String,
    pub subject: String,
    pub created_at: jiff::civil::DateTime,
    pub finished_at: jiff::civil::DateTime,
    pub store_id: String,
    pub store_name: String,
    pub operator: String,
    pub terminal_id: String,
    /// 对方账户 (masked)
    pub buyer_account: String,
    /// 订单金额（元）, fen (negative on a refund)
    pub order_amount: i64,
    /// 商家实收（元）, fen (negative on a refund)
    pub receipt_amount: i64,
    /// 退款批次号/请求号 (the refund's `out_request_no`)
    pub refund_request_no: String,
    /// 服务费（元）, fen
    pub service_fee: i64,
    pub note: String,
}

impl AlipayRow {
    pub fn is_refund(&self) -> bool {
        self.kind == "退款"
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlipayStatement {
    /// The seller's Alipay account (#账号)
    pub account: String,
    /// The period as its header line states it
    pub from: jiff::civil::DateTime,
    pub to: jiff::civil::DateTime,
    pub rows: Vec<AlipayRow>,
    pub exported_at: jiff::civil::DateTime,
}

const CN_TIME: &str = "%Y年%m月%d日 %H:%M:%S";

/// Reads a statement (GBK bytes); any broken row refuses the whole file, naming the row
pub fn parse(bytes: &[u8]) -> Result<AlipayStatement, StatementError> {
    let mut decoded = Vec::new();
    let bytes = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(bytes);
    for (i, raw) in bytes.split(|&b| b == b'\n').enumerate() {
        let raw = raw.strip_suffix(b"\r").unwrap_or(raw);
        let line = encoding_rs::GBK
            .decode_without_bom_handling_and_without_replacement(raw)
            .ok_or_else(|| error(i + 1, "not GBK text"))?;
        decoded.push((i + 1, line.into_owned()));
    }
    let mut lines = decoded.iter().map(|(n, l)| (*n, l.as_str())).peekable();

    let mut account = None;
    let mut period = None;
    loop {
        let Some((row, line)) = lines.next() else { return Err(error(1, "no 业务明细列表 in the file")) };
        if line.trim().is_empty() {
            continue;
        }
        if !line.starts_with('#') {
            return Err(error(row, "a row before the 业务明细列表 line"));
        }
        if line.contains("业务明细列表") {
            break;
        }
        if let Some(rest) = line.strip_prefix("#账号：[") {
            account = Some(rest.trim_end().trim_end_matches(']').to_owned());
        }
        if let Some(rest) = line.strip_prefix("#起始日期：[") {
            let (from, to) = rest.split_once("]").ok_or_else(|| error(row, "no ] after 起始日期"))?;
            let to = to.trim().strip_prefix("终止日期：[").and_then(|t| t.strip_suffix(']'));
            let to = to.ok_or_else(|| error(row, "no 终止日期"))?;
            let read = |t: &str| {
                jiff::civil::DateTime::strptime(CN_TIME, t).map_err(|_| error(row, format!("`{t}` is not a time")))
            };
            period = Some((read(from)?, read(to)?));
        }
    }
    let (header_row, header) = lines.next().ok_or_else(|| error(1, "no header after 业务明细列表"))?;
    let names: Vec<&str> = header.split(',').map(str::trim).collect();
    let column = |name: &str| {
        names.iter().position(|n| *n == name).ok_or_else(|| error(header_row, format!("no column {name}")))
    };
    let c = |name: &str| column(name);
    let index = [
        c("支付宝交易号")?,
        c("商户订单号")?,
        c("业务类型")?,
        c("商品名称")?,
        c("创建时间")?,
        c("完成时间")?,
        c("门店编号")?,
        c("门店名称")?,
        c("操作员")?,
        c("终端号")?,
        c("对方账户")?,
        c("订单金额（元）")?,
        c("商家实收（元）")?,
        c("退款批次号/请求号")?,
        c("服务费（元）")?,
        c("备注")?,
    ];

    let mut rows = Vec::new();
    let mut last = header_row;
    let mut ended = false;
    for (row, line) in lines.by_ref() {
        last = row;
        if line.starts_with('#') && line.contains("业务明细列表结束") {
            ended = true;
            break;
        }
        if line.trim().is_empty() {
            return Err(error(row, "empty line among the rows"));
        }
        let cells: Vec<&str> = line.split(',').map(str::trim).collect();
        if cells.len() != names.len() {
            return Err(error(row, format!("{} fields, not {}", cells.len(), names.len())));
        }
        let f = |i: usize| cells[index[i]];
        if f(0).is_empty() || f(1).is_empty() {
            return Err(error(row, "no 支付宝交易号 or 商户订单号"));
        }
        rows.push(AlipayRow {
            row,
            trade_no: f(0).to_owned(),
            out_trade_no: f(1).to_owned(),
            kind: f(2).to_owned(),
            subject: f(3).to_owned(),
            created_at: date_time(row, "创建时间", f(4))?,
            finished_at: date_time(row, "完成时间", f(5))?,
            store_id: f(6).to_owned(),
            store_name: f(7).to_owned(),
            operator: f(8).to_owned(),
            terminal_id: f(9).to_owned(),
            buyer_account: f(10).to_owned(),
            order_amount: amount(row, "订单金额（元）", f(11))?,
            receipt_amount: amount(row, "商家实收（元）", f(12))?,
            refund_request_no: f(13).to_owned(),
            service_fee: amount(row, "服务费（元）", f(14))?,
            note: f(15).to_owned(),
        });
    }
    if !ended {
        return Err(error(last + 1, "no 业务明细列表结束 line: the file is cut short"));
    }
    let mut trades_checked = false;
    let mut refunds_checked = false;
    let mut exported_at = None;
    for (row, line) in lines {
        last = row;
        if line.trim().is_empty() {
            continue;
        }
        if !line.starts_with('#') {
            return Err(error(row, "a row after 业务明细列表结束"));
        }
        if let Some(rest) = line.strip_prefix("#交易合计：") {
            check_total(row, rest, "商家实收共", &rows, false)?;
            trades_checked = true;
        } else if let Some(rest) = line.strip_prefix("#退款合计：") {
            check_total(row, rest, "商家实收退款共", &rows, true)?;
            refunds_checked = true;
        } else if let Some(rest) = line.strip_prefix("#导出时间：[") {
            let text = rest.trim_end().trim_end_matches(']');
            exported_at = Some(
                jiff::civil::DateTime::strptime(CN_TIME, text)
                    .map_err(|_| error(row, format!("`{text}` is not a time")))?,
            );
        }
    }
    if !trades_checked || !refunds_checked {
        return Err(error(last + 1, "no 交易合计 / 退款合计 lines: the file is cut short"));
    }
    let (from, to) = period.ok_or_else(|| error(1, "no 起始日期 line"))?;
    Ok(AlipayStatement {
        account: account.ok_or_else(|| error(1, "no 账号 line"))?,
        from,
        to,
        rows,
        exported_at: exported_at.ok_or_else(|| error(last, "no 导出时间 line"))?,
    })
}

/// `N笔，商家实收共X元，…` against the rows of that kind
fn check_total(row: usize, text: &str, label: &str, rows: &[AlipayRow], refunds: bool) -> Result<(), StatementError> {
    let (count, rest) = text.split_once('笔').ok_or_else(|| error(row, "no count (笔)"))?;
    let count: usize = count.trim().parse().map_err(|_| error(row, format!("`{count}` is not a count")))?;
    let total = rest
        .split_once(label)
        .and_then(|(_, t)| t.split_once('元'))
        .map(|(t, _)| t.trim())
        .ok_or_else(|| error(row, format!("no {label}…元")))?;
    let total = amount(row, label, total)?;
    let of_kind: Vec<&AlipayRow> = rows.iter().filter(|r| r.is_refund() == refunds).collect();
    if of_kind.len() != count {
        return Err(error(row, format!("the footer counts {count}, the list has {}", of_kind.len())));
    }
    let sum: i64 = of_kind.iter().map(|r| r.receipt_amount).sum();
    if sum != total {
        return Err(error(row, format!("the footer totals {}, the list {}", fen_to_yuan(total), fen_to_yuan(sum))));
    }
    Ok(())
}

/// Writes a statement as Alipay does: GBK, `\r\n` line ends, every cell followed by a tab
pub fn write(statement: &AlipayStatement) -> Vec<u8> {
    let mut out = String::new();
    let cn = |at: jiff::civil::DateTime| at.strftime(CN_TIME).to_string();
    out.push_str("#支付宝业务明细查询\r\n");
    out.push_str(&format!("#账号：[{}]\r\n", statement.account));
    out.push_str(&format!("#起始日期：[{}]   终止日期：[{}]\r\n", cn(statement.from), cn(statement.to)));
    out.push_str(LIST_START);
    out.push_str("\r\n");
    out.push_str(&COLUMNS.join(","));
    out.push_str("\r\n");
    for r in &statement.rows {
        let zero = fen_to_yuan(0);
        let cells = [
            r.trade_no.clone(),
            r.out_trade_no.clone(),
            r.kind.clone(),
            r.subject.clone(),
            time_text(r.created_at),
            time_text(r.finished_at),
            r.store_id.clone(),
            r.store_name.clone(),
            r.operator.clone(),
            r.terminal_id.clone(),
            r.buyer_account.clone(),
            fen_to_yuan(r.order_amount),
            fen_to_yuan(r.receipt_amount),
            zero.clone(),
            zero.clone(),
            zero.clone(),
            zero.clone(),
            zero.clone(),
            String::new(),
            zero.clone(),
            zero.clone(),
            r.refund_request_no.clone(),
            fen_to_yuan(r.service_fee),
            zero,
            r.note.clone(),
        ];
        let line: Vec<String> = cells.iter().map(|c| format!("{}\t", c.replace([',', '\r', '\n'], " "))).collect();
        out.push_str(&line.join(","));
        out.push_str("\r\n");
    }
    out.push_str(LIST_END);
    out.push_str("\r\n");
    let (trades, refunds): (Vec<&AlipayRow>, Vec<&AlipayRow>) = statement.rows.iter().partition(|r| !r.is_refund());
    let sum = |rows: &[&AlipayRow]| fen_to_yuan(rows.iter().map(|r| r.receipt_amount).sum());
    out.push_str(&format!("#交易合计：{}笔，商家实收共{}元，商家优惠共0.00元\r\n", trades.len(), sum(&trades)));
    out.push_str(&format!(
        "#退款合计：{}笔，商家实收退款共{}元，商家优惠退款共0.00元\r\n",
        refunds.len(),
        sum(&refunds)
    ));
    out.push_str(&format!("#导出时间：[{}]\r\n", cn(statement.exported_at)));
    encoding_rs::GBK.encode(&out).0.into_owned()
}
