//! Server-rendered SVG charts for the report views (plotters). Text and axes are drawn in
//! `currentColor`, so a chart follows the page's light or dark theme; data uses the Okabe–Ito
//! palette, which stays distinguishable with the common colour-vision deficiencies. Every chart
//! has a title and a text description, and the page shows the same numbers as a table below it.

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use portcullis_domain::numbers::count_text;

/// Okabe–Ito: blue, vermillion, bluish green, orange, sky blue, reddish purple, yellow.
pub const PALETTE: [RGBColor; 7] = [
    RGBColor(0x00, 0x72, 0xB2),
    RGBColor(0xD5, 0x5E, 0x00),
    RGBColor(0x00, 0x9E, 0x73),
    RGBColor(0xE6, 0x9F, 0x00),
    RGBColor(0x56, 0xB4, 0xE9),
    RGBColor(0xCC, 0x79, 0xA7),
    RGBColor(0xF0, 0xE4, 0x42),
];
const SUCCESS: RGBColor = PALETTE[0];
const FAILURE: RGBColor = PALETTE[1];
/// Drawn as this, then replaced by `currentColor` in the SVG text.
const INK: RGBColor = RGBColor(0x01, 0x02, 0x03);
const INK_HEX: &str = "#010203";

/// Pixels on each side of a day's bar: the bars stay apart while days are wide, and touch once
/// a day is only a few pixels (a fixed gap made bars narrower than it negative).
fn day_gap(days: usize, plot_width: u32) -> u32 {
    match plot_width / days.max(1) as u32 {
        0..=5 => 0,
        6..=11 => 1,
        _ => 2,
    }
}

/// Below this many pixels a day, days are drawn as one area instead of bars: bars that thin
/// blur into slivers, and a year of them is hundreds of elements for one shape.
const MIN_BAR_PX: u32 = 4;

fn as_area(days: usize, plot_width: u32) -> bool {
    plot_width / (days.max(1) as u32) < MIN_BAR_PX
}

/// A day's value held across its whole width, `(i, v)` to `(i + 1, v)`: the outline the bars
/// would have, without their gaps.
fn steps(values: impl IntoIterator<Item = i64>) -> Vec<(usize, i64)> {
    values
        .into_iter()
        .enumerate()
        .flat_map(|(i, v)| [(i, v), (i + 1, v)])
        .collect()
}

const WIDTH: u32 = 760;

/// Bars beyond this many are folded into "other".
pub const TOP_N: usize = 8;

/// Daily successful sessions (bars, left axis) and failed sessions (line, right axis): two
/// scales, because failures are usually a tiny fraction and would vanish on one.
pub fn daily_sessions(title: &str, days: &[(String, i64, i64)]) -> String {
    let desc = format!(
        "{}: {} days, {} successful and {} failed sessions in all; the table below lists each day.",
        title,
        days.len(),
        days.iter().map(|d| d.1).sum::<i64>(),
        days.iter().map(|d| d.2).sum::<i64>()
    );
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (WIDTH, 300)).into_drawing_area();
        let max_ok = days.iter().map(|d| d.1).max().unwrap_or(0).max(1);
        let max_failed = days.iter().map(|d| d.2).max().unwrap_or(0).max(1);
        let n = days.len().max(1);
        let chart = ChartBuilder::on(&root)
            .caption(title, ("sans-serif", 16).into_font().color(&INK))
            .margin(10)
            .x_label_area_size(36)
            .y_label_area_size(64)
            .right_y_label_area_size(48)
            .build_cartesian_2d(0..n, 0..(max_ok + max_ok / 10 + 1))
            .map(|c| c.set_secondary_coord(0..n, 0..(max_failed + max_failed / 10 + 1)));
        let Ok(mut chart) = chart else {
            return fallback(title, &desc);
        };
        let label = |i: &usize| days.get(*i).map(|d| d.0[5..].to_string()).unwrap_or_default();
        let _ = chart
            .configure_mesh()
            .disable_x_mesh()
            .light_line_style(INK.mix(0.08))
            .axis_style(INK.mix(0.6))
            .label_style(("sans-serif", 11).into_font().color(&INK))
            .x_labels(n.min(12))
            .x_label_formatter(&label)
            .y_label_formatter(&|v: &i64| count_text(*v))
            .y_desc("successful sessions")
            .axis_desc_style(("sans-serif", 11).into_font().color(&INK))
            .draw();
        let _ = chart
            .configure_secondary_axes()
            .y_label_formatter(&|v: &i64| count_text(*v))
            .y_desc("failed sessions")
            .axis_style(FAILURE.mix(0.8))
            .label_style(("sans-serif", 11).into_font().color(&FAILURE))
            .axis_desc_style(("sans-serif", 11).into_font().color(&FAILURE))
            .draw();
        // The plotting area: the width less the margins and the two label areas.
        let plot_width = WIDTH - 2 * 10 - 64 - 48;
        let gap = day_gap(n, plot_width);
        let drawn = if as_area(n, plot_width) {
            let mut outline = steps(days.iter().map(|d| d.1));
            outline.extend([(n, 0), (0, 0)]);
            chart.draw_series(std::iter::once(Polygon::new(outline, SUCCESS.mix(0.75).filled())))
        } else {
            chart.draw_series(days.iter().enumerate().map(|(i, d)| {
                let mut bar = Rectangle::new([(i, 0), (i + 1, d.1)], SUCCESS.mix(0.75).filled());
                bar.set_margin(0, 0, gap, gap);
                bar
            }))
        };
        let _ = drawn.map(|s| {
            s.label("successful")
                .legend(|(x, y)| Rectangle::new([(x, y - 5), (x + 10, y + 5)], SUCCESS.filled()))
        });
        let _ = chart
            .draw_secondary_series(LineSeries::new(
                days.iter().enumerate().map(|(i, d)| (i, d.2)),
                FAILURE.stroke_width(2),
            ))
            .map(|s| {
                s.label("failed")
                    .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 12, y)], FAILURE.stroke_width(2)))
            });
        let _ = chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperLeft)
            .label_font(("sans-serif", 11).into_font().color(&INK))
            .border_style(INK.mix(0.3))
            .draw();
        let _ = root.present();
    }
    finish(svg, title, &desc)
}

/// Horizontal bars of failed sessions per key (top [`TOP_N`], the rest as "other"), each bar
/// labelled with its number.
pub fn failure_bars(title: &str, rows: &[(String, i64)]) -> String {
    let mut bars: Vec<(String, i64)> = rows.iter().take(TOP_N).cloned().collect();
    let rest: i64 = rows.iter().skip(TOP_N).map(|r| r.1).sum();
    if rows.len() > TOP_N {
        bars.push((format!("other ({})", rows.len() - TOP_N), rest));
    }
    let desc = format!(
        "{}: {}; the table below lists every value.",
        title,
        if bars.is_empty() {
            "no failures".to_string()
        } else {
            bars.iter()
                .map(|(k, v)| format!("{k} {v}"))
                .collect::<Vec<_>>()
                .join(", ")
        }
    );
    let height = 60 + 26 * bars.len().max(1) as u32;
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (WIDTH, height)).into_drawing_area();
        let max = bars.iter().map(|b| b.1).max().unwrap_or(0).max(1);
        let n = bars.len().max(1);
        let chart = ChartBuilder::on(&root)
            .caption(title, ("sans-serif", 16).into_font().color(&INK))
            .margin(10)
            .x_label_area_size(40)
            .y_label_area_size(0)
            .build_cartesian_2d(0..(max + max / 4 + 1), 0f64..n as f64);
        let Ok(mut chart) = chart else {
            return fallback(title, &desc);
        };
        let _ = chart
            .configure_mesh()
            .disable_y_mesh()
            .disable_y_axis()
            .light_line_style(INK.mix(0.08))
            .axis_style(INK.mix(0.6))
            .label_style(("sans-serif", 11).into_font().color(&INK))
            .x_label_formatter(&|v: &i64| count_text(*v))
            .x_desc("failed sessions")
            .axis_desc_style(("sans-serif", 11).into_font().color(&INK))
            .draw();
        let label_style = ("sans-serif", 12)
            .into_font()
            .color(&INK)
            .pos(Pos::new(HPos::Left, VPos::Center));
        for (i, (key, value)) in bars.iter().enumerate() {
            // Top bar first.
            let row = (n - 1 - i) as f64;
            let colour = if key.starts_with("other (") {
                INK.mix(0.35)
            } else {
                PALETTE[i % PALETTE.len()].mix(0.85)
            };
            let bar = Rectangle::new([(0, row + 0.15), (*value, row + 0.85)], colour.filled());
            let _ = chart.draw_series(std::iter::once(bar));
            let _ = chart.draw_series(std::iter::once(Text::new(
                format!("{key}  {}", count_text(*value)),
                (*value + max / 100 + 1, row + 0.5),
                label_style.clone(),
            )));
        }
        let _ = root.present();
    }
    finish(svg, title, &desc)
}

/// Result types shown on their own in the stacked chart; the rest are summed as "other".
pub const STACK_TOP: usize = 6;

/// Failed sessions per day stacked by result type: the [`STACK_TOP`] largest types, the rest
/// as "other". `series` holds one value per entry of `days`.
pub fn stacked_failures(title: &str, days: &[String], series: &[(String, Vec<i64>)]) -> String {
    let mut ranked: Vec<&(String, Vec<i64>)> = series.iter().collect();
    ranked.sort_by_key(|(name, values)| (std::cmp::Reverse(values.iter().sum::<i64>()), name.clone()));
    let mut shown: Vec<(String, Vec<i64>)> = ranked.iter().take(STACK_TOP).map(|s| (*s).clone()).collect();
    if ranked.len() > STACK_TOP {
        let mut other = vec![0; days.len()];
        for (_, values) in ranked.iter().skip(STACK_TOP) {
            for (o, v) in other.iter_mut().zip(values) {
                *o += v;
            }
        }
        shown.push((format!("other ({})", ranked.len() - STACK_TOP), other));
    }
    let totals: Vec<i64> = (0..days.len())
        .map(|i| shown.iter().map(|s| s.1.get(i).copied().unwrap_or(0)).sum())
        .collect();
    let desc = format!(
        "{}: {} failed sessions over {} days; {}; the table below lists each day.",
        title,
        totals.iter().sum::<i64>(),
        days.len(),
        if shown.is_empty() {
            "no failures".to_string()
        } else {
            shown
                .iter()
                .map(|(k, v)| format!("{k} {}", v.iter().sum::<i64>()))
                .collect::<Vec<_>>()
                .join(", ")
        }
    );
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (WIDTH, 300)).into_drawing_area();
        let max = totals.iter().copied().max().unwrap_or(0).max(1);
        let n = days.len().max(1);
        let chart = ChartBuilder::on(&root)
            .caption(title, ("sans-serif", 16).into_font().color(&INK))
            .margin(10)
            .x_label_area_size(36)
            .y_label_area_size(56)
            .build_cartesian_2d(0..n, 0..(max + max / 10 + 1));
        let Ok(mut chart) = chart else {
            return fallback(title, &desc);
        };
        let label = |i: &usize| {
            days.get(*i)
                .map(|d| d.get(5..).unwrap_or(d).to_string())
                .unwrap_or_default()
        };
        let _ = chart
            .configure_mesh()
            .disable_x_mesh()
            .light_line_style(INK.mix(0.08))
            .axis_style(INK.mix(0.6))
            .label_style(("sans-serif", 11).into_font().color(&INK))
            .x_labels(n.min(12))
            .x_label_formatter(&label)
            .y_label_formatter(&|v: &i64| count_text(*v))
            .y_desc("failed sessions")
            .axis_desc_style(("sans-serif", 11).into_font().color(&INK))
            .draw();
        let plot_width = WIDTH - 2 * 10 - 56;
        let gap = day_gap(n, plot_width);
        let area = as_area(n, plot_width);
        let mut base = vec![0i64; days.len()];
        for (k, (name, values)) in shown.iter().enumerate() {
            let colour = if name.starts_with("other (") {
                INK.mix(0.35)
            } else {
                PALETTE[k % PALETTE.len()].mix(0.9)
            };
            let drawn = if area {
                // One band: along the tops of this type's values, back along its base.
                let mut outline = steps(base.iter().zip(values).map(|(b, v)| b + v));
                outline.extend(steps(base.iter().copied()).into_iter().rev());
                chart.draw_series(std::iter::once(Polygon::new(outline, colour.filled())))
            } else {
                chart.draw_series(values.iter().enumerate().filter(|(_, v)| **v > 0).map(|(i, v)| {
                    let mut bar = Rectangle::new([(i, base[i]), (i + 1, base[i] + v)], colour.filled());
                    bar.set_margin(0, 0, gap, gap);
                    bar
                }))
            };
            for (b, v) in base.iter_mut().zip(values) {
                *b += v;
            }
            let _ = drawn.map(|s| {
                s.label(name.clone())
                    .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 10, y + 5)], colour.filled()))
            });
        }
        if !shown.is_empty() {
            let _ = chart
                .configure_series_labels()
                .position(SeriesLabelPosition::UpperRight)
                .label_font(("sans-serif", 11).into_font().color(&INK))
                .border_style(INK.mix(0.3))
                .draw();
        }
        let _ = root.present();
    }
    finish(svg, title, &desc)
}

/// Senders shown as rows of the timeline; the table below the chart lists every one.
pub const TIMELINE_ROWS: usize = 12;

/// One row of the sender timeline: the sender and its runs of one policy, `(label, from, to)`
/// in Unix seconds, `label` the version's id or "unknown version".
pub type TimelineRow = (String, Vec<(String, i64, i64)>);

/// Which policy each sender applied over `[start, end)`: one row per sender (the first
/// [`TIMELINE_ROWS`]), a bar per run of one version. The served version is drawn in green,
/// older versions in the palette's other colours, policies matching no stored version in grey.
pub fn sender_timeline(title: &str, start: i64, end: i64, served: Option<&str>, rows: &[TimelineRow]) -> String {
    let rows = &rows[..rows.len().min(TIMELINE_ROWS)];
    let desc = format!(
        "{}: {}; the table below lists every sender and run.",
        title,
        if rows.is_empty() {
            "no sender reported the policy".to_string()
        } else {
            rows.iter()
                .map(|(sender, runs)| {
                    let last = runs.last().map(|r| r.0.as_str()).unwrap_or("nothing");
                    format!("{sender} applies {last}")
                })
                .collect::<Vec<_>>()
                .join(", ")
        }
    );
    // One colour per version, in order of first appearance; the served one always green.
    let mut labels: Vec<String> = Vec::new();
    for (_, runs) in rows {
        for (label, _, _) in runs {
            if !labels.contains(label) {
                labels.push(label.clone());
            }
        }
    }
    let others = [PALETTE[0], PALETTE[3], PALETTE[5], PALETTE[4], PALETTE[1], PALETTE[6]];
    let colour_of = |label: &str| -> RGBColor {
        if Some(label) == served {
            return PALETTE[2];
        }
        if label == UNKNOWN_VERSION {
            return RGBColor(0x99, 0x99, 0x99);
        }
        let older = labels
            .iter()
            .filter(|l| Some(l.as_str()) != served && l.as_str() != UNKNOWN_VERSION)
            .position(|l| l == label)
            .unwrap_or(0);
        others[older % others.len()]
    };
    let n = rows.len().max(1);
    let height = 90 + 28 * n as u32;
    let name_width: u32 = 170;
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (WIDTH, height)).into_drawing_area();
        let chart = ChartBuilder::on(&root)
            .caption(title, ("sans-serif", 16).into_font().color(&INK))
            .margin(10)
            .x_label_area_size(30)
            .y_label_area_size(name_width)
            .build_cartesian_2d(start..end.max(start + 1), 0f64..n as f64);
        let Ok(mut chart) = chart else {
            return fallback(title, &desc);
        };
        let date = |t: &i64| {
            let day = t.div_euclid(86_400);
            month_day(day)
        };
        let _ = chart
            .configure_mesh()
            .disable_y_mesh()
            .disable_y_axis()
            .light_line_style(INK.mix(0.08))
            .axis_style(INK.mix(0.6))
            .label_style(("sans-serif", 11).into_font().color(&INK))
            .x_labels(8)
            .x_label_formatter(&date)
            .draw();
        let name_style = ("sans-serif", 12)
            .into_font()
            .color(&INK)
            .pos(Pos::new(HPos::Right, VPos::Center));
        for (i, (sender, runs)) in rows.iter().enumerate() {
            // First sender on top.
            let row = (n - 1 - i) as f64;
            let (_, y) = chart.backend_coord(&(start, row + 0.5));
            let name: String = if sender.chars().count() > 24 {
                sender.chars().take(23).chain(std::iter::once('…')).collect()
            } else {
                sender.clone()
            };
            let _ = root.draw(&Text::new(name, (10 + name_width as i32 - 6, y), name_style.clone()));
            for (label, from, to) in runs {
                let (from, to) = ((*from).clamp(start, end), (*to).clamp(start, end));
                if to <= from {
                    continue;
                }
                let bar = Rectangle::new(
                    [(from, row + 0.2), (to, row + 0.8)],
                    colour_of(label).mix(0.85).filled(),
                );
                let _ = chart.draw_series(std::iter::once(bar));
            }
        }
        // The legend: one swatch per version.
        let legend_style = ("sans-serif", 11).into_font().color(&INK);
        let mut x = 10 + name_width as i32;
        let y = height as i32 - 12;
        for label in &labels {
            let text = if Some(label.as_str()) == served {
                format!("{label} (served)")
            } else {
                label.clone()
            };
            let _ = root.draw(&Rectangle::new(
                [(x, y - 5), (x + 10, y + 5)],
                colour_of(label).filled(),
            ));
            let _ = root.draw(&Text::new(text.clone(), (x + 14, y - 6), legend_style.clone()));
            x += 24 + 7 * text.chars().count() as i32;
            if x > WIDTH as i32 - 60 {
                break;
            }
        }
        let _ = root.present();
    }
    finish(svg, title, &desc)
}

/// The label of runs whose policy matches no stored version.
pub const UNKNOWN_VERSION: &str = "unknown version";

/// `MM-DD` of a day number (days since 1970-01-01).
fn month_day(day: i64) -> String {
    chrono::DateTime::from_timestamp(day * 86_400, 0)
        .map(|t| t.format("%m-%d").to_string())
        .unwrap_or_default()
}

/// Theme-following colours, the accessible name and description.
fn finish(svg: String, title: &str, desc: &str) -> String {
    let svg = svg.replace(INK_HEX, "currentColor").replace("#010203", "currentColor");
    let head_end = svg.find('>').map(|i| i + 1).unwrap_or(0);
    let (head, body) = svg.split_at(head_end);
    let head = head.replacen("<svg ", "<svg role=\"img\" class=\"chart\" ", 1);
    format!(
        "{head}<title>{}</title><desc>{}</desc>{body}",
        escape(title),
        escape(desc)
    )
}

fn fallback(title: &str, desc: &str) -> String {
    format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" role=\"img\" class=\"chart\" width=\"{WIDTH}\" height=\"40\"><title>{}</title><desc>{}</desc></svg>",
        escape(title),
        escape(desc)
    )
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn days(n: usize) -> Vec<(String, i64, i64)> {
        (0..n)
            .map(|i| {
                (
                    format!("2026-{:02}-{:02}", 1 + i / 28 % 12, 1 + i % 28),
                    1000 + i as i64 * 7,
                    (i % 5) as i64,
                )
            })
            .collect()
    }

    #[test]
    fn daily_chart_renders_for_empty_single_and_long_ranges() {
        for n in [0, 1, 365] {
            let svg = daily_sessions("Sessions per day", &days(n));
            assert!(
                svg.starts_with("<svg role=\"img\" class=\"chart\""),
                "{n}: {}",
                &svg[..80.min(svg.len())]
            );
            assert!(svg.contains("<title>Sessions per day</title>"));
            assert!(svg.contains(&format!("{n} days")), "{n}");
            assert!(!svg.contains(INK_HEX), "theme colour replaced");
            assert!(svg.ends_with("</svg>\n") || svg.ends_with("</svg>"));
        }
    }

    /// Every `width` and `height` attribute of the SVG's elements.
    fn sizes(svg: &str) -> Vec<f64> {
        ["width=\"", "height=\""]
            .iter()
            .flat_map(|attr| {
                svg.match_indices(attr).filter_map(move |(i, _)| {
                    let rest = &svg[i + attr.len()..];
                    rest[..rest.find('"')?].parse::<f64>().ok()
                })
            })
            .collect()
    }

    /// Bars narrower than their gaps used to get negative widths (browsers log an error for
    /// each): from one day to more than a year, none does.
    #[test]
    fn no_negative_sizes_from_one_to_four_hundred_days() {
        for n in 1..=400 {
            let daily = daily_sessions("Sessions per day", &days(n));
            let names: Vec<String> = days(n).into_iter().map(|d| d.0).collect();
            let series = vec![(
                "certificate-expired".to_string(),
                (0..n as i64).map(|i| i % 3 + 1).collect(),
            )];
            let stacked = stacked_failures("Failures per day", &names, &series);
            for (kind, svg) in [("daily", &daily), ("stacked", &stacked)] {
                let bad: Vec<f64> = sizes(svg).into_iter().filter(|v| *v < 0.0).collect();
                assert!(bad.is_empty(), "{kind} chart for {n} days: {bad:?}");
            }
        }
    }

    /// Days of at least four pixels are bars; narrower days (a year on one chart) are one area
    /// per series, not hundreds of slivers.
    #[test]
    fn narrow_days_are_drawn_as_areas() {
        let rects = |svg: &str| svg.matches("<rect").count();
        let series = |n: usize| {
            vec![
                ("certificate-expired".to_string(), vec![2; n]),
                ("sts-policy-invalid".to_string(), vec![1; n]),
            ]
        };
        for n in [30, 92, 150] {
            let names: Vec<String> = days(n).into_iter().map(|d| d.0).collect();
            assert!(rects(&daily_sessions("d", &days(n))) >= n, "{n} days as bars");
            assert!(
                rects(&stacked_failures("s", &names, &series(n))) >= 2 * n,
                "{n} days as bars"
            );
        }
        for n in [200, 365, 400] {
            let names: Vec<String> = days(n).into_iter().map(|d| d.0).collect();
            let daily = daily_sessions("d", &days(n));
            let stacked = stacked_failures("s", &names, &series(n));
            assert!(rects(&daily) < 10, "{n} days: {} rects", rects(&daily));
            assert!(rects(&stacked) < 10, "{n} days: {} rects", rects(&stacked));
            assert!(daily.contains("<polygon"), "{n} days: the successes are an area");
            assert_eq!(stacked.matches("<polygon").count(), 2, "{n} days: one band per type");
            assert!(
                stacked.contains(&format!("{} failed sessions over {n} days", 3 * n)),
                "{stacked}"
            );
        }
        assert_eq!(steps([5, 7]), vec![(0, 5), (1, 5), (1, 7), (2, 7)]);
    }

    #[test]
    fn stacked_failures_fold_small_types_and_total_per_day() {
        let days: Vec<String> = (1..=3).map(|d| format!("2026-11-0{d}")).collect();
        let series: Vec<(String, Vec<i64>)> = (0..8)
            .map(|k| (format!("type-{k}"), vec![k as i64 + 1, 0, 2 * k as i64 + 1]))
            .collect();
        let svg = stacked_failures("Failures per day", &days, &series);
        // 8 types: 1..=8 on day 1, 0 on day 2, 1,3,..,15 on day 3: 36 + 64 = 100 in all.
        assert!(svg.contains("100 failed sessions over 3 days"), "{svg}");
        // The two smallest (type-0: 2, type-1: 5) fold into other.
        assert!(svg.contains("other (2) 7"), "{svg}");
        assert!(svg.contains("type-7 23"), "{svg}");
        let empty = stacked_failures("Failures per day", &days, &[]);
        assert!(empty.contains("no failures"));
        assert!(stacked_failures("x", &[], &[]).contains("over 0 days"));
    }

    #[test]
    fn sender_timeline_draws_a_row_per_sender_and_names_the_served_version() {
        let start = 1_793_491_200; // 2026-11-01
        let end = start + 30 * 86_400;
        let rows: Vec<TimelineRow> = (0..15)
            .map(|i| {
                (
                    format!("sender-{i}.example"),
                    vec![
                        ("v1".to_string(), start - 86_400, start + 10 * 86_400),
                        (
                            if i % 2 == 0 { "v2" } else { UNKNOWN_VERSION }.to_string(),
                            start + 10 * 86_400,
                            end + 86_400,
                        ),
                    ],
                )
            })
            .collect();
        let svg = sender_timeline("Policy applied by sender", start, end, Some("v2"), &rows);
        assert!(svg.contains("sender-0.example applies v2"), "{svg}");
        assert!(svg.contains("sender-1.example applies unknown version"));
        // Twelve rows drawn, the rest only in the table.
        assert!(svg.contains("\nsender-11.example\n"), "{svg}");
        assert!(!svg.contains("sender-12.example"));
        assert!(svg.contains("v2 (served)"));
        assert!(sizes(&svg).iter().all(|v| *v >= 0.0));
        // The served version is green, the unknown grey.
        assert!(svg.contains("#009E73"), "{svg}");
        assert!(svg.contains("#999999"));
        let empty = sender_timeline("Policy applied by sender", start, end, None, &[]);
        assert!(empty.contains("no sender reported the policy"));
    }

    #[test]
    fn bars_show_the_numbers_and_fold_the_tail() {
        let rows: Vec<(String, i64)> = (0..12).map(|i| (format!("org {i}"), 100 - i as i64)).collect();
        let svg = failure_bars("Failures by organisation", &rows);
        assert!(svg.contains("org 0  100"));
        assert!(svg.contains("org 7  93"));
        assert!(!svg.contains("org 8  92"));
        // 92 + 91 + 90 + 89 folded into one bar.
        assert!(svg.contains("other (4)  362"), "{svg}");
        let empty = failure_bars("Failures by MX", &[]);
        assert!(empty.contains("no failures"));
        let tricky = failure_bars("x", &[("<script>&".into(), 1)]);
        assert!(!tricky.contains("<script>"));
    }
}
