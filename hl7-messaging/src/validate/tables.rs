//! HL7 tables (`data/tables.txt`): coded values by table number.

use alloc::collections::BTreeMap;
use alloc::vec::Vec;
use std::sync::LazyLock;

const TEXT: &str = include_str!("../../data/tables.txt");

/// Whether a table is HL7-defined (a value outside it is an error) or user-defined (sites extend it,
/// so a value outside it is a warning).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TableKind {
    /// Defined by HL7.
    Hl7,
    /// User-defined: the standard suggests values.
    User,
}

/// The kind of table `number`, or `None` when the data has no such table.
///
/// ```
/// use hl7_messaging::validate::{table_kind, TableKind};
/// assert_eq!(table_kind(8), Some(TableKind::Hl7));
/// assert_eq!(table_kind(1), Some(TableKind::User));
/// assert_eq!(table_kind(9999), None);
/// ```
pub fn table_kind(number: u16) -> Option<TableKind> {
    table(number).map(|t| t.kind)
}

/// Whether `value` is in table `number`; `None` when the data has no such table.
///
/// ```
/// use hl7_messaging::validate::table_contains;
/// assert_eq!(table_contains(85, b"F"), Some(true));
/// assert_eq!(table_contains(3, b"A40"), Some(true)); // from the range A01-A62
/// assert_eq!(table_contains(3, b"A99"), Some(false));
/// assert_eq!(table_contains(9999, b"X"), None);
/// ```
pub fn table_contains(number: u16, value: &[u8]) -> Option<bool> {
    let table = table(number)?;
    Some(table.values.binary_search(&value).is_ok() || table.ranges.iter().any(|r| matches(r, value)))
}

/// One table of the data: its kind (that of its first row) and its values.
struct Table {
    number: u16,
    kind: TableKind,
    /// Every entry of every row, sorted (ranges included: an entry also matches itself).
    values: Vec<&'static [u8]>,
    /// The entries that hold a `-` (candidate ranges), in table order.
    ranges: Vec<&'static [u8]>,
}

/// The tables read once, at first use, sorted by number.
static TABLES: LazyLock<Vec<Table>> = LazyLock::new(|| {
    let mut tables: BTreeMap<u16, Table> = BTreeMap::new();
    for (number, kind, values) in TEXT.lines().filter_map(row) {
        let table =
            tables.entry(number).or_insert_with(|| Table { number, kind, values: Vec::new(), ranges: Vec::new() });
        for v in values.split_whitespace() {
            table.values.push(v.as_bytes());
            if v.contains('-') {
                table.ranges.push(v.as_bytes());
            }
        }
    }
    let mut tables: Vec<Table> = tables.into_values().collect();
    for t in &mut tables {
        t.values.sort_unstable();
    }
    tables
});

fn table(number: u16) -> Option<&'static Table> {
    TABLES.binary_search_by_key(&number, |t| t.number).ok().and_then(|at| TABLES.get(at))
}

/// A row of the data: (number, kind, values text); `None` for comments and malformed rows.
fn row(line: &'static str) -> Option<(u16, TableKind, &'static str)> {
    let mut words = line.splitn(3, ' ');
    let n: u16 = words.next()?.parse().ok()?;
    let kind = match words.next()? {
        "H" => TableKind::Hl7,
        "U" => TableKind::User,
        _ => return None,
    };
    Some((n, kind, words.next().unwrap_or("")))
}

/// `entry` is a value or a range `A01-A62`.
fn matches(entry: &[u8], value: &[u8]) -> bool {
    if entry == value {
        return true;
    }
    let Some(dash) = entry.iter().position(|&b| b == b'-') else { return false };
    let (lo, hi) = (entry.get(..dash).unwrap_or_default(), entry.get(dash + 1..).unwrap_or_default());
    let digits_at = lo.iter().position(u8::is_ascii_digit).unwrap_or(lo.len());
    let (prefix, lo_num) = lo.split_at(digits_at);
    if hi.len() != lo.len() || value.len() != lo.len() || !hi.starts_with(prefix) || !value.starts_with(prefix) {
        return false;
    }
    let num = |b: &[u8]| core::str::from_utf8(b).ok().and_then(|s| s.parse::<u32>().ok());
    match (
        num(lo_num),
        num(hi.get(prefix.len()..).unwrap_or_default()),
        num(value.get(prefix.len()..).unwrap_or_default()),
    ) {
        (Some(l), Some(h), Some(v)) => l <= v && v <= h,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges() {
        assert!(matches(b"A01-A62", b"A01"));
        assert!(matches(b"A01-A62", b"A62"));
        assert!(!matches(b"A01-A62", b"A63"));
        assert!(!matches(b"A01-A62", b"B01"));
        assert!(!matches(b"A01-A62", b"A1"));
        assert!(matches(b"PC1-PC9", b"PC5"));
        assert_eq!(table_contains(104, b"2.5.1"), Some(true));
        assert_eq!(table_contains(203, b"L&I"), Some(true));
    }
}
