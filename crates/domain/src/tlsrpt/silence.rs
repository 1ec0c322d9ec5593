//! Silent senders and broken report paths. Each sending organisation (and the domain as a
//! whole) has a weekly rhythm learned from its reports: a weekday is *expected* when it brought a
//! report on at least 3 of its 4 occurrences in the 4 weeks up to the last report. A sender that
//! misses 2 expected days in a row is silent; a domain that gets no report on 3 expected days
//! has a broken path (a wrong `rua`, a full mailbox). A sender that never reports on weekends is
//! therefore never missed on a weekend, and one that started less than 4 weeks ago is not yet
//! regular.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

/// Days of history a rhythm is learned from: four of each weekday.
pub const LEARN_DAYS: i64 = 28;
/// Occurrences of a weekday, of the four learned from, that make it expected.
pub const EXPECTED_OF_FOUR: usize = 3;
/// Expected days a sender may miss before it counts as silent.
pub const SENDER_MISSED_DAYS: usize = 2;
/// Expected days a domain may get no report at all before its report path counts as broken.
pub const DOMAIN_MISSED_DAYS: usize = 3;
/// A day is judged this many days after it starts: its report comes during the next day.
pub const REPORT_DELAY_DAYS: i64 = 2;

/// The reporting of one sender (or the domain as a whole) as of one day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reporting {
    /// `None` for the domain as a whole.
    pub organization: Option<String>,
    /// The last day (days since 1970-01-01, UTC) a report period started.
    pub last_day: i64,
    /// Weekdays it usually reports on, Monday = 0.
    pub expected_weekdays: Vec<u8>,
    /// Expected days since the last report, up to the last day that can be judged.
    pub missed: Vec<i64>,
    /// The first missed day, once enough expected days are missed: what an alert is about.
    pub silent_since: Option<i64>,
}

impl Reporting {
    /// It has a rhythm at all.
    pub fn is_regular(&self) -> bool {
        !self.expected_weekdays.is_empty()
    }
}

/// Monday = 0. Day 0 (1970-01-01) was a Thursday.
pub fn weekday(day: i64) -> u8 {
    (day + 3).rem_euclid(7) as u8
}

pub const WEEKDAY_NAMES: [&str; 7] = [
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
];

/// "every day", "Monday to Friday", "Monday, Wednesday and Friday".
pub fn rhythm_words(weekdays: &[u8]) -> String {
    let names: Vec<&str> = weekdays
        .iter()
        .filter_map(|w| WEEKDAY_NAMES.get(*w as usize).copied())
        .collect();
    match names.len() {
        0 => "no regular days yet".to_string(),
        7 => "every day".to_string(),
        n if n > 2 && weekdays.windows(2).all(|w| w[1] == w[0] + 1) => {
            format!("{} to {}", names[0], names[n - 1])
        }
        1 => names[0].to_string(),
        n => format!("{} and {}", names[..n - 1].join(", "), names[n - 1]),
    }
}

/// The reporting of a set of report days as of `today`, silent after `threshold` missed days.
pub fn reporting_of(
    organization: Option<String>,
    days: &BTreeSet<i64>,
    today: i64,
    threshold: usize,
) -> Option<Reporting> {
    let last_day = *days.last()?;
    // Learned from the four weeks up to the last report, so a silence does not unlearn itself.
    let mut counts = [0usize; 7];
    for d in days.range(last_day - LEARN_DAYS + 1..=last_day) {
        counts[weekday(*d) as usize] += 1;
    }
    let expected_weekdays: Vec<u8> = (0..7u8).filter(|w| counts[*w as usize] >= EXPECTED_OF_FOUR).collect();
    let judged_up_to = today - REPORT_DELAY_DAYS;
    let missed: Vec<i64> = (last_day + 1..=judged_up_to)
        .filter(|d| expected_weekdays.contains(&weekday(*d)))
        .collect();
    let silent_since = (missed.len() >= threshold).then(|| missed[0]);
    Some(Reporting {
        organization,
        last_day,
        expected_weekdays,
        missed,
        silent_since,
    })
}

/// Every sender's reporting and the domain's, as of `today`, from the days each sender's
/// report periods started on. Senders ordered by name.
pub fn reporting(by_sender: &BTreeMap<String, BTreeSet<i64>>, today: i64) -> (Vec<Reporting>, Option<Reporting>) {
    let senders = by_sender
        .iter()
        .filter_map(|(org, days)| reporting_of(Some(org.clone()), days, today, SENDER_MISSED_DAYS))
        .collect();
    let all: BTreeSet<i64> = by_sender.values().flatten().copied().collect();
    (senders, reporting_of(None, &all, today, DOMAIN_MISSED_DAYS))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 2026-11-02, a Monday.
    const MON: i64 = 20_759;

    fn days(list: impl IntoIterator<Item = i64>) -> BTreeSet<i64> {
        list.into_iter().collect()
    }

    #[test]
    fn rhythms_in_words() {
        assert_eq!(rhythm_words(&[0, 1, 2, 3, 4, 5, 6]), "every day");
        assert_eq!(rhythm_words(&[0, 1, 2, 3, 4]), "Monday to Friday");
        assert_eq!(rhythm_words(&[0, 2, 4]), "Monday, Wednesday and Friday");
        assert_eq!(rhythm_words(&[5, 6]), "Saturday and Sunday");
        assert_eq!(rhythm_words(&[2]), "Wednesday");
        assert_eq!(rhythm_words(&[]), "no regular days yet");
    }

    #[test]
    fn weekdays() {
        assert_eq!(weekday(0), 3, "1970-01-01 was a Thursday");
        assert_eq!(weekday(MON), 0);
        assert_eq!(weekday(MON + 6), 6);
    }

    /// A daily sender stops after day 27: day 28 and 29 are missed, judged on day 31.
    #[test]
    fn a_daily_sender_is_silent_after_two_missed_days() {
        let d = days(MON..MON + 28);
        let at = |today| reporting_of(Some("g".into()), &d, today, SENDER_MISSED_DAYS).unwrap();
        assert!(at(MON + 29).missed.is_empty());
        assert_eq!(at(MON + 30).missed, vec![MON + 28]);
        assert_eq!(at(MON + 30).silent_since, None);
        let r = at(MON + 31);
        assert_eq!(r.missed, vec![MON + 28, MON + 29]);
        assert_eq!(r.silent_since, Some(MON + 28));
        // The silence keeps its first day as long as it lasts.
        assert_eq!(at(MON + 40).silent_since, Some(MON + 28));
        assert_eq!(r.expected_weekdays, vec![0, 1, 2, 3, 4, 5, 6]);
    }

    /// Weekdays only: a weekend is no silence, Monday and Tuesday missed are.
    #[test]
    fn a_weekday_sender_is_not_missed_on_weekends() {
        let d = days((MON..MON + 26).filter(|d| weekday(*d) < 5));
        // Last report: Friday MON+25 (week 4). Saturday and Sunday are judged by Tuesday.
        let r = reporting_of(Some("w".into()), &d, MON + 29, SENDER_MISSED_DAYS).unwrap();
        assert_eq!(r.expected_weekdays, vec![0, 1, 2, 3, 4]);
        assert!(r.missed.is_empty() && r.silent_since.is_none());
        // Monday MON+28 and Tuesday MON+29 are missed, judged on Thursday.
        let r = reporting_of(Some("w".into()), &d, MON + 31, SENDER_MISSED_DAYS).unwrap();
        assert_eq!(r.silent_since, Some(MON + 28));
    }

    /// A sender that reports some days and not others, with no weekday 3 times in 4 weeks, has no
    /// rhythm and is never silent; nor is one newer than four weeks reporting twice a week.
    #[test]
    fn irregular_and_new_senders_are_never_silent() {
        let d = days([MON, MON + 3, MON + 8, MON + 13, MON + 16, MON + 22]);
        let r = reporting_of(Some("i".into()), &d, MON + 60, SENDER_MISSED_DAYS).unwrap();
        assert!(!r.is_regular());
        assert_eq!(r.silent_since, None);
        let d = days([MON + 20, MON + 22, MON + 27]);
        assert_eq!(
            reporting_of(Some("n".into()), &d, MON + 60, SENDER_MISSED_DAYS)
                .unwrap()
                .silent_since,
            None
        );
    }

    /// The domain as a whole: two senders alternating keep it reported every day; it is broken
    /// only after three expected days with no report from anyone.
    #[test]
    fn the_domain_needs_three_missed_days() {
        let mut by = BTreeMap::new();
        by.insert("a".to_string(), days((MON..MON + 28).filter(|d| d % 2 == 0)));
        by.insert("b".to_string(), days((MON..MON + 28).filter(|d| d % 2 == 1)));
        let (senders, domain) = reporting(&by, MON + 31);
        let domain = domain.unwrap();
        assert_eq!(domain.expected_weekdays.len(), 7);
        assert_eq!(domain.missed, vec![MON + 28, MON + 29]);
        assert_eq!(domain.silent_since, None);
        // Alone, each reports every other day: no weekday three times in four weeks.
        assert!(senders.iter().all(|s| s.silent_since.is_none()));
        let (_, domain) = reporting(&by, MON + 32);
        assert_eq!(domain.unwrap().silent_since, Some(MON + 28));
        assert_eq!(reporting(&BTreeMap::new(), MON), (vec![], None));
    }
}
