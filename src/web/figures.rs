//! What the statistics pages share: a figure's numbers as a table (shown beside its chart, and saved as
//! CSV), the figure's part of a page's context, and the on-time target.

use rocket::http::{ContentType, Header};
use serde_json::{json, Value};

use super::charts::Chart;
use super::i18n::Lang;

/// The Fluent keys of the rating scores 1 to 5, in order.
pub const SCORE_KEYS: [&str; 5] = [
    "rating-score-1",
    "rating-score-2",
    "rating-score-3",
    "rating-score-4",
    "rating-score-5",
];

/// The on-time target the charts draw: 99 %, in per mille.
pub const TARGET_PER_MILLE: u64 = 990;

/// A figure's numbers as the page's table and the CSV show them: a header row, then rows whose first cell
/// names the row.
pub struct Table {
    pub head: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

impl Table {
    pub fn csv(&self) -> String {
        let mut out = String::from('\u{feff}');
        for row in std::iter::once(&self.head).chain(&self.rows) {
            let cells: Vec<String> = row.iter().map(|c| csv_cell(c)).collect();
            out.push_str(&cells.join(","));
            out.push_str("\r\n");
        }
        out
    }
}

/// A CSV cell: quoted when it holds a separator, a quote or a line break; a cell a spreadsheet would read
/// as a formula (`=`, `+`, `-`, `@` first) is quoted with a leading apostrophe, so it stays text.
fn csv_cell(cell: &str) -> String {
    let cell = if cell.starts_with(['=', '+', '-', '@']) && cell.parse::<f64>().is_err() {
        format!("'{cell}")
    } else {
        cell.to_owned()
    };
    if cell.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", cell.replace('"', "\"\""))
    } else {
        cell
    }
}

/// A figure's table as a file to save: CSV, UTF-8 with a byte-order mark (so that spreadsheets read the
/// Vietnamese), named after the figure.
#[derive(rocket::Responder)]
pub struct Csv {
    body: String,
    kind: ContentType,
    disposition: Header<'static>,
}

impl Csv {
    pub fn of(id: &str, table: &Table) -> Csv {
        Csv {
            body: table.csv(),
            kind: ContentType::new("text", "csv").with_params(("charset", "utf-8")),
            disposition: Header::new("Content-Disposition", format!("attachment; filename=\"{id}.csv\"")),
        }
    }
}

/// Where a page's figures are named and saved: each figure's title and hint are `<keys>-<id>` and
/// `<keys>-<id>-hint` in the Fluent files, its CSV is `<csv><id>.csv`.
pub struct FigurePage {
    pub keys: &'static str,
    pub csv: &'static str,
}

/// A figure's part of a page's context: its title and hint, chart, table and the link to its CSV.
pub fn figure(page: &FigurePage, id: &str, lang: Lang, chart: Chart, table: &Table) -> Value {
    json!({
        "id": id,
        "title": lang.tr(&format!("{}-{id}", page.keys)),
        "hint": lang.tr(&format!("{}-{id}-hint", page.keys)),
        "chart": chart,
        "head": table.head,
        "rows": table.rows,
        "csv": format!("{}{id}.csv{}", page.csv, lang.query()),
    })
}

#[cfg(test)]
mod tests {
    use super::csv_cell;

    #[test]
    fn csv_cells_are_quoted_and_formulas_kept_as_text() {
        assert_eq!(csv_cell("Phân loại"), "Phân loại");
        assert_eq!(csv_cell("97,5 % (39/40)"), "\"97,5 % (39/40)\"");
        assert_eq!(csv_cell("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_cell("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
        assert_eq!(csv_cell("-3"), "-3", "a negative number stays a number");
        assert_eq!(csv_cell("< 5"), "< 5");
    }
}
