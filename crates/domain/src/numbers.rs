//! Numbers as people read them on pages and in charts (CSV and JSON keep them raw).

/// A count for people: thousands separated (`1,782,884`). CSV and JSON keep the raw number.
pub fn count_text(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3 + 1);
    if n < 0 {
        out.push('-');
    }
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A change in a count: `+409,597`, `-5,353`, or "no change".
pub fn change_text(now: i64, before: i64) -> String {
    match now.saturating_sub(before) {
        0 => "no change".into(),
        d if d > 0 => format!("+{}", count_text(d)),
        d => count_text(d),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_read_with_thousands_separators() {
        assert_eq!(count_text(0), "0");
        assert_eq!(count_text(999), "999");
        assert_eq!(count_text(1_000), "1,000");
        assert_eq!(count_text(1_782_884), "1,782,884");
        assert_eq!(count_text(-81_748), "-81,748");
        assert_eq!(count_text(i64::MIN), "-9,223,372,036,854,775,808");
        assert_eq!(change_text(2_192_481, 1_782_884), "+409,597");
        assert_eq!(change_text(20, 5_373), "-5,353");
        assert_eq!(change_text(7, 7), "no change");
    }
}
