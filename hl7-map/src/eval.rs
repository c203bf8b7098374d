//! Evaluating a compiled [`Condition`] over a message context: a segment occurrence, the
//! repetition of the row's field being mapped, and (inside a datatype map) the datatype value.
//!
//! A condition the context cannot decide (a `$variable`, an identifier registry, a numeric
//! comparison of non-numbers) evaluates to `None`: the engine then skips the row and reports it,
//! rather than guessing.
//!
//! ```
//! use hl7_core::Message;
//! use hl7_map::condition::Condition;
//! use hl7_map::eval::Context;
//! use hl7_map::source::Scope;
//!
//! let msg = Message::parse(b"MSH|^~\\&|A\rPID|1||123||Doe^Jane||19800101|F\r")?;
//! let pid = msg.segments().find(|s| s.id() == b"PID").unwrap();
//! let text = hl7_messaging::text::TextDecoder::new(&msg);
//! let cx = Context::new(pid, &text);
//! assert_eq!(cx.evaluate(&Condition::parse("IF PID-8 EQUALS \"F\"", Scope::Segment)?), Some(true));
//! assert_eq!(cx.evaluate(&Condition::parse("IF PID-7 LENGTH GREATER THAN 8", Scope::Segment)?), Some(false));
//! assert_eq!(cx.evaluate(&Condition::parse("IF PID-6 NOT VALUED", Scope::Segment)?), Some(true));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::borrow::Cow;

use hl7_core::{Component, Path, Repetition, Segment, Subcomponent};
use hl7_messaging::structure::Group;
use hl7_messaging::text::TextDecoder;

use crate::condition::{Comparison, Condition, Operand};
use crate::matrix::VocabularyMap;
use crate::placement::find_around;
use crate::source::Source;

#[derive(Clone, Copy)]
enum View<'a> {
    Rep(Repetition<'a>),
    Comp(Component<'a>),
    Sub(Subcomponent<'a>),
}

/// A v2 value at some level (a field repetition, a component or a subcomponent) with the path
/// that names it.
#[derive(Clone, Copy)]
pub struct Node<'a> {
    view: View<'a>,
    path: Path,
}

impl<'a> Node<'a> {
    /// A repetition of a field of a segment (1-based field and repetition).
    ///
    /// ```
    /// let msg = hl7_core::Message::parse(b"MSH|^~\\&|A\rPID|1||1~2\r")?;
    /// let pid = msg.segments().nth(1).unwrap();
    /// let n = hl7_map::eval::Node::field(&pid, 3, 2).unwrap();
    /// assert_eq!(n.as_bytes(), b"2");
    /// assert_eq!(n.path().to_string(), "PID-3[2]");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn field(seg: &Segment<'a>, field: usize, rep: usize) -> Option<Node<'a>> {
        let r = seg.field(field)?.repetition(rep)?;
        let id: [u8; 3] = seg.id().try_into().ok()?;
        Some(Node { view: View::Rep(r), path: Path::new(&id).field(field).repetition(rep) })
    }

    /// The raw bytes (escapes not decoded).
    pub fn as_bytes(&self) -> &'a [u8] {
        match self.view {
            View::Rep(v) => v.as_bytes(),
            View::Comp(v) => v.as_bytes(),
            View::Sub(v) => v.as_bytes(),
        }
    }

    /// Byte offset in the parsed input.
    pub fn offset(&self) -> usize {
        match self.view {
            View::Rep(v) => v.offset(),
            View::Comp(v) => v.offset(),
            View::Sub(v) => v.offset(),
        }
    }

    /// The v2 path of this value.
    pub fn path(&self) -> Path {
        self.path
    }

    /// Whether it has a value (not empty, not the HL7 null `""`).
    pub fn is_valued(&self) -> bool {
        let b = self.as_bytes();
        !b.is_empty() && b != b"\"\""
    }

    /// The n-th part one level down (component of a repetition, subcomponent of a component; a
    /// subcomponent is its own first part).
    pub fn child(&self, n: usize) -> Option<Node<'a>> {
        match self.view {
            View::Rep(r) => Some(Node { view: View::Comp(r.component(n)?), path: self.path.component(n) }),
            View::Comp(c) => Some(Node { view: View::Sub(c.subcomponent(n)?), path: self.path.subcomponent(n) }),
            View::Sub(_) => (n == 1).then_some(*self),
        }
    }

    /// The first subcomponent of the first component: a primitive's value.
    #[must_use]
    pub fn leaf(&self) -> Node<'a> {
        let mut n = *self;
        while !matches!(n.view, View::Sub(_)) {
            match n.child(1) {
                Some(c) => n = c,
                None => break,
            }
        }
        n
    }

    /// The byte span of the value in the input.
    pub fn span(&self) -> core::ops::Range<usize> {
        self.offset()..self.offset() + self.as_bytes().len()
    }

    /// The decoded text of the primitive value ([`Node::leaf`]).
    pub fn text(&self, decoder: &TextDecoder) -> Cow<'a, str> {
        match self.leaf().view {
            View::Rep(v) => decoder.value(v),
            View::Comp(v) => decoder.value(v),
            View::Sub(v) => decoder.value(v),
        }
    }
}

/// What a condition is evaluated against.
#[derive(Clone, Copy)]
pub struct Context<'a, 'v> {
    segment: Segment<'a>,
    decoder: &'v TextDecoder,
    /// The field the row maps and the repetition being mapped (other fields are read at their
    /// first repetition).
    pub(crate) current: Option<(usize, usize)>,
    /// The row's own element.
    pub(crate) own: Option<Node<'a>>,
    /// Whether `own` is set (an absent component is `own: None` with `own_set`).
    pub(crate) own_set: bool,
    /// The value the datatype map in scope maps.
    pub(crate) datatype: Option<Node<'a>>,
    /// The row's vocabulary map (for `NOT MAPPED`).
    pub(crate) vocabulary: Option<&'v VocabularyMap>,
    /// The group instances around the segment, innermost first: other segments a condition names
    /// (`IF ORC VALUED` on an OBR row) are read there.
    pub(crate) around: &'v [&'v Group<'a>],
}

impl<'a, 'v> Context<'a, 'v> {
    /// A context on a segment occurrence, decoding text with the message's decoder.
    pub fn new(segment: Segment<'a>, decoder: &'v TextDecoder) -> Self {
        Context {
            segment,
            decoder,
            current: None,
            own: None,
            own_set: false,
            datatype: None,
            vocabulary: None,
            around: &[],
        }
    }

    /// The same context inside a datatype map applied to `value` (`XPN.7` then names its 7th
    /// component).
    ///
    /// ```
    /// use hl7_map::{condition::Condition, eval::{Context, Node}, source::Scope};
    /// let msg = hl7_core::Message::parse(b"MSH|^~\\&|A\rPID|1||123^^^H^MR\r")?;
    /// let pid = msg.segments().nth(1).unwrap();
    /// let text = hl7_messaging::text::TextDecoder::new(&msg);
    /// let cx = Context::new(pid, &text).in_datatype(Node::field(&pid, 3, 1).unwrap());
    /// assert_eq!(cx.evaluate(&Condition::parse("IF CX.5 EQUALS \"MR\"", Scope::Datatype("CX"))?), Some(true));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn in_datatype(mut self, value: Node<'a>) -> Self {
        self.datatype = Some(value);
        self.own = None;
        self.own_set = false;
        self
    }

    pub(crate) fn segment(&self) -> &Segment<'a> {
        &self.segment
    }

    pub(crate) fn decoder(&self) -> &'v TextDecoder {
        self.decoder
    }

    /// The value a source names in this context.
    pub fn resolve(&self, source: &Source) -> Option<Node<'a>> {
        match source {
            Source::Own => {
                if self.own_set {
                    self.own
                } else {
                    self.own.or(self.datatype)
                }
            }
            Source::Component { component, subcomponent } => descend(self.datatype?, *component, *subcomponent),
            Source::OwnComponent { component, subcomponent } => descend(self.own?, *component, *subcomponent),
            Source::Path(p) => {
                let own = p.segment() == self.segment.id();
                let segment = if own { self.segment } else { find_around(self.around, p.segment())? };
                let f = p.field_number()?;
                let rep = p.repetition_number().unwrap_or(match self.current {
                    Some((cf, r)) if cf == f && own => r,
                    _ => 1,
                });
                let mut n = Node::field(&segment, f, rep)?;
                if let Some(c) = p.component_number() {
                    n = n.child(c)?;
                    if let Some(s) = p.subcomponent_number() {
                        n = n.child(s)?;
                    }
                }
                Some(n)
            }
        }
    }

    fn valued(&self, source: &Source) -> bool {
        if let Source::Path(p) = source {
            if p.field_number().is_none() {
                return p.segment() == self.segment.id() || find_around(self.around, p.segment()).is_some();
            }
        }
        self.resolve(source).is_some_and(|n| n.is_valued())
    }

    fn text(&self, op: &Operand) -> Option<String> {
        match op {
            Operand::Source(s) => Some(self.resolve(s).map(|n| n.text(self.decoder).into_owned()).unwrap_or_default()),
            Operand::Count(s) => Some(self.count(s).to_string()),
            Operand::Length(s) => Some(self.resolve(s).map_or(0, |n| n.text(self.decoder).chars().count()).to_string()),
            Operand::Text(t) => Some(t.clone()),
            Operand::Number(n) => Some(n.to_string()),
            Operand::Variable(_) => None,
        }
    }

    fn count(&self, source: &Source) -> usize {
        match source {
            Source::Path(p) if p.segment() == self.segment.id() && !p.is_below_field() => p
                .field_number()
                .and_then(|f| self.segment.field(f))
                .map_or(0, |f| f.repetitions().filter(|r| !r.as_bytes().is_empty()).count()),
            s => usize::from(self.valued(s)),
        }
    }

    /// Evaluates a condition: `Some(true)` / `Some(false)`, or `None` when this context cannot
    /// decide it. `… ERROR` conditions give `Some(false)` when they hold (the row must not apply).
    pub fn evaluate(&self, c: &Condition) -> Option<bool> {
        match c {
            Condition::Valued(op) => Some(self.operand_valued(op)),
            Condition::NotValued(op) => Some(!self.operand_valued(op)),
            Condition::NotMapped(op) => {
                let v = self.vocabulary?;
                let t = self.text(op)?;
                Some(v.lookup(&t, "").is_none())
            }
            Condition::Compare { left, comparison, right } => {
                let (l, r) = (self.text(left)?, self.text(right)?);
                compare(&l, *comparison, &r)
            }
            Condition::In { operand, values, negated } => {
                let t = self.text(operand)?;
                let mut hit = false;
                for v in values {
                    hit |= self.text(v)? == t;
                }
                Some(hit != *negated)
            }
            Condition::InSystem { .. } => None,
            Condition::And(cs) => {
                let mut all = true;
                for c in cs {
                    all &= self.evaluate(c)?;
                }
                Some(all)
            }
            Condition::Or(cs) => {
                let mut any = false;
                for c in cs {
                    any |= self.evaluate(c)?;
                }
                Some(any)
            }
            Condition::Error(inner) => self.evaluate(inner).map(|b| !b),
        }
    }

    fn operand_valued(&self, op: &Operand) -> bool {
        match op {
            Operand::Source(s) | Operand::Count(s) | Operand::Length(s) => self.valued(s),
            Operand::Text(t) => !t.is_empty(),
            Operand::Number(_) => true,
            Operand::Variable(_) => false,
        }
    }
}

fn descend(n: Node<'_>, c: usize, s: Option<usize>) -> Option<Node<'_>> {
    let n = n.child(c)?;
    match s {
        Some(s) => n.child(s),
        None => Some(n),
    }
}

fn compare(l: &str, op: Comparison, r: &str) -> Option<bool> {
    let nums = l.trim().parse::<f64>().ok().zip(r.trim().parse::<f64>().ok());
    let ord = match (op, nums) {
        (Comparison::Equal, None) => return Some(l == r),
        (Comparison::NotEqual, None) => return Some(l != r),
        (_, None) => return None,
        (_, Some((a, b))) => a.partial_cmp(&b)?,
    };
    Some(match op {
        Comparison::Equal => ord.is_eq(),
        Comparison::NotEqual => ord.is_ne(),
        Comparison::Greater => ord.is_gt(),
        Comparison::GreaterOrEqual => ord.is_ge(),
        Comparison::Less => ord.is_lt(),
        Comparison::LessOrEqual => ord.is_le(),
    })
}
