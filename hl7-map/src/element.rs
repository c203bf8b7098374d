//! The FHIR side of a matrix row: a small typed element path (`name[1].given`, `[1].family`,
//! `identifier[2].type.coding.code`, `performer[1](PractitionerRole.organization(Organization))`).
//!
//! The IG writes a step into another resource as `element(Type.path)`: the element is a Reference
//! to a resource of that type, and the path continues inside it. `[each]` means one instance per
//! repetition of the source; `[1-2]` a range of instances; `:name` an extension slice.

use core::fmt;

/// Deepest `(Type.path)` nesting accepted (the IG uses 3).
pub const MAX_DEPTH: usize = 8;

/// A FHIR element path, relative to the resource or datatype the map produces.
///
/// ```
/// use hl7_map::element::{ElementPath, Index};
/// let (p, assigned) = ElementPath::parse("identifier[2].type.coding.code")?;
/// assert_eq!(p.steps().len(), 4);
/// assert_eq!(p.steps()[0].name(), "identifier");
/// assert_eq!(p.steps()[0].index(), Index::Nth(2));
/// assert_eq!(p.to_string(), "identifier[2].type.coding.code");
/// assert_eq!(assigned, None);
/// # Ok::<(), hl7_map::element::ElementPathError>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct ElementPath {
    steps: Vec<Step>,
}

/// One step of an [`ElementPath`].
///
/// ```
/// let (p, _) = hl7_map::element::ElementPath::parse("requester(PractitionerRole.practitioner)")?;
/// let r = p.steps()[0].reference().unwrap();
/// assert_eq!(r.types(), ["PractitionerRole"]);
/// assert_eq!(r.path().to_string(), "practitioner");
/// # Ok::<(), hl7_map::element::ElementPathError>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Step {
    name: String,
    index: Index,
    slice: Option<String>,
    reference: Option<Box<ResourceStep>>,
}

/// A step into a referenced resource: `(Type[n].path)`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ResourceStep {
    types: Vec<String>,
    index: Index,
    path: ElementPath,
}

/// Which instances of a repeating element a step names.
///
/// ```
/// assert_eq!(hl7_map::element::Index::Each.to_string(), "[each]");
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Index {
    /// No index written.
    #[default]
    Unspecified,
    /// The n-th instance (1-based, as the IG writes it).
    Nth(u32),
    /// One instance per source repetition.
    Each,
    /// Instances `first..=last` (1-based).
    Range(u32, u32),
}

impl fmt::Display for Index {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Index::Unspecified => Ok(()),
            Index::Nth(n) => write!(f, "[{n}]"),
            Index::Each => f.write_str("[each]"),
            Index::Range(a, b) => write!(f, "[{a}-{b}]"),
        }
    }
}

/// A FHIR element path that does not follow the grammar, with the byte offset.
///
/// ```
/// let e = hl7_map::element::ElementPath::parse("name.suffix[1}").unwrap_err();
/// assert_eq!(e.offset(), 13);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ElementPathError {
    offset: usize,
    too_deep: bool,
}

impl ElementPathError {
    /// Byte offset in the text.
    ///
    /// ```
    /// assert_eq!(hl7_map::element::ElementPath::parse("a..b").unwrap_err().offset(), 2);
    /// ```
    pub fn offset(&self) -> usize {
        self.offset
    }
}

impl fmt::Display for ElementPathError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.too_deep {
            write!(f, "element path nested deeper than the limit (at byte {})", self.offset)
        } else {
            write!(f, "element path not understood (at byte {})", self.offset)
        }
    }
}

impl std::error::Error for ElementPathError {}

impl ElementPath {
    /// Parses an element path as the IG writes it; a trailing `="value"` (`status="finished"`)
    /// is returned as the assigned value. `$this` and the empty text are the empty path.
    ///
    /// ```
    /// use hl7_map::element::ElementPath;
    /// let (p, v) = ElementPath::parse("status=\"finished\"")?;
    /// assert_eq!((p.to_string().as_str(), v.as_deref()), ("status", Some("finished")));
    /// assert!(ElementPath::parse("$this")?.0.is_empty());
    /// assert_eq!(ElementPath::parse("[1].given[2]")?.0.to_string(), "[1].given[2]");
    /// # Ok::<(), hl7_map::element::ElementPathError>(())
    /// ```
    pub fn parse(text: &str) -> Result<(ElementPath, Option<String>), ElementPathError> {
        let text = text.trim();
        if text.is_empty() || text == "$this" {
            return Ok((ElementPath::default(), None));
        }
        let (path_text, assigned) = match text.split_once('=') {
            Some((p, v)) => (p.trim_end(), Some(v.trim().trim_matches('"').to_owned())),
            None => (text, None),
        };
        let mut cursor = Cursor { text: path_text, at: 0 };
        let path = cursor.path(0)?;
        if cursor.at != path_text.len() {
            return Err(ElementPathError { offset: cursor.at, too_deep: false });
        }
        Ok((path, assigned))
    }

    /// A path of plain named steps (`ElementPath::of(&["name", "given"])`).
    ///
    /// ```
    /// assert_eq!(hl7_map::element::ElementPath::of(&["name", "given"]).to_string(), "name.given");
    /// ```
    pub fn of(names: &[&str]) -> ElementPath {
        ElementPath {
            steps: names
                .iter()
                .map(|n| Step { name: (*n).to_owned(), index: Index::Unspecified, slice: None, reference: None })
                .collect(),
        }
    }

    /// The steps, outermost first.
    ///
    /// ```
    /// assert!(hl7_map::element::ElementPath::default().steps().is_empty());
    /// ```
    pub fn steps(&self) -> &[Step] {
        &self.steps
    }

    /// `true` for the element the map produces itself (`$this`).
    ///
    /// ```
    /// assert!(hl7_map::element::ElementPath::default().is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.steps.is_empty()
    }
}

impl Step {
    /// The element name; empty for a leading index on the produced value itself (`[1].family`).
    ///
    /// ```
    /// let (p, _) = hl7_map::element::ElementPath::parse("[1].family")?;
    /// assert_eq!(p.steps()[0].name(), "");
    /// # Ok::<(), hl7_map::element::ElementPathError>(())
    /// ```
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Which instances.
    ///
    /// ```
    /// let (p, _) = hl7_map::element::ElementPath::parse("component[each].code")?;
    /// assert_eq!(p.steps()[0].index(), hl7_map::element::Index::Each);
    /// # Ok::<(), hl7_map::element::ElementPathError>(())
    /// ```
    pub fn index(&self) -> Index {
        self.index
    }

    /// The extension slice name (`extension[1]:group`).
    ///
    /// ```
    /// let (p, _) = hl7_map::element::ElementPath::parse("extension[1]:group.url")?;
    /// assert_eq!(p.steps()[0].slice(), Some("group"));
    /// # Ok::<(), hl7_map::element::ElementPathError>(())
    /// ```
    pub fn slice(&self) -> Option<&str> {
        self.slice.as_deref()
    }

    /// The referenced resource this step leads into, if any.
    ///
    /// ```
    /// let (p, _) = hl7_map::element::ElementPath::parse("agent[1].who(Organization|Device)")?;
    /// assert_eq!(p.steps()[1].reference().unwrap().types(), ["Organization", "Device"]);
    /// # Ok::<(), hl7_map::element::ElementPathError>(())
    /// ```
    pub fn reference(&self) -> Option<&ResourceStep> {
        self.reference.as_deref()
    }
}

impl ResourceStep {
    /// The resource types allowed (`Organization|Device`).
    ///
    /// ```
    /// let (p, _) = hl7_map::element::ElementPath::parse("location(Location[2].address)")?;
    /// assert_eq!(p.steps()[0].reference().unwrap().types(), ["Location"]);
    /// # Ok::<(), hl7_map::element::ElementPathError>(())
    /// ```
    pub fn types(&self) -> &[String] {
        &self.types
    }

    /// Which instance of the referenced resource.
    ///
    /// ```
    /// let (p, _) = hl7_map::element::ElementPath::parse("location(Location[2].address)")?;
    /// assert_eq!(p.steps()[0].reference().unwrap().index(), hl7_map::element::Index::Nth(2));
    /// # Ok::<(), hl7_map::element::ElementPathError>(())
    /// ```
    pub fn index(&self) -> Index {
        self.index
    }

    /// The path inside the referenced resource (empty: the reference itself).
    ///
    /// ```
    /// let (p, _) = hl7_map::element::ElementPath::parse("location(Location[2].address)")?;
    /// assert_eq!(p.steps()[0].reference().unwrap().path().to_string(), "address");
    /// # Ok::<(), hl7_map::element::ElementPathError>(())
    /// ```
    pub fn path(&self) -> &ElementPath {
        &self.path
    }
}

impl fmt::Display for ElementPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (n, s) in self.steps.iter().enumerate() {
            if n > 0 {
                f.write_str(".")?;
            }
            write!(f, "{}{}", s.name, s.index)?;
            if let Some(slice) = &s.slice {
                write!(f, ":{slice}")?;
            }
            if let Some(r) = &s.reference {
                write!(f, "({}{}", r.types.join("|"), r.index)?;
                if !r.path.is_empty() {
                    write!(f, ".{}", r.path)?;
                }
                f.write_str(")")?;
            }
        }
        Ok(())
    }
}

struct Cursor<'a> {
    text: &'a str,
    at: usize,
}

impl Cursor<'_> {
    fn fail(&self) -> ElementPathError {
        ElementPathError { offset: self.at, too_deep: false }
    }

    fn peek(&self) -> Option<u8> {
        self.text.as_bytes().get(self.at).copied()
    }

    fn eat(&mut self, b: u8) -> bool {
        let hit = self.peek() == Some(b);
        if hit {
            self.at += 1;
        }
        hit
    }

    fn word(&mut self) -> String {
        let start = self.at;
        while self.peek().is_some_and(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'$') {
            self.at += 1;
        }
        self.text.get(start..self.at).unwrap_or_default().to_owned()
    }

    fn number(&mut self) -> Result<u32, ElementPathError> {
        let start = self.at;
        while self.peek().is_some_and(|b| b.is_ascii_digit()) {
            self.at += 1;
        }
        self.text.get(start..self.at).and_then(|d| d.parse().ok()).ok_or_else(|| self.fail())
    }

    fn index(&mut self) -> Result<Index, ElementPathError> {
        if !self.eat(b'[') {
            return Ok(Index::Unspecified);
        }
        let index = if self.text.get(self.at..).is_some_and(|t| t.starts_with("each")) {
            self.at += 4;
            Index::Each
        } else {
            let first = self.number()?;
            if self.eat(b'-') {
                Index::Range(first, self.number()?)
            } else {
                Index::Nth(first)
            }
        };
        if !self.eat(b']') {
            return Err(self.fail());
        }
        Ok(index)
    }

    fn path(&mut self, depth: usize) -> Result<ElementPath, ElementPathError> {
        let mut steps = Vec::new();
        loop {
            let name = self.word();
            let index = self.index()?;
            if name.is_empty() && (index == Index::Unspecified || !steps.is_empty()) {
                return Err(self.fail());
            }
            let slice = if self.eat(b':') {
                let s = self.word();
                if s.is_empty() {
                    return Err(self.fail());
                }
                Some(s)
            } else {
                None
            };
            // The IG sometimes writes `organization.(Organization)`: the dot is noise.
            if self.peek() == Some(b'.') && self.text.as_bytes().get(self.at + 1) == Some(&b'(') {
                self.at += 1;
            }
            let reference = if self.eat(b'(') { Some(Box::new(self.resource(depth + 1)?)) } else { None };
            steps.push(Step { name, index, slice, reference });
            if !self.eat(b'.') {
                return Ok(ElementPath { steps });
            }
        }
    }

    fn resource(&mut self, depth: usize) -> Result<ResourceStep, ElementPathError> {
        if depth > MAX_DEPTH {
            return Err(ElementPathError { offset: self.at, too_deep: true });
        }
        let mut types = vec![self.word()];
        while self.eat(b'|') {
            types.push(self.word());
        }
        if types.iter().any(|t| !t.starts_with(|c: char| c.is_ascii_uppercase())) {
            return Err(self.fail());
        }
        let index = self.index()?;
        let path = if self.eat(b'.') { self.path(depth)? } else { ElementPath::default() };
        if !self.eat(b')') {
            return Err(self.fail());
        }
        Ok(ResourceStep { types, index, path })
    }
}
