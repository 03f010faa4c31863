//! Statements built at run time (the listing, the upload's commit): their values, numbered as
//! `$n` placeholders (which both dialects accept) as they are added, and bound in that order.

use sqlx::any::AnyArguments;
use sqlx::Arguments;

/// One value of a statement.
pub enum Bind {
    I(i64),
    S(String),
    /// A nullable integer.
    OptI(Option<i64>),
    /// A nullable text.
    OptS(Option<String>),
}

/// Parameters of one statement, numbered as they are added.
#[derive(Default)]
pub struct Params(pub Vec<Bind>);

impl Params {
    /// Adds a value and returns its placeholder.
    pub fn add(&mut self, b: Bind) -> String {
        self.0.push(b);
        format!("${}", self.0.len())
    }

    /// Adds a row's values and returns its `($a, $b, …)`.
    pub fn row(&mut self, values: impl IntoIterator<Item = Bind>) -> String {
        let marks: Vec<String> = values.into_iter().map(|b| self.add(b)).collect();
        format!("({})", marks.join(", "))
    }

    /// The values, in order, as a query's arguments.
    pub fn arguments(&self) -> sqlx::Result<AnyArguments<'static>> {
        let mut a = AnyArguments::default();
        for b in &self.0 {
            match b {
                Bind::I(i) => a.add(*i),
                Bind::S(s) => a.add(s.clone()),
                Bind::OptI(i) => a.add(*i),
                Bind::OptS(s) => a.add(s.clone()),
            }
            .map_err(sqlx::Error::Encode)?;
        }
        Ok(a)
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// The highest `$n` a statement names, and whether it names each of `$1..=$n` (a test helper
/// for statements built per dialect).
#[cfg(test)]
pub fn placeholders(sql: &str) -> (usize, bool) {
    let mut seen = std::collections::BTreeSet::new();
    let bytes = sql.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'$' {
            let digits: String = sql[i + 1..].chars().take_while(char::is_ascii_digit).collect();
            if let Ok(n) = digits.parse::<usize>() {
                seen.insert(n);
            }
            i += 1 + digits.len();
        } else {
            i += 1;
        }
    }
    let max = seen.iter().next_back().copied().unwrap_or(0);
    (max, seen.len() == max)
}
