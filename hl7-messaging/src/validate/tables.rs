//! HL7 tables (`data/tables.txt`): coded values by table number.

const TABLES: &str = include_str!("../../data/tables.txt");

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
    rows(number).next().map(|(kind, _)| kind)
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
    let mut found_table = false;
    for (_, values) in rows(number) {
        found_table = true;
        if values.split_whitespace().any(|v| matches(v.as_bytes(), value)) {
            return Some(true);
        }
    }
    found_table.then_some(false)
}

/// The rows of one table: (kind, values text).
fn rows(number: u16) -> impl Iterator<Item = (TableKind, &'static str)> {
    TABLES.lines().filter_map(move |line| {
        let mut words = line.splitn(3, ' ');
        let n: u16 = words.next()?.parse().ok()?;
        if n != number {
            return None;
        }
        let kind = match words.next()? {
            "H" => TableKind::Hl7,
            "U" => TableKind::User,
            _ => return None,
        };
        Some((kind, words.next().unwrap_or("")))
    })
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
