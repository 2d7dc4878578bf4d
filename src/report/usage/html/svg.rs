//! Charts as inline SVG, written by hand.
//!
//! Why not plotters' SVG backend: placing axis labels needs text metrics, which plotters
//! takes from a font backend (its `ttf`/`ab_glyph` features: font files or fontconfig at
//! run time), so with only the SVG backend its labelled axes fail; and it would be one
//! more dependency tree to build. These four chart kinds need ~300 lines; the browser lays
//! out the text (`text-anchor`), and every data mark carries its value (`data-value`) and a
//! tooltip (`<title>`), so tests can read the numbers back.

use std::fmt::Write as _;

use chrono::NaiveDate;

/// Colour-blind-safe palette (Okabe–Ito).
pub const PALETTE: [&str; 6] = [
    "#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00",
];

pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Tick step for an axis from 0 to `max`: 1, 2 or 5 × 10^k giving at most ~6 ticks.
pub fn nice_step(max: f64) -> f64 {
    if max <= 0.0 {
        return 1.0;
    }
    let rough = max / 5.0;
    let magnitude = 10f64.powf(rough.log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0]
        .into_iter()
        .map(|m| m * magnitude)
        .find(|s| *s >= rough)
        .unwrap_or(10.0 * magnitude);
    step.max(1.0)
}

fn axis_max(max: f64) -> (f64, f64) {
    let step = nice_step(max);
    let top = ((max / step).ceil() * step).max(step);
    (top, step)
}

struct Frame {
    width: f64,
    height: f64,
    left: f64,
    right: f64,
    top: f64,
    bottom: f64,
}

impl Frame {
    fn plot_w(&self) -> f64 {
        self.width - self.left - self.right
    }
    fn plot_h(&self) -> f64 {
        self.height - self.top - self.bottom
    }
}

fn open(out: &mut String, f: &Frame, label: &str) {
    let _ = write!(
        out,
        r#"<svg class="chart" viewBox="0 0 {w} {h}" width="100%" role="img" aria-label="{l}" xmlns="http://www.w3.org/2000/svg">"#,
        w = f.width,
        h = f.height,
        l = escape(label)
    );
}

/// Y axis with grid lines from 0 to `top` and its title, rotated.
fn y_axis(out: &mut String, f: &Frame, top: f64, step: f64, title: &str) {
    let mut v = 0.0;
    while v <= top + 1e-9 {
        let y = f.top + f.plot_h() * (1.0 - v / top);
        let _ = write!(
            out,
            r##"<line class="grid" x1="{x1}" x2="{x2}" y1="{y:.1}" y2="{y:.1}" stroke="#e3e3e3"/><text x="{tx}" y="{ty:.1}" text-anchor="end" font-size="12" fill="#444">{v}</text>"##,
            x1 = f.left,
            x2 = f.left + f.plot_w(),
            tx = f.left - 6.0,
            ty = y + 4.0,
        );
        v += step;
    }
    let _ = write!(
        out,
        r##"<text x="14" y="{y:.1}" transform="rotate(-90 14 {y:.1})" text-anchor="middle" font-size="13" fill="#222">{t}</text>"##,
        y = f.top + f.plot_h() / 2.0,
        t = escape(title)
    );
}

fn x_title(out: &mut String, f: &Frame, title: &str) {
    let _ = write!(
        out,
        r##"<text x="{x:.1}" y="{y:.1}" text-anchor="middle" font-size="13" fill="#222">{t}</text>"##,
        x = f.left + f.plot_w() / 2.0,
        y = f.height - 6.0,
        t = escape(title)
    );
}

fn legend(out: &mut String, f: &Frame, names: &[String]) {
    let mut x = f.left;
    for (i, name) in names.iter().enumerate() {
        let _ = write!(
            out,
            r##"<rect x="{x:.1}" y="6" width="12" height="12" fill="{c}"/><text x="{tx:.1}" y="16" font-size="12" fill="#222">{n}</text>"##,
            c = PALETTE[i % PALETTE.len()],
            tx = x + 16.0,
            n = escape(name)
        );
        x += 24.0 + text_width(name, 12.0);
    }
}

/// Roughly how wide `text` is at `size` px in a sans-serif font: capitals, digits and
/// `_` are wider than lower case (legends of Indico role names like `MANAGE_ALL_DATA`
/// overlapped with one width for every character).
fn text_width(text: &str, size: f64) -> f64 {
    text.chars()
        .map(|c| match c {
            'A'..='Z' | '0'..='9' | '_' | 'm' | 'w' => 0.7,
            ' ' | 'i' | 'l' | 'j' | '.' | ',' | ':' | '(' | ')' => 0.3,
            _ => 0.55,
        })
        .sum::<f64>()
        * size
}

/// Evenly spaced date labels (at most ~10) under a date axis of `days` slots.
fn date_labels(out: &mut String, f: &Frame, days: &[NaiveDate], x_of: impl Fn(usize) -> f64) {
    let every = days.len().div_ceil(10).max(1);
    for (i, day) in days.iter().enumerate() {
        if i % every != 0 {
            continue;
        }
        let _ = write!(
            out,
            r##"<text x="{x:.1}" y="{y:.1}" text-anchor="middle" font-size="12" fill="#444">{d}</text>"##,
            x = x_of(i),
            y = f.top + f.plot_h() + 18.0,
            d = day.format("%b %d")
        );
    }
}

/// One line per series over consecutive days (missing days are 0); a circle per point.
pub fn line_chart(days: &[NaiveDate], series: &[(String, Vec<i64>)], y_title: &str) -> String {
    let f = Frame {
        width: 900.0,
        height: 320.0,
        left: 60.0,
        right: 20.0,
        top: 30.0,
        bottom: 48.0,
    };
    let max = series
        .iter()
        .flat_map(|s| s.1.iter())
        .copied()
        .max()
        .unwrap_or(0) as f64;
    let (top, step) = axis_max(max);
    let mut out = String::new();
    open(&mut out, &f, y_title);
    y_axis(&mut out, &f, top, step, y_title);
    let span = (days.len().max(2) - 1) as f64;
    let x_of = |i: usize| f.left + f.plot_w() * (i as f64 / span);
    let y_of = |v: i64| f.top + f.plot_h() * (1.0 - v as f64 / top);
    date_labels(&mut out, &f, days, x_of);
    x_title(&mut out, &f, "Day");
    for (k, (name, values)) in series.iter().enumerate() {
        let colour = PALETTE[k % PALETTE.len()];
        let points: Vec<String> = values
            .iter()
            .enumerate()
            .map(|(i, v)| format!("{:.1},{:.1}", x_of(i), y_of(*v)))
            .collect();
        let _ = write!(
            out,
            r#"<polyline fill="none" stroke="{colour}" stroke-width="2" points="{}"/>"#,
            points.join(" ")
        );
        for (i, v) in values.iter().enumerate() {
            let _ = write!(
                out,
                r#"<circle class="mark" data-series="{s}" data-x="{d}" data-value="{v}" cx="{x:.1}" cy="{y:.1}" r="3.5" fill="{colour}"><title>{s} {d}: {v}</title></circle>"#,
                s = escape(name),
                d = days[i],
                x = x_of(i),
                y = y_of(*v),
            );
        }
    }
    legend(
        &mut out,
        &f,
        &series.iter().map(|s| s.0.clone()).collect::<Vec<_>>(),
    );
    out.push_str("</svg>");
    out
}

/// Stacked columns per day, one colour per series.
pub fn column_chart(days: &[NaiveDate], series: &[(String, Vec<i64>)], y_title: &str) -> String {
    let f = Frame {
        width: 900.0,
        height: 300.0,
        left: 60.0,
        right: 20.0,
        top: 30.0,
        bottom: 48.0,
    };
    let totals: Vec<i64> = (0..days.len())
        .map(|i| series.iter().map(|s| s.1[i]).sum())
        .collect();
    let (top, step) = axis_max(totals.iter().copied().max().unwrap_or(0) as f64);
    let mut out = String::new();
    open(&mut out, &f, y_title);
    y_axis(&mut out, &f, top, step, y_title);
    let slot = f.plot_w() / days.len().max(1) as f64;
    let x_of = |i: usize| f.left + slot * (i as f64 + 0.5);
    date_labels(&mut out, &f, days, x_of);
    x_title(&mut out, &f, "Day");
    let bar = (slot * 0.7).max(1.0);
    for i in 0..days.len() {
        let mut base = 0i64;
        for (k, (name, values)) in series.iter().enumerate() {
            let v = values[i];
            let h = f.plot_h() * v as f64 / top;
            let y = f.top + f.plot_h() * (1.0 - (base + v) as f64 / top);
            let _ = write!(
                out,
                r#"<rect class="mark" data-series="{s}" data-x="{d}" data-value="{v}" x="{x:.1}" y="{y:.1}" width="{bar:.1}" height="{h:.1}" fill="{c}"><title>{s} {d}: {v}</title></rect>"#,
                s = escape(name),
                d = days[i],
                x = x_of(i) - bar / 2.0,
                c = PALETTE[k % PALETTE.len()],
            );
            base += v;
        }
    }
    legend(
        &mut out,
        &f,
        &series.iter().map(|s| s.0.clone()).collect::<Vec<_>>(),
    );
    out.push_str("</svg>");
    out
}

/// Horizontal bars, largest first, labels on the left.
pub fn bar_chart(items: &[(String, i64)], x_title_text: &str) -> String {
    let row = 24.0;
    let f = Frame {
        width: 900.0,
        height: 50.0 + row * items.len().max(1) as f64,
        left: 320.0,
        right: 30.0,
        top: 10.0,
        bottom: 40.0,
    };
    let (top, step) = axis_max(items.iter().map(|i| i.1).max().unwrap_or(0) as f64);
    let mut out = String::new();
    open(&mut out, &f, x_title_text);
    let mut v = 0.0;
    while v <= top + 1e-9 {
        let x = f.left + f.plot_w() * v / top;
        let _ = write!(
            out,
            r##"<line x1="{x:.1}" x2="{x:.1}" y1="{y1}" y2="{y2:.1}" stroke="#e3e3e3"/><text x="{x:.1}" y="{ty:.1}" text-anchor="middle" font-size="12" fill="#444">{v}</text>"##,
            y1 = f.top,
            y2 = f.top + f.plot_h(),
            ty = f.top + f.plot_h() + 16.0,
        );
        v += step;
    }
    x_title(&mut out, &f, x_title_text);
    for (i, (label, value)) in items.iter().enumerate() {
        let y = f.top + row * i as f64;
        let shown: String = if label.chars().count() > 44 {
            label.chars().take(43).chain(['…']).collect()
        } else {
            label.clone()
        };
        let _ = write!(
            out,
            r##"<text x="{tx:.1}" y="{ty:.1}" text-anchor="end" font-size="12" fill="#222">{l}</text><rect class="mark" data-x="{full}" data-value="{value}" x="{x:.1}" y="{ry:.1}" width="{w:.1}" height="{h:.1}" fill="{c}"><title>{full}: {value}</title></rect>"##,
            tx = f.left - 8.0,
            ty = y + row * 0.65,
            l = escape(&shown),
            full = escape(label),
            x = f.left,
            ry = y + 3.0,
            w = f.plot_w() * *value as f64 / top,
            h = row - 6.0,
            c = PALETTE[0],
        );
    }
    out.push_str("</svg>");
    out
}

/// 7 × 24 grid (Monday first), darker = more users; every cell is a mark.
pub fn heatmap(values: &[i64], legend_title: &str) -> String {
    let cell_w = 32.0;
    let cell_h = 26.0;
    let f = Frame {
        width: 60.0 + 24.0 * cell_w + 20.0,
        height: 40.0 + 7.0 * cell_h + 50.0,
        left: 60.0,
        right: 20.0,
        top: 30.0,
        bottom: 50.0,
    };
    let max = values.iter().copied().max().unwrap_or(0).max(1) as f64;
    let mut out = String::new();
    open(&mut out, &f, legend_title);
    for hour in 0..24 {
        let _ = write!(
            out,
            r##"<text x="{x:.1}" y="22" text-anchor="middle" font-size="11" fill="#444">{hour:02}</text>"##,
            x = f.left + cell_w * (hour as f64 + 0.5)
        );
    }
    for (day, name) in super::super::clock::WEEKDAYS.iter().enumerate() {
        let _ = write!(
            out,
            r##"<text x="{x}" y="{y:.1}" text-anchor="end" font-size="12" fill="#222">{name}</text>"##,
            x = f.left - 8.0,
            y = f.top + cell_h * (day as f64 + 0.65)
        );
    }
    for (slot, value) in values.iter().enumerate() {
        let (day, hour) = (slot / 24, slot % 24);
        let t = *value as f64 / max;
        // White → the palette's blue, so zero is visibly empty.
        let mix = |full: f64| (255.0 - (255.0 - full) * t).round() as u8;
        let _ = write!(
            out,
            r##"<rect class="mark" data-x="{label}" data-value="{value}" x="{x:.1}" y="{y:.1}" width="{w:.1}" height="{h:.1}" fill="rgb({r},{g},{b})" stroke="#fff"><title>{label}: {value}</title></rect>"##,
            label = super::super::clock::hour_of_week_label(slot),
            x = f.left + cell_w * hour as f64,
            y = f.top + cell_h * day as f64,
            w = cell_w,
            h = cell_h,
            r = mix(0.0),
            g = mix(114.0),
            b = mix(178.0),
        );
    }
    let _ = write!(
        out,
        r##"<text x="{x:.1}" y="{y:.1}" text-anchor="middle" font-size="13" fill="#222">Hour of day (local time) · colour: {t}, 0 (white) to {max}</text>"##,
        x = f.left + 12.0 * cell_w,
        y = f.top + 7.0 * cell_h + 22.0,
        t = escape(legend_title),
        max = max as i64
    );
    out.push_str("</svg>");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_are_round_numbers() {
        assert_eq!(nice_step(0.0), 1.0);
        assert_eq!(nice_step(7.0), 2.0);
        assert_eq!(nice_step(23.0), 5.0);
        assert_eq!(nice_step(480.0), 100.0);
        assert_eq!(axis_max(23.0), (25.0, 5.0));
    }

    #[test]
    fn every_point_is_a_mark_with_its_value() {
        let days: Vec<NaiveDate> = (1..=3)
            .map(|d| NaiveDate::from_ymd_opt(2026, 11, d).unwrap())
            .collect();
        let svg = line_chart(&days, &[("a<b".into(), vec![1, 5, 0])], "Users");
        assert_eq!(svg.matches(r#"class="mark""#).count(), 3);
        assert!(svg.contains(r#"data-value="5""#));
        assert!(svg.contains("a&lt;b"));
        assert!(
            heatmap(&[0; 168], "users")
                .matches("class=\"mark\"")
                .count()
                == 168
        );
    }
}
