//! Every word the till shows, in Simplified Chinese and English: one table, keyed by [`T`] and
//! [`ErrorKind`]. A key without both texts does not compile; the tests check none is empty.

use crate::TillError;
use crate::engine::CouponProblem;
use shared::promotions::coupons::OfflineCouponRefusal;

shared::text_table!(T {
    AppTitle => ("Tillpoint 收银", "Tillpoint till"),
    LoginTitle => ("收银员登录", "Cashier login"),
    LoginPrompt => ("输入工号，按 Enter，再输入密码", "Type your login, press Enter, then your PIN"),
    Login => ("工号", "Login"),
    Pin => ("密码", "PIN"),
    SignIn => ("登录 Enter", "Sign in  Enter"),
    Clear => ("清除 Esc", "Clear  Esc"),
    Locked => ("已锁屏：输入密码解锁", "Locked: type your PIN to unlock"),
    OpenShiftTitle => ("开班：清点备用金", "Open shift: count the float"),
    OpenShiftHint => ("按面额输入张数，Tab 切换，Enter 开班", "Count each denomination, Tab to move, Enter to open"),
    OpenShift => ("开班 Enter", "Open shift  Enter"),
    CloseShiftKey => ("交班并打印 Z 报表 Enter", "Close and print the Z report  Enter"),
    Total => ("合计", "Total"),
    Item => ("商品", "Item"),
    Qty => ("数量", "Qty"),
    Price => ("单价", "Price"),
    Amount => ("金额", "Amount"),
    Savings => ("会员优惠", "Member savings"),
    Discounts => ("折扣", "Discounts"),
    Promotions => ("促销优惠", "Promotions"),
    TotalSaving => ("本单共优惠", "You save"),
    KeyCoupons => ("会员券 Ins", "Coupons  Ins"),
    Coupon => ("券", "Coupon"),
    CouponNotUsed => ("未达使用条件", "not used yet"),
    CouponTakenOffline => ("离线", "offline"),
    NoCoupons => ("该会员没有可用的券", "The member has no coupons to use"),
    PickCoupon => ("点选要用的券", "Touch a coupon to use it"),
    CouponAdded => ("已加券", "Coupon added:"),
    ValidUntil => ("有效期至", "valid until"),
    Gift => ("赠品", "Free gift"),
    ThresholdAway => ("再买 {missing} 可享「{name}」", "{missing} more for “{name}”"),
    Due => ("应收", "Due"),
    Paid => ("已付", "Paid"),
    Rounding => ("抹零", "Rounding"),
    ScanHint => ("扫描商品，或输入条码、商品名、拼音首字母、PLU，Enter 确认；↑↓ 选择行", "Scan an item, or type its barcode, name, pinyin initials or PLU, then Enter; ↑ ↓ pick a line"),
    EmptySale => ("等待扫描第一件商品", "Waiting for the first item"),
    Member => ("会员", "Member"),
    NoMember => ("未识别会员（刷卡、扫会员码或 F2）", "No member (card, phone code or F2)"),
    Points => ("积分", "Points"),
    StoredValue => ("储值余额", "Stored value"),
    PointsThisSale => ("本单可得积分", "Points this sale"),
    MemberOffline => ("离线：仅记录会员号，联网后补积分", "Offline: the number is kept; points follow when HQ hears of it"),
    KeyMember => ("会员 F2", "Member  F2"),
    KeyQty => ("数量 F3", "Qty  F3"),
    KeyCash => ("现金 F4", "Cash  F4"),
    KeyCard => ("银行卡 F5", "Card  F5"),
    KeyRemove => ("删行 F6", "Remove line  F6"),
    KeyPoints => ("积分抵扣 PgUp", "Points  PgUp"),
    KeyStoredValue => ("储值支付 PgDn", "Stored value  PgDn"),
    EnterPoints => ("输入用积分抵扣的金额，Enter（总部冻结积分）", "Type the amount to pay with points, Enter (HQ holds the points)"),
    EnterStoredValue => ("输入储值支付金额，Enter（直接 Enter = 余额可付的全部）", "Type the amount to pay from stored value, Enter (Enter alone = as much as the balance covers)"),
    KeyVoid => ("整单取消 F7", "Void sale  F7"),
    KeyX => ("X 报表 F9", "X report  F9"),
    KeyClose => ("交班 F10", "Close shift  F10"),
    KeyLock => ("锁屏 F11", "Lock  F11"),
    KeyLang => ("English F12", "中文  F12"),
    EnterPhone => ("输入会员手机号、卡号或会员码，Enter 确认", "Type the member's phone, card number or phone code, then Enter"),
    EnterQty => ("输入新数量，Enter 确认", "Type the new quantity, then Enter"),
    EnterCash => ("输入收到的现金，Enter 结账（直接 Enter = 正好）", "Type the cash handed over, Enter to finish (Enter alone = exact)"),
    EnterCard => ("刷卡完成后输入参考号，Enter 确认", "After the terminal approves, type its reference, then Enter"),
    EnterCardTerminal => ("Enter 把应收金额发到刷卡机（或先输入金额）", "Enter sends what is due to the card terminal (or type an amount first)"),
    CardPaying => ("请顾客在刷卡机上刷卡或插卡、输入密码…", "The customer pays on the card terminal (card, then PIN)…"),
    CardNotPaid => ("银行卡未扣款", "Card not charged"),
    CardUnknown => ("刷卡机没有答复，结果未知：重启时自动核对；请勿重复刷卡", "The card terminal did not answer: settled at the next start; do not charge the card again"),
    EnterManager => ("需要店长授权：输入店长工号 空格 密码，Enter", "A manager must approve: type login, space, PIN, then Enter"),
    Change => ("找零", "Change"),
    TierRegular => ("普通会员", "Regular"),
    TierSilver => ("银卡会员", "Silver"),
    TierGold => ("金卡会员", "Gold"),
    TierPlatinum => ("白金会员", "Platinum"),
    Held => ("已挂单：F8 可取回", "Sale held: F8 brings it back"),
    Voided => ("本单已取消", "Sale voided"),
    SearchTitle => ("查找商品", "Find a product"),
    PickProduct => ("输入序号，Enter 加入本单；Esc 返回", "Type its number, Enter adds it to the sale; Esc goes back"),
    NothingFound => ("没有找到商品：", "No product matches"),
    ConfirmLarge => ("数量或金额较大：再按 Enter 确认，Esc 取消", "a large line: Enter again to confirm, Esc to cancel"),
    ConfirmRemove => ("：再按 F6 删除此行，按其他键保留", ": F6 again removes this line, any other key keeps it"),
    EnterQtyOf => ("输入所选商品的新数量，Enter 确认（↑↓ 选择商品）", "Type the new quantity of the picked line, then Enter (↑ ↓ pick a line)"),
    NoPaper => ("缺纸", "out of paper"),
    CoverOpen => ("盖未关", "cover open"),
    PrinterError => ("故障", "fault"),
    PrintHeld => ("小票未能打印：请装纸或合上打印机盖，小票会自动补打", "The receipt did not print: load paper or close the cover, it prints again by itself"),
    PrinterBack => ("打印机已恢复：正在补打小票", "The printer is back: the held receipt is printing"),
    UnlockCashier => ("解锁收银员", "Unlock a cashier"),
    EnterUnlockLogin => ("输入被锁定收银员的工号，Enter", "Type the locked-out cashier's login, then Enter"),
    Unlocked => ("已解锁", "Unlocked:"),
    ManagerLoginTitle => ("店长登录：管理菜单", "Manager login: the manager menu"),
    LoginMenuHint => ("店长按 F1 进入管理菜单（日结、解锁收银员），无需开班", "Managers: F1 for the menu (day end, unlock a cashier) without opening a shift"),
    LockedUntil => ("锁定至", "locked until"),
    ZPrinted => ("Z 报表已打印，完成 Enter", "Z report printed: done  Enter"),
    TenderCash => ("现金", "Cash"),
    TenderCard => ("银行卡", "Bank card"),
    TenderWechatPay => ("微信支付", "WeChat Pay"),
    TenderAlipay => ("支付宝", "Alipay"),
    CodePaying => ("付款码收款中…", "Collecting by payment code…"),
    CodeMisread => ("付款码没扫全：请顾客刷新付款码后重新扫描", "The payment code was not read whole: scan it again"),
    CodeWaiting => ("等待顾客在手机上确认付款（Esc 撤销）", "Waiting for the customer to confirm on the phone (Esc cancels)"),
    CodeCancel => ("撤销这笔付款码收款", "Cancel this payment"),
    CodeCancelling => ("正在撤销付款码收款…", "Cancelling the payment…"),
    CodeCancelled => ("已撤销，未扣款", "cancelled, nothing taken"),
    CodeNotPaid => ("未付款", "not paid"),
    RecoveredTitle => ("重启后核对的付款码收款", "Payments by code settled at start"),
    RecoveredPaid => ("已付款，交易已完成并打印小票", "paid: the sale is complete and its receipt printed"),
    RecoveredNotPaid => ("未付款（已撤销或失败），未扣款", "not paid (cancelled or refused): nothing was taken"),
    RecoveredOpen => ("总部连不上，尚未核对：联网后再核对", "HQ cannot be reached: settled when it is back"),
    RefundingTo => ("正在原路退款到", "Refunding to"),
    RefundNo => ("退款号", "refund no."),
    CardRef => ("参考号", "ref."),
    OpenReturnsTitle => ("待原路退款的退货", "Returns waiting on their refunds"),
    OpenReturnsHint => ("以下退货等待原路退款（总部或刷卡机未答复，或一部分被拒）：按 Enter 重新发起", "These returns wait on their refunds (HQ or the card terminal did not answer, or a part was refused): press Enter to ask again"),
    OpenReturn => ("退货", "Return"),
    NoOpenReturns => ("没有等待退款的退货", "No return is waiting on a refund"),
    PartRefunded => ("已退回", "refunded"),
    PartPending => ("退款处理中", "refund in progress"),
    PartRefused => ("被拒", "refused"),
    PartWaiting => ("等待答复", "waiting for an answer"),
    ReturnDone => ("退货完成，已退款并打印退货单", "return done: refunded and its slip printed"),
    ReturnRefused => ("对方拒绝退款，退货未完成", "refund refused: the return is not done"),
    ReturnStillOpen => ("退款尚未确认，退货保留", "refund not confirmed yet: the return is kept"),
    TenderPoints => ("积分抵扣", "Points"),
    TenderStoredValue => ("储值支付", "Stored value"),
    Received => ("已收", "Received"),
    Outstanding => ("还需支付", "Still to pay"),
    PartPaid => ("已收部分付款，还需支付", "Part payment taken, still to pay"),
    NeedReference => ("请输入银行卡终端的参考号", "Enter the card terminal's reference number"),
    StoredValueBalance => ("储值余额不足，余额", "Not enough stored value: the balance is"),
    SaleDone => ("交易完成", "Sale complete"),
    PointsEarned => ("本单积分", "Points earned"),
    Online => ("总部在线", "HQ online"),
    Offline => ("离线营业中", "Offline, still selling"),
    Waiting => ("待上传", "waiting"),
    Scanner => ("扫描枪", "Scanner"),
    Printer => ("打印机", "Printer"),
    CardReader => ("读卡器", "Card reader"),
    Connected => ("已连接", "connected"),
    Disconnected => ("未连接", "not connected"),
    PaperOut => ("缺纸：请装纸，小票会自动补打", "Out of paper: load paper, the receipt reprints by itself"),
    Misread => ("条码没读清，请重新扫描", "The barcode did not read cleanly: scan it again"),
    BankCardOnReader => ("这是银行卡，请在收款机刷卡付款；会员请刷会员卡", "That is a bank card: use the payment terminal; members swipe their member card"),
    UnreadableCard => ("卡片读取失败，请重刷", "The card could not be read: swipe again"),
    XReportTitle => ("X 报表（不交班）", "X report (shift stays open)"),
    CloseTitle => ("交班：盲点现金", "Close shift: blind cash count"),
    CloseHint => ("按面额输入张数，Enter 交班并打印 Z 报表", "Count each denomination, Enter to close and print the Z report"),
    ZTitle => ("Z 报表", "Z report"),
    Expected => ("应有现金", "Expected cash"),
    Counted => ("实点现金", "Counted"),
    OverShort => ("长短款", "Over / short"),
    SalesCount => ("销售笔数", "Sales"),
    Net => ("净销售", "Net sales"),
    Float => ("备用金", "Float"),
    Back => ("返回 Esc", "Back  Esc"),
    Simulator => ("设备模拟器（演示）", "Device simulator (demo)"),
    ScanProduct => ("扫描商品", "Scan a product"),
    SwipeMember => ("刷会员卡", "Swipe a member card"),
    SwipeBank => ("刷银行卡", "Swipe a bank card"),
    JamPrinter => ("打印机缺纸", "Printer out of paper"),
    FixPrinter => ("装纸", "Load paper"),
    PrintedPaper => ("打印出的小票", "Printed receipt"),
    Cashier => ("收银员", "Cashier"),
    KeyMenu => ("店长菜单 F1", "Manager menu  F1"),
    KeyHold => ("挂单/取单 F8", "Hold / recall  F8"),
    MenuTitle => ("店长菜单：按数字或 F 键选择", "Manager menu: press the number or F-key"),
    PaidIn => ("备用金存入", "Paid in"),
    PaidOut => ("现金支出", "Paid out"),
    NoSale => ("开钱箱（无交易）", "Open drawer (no sale)"),
    Reprint => ("重印小票", "Reprint a receipt"),
    Enrol => ("办理会员", "Enrol a member"),
    DayEndTitle => ("日结", "Day end"),
    SyncTitle => ("同步状态与被拒事件", "Sync status and refused events"),
    Settings => ("设置：设备", "Settings: devices"),
    DemoDevices => ("演示模式的设备是模拟的，无需设置", "In the demo the devices are simulated: nothing to set"),
    NotListed => ("已配置，本机当前未列出", "configured; not listed by this machine now"),
    Saved => ("已保存，设备已重新打开：请重新登录", "Saved and the devices reopened: log in again"),
    NoRejected => ("总部没有拒收任何事件", "HQ has refused no event"),
    ComplaintMenu => ("记录投诉", "Record a complaint"),
    ComplaintTitle => ("记录顾客投诉", "Record a customer complaint"),
    ComplaintHint => ("按数字选类别，Tab 切换输入框，Enter 保存，Esc 返回", "Press a category's number, Tab to move between fields, Enter to save, Esc to go back"),
    ComplaintCategory => ("类别", "Category"),
    ComplaintReceipt => ("小票号（可不填）", "Receipt (optional)"),
    ComplaintNoMember => ("本单未识别会员", "No member on the sale"),
    ComplaintDropMember => ("不关联会员 F2", "Leave the member out  F2"),
    ComplaintKeepMember => ("关联会员 F2", "Name the member  F2"),
    ComplaintText => ("顾客反映的问题", "What the customer says"),
    ComplaintSave => ("保存 Enter", "Save  Enter"),
    ComplaintNoCategories => ("尚未从总部取得投诉类别：联网后再试", "No complaint categories from HQ yet: try again once the till is online"),
    ComplaintPickCategory => ("请先按数字选择类别", "Pick a category first (press its number)"),
    ComplaintWriteText => ("请写下顾客反映的问题", "Write what the customer says"),
    ComplaintBadReceipt => ("小票号格式不对（如 B001-01-000123）", "That is not a receipt number (like B001-01-000123)"),
    ComplaintTooLong => ("内容太长：最多 1000 字", "Too long: at most 1000 characters"),
    ComplaintQueued => ("投诉已保存，将随同步发送总部；待发", "Complaint saved; it goes to HQ with the sync. Waiting:"),
    ComplaintRefused => ("被拒的投诉", "Refused complaint"),
    ComplaintsWaiting => ("条投诉待发送", "complaints waiting"),
    HeldTitle => ("挂起的交易", "Held sales"),
    PickHeld => ("输入序号，Enter 取回", "Type its number, Enter to recall"),
    ReturnTitle => ("退货：小票", "Return: receipt"),
    ReturnHint => ("输入要退的行号（如 1 3；2x1 = 第 2 行退 1 件），* 全部，Enter 后店长授权", "Type the lines to return (1 3; 2x1 = one of line 2) or * for all; Enter, then a manager approves"),
    Returnable => ("可退", "returnable"),
    ReturnReason => ("顾客退货", "Customer return"),
    Refunded => ("退款完成，退还", "Refund done, paid back"),
    Reprinted => ("已重印", "Reprinted"),
    EnterAmount => ("输入金额，Enter 后店长授权", "Type the amount; Enter, then a manager approves"),
    EnterReceipt => ("输入小票号（直接 Enter = 上一张）", "Type the receipt number (Enter alone = the last one)"),
    EnterNewPhone => ("办会员：输入手机号，Enter", "New member: type the phone number, Enter"),
    EnterName => ("输入会员姓名，Enter 完成", "Type the member's name, Enter to finish"),
    SetupTitle => ("首次启动：连接总部", "First start: connect to head office"),
    SetupHint => ("输入总部地址和一次性开通码（总部为这台收银机生成），Tab 切换，Esc 清除，Enter 开通", "Type HQ's address and the one-time code HQ made for this till; Tab to move, Esc to clear, Enter to enrol"),
    HqAddress => ("总部地址", "HQ address"),
    EnrolTill => ("开通这台收银机 Enter", "Enrol this till  Enter"),
    EnrolCode => ("开通码", "Enrolment code"),
    Downloading => ("正在下载商品和会员资料", "Downloading the catalog and members"),
    Enrolled => ("开通成功，资料已下载", "Enrolled; the catalog is here"),
    BadCode => ("开通码无效或已过期：请总部重新生成", "The code is wrong or expired: ask HQ for a new one"),
    HqUnreachable => ("连不上总部：请检查地址和网络", "HQ cannot be reached: check the address and the network"),
    DevicesTitle => ("设备设置", "Device setup"),
    DevicesHint => ("Tab 选设备，输入串口序号分配（0 = 不用），F5 测试打印，F6 测试扫描，Enter 保存并开始", "Tab picks a device, type a port's number to assign it (0 = none), F5 test print, F6 test scan, Enter saves and starts"),
    NoPorts => ("没有找到串口（F9 重新查找）", "No serial ports found (F9 looks again)"),
    TestPrint => ("测试打印 F5", "Test print  F5"),
    TestScan => ("测试扫描 F6", "Test scan  F6"),
    Rescan => ("重新查找 F9", "Look again  F9"),
    SaveStart => ("保存并开始 Enter", "Save and start  Enter"),
    TestOk => ("测试成功：", "Test passed:"),
    TestFailed => ("测试失败：", "Test failed:"),
    TillNo => ("收银台", "Till"),
    OnHand => ("库存 {qty} · {at}", "{qty} on hand · {at}"),
    CountMenu => ("盘点", "Count stock"),
    CountTitle => ("盘点", "Stock count"),
    CountPick => ("输入盘点单序号，Enter", "Type the count's number, Enter"),
    CountPickFirst => ("请先选择盘点单", "Pick a count first"),
    CountNone => ("本店没有进行中的盘点：请总部或店长先开盘点单", "No count is open at this branch: HQ or the manager opens one first"),
    CountFull => ("全店", "Whole branch"),
    CountSince => ("开始于", "since"),
    CountScanHint => ("扫描商品（或输入条码 Enter）", "Scan an item (or type its barcode, Enter)"),
    CountQtyPieces => ("输入数量 Enter（直接 Enter = 上面的数量）；-1 撤回一件；Esc 放弃", "Type the quantity, Enter (Enter alone takes the one above); -1 takes one back; Esc drops it"),
    CountQtyWeighed => ("输入重量 Enter：克（532）或千克（0.532）；直接 Enter = 上面的重量；Esc 放弃", "Type the weight, Enter: grams (532) or kilograms (0.532); Enter alone takes the one above; Esc drops it"),
    CountSoFar => ("已盘", "Counted so far"),
    CountEnterTakes => ("Enter 计入", "Enter takes"),
    CountLast => ("最近扫描", "Last scanned"),
    CountNothingYet => ("还没有扫描", "Nothing scanned yet"),
    CountWaiting => ("待上传", "waiting"),
    CountSent => ("已上传", "sent"),
    CountRefused => ("总部拒收", "refused by HQ"),
    CountRefresh => ("刷新 F5", "Refresh  F5"),
});

shared::text_table!(ErrorKind {
    WrongPin => ("工号或密码错误", "Wrong login or PIN"),
    LockedOut => ("密码错误次数过多，已锁定：请店长解锁", "Locked out after too many wrong PINs: ask a manager to unlock"),
    NotLoggedIn => ("请先登录", "Log in first"),
    Locked => ("已锁屏：输入密码解锁", "Locked: type your PIN"),
    NoOpenShift => ("还没有开班：请先开班", "No shift is open: open one first"),
    NotYourShift => ("这个班次属于另一位收银员", "The open shift belongs to another cashier"),
    UnknownBarcode => ("找不到这个条码的商品：请按名称查找或请店长处理", "No product has this barcode: search by name or call a manager"),
    Misread => ("条码校验失败，请重新扫描", "The barcode failed its check: scan it again"),
    Delisted => ("该商品已停售", "This product is no longer sold"),
    NoSale => ("没有进行中的交易", "No sale in progress"),
    SaleInProgress => ("有交易进行中：先结账、挂单或取消", "A sale is in progress: finish, hold or void it first"),
    TendersPresent => ("已有付款，先撤销付款再改商品", "Payments were taken: remove them before changing the sale"),
    CodePending => ("付款码收款尚未确认：请等待或撤销", "A payment by code is still being confirmed: wait for it or cancel it"),
    CodeTaken => ("已用微信/支付宝收款：请完成交易，需要时再退款", "WeChat Pay / Alipay money was taken: complete the sale, then refund it if needed"),
    ApprovalRequired => ("需要店长授权", "A manager must approve this"),
    MemberNotFound => ("没有这个会员：请核对号码或为顾客办卡", "No such member: check the number or enrol the customer"),
    MemberBlocked => ("该会员卡已冻结", "This member is blocked"),
    MemberCodeExpired => ("会员码已过期，请会员刷新手机上的会员码", "This member code has expired: ask the member to refresh the code on their phone"),
    MemberCodeNotValid => ("会员码无效，请会员刷新手机上的会员码，或刷会员卡", "This member code is not valid: ask the member to refresh the code on their phone, or scan their card"),
    MemberCodeOffline => ("总部连不上，离线无法核验手机会员码：请刷会员卡或输入手机号", "HQ cannot be reached and this member code cannot be checked offline: scan the member's card or enter their phone number"),
    HqUnavailable => ("总部连不上：这一步需要总部，请收现金或稍后再试", "HQ cannot be reached and this needs HQ: take cash or try again later"),
    HqRefused => ("总部拒绝", "HQ refused"),
    NotEnough => ("金额不对：请核对后重试", "That amount does not work: check it and try again"),
    Invalid => ("输入无效", "That entry is not valid"),
    NeedReference => ("请输入银行卡终端的参考号", "Enter the card terminal's reference number"),
    CardNumberGiven => ("这是银行卡号，不能保存：请输入终端参考号", "That is a card number, which is never kept: enter the terminal's reference"),
    OnlyCashGivesChange => ("只有现金可以找零，最多可付", "Only cash gives change; at most"),
    StillDue => ("金额不足，还需支付", "Not enough, still to pay"),
    StoredValueShort => ("储值余额不足，余额", "Not enough stored value: the balance is"),
    PointsShort => ("积分不足，可用积分", "Not enough points: available"),
    PointsMinimum => ("积分余额未达到使用门槛", "Points can be used from a balance of"),
    PointsShare => ("本单最多可用积分抵扣", "At most this much of the sale can be paid with points:"),
    ShiftsOpen => ("该营业日还有班次未交班：请先交班（F10）", "A shift of that business day is still open: close it first (F10)"),
    DayAlreadyClosed => ("该营业日已经日结", "That business day is already closed"),
    DiskFull => ("收银机磁盘已满：这一步没有保存，交易仍在；请清理空间或联系技术支持后重试",
                 "The till's disk is full: this step was not saved and the sale is still open; free space or call support, then try again"),
    CouponCode => ("券码有误：请核对后重新输入", "That coupon code is mistyped: check it and type it again"),
    CouponUnknown => ("没有这张券", "No coupon has this code"),
    CouponExpired => ("这张券已过期", "This coupon has expired"),
    CouponNotYet => ("这张券还没到使用时间", "This coupon cannot be used yet"),
    CouponUsed => ("这张券已经用过了", "This coupon was already used"),
    CouponHeld => ("这张券正在另一笔交易中使用", "This coupon is being used by another sale"),
    CouponOtherMember => ("这张券属于另一位会员", "This coupon belongs to another member"),
    CouponEnded => ("这张券的活动已结束", "This coupon's campaign has ended"),
    CouponTwice => ("这张券已经在本单里", "This coupon is already on the sale"),
    CouponOffline => ("总部连不上，这种券离线不能用", "HQ cannot be reached and this coupon needs HQ"),
    CouponCap => ("总部连不上，今天本机离线可用的这种券已用完，上限", "HQ cannot be reached and this till has used today's offline allowance of these coupons:"),
    RefundRefused => ("微信/支付宝拒绝了这笔退款：没有退款，退货未完成，也不会改退现金。原因：",
                      "WeChat Pay / Alipay refused the refund: nothing went back, the return is not done, and no cash is paid instead. Reason:"),
    CardRefundRefused => ("刷卡机拒绝了这笔退款：没有退回银行卡，退货未完成，也不会改退现金。原因：",
                          "The card terminal refused the refund: nothing went back to the card, the return is not done, and no cash is paid instead. Reason:"),
    RefundOpen => ("原路退款尚未确认（总部或刷卡机未答复）：退货已保留，答复后自动完成。退货单",
                   "The refund to the original payment is not confirmed (HQ or the card terminal did not answer): the return is kept and completes once it answers. Return"),
    CardTaken => ("银行卡已扣款：请完成交易，或先撤销这笔刷卡（在刷卡机上撤销）", "The card was charged: complete the sale, or remove that card payment first (voided on the terminal)"),
    CardNotVoided => ("刷卡机没有撤销这笔刷卡，付款仍在交易上", "The terminal did not void the card payment; it stays on the sale"),
    Other => ("操作失败", "That did not work"),
});

impl ErrorKind {
    /// Which text explains `e`, and the figure it ends with: money and tender refusals name the
    /// amount that matters (a balance, what is still due), in any language.
    pub fn with_figure(e: &TillError) -> (ErrorKind, Option<String>) {
        use shared::points::PointsError as P;
        use shared::sale::TenderError as Te;
        use shared::stored_value::StoredValueError as Sv;
        match e {
            TillError::Tender(Te::MissingReference) => (ErrorKind::NeedReference, None),
            TillError::Tender(Te::CardNumberInReference) => (ErrorKind::CardNumberGiven, None),
            TillError::Tender(Te::Overpaid { remaining, .. }) => {
                (ErrorKind::OnlyCashGivesChange, Some(remaining.to_string()))
            }
            TillError::Points(P::ExceedsDue { due, .. }) => (ErrorKind::OnlyCashGivesChange, Some(due.to_string())),
            TillError::Tender(Te::Short { remaining }) => (ErrorKind::StillDue, Some(remaining.to_string())),
            TillError::StoredValue(Sv::Insufficient { available, .. }) => {
                (ErrorKind::StoredValueShort, Some(available.to_string()))
            }
            TillError::Points(P::Insufficient { available, .. }) => {
                (ErrorKind::PointsShort, Some(available.to_string()))
            }
            TillError::Points(P::BelowMinimumBalance { minimum, .. }) => {
                (ErrorKind::PointsMinimum, Some(minimum.to_string()))
            }
            TillError::Points(P::ExceedsShare { max }) => (ErrorKind::PointsShare, Some(max.to_string())),
            TillError::Coupon(CouponProblem::Offline(OfflineCouponRefusal::CapReached { cap, .. })) => {
                (ErrorKind::CouponCap, Some(cap.to_string()))
            }
            // The provider's own words (Chinese, whatever the till's language) and its code.
            TillError::RefundRefused { kind, amount, code, message } => (
                if *kind == shared::sale::TenderKind::BankCard {
                    ErrorKind::CardRefundRefused
                } else {
                    ErrorKind::RefundRefused
                },
                Some(match code {
                    Some(code) => format!("{message} ({code}) {amount}"),
                    None => format!("{message} {amount}"),
                }),
            ),
            TillError::RefundOpen { receipt_no, why } => (ErrorKind::RefundOpen, Some(format!("{receipt_no} ({why})"))),
            _ => (ErrorKind::of(e), None),
        }
    }

    /// Which text explains `e` to a cashier.
    pub fn of(e: &TillError) -> ErrorKind {
        match e {
            TillError::WrongPin { .. } => ErrorKind::WrongPin,
            TillError::LockedOut { .. } => ErrorKind::LockedOut,
            TillError::NotLoggedIn => ErrorKind::NotLoggedIn,
            TillError::Locked => ErrorKind::Locked,
            TillError::NoOpenShift => ErrorKind::NoOpenShift,
            TillError::NotYourShift => ErrorKind::NotYourShift,
            TillError::UnknownBarcode(_) | TillError::UnknownProduct => ErrorKind::UnknownBarcode,
            TillError::Misread(_) => ErrorKind::Misread,
            TillError::Delisted(_) => ErrorKind::Delisted,
            TillError::NoSale => ErrorKind::NoSale,
            TillError::SaleInProgress => ErrorKind::SaleInProgress,
            TillError::TendersPresent => ErrorKind::TendersPresent,
            TillError::PaymentMisread(_) => ErrorKind::Misread,
            TillError::PaymentPending => ErrorKind::CodePending,
            TillError::PaidByCode => ErrorKind::CodeTaken,
            TillError::RefundRefused { kind: shared::sale::TenderKind::BankCard, .. } => ErrorKind::CardRefundRefused,
            TillError::RefundRefused { .. } => ErrorKind::RefundRefused,
            TillError::CardTaken => ErrorKind::CardTaken,
            TillError::CardNotVoided(_) => ErrorKind::CardNotVoided,
            TillError::RefundOpen { .. } => ErrorKind::RefundOpen,
            TillError::ApprovalRequired(_) | TillError::WrongApproval | TillError::NotAManager => {
                ErrorKind::ApprovalRequired
            }
            TillError::MemberNotFound | TillError::NoMember | TillError::MemberNotIdentified => {
                ErrorKind::MemberNotFound
            }
            TillError::MemberBlocked => ErrorKind::MemberBlocked,
            TillError::MemberCodeExpired => ErrorKind::MemberCodeExpired,
            TillError::MemberCodeNotValid => ErrorKind::MemberCodeNotValid,
            TillError::MemberCodeOffline => ErrorKind::MemberCodeOffline,
            TillError::HqUnavailable(_) => ErrorKind::HqUnavailable,
            TillError::HqRefused(_) => ErrorKind::HqRefused,
            TillError::Tender(_) | TillError::Points(_) | TillError::StoredValue(_) => ErrorKind::NotEnough,
            TillError::Invalid(_) | TillError::Pricing(_) => ErrorKind::Invalid,
            TillError::ShiftsOpen(_) => ErrorKind::ShiftsOpen,
            TillError::DayAlreadyClosed(_) => ErrorKind::DayAlreadyClosed,
            TillError::Coupon(p) => match p {
                CouponProblem::Code(_) => ErrorKind::CouponCode,
                CouponProblem::Unknown => ErrorKind::CouponUnknown,
                CouponProblem::Expired => ErrorKind::CouponExpired,
                CouponProblem::NotYetValid => ErrorKind::CouponNotYet,
                CouponProblem::Used | CouponProblem::AlreadyTakenHere => ErrorKind::CouponUsed,
                CouponProblem::Held => ErrorKind::CouponHeld,
                CouponProblem::OtherMember => ErrorKind::CouponOtherMember,
                CouponProblem::CampaignEnded | CouponProblem::Offline(OfflineCouponRefusal::Ended(_)) => {
                    ErrorKind::CouponEnded
                }
                CouponProblem::AlreadyOnSale => ErrorKind::CouponTwice,
                CouponProblem::Offline(OfflineCouponRefusal::CapReached { .. }) => ErrorKind::CouponCap,
                CouponProblem::Offline(_) => ErrorKind::CouponOffline,
                CouponProblem::Other(_) => ErrorKind::HqRefused,
            },
            e if e.is_disk_full() => ErrorKind::DiskFull,
            _ => ErrorKind::Other,
        }
    }
}

#[cfg(test)]
mod tests {
    use shared::lang::Lang;

    use super::*;

    #[test]
    fn every_text_exists_in_both_languages() {
        for lang in Lang::ALL {
            for t in T::ALL {
                assert!(!t.text(lang).trim().is_empty(), "{t:?} in {lang:?}");
            }
            for e in ErrorKind::ALL {
                assert!(!e.text(lang).trim().is_empty(), "{e:?} in {lang:?}");
            }
        }
        // Chinese texts are Chinese, English ones are not: a swapped pair is a bug.
        let cjk = |s: &str| s.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c));
        for t in T::ALL.iter().filter(|t| **t != T::KeyLang) {
            assert!(cjk(t.text(Lang::ZhCn)), "{t:?} has no Chinese");
            assert!(!cjk(t.text(Lang::En)), "{t:?} has Chinese in English");
        }
        for e in ErrorKind::ALL {
            assert!(cjk(e.text(Lang::ZhCn)) && !cjk(e.text(Lang::En)), "{e:?}");
        }
    }

    #[test]
    fn the_bundled_font_covers_every_chinese_text() {
        let font = ttf_parser::Face::parse(super::super::FONT, 0).expect("the bundled font parses");
        for t in T::ALL {
            for c in t.text(Lang::ZhCn).chars().filter(|c| !c.is_ascii()) {
                assert!(font.glyph_index(c).is_some(), "{c} of {t:?} is missing from the font");
            }
        }
        for e in ErrorKind::ALL {
            for c in e.text(Lang::ZhCn).chars().filter(|c| !c.is_ascii()) {
                assert!(font.glyph_index(c).is_some(), "{c} of {e:?} is missing from the font");
            }
        }
    }
}
