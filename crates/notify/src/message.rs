//! One alert message (a digest of one or more alerts) in its three renderings: plain text for
//! e-mail, a JSON document for webhooks, and Slack's `{"text": …}`.

use serde_json::{json, Value};

/// One alert in a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item {
    pub domain: String,
    /// A stable kind code (`mx_drift`, …).
    pub kind: String,
    /// Its human title ("MX drift", …).
    pub title: String,
    pub detail: String,
    /// Unix seconds.
    pub at: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    pub subject: String,
    /// Said before the items (e.g. the organisation).
    pub intro: String,
    pub items: Vec<Item>,
    /// Where to look, e.g. the dashboard's URL; empty when unknown.
    pub link: String,
    /// A test message sent from the settings page.
    pub test: bool,
}

fn time(t: i64) -> String {
    chrono::DateTime::from_timestamp(t, 0)
        .map(|d| d.format("%Y-%m-%d %H:%M UTC").to_string())
        .unwrap_or_default()
}

impl Message {
    /// The plain-text e-mail body.
    pub fn text(&self) -> String {
        let mut out = format!("{}\n\n", self.intro);
        for item in &self.items {
            out.push_str(&format!(
                "* {} - {} ({})\n  {}\n\n",
                item.domain,
                item.title,
                time(item.at),
                item.detail
            ));
        }
        if !self.link.is_empty() {
            out.push_str(&format!("Dashboard: {}\n", self.link));
        }
        out.push_str("\nAt most one alert per domain and kind is sent each day.\n-- \nPortcullis\n");
        out
    }

    /// The generic webhook body.
    pub fn json(&self) -> Value {
        json!({
            "source": "portcullis",
            "test": self.test,
            "subject": self.subject,
            "text": self.intro,
            "link": self.link,
            "alerts": self.items.iter().map(|i| json!({
                "domain": i.domain,
                "kind": i.kind,
                "title": i.title,
                "detail": i.detail,
                "at": chrono::DateTime::from_timestamp(i.at, 0).map(|d| d.to_rfc3339()),
            })).collect::<Vec<_>>(),
        })
    }

    /// A Slack (or Mattermost, Rocket.Chat) incoming-webhook body.
    pub fn slack(&self) -> Value {
        let mut text = format!("*{}*\n{}", escape(&self.subject), escape(&self.intro));
        for item in &self.items {
            text.push_str(&format!(
                "\n• *{}* – {}: {}",
                escape(&item.domain),
                escape(&item.title),
                escape(&item.detail)
            ));
        }
        if !self.link.is_empty() {
            text.push_str(&format!("\n<{}|Open Portcullis>", self.link));
        }
        json!({ "text": text })
    }
}

/// Slack's mrkdwn treats these three characters as markup.
fn escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message() -> Message {
        Message {
            subject: "Portcullis: 1 alert for Acme".into(),
            intro: "Acme has 1 new alert.".into(),
            items: vec![Item {
                domain: "example.com".into(),
                kind: "mx_drift".into(),
                title: "MX drift".into(),
                detail: "MX not covered: <mx3.example.com>".into(),
                at: 86_400,
            }],
            link: "https://portcullis.example/alerts".into(),
            test: false,
        }
    }

    #[test]
    fn renders_text_json_and_slack() {
        let m = message();
        let text = m.text();
        assert!(
            text.contains("* example.com - MX drift (1970-01-02 00:00 UTC)"),
            "{text}"
        );
        assert!(text.contains("Dashboard: https://portcullis.example/alerts"));
        let json = m.json();
        assert_eq!(json["alerts"][0]["kind"], "mx_drift");
        assert_eq!(json["alerts"][0]["at"], "1970-01-02T00:00:00+00:00");
        assert_eq!(json["test"], false);
        let slack = m.slack();
        let s = slack["text"].as_str().unwrap();
        assert!(s.starts_with("*Portcullis: 1 alert for Acme*"), "{s}");
        assert!(s.contains("&lt;mx3.example.com&gt;"), "markup is escaped: {s}");
        assert!(s.ends_with("<https://portcullis.example/alerts|Open Portcullis>"));
    }
}
