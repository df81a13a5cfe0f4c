//! The statement parsers against hand-written samples in each provider's format, and broken files
//! refused whole with the row named.
#![allow(clippy::unwrap_used)]

use payments::statement::{StatementError, alipay, wechat};

/// Two payments and a refund as WeChat Pay's 27-column `downloadbill` (ALL) writes them
const WECHAT_SAMPLE: &str = "交易时间,公众账号ID,商户号,特约商户号,设备号,微信订单号,商户订单号,用户标识,交易类型,交易状态,付款银行,货币种类,应结订单金额,代金券金额,微信退款单号,商户退款单号,退款金额,充值券退款金额,退款类型,退款状态,商品名称,商户数据包,手续费,费率,订单金额,申请退款金额,费率备注\r
`2026-11-30 09:12:45,`wx2421b1c4370ec43b,`10000100,`0,`B001-01,`4200001234202611300000000001,`B001-01-000042-1,`oUpF8uMuAJO_M2pxb1Q9zNjWeS6o,`MICROPAY,`SUCCESS,`CFT,`CNY,`32.50,`0.00,`0,`0,`0.00,`0.00,`,`,`Tillpoint 徐汇店,`,`0.20000,`0.60%,`32.50,`0.00,`\r
`2026-11-30 18:42:38,`wx2421b1c4370ec43b,`10000100,`0,`B001-02,`4200001234202611300000000002,`B001-02-000007-2,`ozSK7wswIt3nBfUxsJDp5hWZSm_8,`MICROPAY,`SUCCESS,`ICBC_DEBIT,`CNY,`95.00,`0.00,`0,`0,`0.00,`0.00,`,`,`Tillpoint 徐汇店,`,`0.57000,`0.60%,`95.00,`0.00,`\r
`2026-11-30 19:01:02,`wx2421b1c4370ec43b,`10000100,`0,`B001-01,`4200001234202611300000000001,`B001-01-000042-1,`oUpF8uMuAJO_M2pxb1Q9zNjWeS6o,`MICROPAY,`REFUND,`CFT,`CNY,`0.00,`0.00,`50000001234202611300000000001,`B001-01-000042-1-R1,`12.50,`0.00,`ORIGINAL,`SUCCESS,`Tillpoint 徐汇店,`,`-0.08000,`0.60%,`0.00,`12.50,`\r
总交易单数,应结订单总金额,退款总金额,充值券退款总金额,手续费总金额,订单总金额,申请退款总金额\r
`3,`127.50,`12.50,`0.00,`0.69000,`127.50,`12.50\r
";

#[test]
fn wechats_sample_reads_row_by_row() {
    let statement = wechat::parse(WECHAT_SAMPLE).unwrap();
    let rows: Vec<_> = statement
        .rows
        .iter()
        .map(|r| {
            (
                r.row,
                r.out_trade_no.as_str(),
                r.trade_state.as_str(),
                r.settlement_amount,
                r.refund_amount,
                r.fee.as_str(),
            )
        })
        .collect();
    assert_eq!(
        rows,
        vec![
            (2, "B001-01-000042-1", "SUCCESS", 3250, 0, "0.20000"),
            (3, "B001-02-000007-2", "SUCCESS", 9500, 0, "0.57000"),
            (4, "B001-01-000042-1", "REFUND", 0, 1250, "-0.08000"),
        ]
    );
    let refund = &statement.rows[2];
    assert_eq!(refund.refund_id, "50000001234202611300000000001");
    assert_eq!(refund.out_refund_no, "B001-01-000042-1-R1");
    assert_eq!(refund.requested_refund_amount, 1250);
    assert_eq!(refund.traded_at, jiff::civil::datetime(2026, 11, 30, 19, 1, 2, 0));
    assert_eq!(statement.rows[0].device_info, "B001-01");
    assert_eq!(statement.rows[0].body, "Tillpoint 徐汇店");
    assert_eq!(statement.summary.count, 3);
    assert_eq!(statement.summary.settlement_total, 12_750);
    assert_eq!(statement.summary.refund_total, 1250);
    // written back, it reads the same
    assert_eq!(wechat::parse(&wechat::write(&statement)).unwrap(), statement);
    // and the same file with LF line ends
    assert_eq!(wechat::parse(&WECHAT_SAMPLE.replace("\r\n", "\n")).unwrap(), statement);
}

fn check_wechat(text: &str, row: usize, message_part: &str) {
    match wechat::parse(text) {
        Err(StatementError { row: at, message }) => {
            assert_eq!(at, row, "{message}");
            assert!(message.contains(message_part), "{message}");
        }
        Ok(_) => panic!("accepted: {text}"),
    }
}

#[test]
fn a_broken_wechat_statement_names_its_row_and_yields_nothing() {
    let lines: Vec<&str> = WECHAT_SAMPLE.split("\r\n").collect();
    let with = |i: usize, line: &str| {
        let mut l = lines.clone();
        l[i] = line;
        l.join("\r\n")
    };
    check_wechat(&with(2, &lines[2].replace("`95.00", "`95.x")), 3, "应结订单金额");
    check_wechat(&with(2, &lines[2].replace("`95.00", "`95.001")), 3, "finer than a fen");
    check_wechat(&with(1, &lines[1].replacen(",`", ",", 1)), 2, "backquote");
    check_wechat(&with(3, &lines[3].replace(",`ORIGINAL", "")), 4, "26 fields");
    check_wechat(&with(1, &lines[1].replace("2026-11-30 09:12:45", "2026-11-31 09:12:45")), 2, "交易时间");
    check_wechat(&with(1, &lines[1].replace("`B001-01-000042-1", "`")), 2, "商户订单号");
    check_wechat(&with(5, "`4,`127.50,`12.50,`0.00,`0.69000,`127.50,`12.50"), 6, "counts 4");
    check_wechat(&with(0, "交易时间,公众账号ID"), 1, "header");
    check_wechat(&lines[..4].join("\r\n"), 5, "cut short");
    check_wechat(&with(2, ""), 3, "empty line");
    check_wechat("", 1, "header");
}

/// The 业务明细 of a day with a payment and a partial refund, cells with Alipay's trailing tabs
const ALIPAY_SAMPLE: &str = "#支付宝业务明细查询\r
#账号：[20881234567890120156]\r
#起始日期：[2026年11月30日 00:00:00]   终止日期：[2026年12月01日 00:00:00]\r
#-----------------------------------------业务明细列表----------------------------------------\r
支付宝交易号,商户订单号,业务类型,商品名称,创建时间,完成时间,门店编号,门店名称,操作员,终端号,对方账户,订单金额（元）,商家实收（元）,支付宝红包（元）,集分宝（元）,支付宝优惠（元）,商家优惠（元）,券核销金额（元）,券名称,商家红包消费金额（元）,卡消费金额（元）,退款批次号/请求号,服务费（元）,分润（元）,备注\r
2026113022001400001234567890\t,B001-01-000043-1\t,交易\t,Tillpoint 徐汇店\t,2026-11-30 10:15:01\t,2026-11-30 10:15:03\t,B001\t,徐汇店\t,\t,B001-01\t,159****5620\t,88.80\t,88.80\t,0.00\t,0.00\t,0.00\t,0.00\t,0.00\t,\t,0.00\t,0.00\t,\t,-0.53\t,0.00\t,\t\r
2026113022001400001234567890\t,B001-01-000043-1\t,退款\t,Tillpoint 徐汇店\t,2026-11-30 10:15:01\t,2026-11-30 16:20:44\t,B001\t,徐汇店\t,\t,B001-01\t,159****5620\t,-8.80\t,-8.80\t,0.00\t,0.00\t,0.00\t,0.00\t,0.00\t,\t,0.00\t,0.00\t,B001-01-000043-1-R1\t,0.05\t,0.00\t,\t\r
#-----------------------------------------业务明细列表结束------------------------------------\r
#交易合计：1笔，商家实收共88.80元，商家优惠共0.00元\r
#退款合计：1笔，商家实收退款共-8.80元，商家优惠退款共0.00元\r
#导出时间：[2026年12月01日 09:30:12]\r
";

fn gbk(text: &str) -> Vec<u8> {
    let (bytes, _, unmappable) = encoding_rs::GBK.encode(text);
    assert!(!unmappable);
    bytes.into_owned()
}

#[test]
fn alipays_sample_reads_row_by_row() {
    let statement = alipay::parse(&gbk(ALIPAY_SAMPLE)).unwrap();
    assert_eq!(statement.account, "20881234567890120156");
    assert_eq!(statement.to, jiff::civil::datetime(2026, 12, 1, 0, 0, 0, 0));
    assert_eq!(statement.exported_at, jiff::civil::datetime(2026, 12, 1, 9, 30, 12, 0));
    let rows: Vec<_> = statement
        .rows
        .iter()
        .map(|r| (r.row, r.kind.as_str(), r.receipt_amount, r.refund_request_no.as_str(), r.service_fee))
        .collect();
    assert_eq!(rows, vec![(6, "交易", 8880, "", -53), (7, "退款", -880, "B001-01-000043-1-R1", 5)]);
    let payment = &statement.rows[0];
    assert_eq!(payment.trade_no, "2026113022001400001234567890");
    assert_eq!(payment.out_trade_no, "B001-01-000043-1");
    assert_eq!(payment.store_name, "徐汇店");
    assert_eq!(payment.finished_at, jiff::civil::datetime(2026, 11, 30, 10, 15, 3, 0));
    assert!(statement.rows[1].is_refund());
    // written back, it reads the same
    assert_eq!(alipay::parse(&alipay::write(&statement)).unwrap(), statement);
}

fn check_alipay(text: &str, row: usize, message_part: &str) {
    check_alipay_bytes(&gbk(text), row, message_part);
}

fn check_alipay_bytes(bytes: &[u8], row: usize, message_part: &str) {
    match alipay::parse(bytes) {
        Err(StatementError { row: at, message }) => {
            assert_eq!(at, row, "{message}");
            assert!(message.contains(message_part), "{message}");
        }
        Ok(_) => panic!("accepted"),
    }
}

#[test]
fn a_broken_alipay_statement_names_its_row_and_yields_nothing() {
    let lines: Vec<&str> = ALIPAY_SAMPLE.split("\r\n").collect();
    let with = |i: usize, line: &str| {
        let mut l = lines.clone();
        l[i] = line;
        l.join("\r\n")
    };
    check_alipay(&with(6, &lines[6].replace("-8.80\t,-8.80", "-8.80\t,-8.8O")), 7, "商家实收");
    check_alipay(&with(5, &lines[5].replacen("\t,", "\t", 1)), 6, "24 fields");
    check_alipay(&with(5, &lines[5].replace("2026-11-30 10:15:03", "30/11/2026")), 6, "完成时间");
    check_alipay(&with(8, "#交易合计：2笔，商家实收共88.80元，商家优惠共0.00元"), 9, "counts 2");
    check_alipay(&with(9, "#退款合计：1笔，商家实收退款共-8.00元，商家优惠退款共0.00元"), 10, "totals -8.00");
    check_alipay(&with(4, &lines[4].replace("商家实收（元）", "实收")), 5, "商家实收");
    check_alipay(&lines[..7].join("\r\n"), 8, "cut short");
    check_alipay(&with(8, "#备注"), 13, "交易合计");
    check_alipay("", 1, "业务明细列表");
    // a row that is not GBK
    let mut bytes = gbk(ALIPAY_SAMPLE);
    let at = bytes.windows(4).position(|w| w == b"B001").unwrap();
    bytes[at] = 0x81;
    bytes[at + 1] = 0x20;
    check_alipay_bytes(&bytes, 6, "GBK");
}
