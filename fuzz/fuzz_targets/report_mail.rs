//! A message as the SMTP receiver or the IMAP poller takes it → its report attachments.
#![no_main]

use libfuzzer_sys::fuzz_target;
use portcullis_domain::tlsrpt::{mail_subject, report_mail};

fuzz_target!(|data: &[u8]| {
    if let Some(mail) = report_mail(data) {
        for part in &mail.parts {
            let _ = part.filename.as_deref().map(portcullis_domain::tlsrpt::parse_report_filename);
        }
    }
    let _ = mail_subject(data);
});
