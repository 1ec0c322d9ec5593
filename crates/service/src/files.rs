//! Files a user hands over (upload, `portcullis import`): a report payload (.json, .json.gz,
//! .zip), one e-mail message (.eml), or an mbox of messages. Each becomes one input per report
//! it may hold, labelled so the user can tell which result belongs to which file.

use portcullis_domain::tlsrpt::{parse_report_filename, PayloadKind, Provenance};

use portcullis_store::OrgAccess;

use crate::mail::report_mail;
use crate::reports::ingest::{Channel, Ingested, ReportInput};
use crate::Services;

/// One report candidate of a file, or why the file (or message) offers none.
#[derive(Debug, Clone)]
pub struct FileItem {
    pub label: String,
    pub input: Result<ReportInput, String>,
}

impl Services {
    /// Stores the reports among `items` in one batch ([`Services::ingest_batch`]). The results
    /// keep the items' order and labels; an item that offered no report keeps its reason.
    pub async fn ingest_items(
        &self,
        access: Option<&OrgAccess>,
        items: Vec<FileItem>,
    ) -> Vec<(String, Result<Ingested, String>)> {
        let mut labels = Vec::with_capacity(items.len());
        let mut inputs = Vec::new();
        let mut slots: Vec<Result<usize, String>> = Vec::with_capacity(items.len());
        for item in items {
            labels.push(item.label);
            slots.push(item.input.map(|input| {
                inputs.push(input);
                inputs.len() - 1
            }));
        }
        let mut results: Vec<Option<_>> = self.ingest_batch(access, inputs).await.into_iter().map(Some).collect();
        labels
            .into_iter()
            .zip(slots)
            .map(|(label, slot)| {
                let result = match slot {
                    Ok(i) => results[i]
                        .take()
                        .expect("one result per input")
                        .map_err(|e| e.to_string()),
                    Err(e) => Err(e),
                };
                (label, result)
            })
            .collect()
    }
}

/// The report candidates a file holds: itself (a payload), its attachments (a message), or those of
/// every message in it (an mbox).
pub fn file_items(label: &str, name: Option<&str>, bytes: Vec<u8>, channel: Channel) -> Vec<FileItem> {
    let label = label.to_string();
    if PayloadKind::detect(&bytes).is_some() {
        let input = ReportInput {
            payload: bytes,
            channel,
            hint_domain: name.and_then(parse_report_filename).map(|h| h.policy_domain),
            submitter: name.map(str::to_string),
            provenance: Provenance::by_hand(channel.as_str(), &label),
        };
        return vec![FileItem {
            label,
            input: Ok(input),
        }];
    }
    if bytes.starts_with(b"From ") {
        let messages = split_mbox(&bytes);
        return messages
            .iter()
            .enumerate()
            .flat_map(|(i, message)| mail_items(&format!("{label}#{}", i + 1), message, channel))
            .collect();
    }
    if !looks_like_mail(&bytes) {
        return vec![FileItem {
            label,
            input: Err("not a report (.json, .json.gz, .zip), an e-mail message (.eml) nor an mbox".into()),
        }];
    }
    mail_items(&label, &bytes, channel)
}

/// A message starts with a header field: a name of printable ASCII, then a colon.
fn looks_like_mail(bytes: &[u8]) -> bool {
    let first = bytes.split(|&b| b == b'\n').next().unwrap_or(&[]);
    match first.iter().position(|&b| b == b':') {
        Some(colon) if colon > 0 => first[..colon].iter().all(|&b| b.is_ascii_graphic()),
        _ => false,
    }
}

fn mail_items(label: &str, raw: &[u8], channel: Channel) -> Vec<FileItem> {
    let Some(mail) = report_mail(raw) else {
        return vec![FileItem {
            label: label.to_string(),
            input: Err("not a report (.json, .json.gz, .zip) nor an e-mail message".into()),
        }];
    };
    if mail.parts.is_empty() {
        return vec![FileItem {
            label: label.to_string(),
            input: Err("the message has no TLS-RPT report attachment".into()),
        }];
    }
    let several = mail.parts.len() > 1;
    crate::mail::mail_inputs(mail, channel, &Provenance::by_hand(channel.as_str(), label))
        .into_iter()
        .enumerate()
        .map(|(i, (filename, input))| {
            let label = match (filename, several) {
                (Some(name), _) => format!("{label}: {name}"),
                (None, true) => format!("{label}: attachment {}", i + 1),
                (None, false) => label.to_string(),
            };
            FileItem {
                label,
                input: Ok(input),
            }
        })
        .collect()
}

/// mbox (mboxrd or mboxo): messages start at lines beginning `From `; `>From ` lines are
/// unescaped.
fn split_mbox(bytes: &[u8]) -> Vec<Vec<u8>> {
    let mut messages: Vec<Vec<u8>> = Vec::new();
    let mut current: Option<Vec<u8>> = None;
    for line in bytes.split_inclusive(|&b| b == b'\n') {
        if line.starts_with(b"From ") {
            if let Some(done) = current.take() {
                messages.push(done);
            }
            current = Some(Vec::new());
            continue;
        }
        if let Some(message) = current.as_mut() {
            let unescaped =
                if line.starts_with(b">") && line.iter().skip_while(|&&b| b == b'>').take(5).eq(b"From ".iter()) {
                    &line[1..]
                } else {
                    line
                };
            message.extend_from_slice(unescaped);
        }
    }
    messages.extend(current);
    messages
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_are_classified_by_their_bytes() {
        let payload = file_items(
            "r.json",
            Some("google.com!alpha.example!1!2.json"),
            b"{}".to_vec(),
            Channel::Upload,
        );
        let input = payload[0].input.as_ref().unwrap();
        assert_eq!(input.hint_domain.as_deref(), Some("alpha.example"));
        let png = file_items("logo.png", None, b"\x89PNG\r\n".to_vec(), Channel::Upload);
        assert!(png[0].input.as_ref().unwrap_err().contains("not a report"));
        let mail = file_items(
            "m.eml",
            None,
            b"Subject: hi\r\n\r\nno attachment\r\n".to_vec(),
            Channel::Upload,
        );
        assert!(mail[0]
            .input
            .as_ref()
            .unwrap_err()
            .contains("no TLS-RPT report attachment"));
    }

    #[test]
    fn mbox_is_split_and_unescaped() {
        let mbox = b"From a@b Sat Nov 28 00:00:00 2026\nSubject: one\n\n>From here\nbody\nFrom c@d Sat Nov 28 00:00:01 2026\nSubject: two\n\nx\n";
        let messages = split_mbox(mbox);
        assert_eq!(messages.len(), 2);
        assert_eq!(messages[0], b"Subject: one\n\nFrom here\nbody\n");
        assert_eq!(messages[1], b"Subject: two\n\nx\n");
    }
}
