//! The v2 side of a matrix row or condition: a path into a segment, a component of the datatype a
//! datatype map is mapping, or the row's own element.
//!
//! Segment paths are [`hl7_core::Path`] values built with `Path::new(..).field(..)`; datatype
//! components are plain 1-based indexes, because a datatype map does not know which field it is
//! applied to until the engine runs it.

use core::fmt;

use hl7_core::Path;

/// Where a row or a condition reads its v2 value.
///
/// ```
/// use hl7_core::Path;
/// use hl7_map::source::Source;
///
/// let sex = Source::Path(Path::new(b"PID").field(8));
/// assert_eq!(sex.to_string(), "PID-8");
/// assert_eq!(Source::Component { component: 7, subcomponent: None }.to_string(), ".7");
/// assert_eq!(Source::Own.to_string(), "$this");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Source {
    /// The element the row itself maps (a condition such as `IF NOT VALUED` has no subject of its
    /// own; a datatype-map row naming the datatype alone maps the whole value).
    Own,
    /// A segment, a field or a part of a field (segment maps, and conditions in any map).
    Path(Path),
    /// A component (1-based) and optionally a subcomponent of the datatype a datatype map maps
    /// (`XPN.7` in the XPN map).
    Component {
        /// Component number, 1-based.
        component: usize,
        /// Subcomponent number, 1-based.
        subcomponent: Option<usize>,
    },
    /// A component of the row's own element, named through the element's datatype (`CX.5` on a
    /// segment row that maps a CX field; `PL.2` on an NDL row that maps its PL component).
    OwnComponent {
        /// Component number, 1-based.
        component: usize,
        /// Subcomponent number, 1-based.
        subcomponent: Option<usize>,
    },
}

impl Source {
    /// The segment path, when this source is one.
    ///
    /// ```
    /// use hl7_core::Path;
    /// use hl7_map::source::Source;
    /// assert_eq!(Source::Path(Path::new(b"PID").field(3)).path(), Some(&Path::new(b"PID").field(3)));
    /// assert_eq!(Source::Own.path(), None);
    /// ```
    pub fn path(&self) -> Option<&Path> {
        match self {
            Source::Path(p) => Some(p),
            _ => None,
        }
    }
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::Own => f.write_str("$this"),
            Source::Path(p) => write!(f, "{p}"),
            Source::Component { component, subcomponent: None } => write!(f, ".{component}"),
            Source::Component { component, subcomponent: Some(s) } => write!(f, ".{component}.{s}"),
            Source::OwnComponent { component, subcomponent: None } => write!(f, "$this.{component}"),
            Source::OwnComponent { component, subcomponent: Some(s) } => write!(f, "$this.{component}.{s}"),
        }
    }
}

/// Which map a reference is read in: it decides what `XX.n` names.
///
/// ```
/// use hl7_map::source::Scope;
/// let scope = Scope::Datatype("XPN");
/// assert!(matches!(scope, Scope::Datatype(_)));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope<'a> {
    /// A segment map or a message map: `PID-3.1` and `ORC.1` are segment paths; a two-letter
    /// datatype (`CX.5`) names a component of the row's own element.
    Segment,
    /// The datatype map of this datatype: `CWE.1` and `HD-3` are its components; other 3-letter
    /// names are still segment paths.
    Datatype(&'a str),
}

/// Reads a v2 reference as the IG writes it (`PID-3`, `PID-11.9`, `ORC.1`, `PID`, `XPN.7`, `HD-3`,
/// `TQ1-3.9`). `None` when the text is not one.
///
/// Segment ids have three characters; a two-letter name is a datatype (`CX`, `HD`, `PL`). The
/// datatype of the map in scope names its components; any other datatype names a component of the
/// row's own element ([`Source::OwnComponent`]).
///
/// ```
/// use hl7_core::Path;
/// use hl7_map::source::{parse_reference, Scope, Source};
/// assert_eq!(parse_reference("PID-11.9", Scope::Segment), Some(Source::Path(Path::new(b"PID").field(11).component(9))));
/// assert_eq!(parse_reference("ORC.1", Scope::Segment), Some(Source::Path(Path::new(b"ORC").field(1))));
/// assert_eq!(parse_reference("HD-3", Scope::Datatype("HD")), Some(Source::Component { component: 3, subcomponent: None }));
/// assert_eq!(parse_reference("CWE", Scope::Datatype("CWE")), Some(Source::Own));
/// assert_eq!(parse_reference("CX.5", Scope::Segment), Some(Source::OwnComponent { component: 5, subcomponent: None }));
/// assert_eq!(parse_reference("CX", Scope::Segment), None);
/// ```
pub fn parse_reference(text: &str, scope: Scope<'_>) -> Option<Source> {
    let name_len = text.bytes().take_while(u8::is_ascii_alphanumeric).count();
    let (name, rest) = text.split_at(name_len);
    let bytes = name.as_bytes();
    let shaped = (2..=3).contains(&bytes.len())
        && bytes.first().is_some_and(u8::is_ascii_uppercase)
        && bytes.iter().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit());
    if !shaped {
        return None;
    }
    let mut numbers = [None::<usize>; 3];
    let mut count = 0;
    let mut rest = rest;
    while !rest.is_empty() {
        let sep = rest.as_bytes().first().copied();
        // The first number may follow '-' or '.'; later ones only '.'.
        if !(sep == Some(b'.') || (sep == Some(b'-') && count == 0)) {
            return None;
        }
        let digits = rest.get(1..)?;
        let len = digits.bytes().take_while(u8::is_ascii_digit).count();
        let n: usize = digits.get(..len)?.parse().ok()?;
        if n == 0 || count >= numbers.len() {
            return None;
        }
        *numbers.get_mut(count)? = Some(n);
        count += 1;
        rest = digits.get(len..)?;
    }
    if let Scope::Datatype(dt) = scope {
        if dt.eq_ignore_ascii_case(name) {
            return match numbers {
                [None, ..] => Some(Source::Own),
                [Some(c), s, None] => Some(Source::Component { component: c, subcomponent: s }),
                _ => None,
            };
        }
    }
    if bytes.len() == 2 {
        return match numbers {
            [Some(c), s, None] => Some(Source::OwnComponent { component: c, subcomponent: s }),
            _ => None,
        };
    }
    let id: [u8; 3] = bytes.try_into().ok()?;
    let mut path = Path::new(&id);
    if let Some(f) = numbers[0] {
        path = path.field(f);
    }
    if let Some(c) = numbers[1] {
        path = path.component(c);
    }
    if let Some(s) = numbers[2] {
        path = path.subcomponent(s);
    }
    Some(Source::Path(path))
}
