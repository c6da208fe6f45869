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
}
