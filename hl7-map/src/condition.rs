//! Matrix conditions (the IG's "Condition (IF True)" column), parsed once with nom into an AST.
//!
//! Maintainer note: the IG's condition column is prose, not a language. Its own ANTLR grammar
//! accepts about 70 of the ~247 distinct texts, so this grammar follows the texts instead:
//! keywords in any case; `IF` may open any term (`A AND IF B`, `(IF A)`); `EQUALS`, `IS`, `=` and
//! `NOT EQUALS`, `NOT EQUAL TO`, `IS NOT`, `NOT`, `!=`; `VALUED`, `IS VALUED`, `VALUE` (sic),
//! `NOT VALUED`, `IS EMPTY`, `DOES NOT EXIST`; `IN (..)`, `IS IN (..)`, `NOT IN (..)`, `IN <url>`;
//! `X LST.COUNT`, `X COUNT`, `COUNT(X)`, `X LENGTH`, `LENGTH(X)`; `GREATER THAN`, `LESS THAN OR
//! EQUALS` and the symbols. A predicate after a list distributes over it (`PID-33 AND PID-34
//! VALUED` is both valued), a predicate with no subject applies to the row's own element
//! (`IF NOT VALUED`), and two predicates in a row both apply (`PID-11.9 IS VALUED NOT EQUAL PID-12`).
//! A trailing `ERROR` (`IF OBR-25 NOT VALUED ERROR`) makes the row report an error when it holds.
//! Texts that are still ambiguous (a missing `AND`, an unclosed parenthesis, a stray quote) are
//! refused with a reason, never guessed.
//!
//! ```
//! use hl7_core::Path;
//! use hl7_map::condition::Condition;
//! use hl7_map::source::{Scope, Source};
//!
//! let c = Condition::parse("IF PID-33 AND PID-34 VALUED", Scope::Segment)?;
//! assert_eq!(c.references(), vec![Source::Path(Path::new(b"PID").field(33)), Source::Path(Path::new(b"PID").field(34))]);
//! assert!(Condition::parse("IF (OBX-2 EQUALS \"SN\"", Scope::Segment).is_err());
//! # Ok::<(), hl7_map::condition::ConditionError>(())
//! ```

use core::fmt;

use nom::branch::alt;
use nom::bytes::complete::{tag, tag_no_case, take_till, take_while1};
use nom::character::complete::{char, digit1, multispace0, multispace1};
use nom::combinator::{map, not, opt, peek, recognize, value};
use nom::error::{ErrorKind, ParseError};
use nom::multi::separated_list1;
use nom::sequence::{delimited, pair, preceded, terminated, tuple};
use nom::IResult;

use crate::source::{parse_reference, Scope, Source};

/// Deepest parenthesis nesting a condition may use. The IG uses 2; a hostile file gets a typed
/// error instead of a deep recursion.
pub const MAX_DEPTH: usize = 16;

/// Longest condition text, in bytes (the longest in the IG is under 200). Bounds literals too.
pub const MAX_LEN: usize = 2048;

/// A compiled condition.
///
/// ```
/// use hl7_map::condition::{Comparison, Condition, Operand};
/// use hl7_map::source::{Scope, Source};
/// let c = Condition::parse("IF CWE.3 IS \"HL70276\"", Scope::Datatype("CWE"))?;
/// assert_eq!(
///     c,
///     Condition::Compare {
///         left: Operand::Source(Source::Component { component: 3, subcomponent: None }),
///         comparison: Comparison::Equal,
///         right: Operand::Text("HL70276".into()),
///     }
/// );
/// # Ok::<(), hl7_map::condition::ConditionError>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Condition {
    /// The operand has a value (not empty, not absent).
    Valued(Operand),
    /// The operand has no value.
    NotValued(Operand),
    /// The operand's code is not in the row's vocabulary map (`IF NOT MAPPED`).
    NotMapped(Operand),
    /// A comparison.
    Compare {
        /// Left side.
        left: Operand,
        /// How they compare.
        comparison: Comparison,
        /// Right side.
        right: Operand,
    },
    /// The operand is (or, when `negated`, is not) one of the values.
    In {
        /// What is tested.
        operand: Operand,
        /// The values.
        values: Vec<Operand>,
        /// `NOT IN`.
        negated: bool,
    },
    /// The operand is a code of the named system or registry (`IF CX.4 IN http://…`).
    InSystem {
        /// What is tested.
        operand: Operand,
        /// The system or registry, as written.
        system: String,
    },
    /// All hold.
    And(Vec<Condition>),
    /// At least one holds.
    Or(Vec<Condition>),
    /// When the inner condition holds the row reports an error (`… ERROR`).
    Error(Box<Condition>),
}

/// A comparison operator.
///
/// ```
/// assert_eq!(hl7_map::condition::Comparison::NotEqual.to_string(), "!=");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Comparison {
    /// `EQUALS`, `IS`, `=`.
    Equal,
    /// `NOT EQUALS`, `IS NOT`, `NOT`, `!=`.
    NotEqual,
    /// `GREATER THAN`, `>`.
    Greater,
    /// `GREATER THAN OR EQUALS`, `>=`.
    GreaterOrEqual,
    /// `LESS THAN`, `<`.
    Less,
    /// `LESS THAN OR EQUALS`, `<=`.
    LessOrEqual,
}

impl fmt::Display for Comparison {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Comparison::Equal => "=",
            Comparison::NotEqual => "!=",
            Comparison::Greater => ">",
            Comparison::GreaterOrEqual => ">=",
            Comparison::Less => "<",
            Comparison::LessOrEqual => "<=",
        })
    }
}

/// One side of a test.
///
/// ```
/// use hl7_map::condition::Operand;
/// assert_eq!(Operand::Number(8).to_string(), "8");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Operand {
    /// A v2 value.
    Source(Source),
    /// The number of repetitions of a v2 value (`PID-11 LST.COUNT`, `COUNT(OBX-33)`).
    Count(Source),
    /// The length of a v2 value in characters (`PID-7 LENGTH`).
    Length(Source),
    /// A text literal (quoted or a bare word).
    Text(String),
    /// A whole number.
    Number(i64),
    /// A `$name` variable set by the engine.
    Variable(String),
}

impl fmt::Display for Operand {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Operand::Source(s) => write!(f, "{s}"),
            Operand::Count(s) => write!(f, "COUNT({s})"),
            Operand::Length(s) => write!(f, "LENGTH({s})"),
            Operand::Text(t) => write!(f, "{t:?}"),
            Operand::Number(n) => write!(f, "{n}"),
            Operand::Variable(v) => write!(f, "${v}"),
        }
    }
}

/// Why a condition text does not compile, and the byte offset in the text where it went wrong.
///
/// ```
/// use hl7_map::condition::{Condition, ConditionErrorKind};
/// let e = Condition::parse("IF PRT-2 IS IN (\"A\", X\")", hl7_map::source::Scope::Segment).unwrap_err();
/// assert_eq!(e.kind(), ConditionErrorKind::UnterminatedQuote);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ConditionError {
    kind: ConditionErrorKind,
    offset: usize,
}

/// The kinds of [`ConditionError`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ConditionErrorKind {
    /// Nothing but `IF` or blanks.
    Empty,
    /// Longer than [`MAX_LEN`].
    TooLong,
    /// Parentheses nested deeper than [`MAX_DEPTH`].
    TooDeep,
    /// A `(` without its `)` or the reverse.
    UnbalancedParenthesis,
    /// An odd number of quotes.
    UnterminatedQuote,
    /// Text the grammar does not accept (a missing `AND`, an unknown reference …).
    Syntax,
}

impl ConditionError {
    /// The kind.
    ///
    /// ```
    /// use hl7_map::condition::{Condition, ConditionErrorKind};
    /// assert_eq!(Condition::parse("IF", hl7_map::source::Scope::Segment).unwrap_err().kind(), ConditionErrorKind::Empty);
    /// ```
    pub fn kind(&self) -> ConditionErrorKind {
        self.kind
    }

    /// Byte offset in the condition text.
    ///
    /// ```
    /// use hl7_map::condition::Condition;
    /// let e = Condition::parse("IF XCN.19 NOT VALUED XCN.20 NOT VALUED", hl7_map::source::Scope::Datatype("XCN")).unwrap_err();
    /// assert_eq!(e.offset(), 21);
    /// ```
    pub fn offset(&self) -> usize {
        self.offset
    }
}

impl fmt::Display for ConditionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = match self.kind {
            ConditionErrorKind::Empty => "empty condition",
            ConditionErrorKind::TooLong => "condition longer than the limit",
            ConditionErrorKind::TooDeep => "parentheses nested deeper than the limit",
            ConditionErrorKind::UnbalancedParenthesis => "unbalanced parenthesis",
            ConditionErrorKind::UnterminatedQuote => "unterminated quote",
            ConditionErrorKind::Syntax => "condition not understood",
        };
        write!(f, "{what} (at byte {})", self.offset)
    }
}

impl std::error::Error for ConditionError {}

impl Condition {
    /// Parses a condition text in the scope of its map.
    ///
    /// ```
    /// use hl7_map::condition::Condition;
    /// use hl7_map::source::Scope;
    /// for text in ["IF PID-8 NOT VALUED", "IF OBX-2 IN (\"DTM\", \"DT\")", "IF OBX-33 COUNT>1", "If SN.1 OR SN.3 VALUED"] {
    ///     let scope = if text.contains("SN.") { Scope::Datatype("SN") } else { Scope::Segment };
    ///     assert!(Condition::parse(text, scope).is_ok(), "{text}");
    /// }
    /// ```
    pub fn parse(text: &str, scope: Scope<'_>) -> Result<Condition, ConditionError> {
        if text.len() > MAX_LEN {
            return Err(ConditionError { kind: ConditionErrorKind::TooLong, offset: MAX_LEN });
        }
        if let Some(e) = precheck(text) {
            return Err(e);
        }
        let p = Parser { scope };
        let body = |i| p.whole(i);
        match body(text) {
            Ok((_, Some(c))) => Ok(c),
            Ok((_, None)) => Err(ConditionError { kind: ConditionErrorKind::Empty, offset: 0 }),
            Err(nom::Err::Error(e) | nom::Err::Failure(e)) => {
                Err(ConditionError { kind: e.kind, offset: text.len() - e.rest.len() })
            }
            Err(nom::Err::Incomplete(_)) => {
                Err(ConditionError { kind: ConditionErrorKind::Syntax, offset: text.len() })
            }
        }
    }

    /// The v2 values this condition reads, in text order, without duplicates (for lineage).
    ///
    /// ```
    /// use hl7_core::Path;
    /// use hl7_map::condition::Condition;
    /// use hl7_map::source::{Scope, Source};
    /// let c = Condition::parse("IF PID-11.9 IS VALUED NOT EQUAL PID-12", Scope::Segment)?;
    /// assert_eq!(c.references(), vec![
    ///     Source::Path(Path::new(b"PID").field(11).component(9)),
    ///     Source::Path(Path::new(b"PID").field(12)),
    /// ]);
    /// # Ok::<(), hl7_map::condition::ConditionError>(())
    /// ```
    pub fn references(&self) -> Vec<Source> {
        let mut out = Vec::new();
        self.collect(&mut out);
        out
    }

    fn collect(&self, out: &mut Vec<Source>) {
        let mut push = |o: &Operand| {
            if let Operand::Source(s) | Operand::Count(s) | Operand::Length(s) = o {
                if !out.contains(s) {
                    out.push(*s);
                }
            }
        };
        match self {
            Condition::Valued(o) | Condition::NotValued(o) | Condition::NotMapped(o) => push(o),
            Condition::Compare { left, right, .. } => {
                push(left);
                push(right);
            }
            Condition::In { operand, values, .. } => {
                push(operand);
                values.iter().for_each(push);
            }
            Condition::InSystem { operand, .. } => push(operand),
            Condition::And(all) | Condition::Or(all) => all.iter().for_each(|c| c.collect(out)),
            Condition::Error(c) => c.collect(out),
        }
    }
}

/// Unbalanced quotes and parentheses are found before parsing, so that the reason is precise.
fn precheck(text: &str) -> Option<ConditionError> {
    let mut depth = 0usize;
    let mut quote: Option<(char, usize)> = None;
    let mut open_at = 0;
    for (at, c) in text.char_indices() {
        match (quote, c) {
            (Some((q, _)), c) if c == q => quote = None,
            (None, '"' | '\'') => quote = Some((c, at)),
            (None, '(') => {
                if depth == 0 {
                    open_at = at;
                }
                depth += 1;
                if depth > MAX_DEPTH {
                    return Some(ConditionError { kind: ConditionErrorKind::TooDeep, offset: at });
                }
            }
            (None, ')') => {
                if depth == 0 {
                    return Some(ConditionError { kind: ConditionErrorKind::UnbalancedParenthesis, offset: at });
                }
                depth -= 1;
            }
            _ => {}
        }
    }
    if let Some((_, at)) = quote {
        return Some(ConditionError { kind: ConditionErrorKind::UnterminatedQuote, offset: at });
    }
    (depth > 0).then_some(ConditionError { kind: ConditionErrorKind::UnbalancedParenthesis, offset: open_at })
}

#[derive(Debug)]
struct Fail<'a> {
    rest: &'a str,
    kind: ConditionErrorKind,
}

impl<'a> ParseError<&'a str> for Fail<'a> {
    fn from_error_kind(rest: &'a str, _: ErrorKind) -> Self {
        Fail { rest, kind: ConditionErrorKind::Syntax }
    }
    fn append(_: &'a str, _: ErrorKind, other: Self) -> Self {
        other
    }
    // Keep the alternative that got furthest: its position is the useful one.
    fn or(self, other: Self) -> Self {
        if other.rest.len() < self.rest.len() {
            other
        } else {
            self
        }
    }
}

type Res<'a, T> = IResult<&'a str, T, Fail<'a>>;

/// A keyword in any case, ending at a word boundary, with the blanks before it.
fn kw<'a>(word: &'static str) -> impl FnMut(&'a str) -> Res<'a, &'a str> {
    preceded(multispace0, terminated(tag_no_case(word), not(peek(take_while1(is_word)))))
}

/// Several keywords separated by blanks (`NOT EQUAL TO`).
fn kws<'a>(words: &'static [&'static str]) -> impl FnMut(&'a str) -> Res<'a, ()> {
    move |mut i| {
        for w in words {
            (i, _) = kw(w)(i)?;
        }
        Ok((i, ()))
    }
}

fn sym<'a>(s: &'static str) -> impl FnMut(&'a str) -> Res<'a, &'a str> {
    preceded(multispace0, tag(s))
}

fn is_word(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

const KEYWORDS: &[&str] = &[
    "IF", "AND", "OR", "NOT", "IS", "IN", "VALUED", "VALUE", "EQUALS", "EQUAL", "ERROR", "ARE", "AREA", "EMPTY",
    "DOES", "EXIST", "EXISTS", "MAPPED", "GREATER", "LESS", "THAN", "TO", "COUNT", "LENGTH", "LST",
];

struct Parser<'s> {
    scope: Scope<'s>,
}

impl Parser<'_> {
    fn whole<'a>(&self, i: &'a str) -> Res<'a, Option<Condition>> {
        let (i, _) = opt(kw("IF"))(i)?;
        let (rest, _) = multispace0(i)?;
        if rest.is_empty() {
            return Ok((rest, None));
        }
        let (i, c) = self.or_expr(i, 0)?;
        let (i, error) = opt(kw("ERROR"))(i)?;
        let (i, _) = multispace0(i)?;
        if !i.is_empty() {
            return Err(nom::Err::Failure(Fail { rest: i, kind: ConditionErrorKind::Syntax }));
        }
        let c = if error.is_some() { Condition::Error(Box::new(c)) } else { c };
        Ok((i, Some(c)))
    }

    fn or_expr<'a>(&self, i: &'a str, depth: usize) -> Res<'a, Condition> {
        let (mut i, first) = self.and_expr(i, depth)?;
        let mut all = vec![first];
        while let Ok((rest, _)) = pair(kw("OR"), opt(kw("IF")))(i) {
            let (rest, next) = self.and_expr(rest, depth)?;
            all.push(next);
            i = rest;
        }
        Ok((i, flatten(all, Condition::Or)))
    }

    fn and_expr<'a>(&self, i: &'a str, depth: usize) -> Res<'a, Condition> {
        let (mut i, first) = self.term(i, depth)?;
        let mut all = vec![first];
        while let Ok((rest, _)) = pair(kw("AND"), opt(kw("IF")))(i) {
            let (rest, next) = self.term(rest, depth)?;
            all.push(next);
            i = rest;
        }
        Ok((i, flatten(all, Condition::And)))
    }

    fn term<'a>(&self, i: &'a str, depth: usize) -> Res<'a, Condition> {
        let (i, _) = opt(kw("IF"))(i)?;
        if let Ok((inner, _)) = sym("(")(i) {
            if depth + 1 > MAX_DEPTH {
                return Err(nom::Err::Failure(Fail { rest: i, kind: ConditionErrorKind::TooDeep }));
            }
            let (inner, c) = self.or_expr(inner, depth + 1)?;
            let (rest, _) = sym(")")(inner)?;
            return Ok((rest, c));
        }
        // A list of subjects sharing the predicates that follow (`A AND B NOT VALUED`).
        if let Ok((rest, (subjects, conj))) = self.subject_list(i) {
            if let Ok((rest, c)) = self.predicates(rest, &subjects, conj) {
                return Ok((rest, c));
            }
        }
        if let Ok((rest, subject)) = self.subject(i) {
            return self.predicates(rest, &[subject], Conj::And);
        }
        // No subject: the row's own element (`IF NOT VALUED`).
        self.predicates(i, &[Operand::Source(Source::Own)], Conj::And)
    }

    fn subject_list<'a>(&self, i: &'a str) -> Res<'a, (Vec<Operand>, Conj)> {
        let (mut i, first) = self.subject(i)?;
        let mut all = vec![first];
        let mut conj = None;
        loop {
            let Ok((rest, c)) = alt((value(Conj::And, kw("AND")), value(Conj::Or, kw("OR"))))(i) else { break };
            if conj.is_some_and(|k| k != c) {
                break;
            }
            let Ok((rest, s)) = self.subject(rest) else { break };
            conj = Some(c);
            all.push(s);
            i = rest;
        }
        if all.len() < 2 {
            return Err(nom::Err::Error(Fail { rest: i, kind: ConditionErrorKind::Syntax }));
        }
        Ok((i, (all, conj.unwrap_or(Conj::And))))
    }

    /// One or more predicates, all applied to every subject.
    fn predicates<'a>(&self, i: &'a str, subjects: &[Operand], conj: Conj) -> Res<'a, Condition> {
        let (mut i, first) = self.predicate(i)?;
        let mut preds = vec![first];
        while let Ok((rest, p)) = self.predicate(i) {
            preds.push(p);
            i = rest;
        }
        let per_subject = subjects
            .iter()
            .map(|s| flatten(preds.iter().map(|p| p.apply(s.clone())).collect(), Condition::And))
            .collect();
        let c = match conj {
            Conj::And => flatten(per_subject, Condition::And),
            Conj::Or => flatten(per_subject, Condition::Or),
        };
        Ok((i, c))
    }

    fn predicate<'a>(&self, i: &'a str) -> Res<'a, Predicate> {
        let valued = alt((kws(&["IS", "VALUED"]), kws(&["ARE", "VALUED"]), kw_unit("VALUED"), kw_unit("VALUE")));
        // "AREA" is the IG's typo for "ARE" (`PRT-5 AND PRT-6 AREA NOT VALUED`).
        let not_valued = alt((
            kws(&["IS", "NOT", "VALUED"]),
            kws(&["ARE", "NOT", "VALUED"]),
            kws(&["AREA", "NOT", "VALUED"]),
            kws(&["NOT", "VALUED"]),
            kws(&["IS", "EMPTY"]),
            kws(&["DOES", "NOT", "EXIST"]),
        ));
        let list = |i| self.value_list(i);
        alt((
            value(Predicate::NotValued, not_valued),
            value(Predicate::Valued, valued),
            value(Predicate::NotMapped, kws(&["NOT", "MAPPED"])),
            map(preceded(alt((kws(&["IS", "NOT", "IN"]), kws(&["NOT", "IN"]))), list), |v| Predicate::In(v, true)),
            map(preceded(alt((kws(&["IS", "IN"]), kw_unit("IN"))), list), |v| Predicate::In(v, false)),
            map(preceded(kw("IN"), preceded(multispace1, url)), |u: &str| Predicate::InSystem(u.to_owned())),
            map(pair(comparison, |i| self.operand(i)), |(c, o)| Predicate::Compare(c, o)),
        ))(i)
    }

    fn value_list<'a>(&self, i: &'a str) -> Res<'a, Vec<Operand>> {
        delimited(sym("("), separated_list1(sym(","), |i| self.operand(i)), sym(")"))(i)
    }

    /// What a predicate is about: a v2 reference (maybe counted or measured) or a variable.
    fn subject<'a>(&self, i: &'a str) -> Res<'a, Operand> {
        let (i, _) = multispace0(i)?;
        if let Ok((rest, (f, s))) = pair(
            alt((value(true, tag_no_case("COUNT")), value(false, tag_no_case("LENGTH")))),
            delimited(sym("("), preceded(multispace0, |i| self.reference(i)), sym(")")),
        )(i)
        {
            return Ok((rest, if f { Operand::Count(s) } else { Operand::Length(s) }));
        }
        if let Ok((rest, v)) = preceded(char::<_, Fail<'_>>('$'), take_while1(is_word))(i) {
            return Ok((rest, Operand::Variable(v.to_owned())));
        }
        let (i, s) = self.reference(i)?;
        let (i, counted) = opt(alt((value(true, lst_count), value(true, kw("COUNT")), value(false, kw("LENGTH")))))(i)?;
        Ok((
            i,
            match counted {
                Some(true) => Operand::Count(s),
                Some(false) => Operand::Length(s),
                None => Operand::Source(s),
            },
        ))
    }

    fn reference<'a>(&self, i: &'a str) -> Res<'a, Source> {
        let (rest, text) = recognize(pair(
            take_while1(|c: char| c.is_ascii_alphanumeric()),
            nom::multi::many0(pair(alt((char('-'), char('.'))), digit1)),
        ))(i)?;
        if KEYWORDS.iter().any(|k| k.eq_ignore_ascii_case(text)) {
            return Err(nom::Err::Error(Fail { rest: i, kind: ConditionErrorKind::Syntax }));
        }
        match parse_reference(text, self.scope) {
            Some(s) => Ok((rest, s)),
            None => Err(nom::Err::Error(Fail { rest: i, kind: ConditionErrorKind::Syntax })),
        }
    }

    /// A right-hand side or list value.
    fn operand<'a>(&self, i: &'a str) -> Res<'a, Operand> {
        let (i, _) = multispace0(i)?;
        alt((
            |i| self.subject(i),
            map(nom::character::complete::i64, Operand::Number),
            map(quoted, |t: &str| Operand::Text(t.to_owned())),
            map(bare_word, |t: &str| Operand::Text(t.to_owned())),
        ))(i)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Conj {
    And,
    Or,
}

#[derive(Clone, Debug)]
enum Predicate {
    Valued,
    NotValued,
    NotMapped,
    In(Vec<Operand>, bool),
    InSystem(String),
    Compare(Comparison, Operand),
}

impl Predicate {
    fn apply(&self, subject: Operand) -> Condition {
        match self {
            Predicate::Valued => Condition::Valued(subject),
            Predicate::NotValued => Condition::NotValued(subject),
            Predicate::NotMapped => Condition::NotMapped(subject),
            Predicate::In(values, negated) => {
                Condition::In { operand: subject, values: values.clone(), negated: *negated }
            }
            Predicate::InSystem(system) => Condition::InSystem { operand: subject, system: system.clone() },
            Predicate::Compare(comparison, right) => {
                Condition::Compare { left: subject, comparison: *comparison, right: right.clone() }
            }
        }
    }
}

fn flatten(mut all: Vec<Condition>, wrap: fn(Vec<Condition>) -> Condition) -> Condition {
    if all.len() == 1 {
        if let Some(c) = all.pop() {
            return c;
        }
    }
    wrap(all)
}

fn kw_unit<'a>(word: &'static str) -> impl FnMut(&'a str) -> Res<'a, ()> {
    map(kw(word), |_| ())
}

/// `LST.COUNT` (`PID-11 LST.COUNT`).
fn lst_count(i: &str) -> Res<'_, ()> {
    let (i, _) = kw("LST")(i)?;
    let (i, _) = preceded(char('.'), tag_no_case("COUNT"))(i)?;
    Ok((i, ()))
}

fn comparison(i: &str) -> Res<'_, Comparison> {
    alt((
        value(
            Comparison::NotEqual,
            alt((kws(&["NOT", "EQUALS"]), kws(&["NOT", "EQUAL", "TO"]), kws(&["NOT", "EQUAL"]))),
        ),
        value(Comparison::NotEqual, kws(&["IS", "NOT"])),
        value(Comparison::NotEqual, map(sym("!="), |_| ())),
        value(
            Comparison::GreaterOrEqual,
            alt((kws(&["GREATER", "THAN", "OR", "EQUALS"]), kws(&["GREATER", "THAN", "OR", "EQUAL"]))),
        ),
        value(
            Comparison::LessOrEqual,
            alt((kws(&["LESS", "THAN", "OR", "EQUALS"]), kws(&["LESS", "THAN", "OR", "EQUAL"]))),
        ),
        value(Comparison::Greater, kws(&["GREATER", "THAN"])),
        value(Comparison::Less, kws(&["LESS", "THAN"])),
        value(Comparison::GreaterOrEqual, map(sym(">="), |_| ())),
        value(Comparison::LessOrEqual, map(sym("<="), |_| ())),
        value(Comparison::Greater, map(sym(">"), |_| ())),
        value(Comparison::Less, map(sym("<"), |_| ())),
        value(Comparison::Equal, alt((kw_unit("EQUALS"), kws(&["EQUAL", "TO"]), kw_unit("IS"), map(sym("="), |_| ())))),
        // `EVN-4 NOT "U"`.
        value(Comparison::NotEqual, kw_unit("NOT")),
    ))(i)
}

fn quoted(i: &str) -> Res<'_, &str> {
    alt((
        delimited(char('"'), take_till(|c| c == '"'), char('"')),
        delimited(char('\''), take_till(|c| c == '\''), char('\'')),
    ))(i)
}

/// An unquoted literal: a word that is not a keyword.
fn bare_word(i: &str) -> Res<'_, &str> {
    let (rest, w) = take_while1(|c: char| is_word(c) || c == '-' || c == '.')(i)?;
    if KEYWORDS.iter().any(|k| k.eq_ignore_ascii_case(w)) {
        return Err(nom::Err::Error(Fail { rest: i, kind: ConditionErrorKind::Syntax }));
    }
    Ok((rest, w))
}

fn url(i: &str) -> Res<'_, &str> {
    recognize(tuple((
        alt((tag_no_case("http://"), tag_no_case("https://"), tag_no_case("urn:"))),
        take_while1(|c: char| !c.is_whitespace() && c != ')'),
    )))(i)
}
