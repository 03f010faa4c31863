//! Reading a row's columns in order, from a database row or from a row folded into a JSON
//! array (SQLite's listing): each row type writes its column list and its reader once, side
//! by side, and both sources go through the same reader.

use super::from_ms;
use chrono::{DateTime, Utc};
use sqlx::any::AnyRow;
use sqlx::Row;
use uuid::Uuid;

/// One row's values, by position.
pub trait Columns {
    fn text(&self, i: usize) -> sqlx::Result<String>;
    fn opt_text(&self, i: usize) -> sqlx::Result<Option<String>>;
    fn int(&self, i: usize) -> sqlx::Result<i64>;
    fn opt_int(&self, i: usize) -> sqlx::Result<Option<i64>>;
}

impl Columns for AnyRow {
    fn text(&self, i: usize) -> sqlx::Result<String> {
        self.try_get(i)
    }
    fn opt_text(&self, i: usize) -> sqlx::Result<Option<String>> {
        self.try_get(i)
    }
    fn int(&self, i: usize) -> sqlx::Result<i64> {
        self.try_get(i)
    }
    fn opt_int(&self, i: usize) -> sqlx::Result<Option<i64>> {
        self.try_get(i)
    }
}

fn json_error(i: usize, what: &str) -> sqlx::Error {
    sqlx::Error::Decode(format!("column {i} of the JSON row is not {what}").into())
}

impl Columns for [serde_json::Value] {
    fn text(&self, i: usize) -> sqlx::Result<String> {
        self.opt_text(i)?.ok_or_else(|| json_error(i, "text"))
    }
    fn opt_text(&self, i: usize) -> sqlx::Result<Option<String>> {
        match self.get(i) {
            Some(serde_json::Value::String(s)) => Ok(Some(s.clone())),
            Some(serde_json::Value::Null) => Ok(None),
            _ => Err(json_error(i, "text")),
        }
    }
    fn int(&self, i: usize) -> sqlx::Result<i64> {
        self.opt_int(i)?.ok_or_else(|| json_error(i, "an integer"))
    }
    fn opt_int(&self, i: usize) -> sqlx::Result<Option<i64>> {
        match self.get(i) {
            Some(serde_json::Value::Number(n)) => n.as_i64().map(Some).ok_or_else(|| json_error(i, "an integer")),
            Some(serde_json::Value::Null) => Ok(None),
            _ => Err(json_error(i, "an integer")),
        }
    }
}

/// Reads a row's columns one after another, with the conversions rows need.
pub struct Reader<'r, C: Columns + ?Sized> {
    row: &'r C,
    next: usize,
}

impl<'r, C: Columns + ?Sized> Reader<'r, C> {
    pub fn new(row: &'r C) -> Self {
        Reader { row, next: 0 }
    }

    fn at(&mut self) -> usize {
        self.next += 1;
        self.next - 1
    }

    pub fn text(&mut self) -> sqlx::Result<String> {
        let i = self.at();
        self.row.text(i)
    }
    pub fn opt_text(&mut self) -> sqlx::Result<Option<String>> {
        let i = self.at();
        self.row.opt_text(i)
    }
    pub fn int(&mut self) -> sqlx::Result<i64> {
        let i = self.at();
        self.row.int(i)
    }
    pub fn opt_int(&mut self) -> sqlx::Result<Option<i64>> {
        let i = self.at();
        self.row.opt_int(i)
    }
    pub fn uuid(&mut self) -> sqlx::Result<Uuid> {
        parse_uuid(&self.text()?)
    }
    pub fn opt_uuid(&mut self) -> sqlx::Result<Option<Uuid>> {
        self.opt_text()?.as_deref().map(parse_uuid).transpose()
    }
    /// A time stored as Unix milliseconds.
    pub fn time(&mut self) -> sqlx::Result<DateTime<Utc>> {
        Ok(from_ms(self.int()?))
    }
    /// A value stored by its wire spelling (a category, a role, an action).
    pub fn parsed<T>(&mut self, parse: impl FnOnce(&str) -> Option<T>) -> sqlx::Result<T> {
        let s = self.text()?;
        parse(&s).ok_or_else(|| sqlx::Error::Decode(format!("unexpected value '{s}'").into()))
    }
    /// A value stored as JSON text.
    pub fn json<T: serde::de::DeserializeOwned>(&mut self) -> sqlx::Result<T> {
        serde_json::from_str(&self.text()?).map_err(|e| sqlx::Error::Decode(Box::new(e)))
    }
    /// How many columns were read (a test compares it with the column list).
    pub fn read(&self) -> usize {
        self.next
    }
}

pub fn parse_uuid(s: &str) -> sqlx::Result<Uuid> {
    Uuid::parse_str(s).map_err(|e| sqlx::Error::Decode(Box::new(e)))
}

/// `cols` joined for a `SELECT`.
pub fn select_list(cols: &[&str]) -> String {
    cols.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_json_row_reads_like_a_database_row() {
        let row = [
            serde_json::json!("6f2c5a57-5a4e-4e36-9d1b-3f4f1c2e9a10"),
            serde_json::json!(null),
            serde_json::json!(1_700_000_000_123_i64),
            serde_json::json!("lab"),
        ];
        let mut r = Reader::new(&row[..]);
        assert_eq!(r.uuid().expect("uuid").to_string(), "6f2c5a57-5a4e-4e36-9d1b-3f4f1c2e9a10");
        assert_eq!(r.opt_text().expect("null"), None);
        assert_eq!(r.time().expect("time").timestamp_millis(), 1_700_000_000_123);
        assert_eq!(r.parsed(clinicdocs_core::Category::parse).expect("category"), clinicdocs_core::Category::Lab);
        assert_eq!(r.read(), 4);
        assert!(Reader::new(&row[..]).int().is_err(), "text is not an integer");
    }
}
