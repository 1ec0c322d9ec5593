//! One SMTP command line from any client → verb, argument, path and SIZE parameter.
#![no_main]

use libfuzzer_sys::fuzz_target;
use portcullis_domain::smtp_command::{size_param, split_command, split_path, strip_prefix_ci};

fuzz_target!(|data: &[u8]| {
    let line = String::from_utf8_lossy(data);
    let (verb, arg) = split_command(&line);
    for prefix in ["FROM:", "TO:"] {
        if let Some(rest) = strip_prefix_ci(&arg, prefix) {
            let (_, params) = split_path(rest);
            let _ = size_param(params);
        }
    }
    let _ = verb;
});
