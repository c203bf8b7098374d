//! Field rules (`data/fields.txt`) and the datatype checks behind HL7 error 102.

use alloc::collections::BTreeMap;
use alloc::vec::Vec;
use std::sync::LazyLock;

use crate::index::id_key;
use crate::structure::Version;
use hl7_core::types::{Dr, Dt, Dtm, Nm, Sn, Tm, Ts, TypeError, TypeErrorKind};
use hl7_core::{Repetition, Value};

const FIELDS: &str = include_str!("../../data/fields.txt");

/// Whether a field must be valued.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Usage {
    Required,
    Optional,
    Conditional,
}

/// One line of the field table.
#[derive(Clone, Copy, Debug)]
pub(crate) struct FieldRule {
    pub(crate) field: usize,
    pub(crate) datatype: &'static str,
    pub(crate) usage: Usage,
    /// Table number and the component it applies to (1 unless given).
    pub(crate) table: Option<(u16, usize)>,
    pub(crate) max_len: Option<usize>,
}

/// The rules of one segment id, for each version 2.3 … 2.8 (the versions `Version::clamped`
/// gives), in table order.
struct SegmentRules {
    /// The segment id as `id_key` gives it.
    id: u32,
    per_version: [Vec<FieldRule>; VERSIONS],
}

/// The field table read once, at first use, sorted by segment id for a binary search.
static RULES: LazyLock<Vec<SegmentRules>> = LazyLock::new(|| {
    let mut by_segment: BTreeMap<u32, [Vec<FieldRule>; VERSIONS]> = BTreeMap::new();
    for line in FIELDS.lines() {
        let mut words = line.split_whitespace();
        let Some(id) = words.next() else { continue };
        let Some((rule, (lo, hi))) = parse_rule(words) else { continue };
        // A longer id matches no segment (ids are at most 3 bytes); `check_table` reports it.
        let Some(key) = id_key(id.as_bytes()) else { continue };
        let per_version = by_segment.entry(key).or_default();
        for (minor, rules) in (FIRST_MINOR..).zip(per_version.iter_mut()) {
            if (lo..=hi).contains(&(2, minor)) {
                rules.push(rule);
            }
        }
    }
    by_segment.into_iter().map(|(id, per_version)| SegmentRules { id, per_version }).collect()
});

/// Rules are kept per clamped version: 2.3 to 2.8.
const FIRST_MINOR: u8 = 3;
const VERSIONS: usize = 6;

/// Inclusive (major, minor) bounds.
type VersionBounds = ((u8, u8), (u8, u8));

/// The rules for segment `id` that apply to `version`, in table order.
pub(crate) fn rules_for(id: &[u8], version: Version) -> &'static [FieldRule] {
    let (_, minor) = version.clamped();
    let Some(key) = id_key(id) else { return &[] };
    let Ok(at) = RULES.binary_search_by_key(&key, |s| s.id) else { return &[] };
    RULES
        .get(at)
        .and_then(|s| s.per_version.get(usize::from(minor.saturating_sub(FIRST_MINOR))))
        .map_or(&[], Vec::as_slice)
}

/// The rule of a line (the words after the segment id) and the inclusive version bounds it applies
/// to (all versions without `v=`).
fn parse_rule(mut words: impl Iterator<Item = &'static str>) -> Option<(FieldRule, VersionBounds)> {
    let field = words.next()?.parse().ok()?;
    let datatype = words.next()?;
    let usage = match words.next()? {
        "R" => Usage::Required,
        "C" => Usage::Conditional,
        _ => Usage::Optional,
    };
    let mut rule = FieldRule { field, datatype, usage, table: None, max_len: None };
    let (mut lo, mut hi) = ((0, 0), (u8::MAX, u8::MAX));
    for w in words {
        if let Some(t) = w.strip_prefix("t=") {
            let (number, component) = t.split_once('.').unwrap_or((t, "1"));
            rule.table = Some((number.parse().ok()?, component.parse().ok()?));
        } else if let Some(v) = w.strip_prefix("v=") {
            let (l, h) = crate::structure::catalog_range(v)?;
            (lo, hi) = (lo.max(l), hi.min(h));
        } else if let Some(n) = w.strip_prefix("len=") {
            rule.max_len = Some(n.parse().ok()?);
        }
    }
    Some((rule, (lo, hi)))
}

/// Checks every line of the field table; returns the first bad line number.
pub(crate) fn check_table() -> Result<(), usize> {
    for (i, line) in FIELDS.lines().enumerate() {
        if line.starts_with('#') || line.trim().is_empty() {
            continue;
        }
        let id_ok = line.split_whitespace().next().is_some_and(|id| id.len() == 3);
        // A line limited to some versions parses for at least one of them.
        let ok = id_ok
            && parse_rule(line.split_whitespace().skip(1))
                .is_some_and(|(_, (lo, hi))| (3..=8).any(|minor| (lo..=hi).contains(&(2, minor))));
        if !ok {
            return Err(i + 1);
        }
    }
    Ok(())
}

/// The problem with a value of `datatype`, if any: the type error and the component (1-based, when
/// the error is inside one).
pub(crate) fn check_datatype(datatype: &str, rep: Repetition<'_>) -> Option<(TypeError, Option<usize>)> {
    let whole = |r: Result<(), TypeError>| r.err().map(|e| (e, None));
    let value = Value::from(rep);
    if value.is_empty() || value.is_null() {
        return None;
    }
    match datatype {
        "DTM" => whole(Dtm::from_value(value).map(drop)),
        "DT" => whole(Dt::from_value(value).map(drop)),
        "TM" => whole(Tm::from_value(value).map(drop)),
        "NM" => whole(Nm::from_value(value).map(drop)),
        "SI" => whole(sequence_id(value)),
        "TS" => Ts::new(rep).time().and_then(Result::err).map(|e| (e, Some(1))),
        "DR" => {
            let dr = Dr::new(rep);
            let start = dr.range_start().and_then(|t| t.time()).and_then(Result::err).map(|e| (e, Some(1)));
            start.or_else(|| dr.range_end().and_then(|t| t.time()).and_then(Result::err).map(|e| (e, Some(2))))
        }
        "SN" => {
            let sn = Sn::new(rep);
            let comparator = sn.comparator().and_then(Result::err).map(|e| (e, Some(1)));
            comparator
                .or_else(|| sn.num1().and_then(Result::err).map(|e| (e, Some(2))))
                .or_else(|| sn.separator_suffix().and_then(Result::err).map(|e| (e, Some(3))))
                .or_else(|| sn.num2().and_then(Result::err).map(|e| (e, Some(4))))
        }
        "CQ" | "MO" => {
            let first = rep.component(1)?;
            if first.is_empty() || first.is_null() {
                return None;
            }
            Nm::from_value(first).err().map(|e| (e, Some(1)))
        }
        _ => None,
    }
}

/// SI: a non-negative integer.
fn sequence_id(value: Value<'_>) -> Result<(), TypeError> {
    let nm = Nm::from_value(value)?;
    if nm.is_negative() || !nm.is_integer() {
        return Err(TypeError::new(TypeErrorKind::NotAnInteger, value.offset()));
    }
    Ok(())
}
