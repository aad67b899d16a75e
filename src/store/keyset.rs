//! Pages read from an index position (keyset pagination): the rows after (or before) the last row a page
//! showed, in the order of an index, so that the thousandth page costs what the first does. A page number
//! typed without a link still skips rows (`OFFSET`).

use sqlx::any::AnyArguments;
use sqlx::query::Query;

/// A row's place in a queue's order: its sort values, then its id (which makes the order total).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Key {
    pub sort: Vec<i64>,
    pub id: String,
}

impl Key {
    /// As a page link carries it: the sort values and the id, joined by dots (`1764806400000.ab12…`).
    pub fn to_link(&self) -> String {
        let mut out = String::new();
        for value in &self.sort {
            out.push_str(&value.to_string());
            out.push('.');
        }
        out.push_str(&self.id);
        out
    }

    /// Reads a page link's key of `arity` sort values; `None` unless it is one this server makes.
    pub fn from_link(text: &str, arity: usize) -> Option<Key> {
        let mut parts: Vec<&str> = text.split('.').collect();
        let id = parts.pop()?;
        let well_formed =
            parts.len() == arity && !id.is_empty() && id.len() <= 64 && id.bytes().all(|b| b.is_ascii_alphanumeric());
        if !well_formed {
            return None;
        }
        let sort = parts.iter().map(|p| p.parse().ok()).collect::<Option<Vec<i64>>>()?;
        Some(Key {
            sort,
            id: id.to_owned(),
        })
    }
}

/// Where a page starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cursor {
    /// The rows after this one (the next page).
    After(Key),
    /// The rows before this one (the previous page).
    Before(Key),
    /// Skipping this many rows from the start.
    Skip(i64),
}

/// A page: its rows in order, how many rows match in all, and whether there are rows before and after it.
pub struct Page<T> {
    pub rows: Vec<T>,
    pub total: i64,
    pub more_before: bool,
    pub more_after: bool,
}

/// What a page adds to its query, for the order `columns` (an index's, all ascending; the last is the id)
/// with the cursor's values bound from `$first` on: the range condition (empty, or ` AND (…) > (…)`), the
/// `ORDER BY` list, and the `LIMIT … OFFSET …` (one row more than a page, to tell whether more follow).
pub(super) struct Shape {
    pub range: String,
    pub order: String,
    pub limit: String,
}

pub(super) fn shape(columns: &[&str], cursor: &Cursor, first: usize, per_page: i64) -> Shape {
    let placeholders: Vec<String> = (first..first + columns.len()).map(|n| format!("${n}")).collect();
    let tuple = |items: &[String]| format!("({})", items.join(", "));
    let names: Vec<String> = columns.iter().map(|c| (*c).to_owned()).collect();
    let (range, descending, skip) = match cursor {
        Cursor::After(_) => (format!(" AND {} > {}", tuple(&names), tuple(&placeholders)), false, 0),
        Cursor::Before(_) => (format!(" AND {} < {}", tuple(&names), tuple(&placeholders)), true, 0),
        Cursor::Skip(n) => (String::new(), false, (*n).max(0)),
    };
    let direction = if descending { " DESC" } else { "" };
    let order = names
        .iter()
        .map(|c| format!("{c}{direction}"))
        .collect::<Vec<_>>()
        .join(", ");
    Shape {
        range,
        order,
        limit: format!("LIMIT {} OFFSET {skip}", per_page + 1),
    }
}

/// Binds the cursor's key (if it has one) after the query's own values, as `shape` numbered them.
pub(super) fn bind<'q>(
    mut query: Query<'q, sqlx::Any, AnyArguments<'q>>,
    cursor: &'q Cursor,
) -> Query<'q, sqlx::Any, AnyArguments<'q>> {
    if let Cursor::After(key) | Cursor::Before(key) = cursor {
        for value in &key.sort {
            query = query.bind(*value);
        }
        query = query.bind(key.id.as_str());
    }
    query
}

/// The page from the rows its query read (at most one more than a page, in the query's order).
pub(super) fn page<T>(mut rows: Vec<T>, total: i64, cursor: &Cursor, per_page: i64) -> Page<T> {
    let beyond = rows.len() as i64 > per_page;
    rows.truncate(per_page.max(0) as usize);
    let (more_before, more_after) = match cursor {
        Cursor::After(_) => (true, beyond),
        Cursor::Before(_) => {
            rows.reverse();
            (beyond, true)
        }
        Cursor::Skip(n) => (*n > 0, beyond),
    };
    Page {
        rows,
        total,
        more_before,
        more_after,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_reads_back_from_its_link_and_nothing_else_reads() {
        let key = Key {
            sort: vec![0, 2_461_000, -5],
            id: "ab12".into(),
        };
        assert_eq!(key.to_link(), "0.2461000.-5.ab12");
        assert_eq!(Key::from_link(&key.to_link(), 3), Some(key.clone()));
        for bad in [
            "",
            "ab12",
            "0.2461000.ab12",
            "0.1.2.3.ab12",
            "x.1.2.ab12",
            "0.1.2.",
            "0.1.2.a-b",
            "0.1.2.ab%00",
        ] {
            assert_eq!(Key::from_link(bad, 3), None, "{bad:?}");
        }
        assert_eq!(Key::from_link(&format!("1.{}", "a".repeat(65)), 1), None);
    }

    #[test]
    fn a_page_before_a_key_reads_backwards_and_is_shown_forwards() {
        let key = Key {
            sort: vec![7],
            id: "b".into(),
        };
        let before = Cursor::Before(key);
        let shape = shape(&["received_at", "id"], &before, 3, 2);
        assert_eq!(shape.range, " AND (received_at, id) < ($3, $4)");
        assert_eq!(shape.order, "received_at DESC, id DESC");
        assert_eq!(shape.limit, "LIMIT 3 OFFSET 0");
        let page = page(vec![3, 2, 1], 10, &before, 2);
        assert_eq!((page.rows, page.more_before, page.more_after), (vec![2, 3], true, true));
        let first = super::page(vec![1, 2], 2, &Cursor::Skip(0), 2);
        assert_eq!((first.more_before, first.more_after), (false, false));
    }
}
