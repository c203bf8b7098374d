//! Borrowing views below the segment: [`Field`], [`Repetition`], [`Component`], [`Subcomponent`].
//!
//! Every view borrows the input, knows its byte offset, and tells apart *absent* (the accessor
//! returns `None`), *empty* ([`Field::is_empty`]) and the HL7 null `""` ([`Field::is_null`]).
//! Numbers a caller passes are 1-based like the standard; 0 gives `None`.

use core::fmt;

use crate::delimiters::Delimiters;
use crate::error::ParseError;
use crate::escape::{self, Unescape};
use crate::scan::Scan;

/// What every view needs to split and decode: the delimiters, the scan mode, and whether the
/// value is literal (MSH-1 and MSH-2 are never split or unescaped).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Ctx {
    pub(crate) delimiters: Delimiters,
    pub(crate) scan: Scan,
    pub(crate) literal: bool,
}

/// The one splitter: the pieces of a slice split on one separator, as `(piece, offset)` where
/// `offset` counts from the slice's start (or the base given to the views). Always yields at least
/// one piece; separator bytes inside multi-byte characters are skipped by the [`Scan`] mode. Every
/// view of hl7-core and every edit of the messaging crate's `MessageBuf` splits through it.
///
/// ```
/// use hl7_core::Scan;
/// let pieces: Vec<_> = Scan::Bytes.pieces(b"a^bc^", b'^').collect();
/// assert_eq!(pieces, [(&b"a"[..], 0), (&b"bc"[..], 2), (&b""[..], 5)]);
/// ```
#[derive(Clone)]
pub struct Pieces<'a> {
    rest: Option<&'a [u8]>,
    offset: usize,
    sep: Option<u8>,
    scan: Scan,
}

impl<'a> Pieces<'a> {
    pub(crate) fn new(bytes: &'a [u8], offset: usize, sep: Option<u8>, scan: Scan) -> Self {
        Pieces { rest: Some(bytes), offset, sep, scan }
    }

    pub(crate) fn empty() -> Self {
        Pieces { rest: None, offset: 0, sep: None, scan: Scan::Bytes }
    }
}

impl fmt::Debug for Pieces<'_> {
    // Shape only (PHI).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pieces")
            .field("offset", &self.offset)
            .field("remaining", &self.rest.map_or(0, <[u8]>::len))
            .finish()
    }
}

impl<'a> Iterator for Pieces<'a> {
    type Item = (&'a [u8], usize);

    #[inline]
    fn next(&mut self) -> Option<Self::Item> {
        let rest = self.rest?;
        let offset = self.offset;
        if let Some(i) = self.sep.and_then(|s| self.scan.find(rest, s)) {
            let (piece, tail) = rest.split_at(i);
            self.rest = tail.get(1..);
            self.offset += i + 1;
            Some((piece, offset))
        } else {
            self.rest = None;
            Some((rest, offset))
        }
    }
}

/// 1-based `nth`: 0 gives `None`.
pub(crate) fn nth1<I: Iterator>(mut it: I, n: usize) -> Option<I::Item> {
    it.nth(n.checked_sub(1)?)
}

macro_rules! leaf_methods {
    ($ty:ident, $what:literal) => {
        impl<'a> $ty<'a> {
            #[doc = concat!("The raw bytes of this ", $what, ", escapes not decoded.")]
            pub fn as_bytes(&self) -> &'a [u8] {
                self.bytes
            }

            #[doc = concat!("Byte offset (0-based) of this ", $what, " in the parsed input.")]
            pub fn offset(&self) -> usize {
                self.offset
            }

            #[doc = concat!("Length in raw bytes.")]
            pub fn len(&self) -> usize {
                self.bytes.len()
            }

            #[doc = concat!("Whether this ", $what, " is present but empty.")]
            pub fn is_empty(&self) -> bool {
                self.bytes.is_empty()
            }

            #[doc = concat!("Whether this ", $what, " is the HL7 null `\"\"` (delete the value at the receiver).")]
            pub fn is_null(&self) -> bool {
                self.bytes == b"\"\""
            }

            #[doc = concat!("The delimiters this ", $what, " was parsed with.")]
            pub fn delimiters(&self) -> Delimiters {
                self.ctx.delimiters
            }

            #[doc = concat!("Decodes the escapes of this ", $what, " lazily, without allocating.")]
            pub fn unescape(&self) -> Unescape<'a> {
                let mut d = self.ctx;
                if d.literal {
                    // Literal values have no escapes: decode with an escape-less set.
                    return Unescape::new(self.bytes, self.offset, no_escape(d.delimiters), d.scan);
                }
                d.literal = false;
                Unescape::new(self.bytes, self.offset, d.delimiters, d.scan)
            }

            #[doc = concat!("The first malformed escape in this ", $what, ", if any, with its offset.")]
            pub fn check_escapes(&self) -> Result<(), ParseError> {
                escape::check(self.unescape())
            }

            #[doc = concat!("The decoded value of this ", $what, "; borrows when nothing needs decoding.")]
            #[cfg(feature = "alloc")]
            pub fn to_cow(&self) -> alloc::borrow::Cow<'a, [u8]> {
                escape::to_cow(self.bytes, self.unescape())
            }
        }

        impl fmt::Debug for $ty<'_> {
            // Shape only: never the content (PHI).
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_struct(stringify!($ty)).field("offset", &self.offset).field("len", &self.bytes.len()).finish()
            }
        }
    };
}

fn no_escape(d: Delimiters) -> Delimiters {
    d.without_escape()
}

macro_rules! iterator {
    ($name:ident, $item:ident, $doc:literal) => {
        #[doc = $doc]
        #[derive(Clone)]
        pub struct $name<'a> {
            split: Pieces<'a>,
            ctx: Ctx,
        }

        impl fmt::Debug for $name<'_> {
            // Shape only (PHI).
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_struct(stringify!($name)).field("split", &self.split).finish()
            }
        }

        impl<'a> Iterator for $name<'a> {
            type Item = $item<'a>;

            #[inline]
            fn next(&mut self) -> Option<$item<'a>> {
                let (bytes, offset) = self.split.next()?;
                Some($item { bytes, offset, ctx: self.ctx })
            }
        }
    };
}

/// A field of a segment. Numbered from 1 as in the standard (`PID-3` is `field(3)`).
///
/// ```
/// use hl7_core::Message;
/// let msg = Message::parse(b"MSH|^~\\&|A\rPID|1||123^^^H^MR~456^^^H^PI||\"\"\r").unwrap();
/// let pid = msg.segment(b"PID").unwrap();
/// let pid3 = pid.field(3).unwrap();
/// assert_eq!(pid3.repetitions().count(), 2);
/// assert_eq!(pid3.repetition(2).unwrap().component(1).unwrap().as_bytes(), b"456");
/// assert!(pid.field(4).unwrap().is_empty());
/// assert!(pid.field(5).unwrap().is_null());
/// assert!(pid.field(6).is_none());
/// ```
#[derive(Clone, Copy)]
pub struct Field<'a> {
    pub(crate) bytes: &'a [u8],
    pub(crate) offset: usize,
    pub(crate) ctx: Ctx,
}
leaf_methods!(Field, "field");

/// One repetition of a field.
///
/// ```
/// # use hl7_core::Message;
/// let msg = Message::parse(b"MSH|^~\\&|A\rPID|1||a^b~c\r").unwrap();
/// let reps: Vec<_> = msg.segment(b"PID").unwrap().field(3).unwrap().repetitions().map(|r| r.as_bytes()).collect();
/// assert_eq!(reps, [&b"a^b"[..], b"c"]);
/// ```
#[derive(Clone, Copy)]
pub struct Repetition<'a> {
    pub(crate) bytes: &'a [u8],
    pub(crate) offset: usize,
    pub(crate) ctx: Ctx,
}
leaf_methods!(Repetition, "repetition");

/// One component of a repetition.
///
/// ```
/// # use hl7_core::Message;
/// let msg = Message::parse(b"MSH|^~\\&|A\rPID|1||||DOE^JANE&X\r").unwrap();
/// let name = msg.segment(b"PID").unwrap().field(5).unwrap();
/// assert_eq!(name.component(2).unwrap().subcomponent(2).unwrap().as_bytes(), b"X");
/// ```
#[derive(Clone, Copy)]
pub struct Component<'a> {
    pub(crate) bytes: &'a [u8],
    pub(crate) offset: usize,
    pub(crate) ctx: Ctx,
}
leaf_methods!(Component, "component");

/// One subcomponent of a component.
///
/// ```
/// # use hl7_core::Message;
/// let msg = Message::parse(b"MSH|^~\\&|A\rPID|1||1&2&3\r").unwrap();
/// let c = msg.segment(b"PID").unwrap().field(3).unwrap().component(1).unwrap();
/// assert_eq!(c.subcomponents().map(|s| s.offset()).collect::<Vec<_>>(), [18, 20, 22]);
/// ```
#[derive(Clone, Copy)]
pub struct Subcomponent<'a> {
    pub(crate) bytes: &'a [u8],
    pub(crate) offset: usize,
    pub(crate) ctx: Ctx,
}
leaf_methods!(Subcomponent, "subcomponent");

iterator!(Repetitions, Repetition, "Iterator over the repetitions of a field.");
iterator!(Components, Component, "Iterator over the components of a repetition.");
iterator!(Subcomponents, Subcomponent, "Iterator over the subcomponents of a component.");

impl Ctx {
    fn sep(&self, sep: Option<u8>) -> Option<u8> {
        if self.literal {
            None
        } else {
            sep
        }
    }
}

impl<'a> Field<'a> {
    /// The repetitions of this field (an empty field has one empty repetition).
    pub fn repetitions(&self) -> Repetitions<'a> {
        let sep = self.ctx.sep(Some(self.ctx.delimiters.repetition()));
        Repetitions { split: Pieces::new(self.bytes, self.offset, sep, self.ctx.scan), ctx: self.ctx }
    }

    /// Repetition `n`, 1-based; `None` for 0 or past the last.
    pub fn repetition(&self, n: usize) -> Option<Repetition<'a>> {
        nth1(self.repetitions(), n)
    }

    /// The components of the first repetition.
    pub fn components(&self) -> Components<'a> {
        match self.repetitions().next() {
            Some(r) => r.components(),
            None => Components { split: Pieces::empty(), ctx: self.ctx },
        }
    }

    /// Component `n` (1-based) of the first repetition.
    pub fn component(&self, n: usize) -> Option<Component<'a>> {
        nth1(self.components(), n)
    }
}

impl<'a> Repetition<'a> {
    /// The components of this repetition.
    pub fn components(&self) -> Components<'a> {
        let sep = self.ctx.sep(Some(self.ctx.delimiters.component()));
        Components { split: Pieces::new(self.bytes, self.offset, sep, self.ctx.scan), ctx: self.ctx }
    }

    /// Component `n`, 1-based.
    pub fn component(&self, n: usize) -> Option<Component<'a>> {
        nth1(self.components(), n)
    }
}

impl<'a> Component<'a> {
    /// The subcomponents of this component (one, when no subcomponent separator is defined).
    pub fn subcomponents(&self) -> Subcomponents<'a> {
        let sep = self.ctx.sep(self.ctx.delimiters.subcomponent());
        Subcomponents { split: Pieces::new(self.bytes, self.offset, sep, self.ctx.scan), ctx: self.ctx }
    }

    /// Subcomponent `n`, 1-based.
    pub fn subcomponent(&self, n: usize) -> Option<Subcomponent<'a>> {
        nth1(self.subcomponents(), n)
    }
}
