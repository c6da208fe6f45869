//! Charts drawn by the server as inline SVG (no scripts, no images to fetch): bars of bytes
//! per table, and a line of a figure over days.

use std::fmt::Write as _;

pub use crate::util::units::bytes;

fn escape(text: &str) -> String {
    html_escape::encode_text(text).into_owned()
}

/// Horizontal bars, one per `(label, value)`, longest first as given; `title` names the
/// chart for screen readers.
pub fn bars(title: &str, rows: &[(String, u64)]) -> String {
    const ROW_PX: usize = 22;
    const LABEL_PX: usize = 230;
    const BAR_PX: f64 = 380.0;
    let height = ROW_PX * rows.len().max(1) + 10;
    let max = rows
        .iter()
        .map(|(_, value)| *value)
        .max()
        .unwrap_or(0)
        .max(1);
    let mut svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" role=\"img\" aria-labelledby=\"chart-title\" \
         width=\"720\" height=\"{height}\" viewBox=\"0 0 720 {height}\" class=\"chart\">\
         <title id=\"chart-title\">{}</title>",
        escape(title)
    );
    for (index, (label, value)) in rows.iter().enumerate() {
        let y = index * ROW_PX + 5;
        let width = (*value as f64 / max as f64 * BAR_PX).max(1.0);
        let _ = write!(
            svg,
            "<text x=\"0\" y=\"{}\" font-size=\"13\" fill=\"#111\">{}</text>\
             <rect x=\"{LABEL_PX}\" y=\"{y}\" width=\"{width:.1}\" height=\"16\" fill=\"#0b4f9c\"><title>{}: {}</title></rect>\
             <text x=\"{:.1}\" y=\"{}\" font-size=\"12\" fill=\"#111\">{}</text>",
            y + 13,
            escape(label),
            escape(label),
            bytes(*value),
            LABEL_PX as f64 + width + 6.0,
            y + 13,
            bytes(*value)
        );
    }
    svg.push_str("</svg>");
    svg
}

/// A line of one figure per day (`(day start ms, bytes)`, oldest first), with a dashed line at
/// `limit` when there is one (the disk budget).
pub fn days(title: &str, points: &[(u64, u64)], limit: Option<u64>) -> String {
    const WIDTH: f64 = 720.0;
    const HEIGHT: f64 = 220.0;
    const LEFT: f64 = 80.0;
    const BOTTOM: f64 = 30.0;
    let top = points
        .iter()
        .map(|(_, value)| *value)
        .chain(limit)
        .max()
        .unwrap_or(0)
        .max(1) as f64;
    let span = points.len().saturating_sub(1).max(1) as f64;
    let x = |index: usize| LEFT + index as f64 / span * (WIDTH - LEFT - 10.0);
    let y = |value: u64| 10.0 + (1.0 - value as f64 / top) * (HEIGHT - BOTTOM - 10.0);
    let mut svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" role=\"img\" aria-labelledby=\"growth-title\" \
         width=\"{WIDTH}\" height=\"{HEIGHT}\" viewBox=\"0 0 {WIDTH} {HEIGHT}\" class=\"growth\">\
         <title id=\"growth-title\">{}</title>\
         <line x1=\"{LEFT}\" y1=\"{}\" x2=\"{WIDTH}\" y2=\"{}\" stroke=\"#767676\"/>\
         <text x=\"0\" y=\"18\" font-size=\"12\" fill=\"#111\">{}</text>\
         <text x=\"0\" y=\"{}\" font-size=\"12\" fill=\"#111\">0</text>",
        escape(title),
        HEIGHT - BOTTOM,
        HEIGHT - BOTTOM,
        bytes(top as u64),
        HEIGHT - BOTTOM
    );
    if let Some(limit) = limit {
        let _ = write!(
            svg,
            "<line x1=\"{LEFT}\" y1=\"{y:.1}\" x2=\"{WIDTH}\" y2=\"{y:.1}\" stroke=\"#a4161a\" stroke-dasharray=\"6 4\" class=\"budget\"><title>budget {}</title></line>",
            bytes(limit),
            y = y(limit)
        );
    }
    let line: Vec<String> = points
        .iter()
        .enumerate()
        .map(|(index, (_, value))| format!("{:.1},{:.1}", x(index), y(*value)))
        .collect();
    let _ = write!(
        svg,
        "<polyline fill=\"none\" stroke=\"#0b4f9c\" stroke-width=\"2\" points=\"{}\"/>",
        line.join(" ")
    );
    for (index, (day, value)) in points.iter().enumerate() {
        let _ = write!(
            svg,
            "<circle cx=\"{:.1}\" cy=\"{:.1}\" r=\"3\" fill=\"#0b4f9c\"><title>{}: {}</title></circle>",
            x(index),
            y(*value),
            crate::util::time::iso8601_day(*day),
            bytes(*value)
        );
    }
    if let (Some((first, _)), Some((last, _))) = (points.first(), points.last()) {
        let _ = write!(
            svg,
            "<text x=\"{LEFT}\" y=\"{}\" font-size=\"12\" fill=\"#111\">{}</text>\
             <text x=\"{}\" y=\"{}\" font-size=\"12\" fill=\"#111\" text-anchor=\"end\">{}</text>",
            HEIGHT - 8.0,
            crate::util::time::iso8601_day(*first),
            WIDTH - 10.0,
            HEIGHT - 8.0,
            crate::util::time::iso8601_day(*last)
        );
    }
    svg.push_str("</svg>");
    svg
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_scale_to_the_largest_and_escape_labels() {
        let svg = bars(
            "Bytes per table",
            &[("statuses".into(), 2048), ("<tags>".into(), 1024)],
        );
        assert!(svg.starts_with("<svg"), "{svg}");
        assert!(svg.contains("width=\"380.0\""), "{svg}");
        assert!(svg.contains("width=\"190.0\""), "{svg}");
        assert!(
            svg.contains("&lt;tags&gt;") && !svg.contains("<tags>"),
            "{svg}"
        );
        assert_eq!(svg.matches("<rect").count(), 2);
    }

    #[test]
    fn a_day_line_has_a_point_per_day_and_the_budget() {
        const DAY: u64 = 86_400_000;
        let svg = days(
            "Database",
            &[(0, 100), (DAY, 200), (2 * DAY, 400)],
            Some(800),
        );
        assert_eq!(svg.matches("<circle").count(), 3, "{svg}");
        assert!(svg.contains("class=\"budget\""), "{svg}");
        assert!(svg.contains("1970-01-03: 400 B"), "{svg}");
        // The budget is the top of the scale: the last point sits halfway up.
        assert!(svg.contains("points=\"80.0,"), "{svg}");
    }
}
