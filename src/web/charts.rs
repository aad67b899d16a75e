//! Charts drawn on the server as SVG, put inline in the page: grouped bars on a value axis, with an
//! optional target line. No script and no `style` attribute (the pages' policy allows neither): colours
//! come from the stylesheet's classes `series-0` … `series-5`. Every bar carries its value twice, in a
//! `<title>` (a tooltip, and what a screen reader says) and in `data-value` (what the tests read back); the
//! page puts the same numbers in a table beside the chart.
//!
//! A page passes a [`Chart`] as data and the template draws it with `{{chart figure.chart}}`: the helper
//! escapes every text it writes, so no template needs raw output (`{{{…}}}`).

use std::fmt::Write;

use rocket_dyn_templates::handlebars::{
    Context, Handlebars, Helper, HelperResult, Output, RenderContext, RenderErrorReason,
};
use serde::{Deserialize, Serialize};

use super::i18n::Lang;

/// What a chart's values are: per mille shown as a percentage on a 0–100 % axis, or counts (or tenths, shown
/// to one decimal) on an axis rounded up to a round number.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Scale {
    PerMille,
    Count,
    Tenths,
}

impl Scale {
    /// A value as the page writes it in `lang`.
    pub fn format(self, lang: Lang, value: u64) -> String {
        match self {
            Scale::PerMille => super::pages::per_mille(lang, value),
            Scale::Count => value.to_string(),
            Scale::Tenths => super::pages::tenths(lang, value),
        }
    }
}

#[derive(Serialize, Deserialize)]
pub struct Series {
    pub name: String,
    /// One value per category; `None` draws no bar (nothing to measure there).
    pub values: Vec<Option<u64>>,
}

#[derive(Serialize, Deserialize)]
pub struct Chart {
    /// The chart's accessible name (`<title>` and `aria-label`).
    pub title: String,
    /// The labels along the horizontal axis.
    pub categories: Vec<String>,
    pub series: Vec<Series>,
    pub scale: Scale,
    /// A horizontal line at this value, with its label (the 99 % on-time target).
    pub target: Option<(u64, String)>,
}

const WIDTH: u32 = 720;
const LEFT: u32 = 64;
const RIGHT: u32 = 16;
const TOP: u32 = 16;
const PLOT_HEIGHT: u32 = 200;
const LEGEND_ROW: u32 = 20;

impl Chart {
    /// The chart as an `<svg>` element; `format` writes a value as the page shows it (its language's
    /// decimal separator, the unit).
    pub fn svg(&self, format: &dyn Fn(u64) -> String) -> String {
        let top_value = self.axis_top();
        let legend = self.legend_rows();
        let height = TOP + PLOT_HEIGHT + 28 + LEGEND_ROW * legend.len() as u32 + 8;
        let mut out = String::new();
        let title = escape(&self.title);
        let _ = write!(
            out,
            r#"<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" aria-label="{title}" viewBox="0 0 {WIDTH} {height}" width="{WIDTH}" height="{height}"><title>{title}</title>"#
        );
        self.axis(&mut out, top_value, format);
        self.bars(&mut out, top_value, format);
        if let Some((value, label)) = &self.target {
            let y = y_of(*value, top_value);
            let _ = write!(
                out,
                r#"<line class="target" x1="{LEFT}" x2="{x2}" y1="{y}" y2="{y}" data-value="{value}"/><text class="target-label" x="{x}" y="{ty}" text-anchor="end">{label}</text>"#,
                x2 = WIDTH - RIGHT,
                x = WIDTH - RIGHT,
                ty = y.saturating_sub(4),
                label = escape(label),
            );
        }
        for (row, entries) in legend.iter().enumerate() {
            let y = TOP + PLOT_HEIGHT + 28 + LEGEND_ROW * row as u32;
            for &(index, x) in entries {
                let _ = write!(
                    out,
                    r#"<rect class="swatch series-{class}" x="{x}" y="{sy}" width="12" height="12"/><text class="legend" x="{tx}" y="{ty}">{name}</text>"#,
                    class = index % 6,
                    sy = y,
                    tx = x + 16,
                    ty = y + 11,
                    name = escape(&self.series[index].name),
                );
            }
        }
        out.push_str("</svg>");
        out
    }

    /// The value at the top of the axis: 100 % for rates; for counts the largest value rounded up to 1, 2
    /// or 5 times a power of ten (at least 1), so the four grid steps are round numbers.
    fn axis_top(&self) -> u64 {
        match self.scale {
            Scale::PerMille => 1000,
            Scale::Count | Scale::Tenths => {
                let largest = self.series.iter().flat_map(|s| s.values.iter().flatten()).max();
                let largest = largest.copied().unwrap_or(0).max(1);
                let mut step = 1u64;
                loop {
                    for m in [1, 2, 5] {
                        if step.saturating_mul(m).saturating_mul(4) >= largest {
                            return step.saturating_mul(m).saturating_mul(4);
                        }
                    }
                    step = step.saturating_mul(10);
                }
            }
        }
    }

    fn axis(&self, out: &mut String, top_value: u64, format: &dyn Fn(u64) -> String) {
        for step in 0..=4u64 {
            let value = top_value * step / 4;
            let y = y_of(value, top_value);
            let _ = write!(
                out,
                r#"<line class="grid" x1="{LEFT}" x2="{x2}" y1="{y}" y2="{y}"/><text class="tick" x="{tx}" y="{ty}" text-anchor="end">{label}</text>"#,
                x2 = WIDTH - RIGHT,
                tx = LEFT - 6,
                ty = y + 4,
                label = escape(&format(value)),
            );
        }
        let band = self.band();
        for (i, category) in self.categories.iter().enumerate() {
            let x = LEFT + band * i as u32 + band / 2;
            let _ = write!(
                out,
                r#"<text class="category" x="{x}" y="{y}" text-anchor="middle">{label}</text>"#,
                y = TOP + PLOT_HEIGHT + 16,
                label = escape(category),
            );
        }
    }

    fn bars(&self, out: &mut String, top_value: u64, format: &dyn Fn(u64) -> String) {
        let band = self.band();
        let count = self.series.len().max(1) as u32;
        let width = (band * 4 / 5 / count).max(1);
        let start = (band - width * count) / 2;
        for (c, category) in self.categories.iter().enumerate() {
            for (s, series) in self.series.iter().enumerate() {
                let Some(value) = series.values.get(c).copied().flatten() else {
                    continue;
                };
                let y = y_of(value, top_value);
                let _ = write!(
                    out,
                    r#"<rect class="bar series-{class}" x="{x}" y="{y}" width="{width}" height="{h}" data-series="{name}" data-category="{cat}" data-value="{value}"><title>{name}, {cat}: {shown}</title></rect>"#,
                    class = s % 6,
                    x = LEFT + band * c as u32 + start + width * s as u32,
                    h = TOP + PLOT_HEIGHT - y,
                    name = escape(&series.name),
                    cat = escape(category),
                    shown = escape(&format(value)),
                );
            }
        }
    }

    fn band(&self) -> u32 {
        (WIDTH - LEFT - RIGHT) / self.categories.len().max(1) as u32
    }

    /// The legend laid out in rows: (series index, x) per entry, a row broken where the next name would
    /// pass the right edge (names measured at about 7 px a character).
    fn legend_rows(&self) -> Vec<Vec<(usize, u32)>> {
        let mut rows: Vec<Vec<(usize, u32)>> = Vec::new();
        let mut x = LEFT;
        for (index, series) in self.series.iter().enumerate() {
            let wide = 16 + 7 * series.name.chars().count() as u32 + 16;
            if rows.is_empty() || (x + wide > WIDTH - RIGHT && x > LEFT) {
                rows.push(Vec::new());
                x = LEFT;
            }
            rows.last_mut().expect("a row").push((index, x));
            x += wide;
        }
        rows
    }
}

/// `{{chart value}}`: the [`Chart`] `value` (as the page's data holds it) drawn as SVG, its numbers written
/// in the page's language (the context's `lang`).
pub fn chart_helper(
    h: &Helper<'_>,
    _: &Handlebars<'_>,
    ctx: &Context,
    _: &mut RenderContext<'_, '_>,
    out: &mut dyn Output,
) -> HelperResult {
    let value = h
        .param(0)
        .map(|p| p.value().clone())
        .ok_or(RenderErrorReason::ParamNotFoundForIndex("chart", 0))?;
    let chart: Chart =
        serde_json::from_value(value).map_err(|e| RenderErrorReason::Other(format!("not a chart: {e}")))?;
    let lang = Lang::of_context(ctx);
    out.write(&chart.svg(&|v| chart.scale.format(lang, v)))?;
    Ok(())
}

/// The height of `value` on an axis whose top is `top_value`.
fn y_of(value: u64, top_value: u64) -> u32 {
    let value = value.min(top_value);
    let above = (u128::from(value) * u128::from(PLOT_HEIGHT) / u128::from(top_value.max(1))) as u32;
    TOP + PLOT_HEIGHT - above
}

/// Text made safe inside an XML element or a quoted attribute.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chart(scale: Scale, values: Vec<Option<u64>>) -> Chart {
        Chart {
            title: "t".into(),
            categories: (0..values.len()).map(|i| format!("c{i}")).collect(),
            series: vec![Series {
                name: "s".into(),
                values,
            }],
            scale,
            target: None,
        }
    }

    #[test]
    fn counts_get_a_round_axis_that_holds_the_largest_value() {
        for (largest, top) in [
            (0, 4),
            (1, 4),
            (4, 4),
            (5, 8),
            (9, 20),
            (41, 80),
            (1234, 2000),
            (100_000, 200_000),
        ] {
            assert_eq!(chart(Scale::Count, vec![Some(largest)]).axis_top(), top, "{largest}");
        }
        assert_eq!(chart(Scale::PerMille, vec![Some(3)]).axis_top(), 1000);
    }

    #[test]
    fn a_bar_is_as_tall_as_its_value_and_a_missing_value_draws_none() {
        let svg = chart(Scale::PerMille, vec![Some(500), None, Some(1000)]).svg(&|v| v.to_string());
        assert_eq!(svg.matches("<rect class=\"bar").count(), 2);
        assert!(svg.contains(&format!("height=\"{}\"", PLOT_HEIGHT / 2)), "{svg}");
        assert!(svg.contains(&format!("y=\"{TOP}\" width")), "{svg}");
    }

    #[test]
    fn labels_are_escaped() {
        let mut c = chart(Scale::Count, vec![Some(1)]);
        c.series[0].name = "<script>alert(1)</script>\"&".into();
        let svg = c.svg(&|v| v.to_string());
        assert!(!svg.contains("<script"), "{svg}");
        assert!(
            svg.contains("&lt;script&gt;alert(1)&lt;/script&gt;&quot;&amp;"),
            "{svg}"
        );
    }
}
