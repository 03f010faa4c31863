//! Natural order of names: "page 2" before "page 10", as a scanner numbers its pages and as
//! people read them. [`cmp`] orders names in memory (a dropped folder, the scanner inbox);
//! [`sort_key`] is the same order as a plain string, for a database to sort and page by.

use crate::limits::MAX_TITLE_CHARS;
use std::cmp::Ordering;

/// Digits written for the length of a number in a sort key: a number has at most as many
/// digits as the longest title has characters.
const LEN_DIGITS: usize = 3;
const _: () = assert!(MAX_TITLE_CHARS < 10usize.pow(LEN_DIGITS as u32));

/// Ends each run of text in a sort key.
const TEXT_END: char = '\u{1}';

/// The runs of a name: each either all ASCII digits (`true`) or none.
fn runs(s: &str) -> Vec<(bool, &str)> {
    let mut v = Vec::new();
    let mut start = 0;
    let mut prev: Option<bool> = None;
    for (i, c) in s.char_indices() {
        let digit = c.is_ascii_digit();
        if let Some(p) = prev {
            if p != digit {
                v.push((p, &s[start..i]));
                start = i;
            }
        }
        prev = Some(digit);
    }
    if let Some(p) = prev {
        v.push((p, &s[start..]));
    }
    v
}

/// Compares two names in natural order: numbers by value, text without regard to case.
pub fn cmp(a: &str, b: &str) -> Ordering {
    let (ra, rb) = (runs(a), runs(b));
    for (x, y) in ra.iter().zip(&rb) {
        let ord = match (x.0, y.0) {
            (true, true) => {
                let (nx, ny) = (x.1.trim_start_matches('0'), y.1.trim_start_matches('0'));
                nx.len().cmp(&ny.len()).then_with(|| nx.cmp(ny))
            }
            _ => x.1.to_lowercase().cmp(&y.1.to_lowercase()),
        };
        if ord != Ordering::Equal {
            return ord;
        }
    }
    // Equal but for case or leading zeros: any fixed order will do.
    ra.len().cmp(&rb.len()).then_with(|| a.cmp(b))
}

/// A string whose byte order is the natural order of `name` (ties aside): each run of text
/// lowercased and ended by U+0001 (below every character a title may hold, so "a" sorts
/// before "a b" as [`cmp`] has it), each number written as its digit count then its digits,
/// without leading zeros.
pub fn sort_key(name: &str) -> String {
    let mut key = String::with_capacity(name.len() + 8);
    for (digits, run) in runs(name) {
        if digits {
            let n = run.trim_start_matches('0');
            key.push_str(&format!("{:0width$}", n.len(), width = LEN_DIGITS));
            key.push_str(n);
        } else {
            key.push_str(&run.to_lowercase());
            key.push(TEXT_END);
        }
    }
    key
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_compare_by_value_and_text_without_case() {
        let mut v = vec!["scan10", "scan2", "Scan1", "scan02", "scan"];
        v.sort_by(|a, b| cmp(a, b));
        assert_eq!(v, ["scan", "Scan1", "scan02", "scan2", "scan10"]);
    }

    #[test]
    fn the_sort_key_orders_as_the_comparison_does() {
        let names = [
            "page 1",
            "page 10",
            "page 2",
            "Page 3",
            "page 02",
            "page",
            "page-1",
            "p10a",
            "p9z",
            "2026-04-01 CBC",
            "2026-4-2 CBC",
            "x007y",
            "x7",
            "éclair 3",
            "Éclair 12",
            "a1b2",
            "a1b10",
            "a 1",
            "a:1",
            "",
            "100",
            "99",
        ];
        for a in names {
            for b in names {
                let by_cmp = cmp(a, b);
                let by_key = sort_key(a).cmp(&sort_key(b));
                if by_key != Ordering::Equal {
                    assert_eq!(by_key, by_cmp, "{a:?} vs {b:?}: keys {:?} {:?}", sort_key(a), sort_key(b));
                }
            }
        }
        assert!(sort_key("page 2") < sort_key("page 10"));
        assert_eq!(sort_key("Page 002"), sort_key("page 2"));
    }

    #[test]
    fn runs_split_at_every_digit_boundary() {
        assert_eq!(runs("ab12cd3"), [(false, "ab"), (true, "12"), (false, "cd"), (true, "3")]);
        assert_eq!(runs("42"), [(true, "42")]);
        assert_eq!(runs("é1"), [(false, "é"), (true, "1")]);
        assert!(runs("").is_empty());
    }
}
