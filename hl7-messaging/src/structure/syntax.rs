//! The abstract message syntax of `data/structures.txt`, read with nom into an [`Element`] tree.
//!
//! `SEG` required once, `[ x ]` optional, `{ x }` repeating, `< a | b >` one of; a bracket that holds
//! more than one element must name its group (`[{ NAME: ... }]`) so every group in a grouped message
//! has a name.

use alloc::vec::Vec;

use nom::branch::alt;
use nom::bytes::complete::take_while1;
use nom::character::complete::{char, space0};
use nom::combinator::opt;
use nom::sequence::{preceded, terminated};
use nom::IResult;

/// What an element of a structure matches.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    /// One segment, by id (three bytes, checked by the grammar).
    Segment([u8; 3]),
    /// A named group of elements in order.
    Group { name: &'static str, children: Vec<Element> },
    /// One of the alternatives.
    Choice(Vec<Element>),
}

/// How far a segment may reach into the structure to find its place, tried in this order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Mode {
    /// Groups are entered only by their first element (an ORC after a specimen starts a new `ORDER`
    /// rather than an optional `PRIOR_RESULT` whose inner `ORDER_PRIOR` happens to begin with ORC).
    Leading,
    /// Optional elements may be skipped, required ones not.
    Strict,
    /// Required elements may be skipped too (reported as missing).
    Loose,
}

/// One element of a structure with its cardinality.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Element {
    pub(crate) optional: bool,
    pub(crate) repeating: bool,
    pub(crate) kind: Kind,
}

impl Element {
    /// Whether the element can match no segment at all.
    pub(crate) fn nullable(&self) -> bool {
        self.optional
            || match &self.kind {
                Kind::Segment(_) => false,
                Kind::Group { children, .. } => children.iter().all(Element::nullable),
                Kind::Choice(alts) => alts.iter().any(Element::nullable),
            }
    }

    /// Whether a segment `id` can begin this element under `mode`.
    pub(crate) fn can_start(&self, id: &[u8], mode: Mode) -> bool {
        match &self.kind {
            Kind::Segment(s) => s.as_slice() == id,
            Kind::Choice(alts) => alts.iter().any(|a| a.can_start(id, mode)),
            Kind::Group { children, .. } if mode == Mode::Leading => {
                children.first().is_some_and(|c| c.can_start(id, mode))
            }
            Kind::Group { children, .. } => {
                for child in children {
                    if child.can_start(id, mode) {
                        return true;
                    }
                    if mode == Mode::Strict && !child.nullable() {
                        return false;
                    }
                }
                false
            }
        }
    }

    /// The first segment id this element expects (for "required segment missing" reports).
    pub(crate) fn first_segment(&self) -> Option<[u8; 3]> {
        match &self.kind {
            Kind::Segment(s) => Some(*s),
            Kind::Choice(alts) => alts.first().and_then(Element::first_segment),
            Kind::Group { children, .. } => children.iter().find_map(Element::first_segment),
        }
    }

    /// Calls `f` with every segment id the element mentions.
    pub(crate) fn for_each_segment(&self, f: &mut impl FnMut([u8; 3])) {
        match &self.kind {
            Kind::Segment(s) => f(*s),
            Kind::Choice(alts) => alts.iter().for_each(|a| a.for_each_segment(f)),
            Kind::Group { children, .. } => children.iter().for_each(|c| c.for_each_segment(f)),
        }
    }

    /// Calls `f` with every segment id and the names of the groups around it (outermost first,
    /// this element's own name left out).
    pub(crate) fn for_each_placement(
        &self,
        groups: &mut Vec<&'static str>,
        f: &mut impl FnMut(&[&'static str], [u8; 3]),
    ) {
        match &self.kind {
            Kind::Segment(s) => f(groups, *s),
            Kind::Choice(alts) => alts.iter().for_each(|a| a.for_each_placement(groups, f)),
            Kind::Group { name, children } => {
                groups.push(name);
                for c in children {
                    c.for_each_placement(groups, f);
                }
                groups.pop();
            }
        }
    }

    /// Whether the element mentions segment `id` anywhere.
    pub(crate) fn mentions(&self, id: &[u8]) -> bool {
        let mut found = false;
        self.for_each_segment(&mut |s| found |= s.as_slice() == id);
        found
    }
}

/// Why a definition does not parse: the byte offset in the syntax text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct SyntaxError {
    pub(crate) offset: usize,
}

fn is_name_byte(c: char) -> bool {
    c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_'
}

fn name(input: &'static str) -> IResult<&'static str, &'static str> {
    preceded(space0, take_while1(is_name_byte))(input)
}

fn group_name(input: &'static str) -> IResult<&'static str, &'static str> {
    terminated(name, preceded(space0, char(':')))(input)
}

fn segment(input: &'static str) -> IResult<&'static str, Element> {
    let (rest, id) = name(input)?;
    let bytes: [u8; 3] = id
        .as_bytes()
        .try_into()
        .map_err(|_| nom::Err::Failure(nom::error::Error::new(input, nom::error::ErrorKind::LengthValue)))?;
    Ok((rest, Element { optional: false, repeating: false, kind: Kind::Segment(bytes) }))
}

/// `[NAME:] element*` up to (not including) a closing bracket or `|`.
fn body(input: &'static str) -> IResult<&'static str, Element> {
    let (mut rest, label) = opt(group_name)(input)?;
    let mut children = Vec::new();
    loop {
        match element(rest) {
            Ok((after, e)) => {
                children.push(e);
                rest = after;
            }
            Err(nom::Err::Error(_)) => break,
            Err(e) => return Err(e),
        }
    }
    let fail = || nom::Err::Failure(nom::error::Error::new(input, nom::error::ErrorKind::Verify));
    match (label, children.len()) {
        (Some(name), n) if n > 0 => {
            Ok((rest, Element { optional: false, repeating: false, kind: Kind::Group { name, children } }))
        }
        (None, 1) => children.pop().map(|e| (rest, e)).ok_or_else(fail),
        _ => Err(fail()),
    }
}

fn bracketed(open: char, close: char) -> impl Fn(&'static str) -> IResult<&'static str, Element> {
    move |input| {
        let (rest, _) = preceded(space0, char(open))(input)?;
        let (rest, inner) = body(rest)?;
        let (rest, _) = preceded(space0, char(close))(rest).map_err(|_: nom::Err<nom::error::Error<&str>>| {
            nom::Err::Failure(nom::error::Error::new(rest, nom::error::ErrorKind::Char))
        })?;
        Ok((rest, inner))
    }
}

fn choice(input: &'static str) -> IResult<&'static str, Element> {
    let (mut rest, _) = preceded(space0, char('<'))(input)?;
    let mut alts = Vec::new();
    loop {
        let (after, alt) = body(rest)?;
        alts.push(alt);
        let (after, sep) = preceded(space0, alt_sep)(after)?;
        rest = after;
        if sep == '>' {
            break;
        }
    }
    Ok((rest, Element { optional: false, repeating: false, kind: Kind::Choice(alts) }))
}

fn alt_sep(input: &'static str) -> IResult<&'static str, char> {
    alt((char('|'), char('>')))(input)
}

fn element(input: &'static str) -> IResult<&'static str, Element> {
    alt((
        |i| bracketed('[', ']')(i).map(|(r, e)| (r, Element { optional: true, ..e })),
        |i| bracketed('{', '}')(i).map(|(r, e)| (r, Element { repeating: true, ..e })),
        choice,
        segment,
    ))(input)
}

/// Parses a whole definition (`MSH [{SFT}] ...`) into the root group named `structure`.
pub(crate) fn parse(structure: &'static str, syntax: &'static str) -> Result<Element, SyntaxError> {
    let mut children = Vec::new();
    let mut rest = syntax;
    loop {
        match element(rest) {
            Ok((after, e)) => {
                children.push(e);
                rest = after;
            }
            Err(nom::Err::Error(_)) => break,
            Err(nom::Err::Failure(e)) => {
                return Err(SyntaxError { offset: syntax.len() - e.input.len() });
            }
            Err(nom::Err::Incomplete(_)) => return Err(SyntaxError { offset: syntax.len() - rest.len() }),
        }
    }
    if !rest.trim().is_empty() || children.is_empty() {
        return Err(SyntaxError { offset: syntax.len() - rest.len() });
    }
    Ok(Element { optional: false, repeating: false, kind: Kind::Group { name: structure, children } })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn brackets_and_groups() {
        let root = parse("X", "MSH [{SFT}] {G: PID [{NTE}]} <OBR | RQD> [DSC]").unwrap();
        let Kind::Group { children, .. } = root.kind else { panic!() };
        assert_eq!(children.len(), 5);
        assert!(children[1].optional && children[1].repeating);
        assert!(matches!(children[2].kind, Kind::Group { name: "G", .. }));
        assert!(children[2].repeating && !children[2].optional);
        assert!(matches!(&children[3].kind, Kind::Choice(a) if a.len() == 2));
    }

    #[test]
    fn errors() {
        assert!(parse("X", "MSH [PID NK1]").is_err()); // unnamed group
        assert!(parse("X", "MSH PIDX").is_err()); // not 3 bytes
        assert!(parse("X", "MSH [PID").is_err());
        assert!(parse("X", "").is_err());
    }
}
