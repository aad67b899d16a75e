//! Queue pages as their links ask for them: after or before the row a page ended on (read from an index
//! position, see store::keyset), or a page number typed on its own (skipping rows).

use crate::domain::FieldError;
use crate::store::keyset::{Cursor, Key, Page};

use super::{Error, Result};

/// The page asked for: after or before a row (`after` and `before` hold the row's key as the page links
/// carry it), and the page number to show (on its own, without a link, the page to skip to).
#[derive(Debug, Default, Clone, Copy)]
pub struct PageRequest<'a> {
    pub after: Option<&'a str>,
    pub before: Option<&'a str>,
    pub page: Option<i64>,
}

/// A page as shown: its rows, its number and the number of pages, and the links' keys to the pages around
/// it (absent at either end).
pub struct Paged<T> {
    pub rows: Vec<T>,
    pub page: i64,
    pub pages: i64,
    pub prev: Option<String>,
    pub next: Option<String>,
}

impl PageRequest<'_> {
    /// The page number, bounded so that no number overflows the offset.
    fn number(&self) -> i64 {
        self.page.unwrap_or(1).clamp(1, 1_000_000)
    }

    /// Where the page starts, for keys of `arity` sort values; a link this server did not make is refused
    /// as a damaged link (`after` or `before`).
    pub fn cursor(&self, arity: usize, per_page: i64) -> Result<Cursor> {
        let invalid = |field| Error::Invalid(field, FieldError::InvalidPageLink);
        Ok(match (self.after, self.before) {
            (Some(after), _) => Cursor::After(Key::from_link(after, arity).ok_or(invalid("after"))?),
            (None, Some(before)) => Cursor::Before(Key::from_link(before, arity).ok_or(invalid("before"))?),
            (None, None) => Cursor::Skip((self.number() - 1) * per_page),
        })
    }

    /// The page to show from the rows read, with the keys of its first and last rows for the links.
    pub fn paged<T>(&self, found: Page<T>, per_page: i64, key_of: impl Fn(&T) -> Key) -> Paged<T> {
        let pages = ((found.total + per_page - 1) / per_page).max(1);
        let prev = found
            .more_before
            .then(|| found.rows.first().map(|r| key_of(r).to_link()));
        let next = found.more_after.then(|| found.rows.last().map(|r| key_of(r).to_link()));
        Paged {
            // The first page is page 1, whatever number a link carried.
            page: if found.more_before { self.number() } else { 1 },
            pages,
            prev: prev.flatten(),
            next: next.flatten(),
            rows: found.rows,
        }
    }
}
