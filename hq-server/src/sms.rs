//! Text messages to members' phones (the member pages' sign-in codes; later, care campaigns).
//!
//! One trait, [`SmsSender`], and two senders: [`LogSender`] for the demo and the tests (the
//! message goes to HQ's log, to a file of JSON lines if one is named, and to a short in-memory
//! outbox a test can read), and [`HttpSender`] for a real gateway: a POST to a configured URL with
//! a body made from a template. What was sent to whom is recorded by the caller in the SMS log
//! (`MemberPagesStore::log_sms`), never the text of a code.

use std::collections::VecDeque;
use std::future::Future;
use std::io::Write;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use shared::member::Phone;

/// A text message on its way.
pub type Sending<'a> = Pin<Box<dyn Future<Output = Result<(), String>> + Send + 'a>>;

/// Sends a text message to a phone; `Err` says why it could not.
pub trait SmsSender: Send + Sync + std::fmt::Debug {
    fn send<'a>(&'a self, phone: &'a Phone, text: &'a str) -> Sending<'a>;
}

/// One message the [`LogSender`] sent.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SentSms {
    pub phone: String,
    pub text: String,
}

/// How many messages the log sender's outbox keeps.
const OUTBOX: usize = 1_000;

/// Writes each message to HQ's log (and a file, if named) and keeps the last ones in memory.
/// Clones share the outbox, so a test that made the sender reads what HQ sent.
#[derive(Clone, Debug, Default)]
pub struct LogSender {
    file: Option<PathBuf>,
    /// Also print each message on standard error (the demo: its member pages' codes).
    echo: bool,
    outbox: Arc<Mutex<VecDeque<SentSms>>>,
}

impl LogSender {
    /// A sender that also appends a JSON line per message to `file`.
    pub fn to_file(file: impl Into<PathBuf>) -> LogSender {
        LogSender { file: Some(file.into()), ..LogSender::default() }
    }

    /// A sender that also prints each message on standard error, for whoever runs HQ to read
    /// (`hq-server serve --sms log`, the till's demo).
    pub fn to_stderr() -> LogSender {
        LogSender { echo: true, ..LogSender::default() }
    }

    /// What was sent, oldest first.
    pub fn sent(&self) -> Vec<SentSms> {
        self.outbox.lock().map(|o| o.iter().cloned().collect()).unwrap_or_default()
    }

    /// The newest message to `phone`.
    pub fn last_to(&self, phone: &str) -> Option<SentSms> {
        self.outbox.lock().ok()?.iter().rev().find(|m| m.phone == phone).cloned()
    }

    /// The six-digit code in the newest message to `phone` (the demo's and the tests' way in).
    pub fn last_code_to(&self, phone: &str) -> Option<String> {
        let text = self.last_to(phone)?.text;
        text.as_bytes().windows(6).find(|w| w.iter().all(u8::is_ascii_digit)).map(|w| String::from_utf8_lossy(w).into())
    }
}

impl SmsSender for LogSender {
    fn send<'a>(&'a self, phone: &'a Phone, text: &'a str) -> Sending<'a> {
        Box::pin(async move {
            // The text (a sign-in code) never goes to the log: only that a message was made.
            tracing::info!(phone = %phone.masked(), "text message kept by the log sender (not sent to a phone)");
            if self.echo {
                eprintln!("SMS to {phone} (not sent: the log sender): {text}");
            }
            if let Some(file) = &self.file {
                let line = serde_json::json!({ "phone": phone.as_str(), "text": text, "at": jiff::Timestamp::now() });
                let mut f = std::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(file)
                    .map_err(|e| format!("the SMS log file {}: {e}", file.display()))?;
                writeln!(f, "{line}").map_err(|e| format!("the SMS log file {}: {e}", file.display()))?;
            }
            let mut outbox = self.outbox.lock().map_err(|_| "the outbox lock is poisoned".to_owned())?;
            if outbox.len() == OUTBOX {
                outbox.pop_front();
            }
            outbox.push_back(SentSms { phone: phone.as_str().to_owned(), text: text.to_owned() });
            Ok(())
        })
    }
}

/// Posts each message to an SMS gateway: `url`, with the body `template` in which `{phone}` and
/// `{text}` are replaced (JSON-escaped when the content type is JSON, form-escaped otherwise),
/// and the headers given (an API key). Any 2xx answer is success.
#[derive(Clone, Debug)]
pub struct HttpSender {
    pub url: String,
    pub template: String,
    pub content_type: String,
    pub headers: Vec<(String, String)>,
    client: reqwest::Client,
}

impl HttpSender {
    pub fn new(
        url: &str,
        template: &str,
        content_type: &str,
        headers: Vec<(String, String)>,
    ) -> Result<HttpSender, String> {
        let parsed = reqwest::Url::parse(url).map_err(|e| format!("the SMS gateway's URL `{url}`: {e}"))?;
        if !matches!(parsed.scheme(), "http" | "https") {
            return Err(format!("the SMS gateway's URL `{url}` is not http(s)"));
        }
        if !template.contains("{phone}") || !template.contains("{text}") {
            return Err("the SMS template needs both {phone} and {text}".into());
        }
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .build()
            .map_err(|e| format!("the SMS gateway's client: {e}"))?;
        Ok(HttpSender {
            url: url.to_owned(),
            template: template.to_owned(),
            content_type: content_type.to_owned(),
            headers,
            client,
        })
    }

    /// The body for one message.
    pub fn body(&self, phone: &Phone, text: &str) -> String {
        let escape = |s: &str| -> String {
            if self.content_type.contains("json") {
                // A JSON string's inside: serde's escaping without the quotes.
                let quoted = serde_json::to_string(s).unwrap_or_default();
                quoted.get(1..quoted.len().saturating_sub(1)).unwrap_or_default().to_owned()
            } else {
                form_urlencoded(s)
            }
        };
        self.template.replace("{phone}", &escape(phone.as_str())).replace("{text}", &escape(text))
    }
}

fn form_urlencoded(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            b' ' => "+".into(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

impl SmsSender for HttpSender {
    fn send<'a>(&'a self, phone: &'a Phone, text: &'a str) -> Sending<'a> {
        Box::pin(async move {
            let mut request = self
                .client
                .post(&self.url)
                .header(reqwest::header::CONTENT_TYPE, &self.content_type)
                .body(self.body(phone, text));
            for (name, value) in &self.headers {
                request = request.header(name, value);
            }
            let response = request.send().await.map_err(|e| format!("the SMS gateway did not answer: {e}"))?;
            if response.status().is_success() {
                Ok(())
            } else {
                Err(format!("the SMS gateway answered {}", response.status()))
            }
        })
    }
}

/// No gateway configured: nothing is sent, and the member pages say the code could not be sent.
#[derive(Clone, Copy, Debug, Default)]
pub struct NoSender;

impl SmsSender for NoSender {
    fn send<'a>(&'a self, _: &'a Phone, _: &'a str) -> Sending<'a> {
        Box::pin(async { Err("no SMS gateway is configured (hq-server serve --sms http …)".to_owned()) })
    }
}

/// Which sender HQ uses (`hq-server serve --sms …`). By default none: a production HQ never
/// prints members' sign-in codes where its operators read them; the demo and the tests choose
/// the log sender.
#[derive(Clone, Debug, Default)]
pub enum SmsConfig {
    #[default]
    None,
    Log(LogSender),
    Http(HttpSender),
}

impl SmsConfig {
    pub fn sender(&self) -> Arc<dyn SmsSender> {
        match self {
            SmsConfig::None => Arc::new(NoSender),
            SmsConfig::Log(s) => Arc::new(s.clone()),
            SmsConfig::Http(s) => Arc::new(s.clone()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn phone() -> Phone {
        Phone::parse("13800001234").expect("phone")
    }

    #[test]
    fn a_template_is_filled_escaped_for_its_content_type() {
        let json = HttpSender::new(
            "http://127.0.0.1:9/sms",
            r#"{"to":"{phone}","content":"{text}"}"#,
            "application/json",
            vec![],
        )
        .expect("sender");
        assert_eq!(json.body(&phone(), "码 \"123456\""), r#"{"to":"13800001234","content":"码 \"123456\""}"#);
        let form = HttpSender::new(
            "https://sms.example/send",
            "to={phone}&msg={text}",
            "application/x-www-form-urlencoded",
            vec![],
        )
        .expect("sender");
        assert_eq!(form.body(&phone(), "a b&c"), "to=13800001234&msg=a+b%26c");
    }

    #[test]
    fn a_bad_gateway_configuration_is_refused() {
        assert!(HttpSender::new("ftp://x/", "{phone}{text}", "text/plain", vec![]).is_err());
        assert!(HttpSender::new("not a url", "{phone}{text}", "text/plain", vec![]).is_err());
        assert!(HttpSender::new("http://127.0.0.1/", "{phone}", "text/plain", vec![]).is_err());
    }

    #[test]
    fn the_log_sender_keeps_what_it_sent() {
        let dir = tempfile::tempdir().expect("dir");
        let sender = LogSender::to_file(dir.path().join("sms.jsonl"));
        let rt = tokio::runtime::Builder::new_current_thread().build().expect("runtime");
        rt.block_on(sender.send(&phone(), "【Tillpoint】验证码 042917，5 分钟内有效")).expect("sent");
        assert_eq!(sender.last_code_to("13800001234").as_deref(), Some("042917"));
        assert_eq!(sender.last_code_to("13900000000"), None);
        let file = std::fs::read_to_string(dir.path().join("sms.jsonl")).expect("file");
        assert!(file.contains("042917") && file.contains("13800001234"));
    }
}
