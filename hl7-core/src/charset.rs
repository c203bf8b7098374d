//! Character sets: MSH-18 names, byte order marks, UTF-8 validity. Decoding text to UTF-8 is the
//! messaging crate's (`hl7_messaging::text`), which resolves the charset once per message.
//!
//! Bytes come first: the parser scans bytes and never decodes on its own. This module says what
//! the bytes are meant to be ([`Charset::from_msh18`]), checks whether they agree
//! ([`Message::charset_report`]).

use crate::message::{Message, Note};

/// A character set named in MSH-18 (HL7 table 0211).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Charset {
    /// `ASCII` / `ISO IR6`: 7-bit ASCII.
    Ascii,
    /// `8859/n` / the ISO IR name of part `n` (1–9, 15).
    Iso8859(u8),
    /// `UNICODE UTF-8` (and the older `UNICODE`, meaning UTF-8 in practice).
    Utf8,
    /// `UNICODE UTF-16`: refused by the byte scanner.
    Utf16,
    /// `UNICODE UTF-32`: refused by the byte scanner.
    Utf32,
    /// `ISO IR14`: JIS X 0201 Roman (single byte).
    JisX0201,
    /// `ISO IR87` (JIS X 0208), `ISO IR159` (JIS X 0212) or `ISO 2022-1994`: ISO-2022-JP code switching.
    Iso2022Jp,
    /// `GB 18030-2000`.
    Gb18030,
    /// `KS X 1001` (EUC-KR).
    KsX1001,
    /// `CNS 11643-1992`.
    Cns11643,
    /// `BIG-5`.
    Big5,
}

impl Charset {
    /// Reads one MSH-18 value by its table 0211 name, exactly (case-insensitive, surrounding spaces
    /// ignored). See [`Charset::from_msh18_lenient`] for the spellings real senders use.
    ///
    /// ```
    /// use hl7_core::Charset;
    /// assert_eq!(Charset::from_msh18(b"UNICODE UTF-8"), Some(Charset::Utf8));
    /// assert_eq!(Charset::from_msh18(b"8859/1"), Some(Charset::Iso8859(1)));
    /// assert_eq!(Charset::from_msh18(b"ISO IR100"), Some(Charset::Iso8859(1)));
    /// assert_eq!(Charset::from_msh18(b"ISO IR87"), Some(Charset::Iso2022Jp));
    /// assert_eq!(Charset::from_msh18(b"ISOIR87"), None);
    /// assert_eq!(Charset::from_msh18(b"EBCDIC"), None);
    /// ```
    pub fn from_msh18(name: &[u8]) -> Option<Charset> {
        let name = name.trim_ascii();
        let mut buf = [0u8; 24];
        let upper = buf.get_mut(..name.len())?;
        upper.copy_from_slice(name);
        upper.make_ascii_uppercase();
        Self::from_upper(upper)
    }

    /// Reads one MSH-18 value as real senders write it: besides the exact table 0211 name, the
    /// same name with spaces, `-` and `_` dropped or moved and in any case (`ISOIR87`, `ISO-IR 87`,
    /// `iso ir87`, `UTF8`, `8859-1`). Returns the charset and whether the name was not the exact
    /// one (a repair the caller should report).
    ///
    /// ```
    /// use hl7_core::Charset;
    /// assert_eq!(Charset::from_msh18_lenient(b"ISO IR87"), Some((Charset::Iso2022Jp, false)));
    /// assert_eq!(Charset::from_msh18_lenient(b"ISOIR87"), Some((Charset::Iso2022Jp, true)));
    /// assert_eq!(Charset::from_msh18_lenient(b"iso-ir_100"), Some((Charset::Iso8859(1), true)));
    /// assert_eq!(Charset::from_msh18_lenient(b"Unicode UTF8"), Some((Charset::Utf8, true)));
    /// assert_eq!(Charset::from_msh18_lenient(b"8859-15"), Some((Charset::Iso8859(15), true)));
    /// assert_eq!(Charset::from_msh18_lenient(b"EBCDIC"), None);
    /// ```
    pub fn from_msh18_lenient(name: &[u8]) -> Option<(Charset, bool)> {
        if let Some(c) = Self::from_msh18(name) {
            return Some((c, false));
        }
        // Compare the names with every space, '-', '_' and '/' removed, upper case.
        let mut buf = [0u8; 32];
        let mut len = 0;
        for &b in name.trim_ascii() {
            if matches!(b, b' ' | b'-' | b'_' | b'/') {
                continue;
            }
            *buf.get_mut(len)? = b.to_ascii_uppercase();
            len += 1;
        }
        let key = buf.get(..len)?;
        let found = LENIENT_NAMES.iter().find(|(squeezed, _)| squeezed.as_bytes() == key).map(|&(_, c)| c);
        let found = found.or_else(|| {
            let part = key.strip_prefix(b"8859")?;
            let n = core::str::from_utf8(part).ok()?.parse::<u8>().ok()?;
            (1..=16).contains(&n).then_some(Charset::Iso8859(n))
        });
        found.map(|c| (c, true))
    }

    fn from_upper(upper: &[u8]) -> Option<Charset> {
        Some(match upper {
            b"ASCII" | b"ISO IR6" | b"US-ASCII" => Charset::Ascii,
            b"UNICODE" | b"UNICODE UTF-8" | b"UTF-8" | b"UTF8" => Charset::Utf8,
            b"UNICODE UTF-16" => Charset::Utf16,
            b"UNICODE UTF-32" => Charset::Utf32,
            b"ISO IR100" => Charset::Iso8859(1),
            b"ISO IR101" => Charset::Iso8859(2),
            b"ISO IR109" => Charset::Iso8859(3),
            b"ISO IR110" => Charset::Iso8859(4),
            b"ISO IR144" => Charset::Iso8859(5),
            b"ISO IR127" => Charset::Iso8859(6),
            b"ISO IR126" => Charset::Iso8859(7),
            b"ISO IR138" => Charset::Iso8859(8),
            b"ISO IR148" => Charset::Iso8859(9),
            b"ISO IR203" => Charset::Iso8859(15),
            b"ISO IR14" => Charset::JisX0201,
            b"ISO IR87" | b"ISO IR159" | b"ISO 2022-1994" => Charset::Iso2022Jp,
            b"GB 18030-2000" | b"GB18030" => Charset::Gb18030,
            b"KS X 1001" => Charset::KsX1001,
            b"CNS 11643-1992" => Charset::Cns11643,
            b"BIG-5" | b"BIG5" => Charset::Big5,
            _ => {
                let part = upper.strip_prefix(b"8859/")?;
                let n = core::str::from_utf8(part).ok()?.parse::<u8>().ok()?;
                if (1..=16).contains(&n) {
                    Charset::Iso8859(n)
                } else {
                    return None;
                }
            }
        })
    }

    /// Whether bytes 0x00–0x7F mean ASCII in this charset outside of escape sequences (true for
    /// all but UTF-16/32).
    pub fn ascii_compatible(self) -> bool {
        !matches!(self, Charset::Utf16 | Charset::Utf32)
    }
}

/// Table 0211 names with spaces, `-`, `_` and `/` removed, for [`Charset::from_msh18_lenient`].
const LENIENT_NAMES: &[(&str, Charset)] = &[
    ("ASCII", Charset::Ascii),
    ("ISOIR6", Charset::Ascii),
    ("USASCII", Charset::Ascii),
    ("UNICODE", Charset::Utf8),
    ("UNICODEUTF8", Charset::Utf8),
    ("UTF8", Charset::Utf8),
    ("UNICODEUTF16", Charset::Utf16),
    ("UTF16", Charset::Utf16),
    ("UNICODEUTF32", Charset::Utf32),
    ("UTF32", Charset::Utf32),
    ("ISOIR100", Charset::Iso8859(1)),
    ("ISOIR101", Charset::Iso8859(2)),
    ("ISOIR109", Charset::Iso8859(3)),
    ("ISOIR110", Charset::Iso8859(4)),
    ("ISOIR144", Charset::Iso8859(5)),
    ("ISOIR127", Charset::Iso8859(6)),
    ("ISOIR126", Charset::Iso8859(7)),
    ("ISOIR138", Charset::Iso8859(8)),
    ("ISOIR148", Charset::Iso8859(9)),
    ("ISOIR203", Charset::Iso8859(15)),
    ("ISOIR14", Charset::JisX0201),
    ("ISOIR87", Charset::Iso2022Jp),
    ("ISOIR159", Charset::Iso2022Jp),
    ("ISO20221994", Charset::Iso2022Jp),
    ("ISO2022", Charset::Iso2022Jp),
    ("GB180302000", Charset::Gb18030),
    ("GB18030", Charset::Gb18030),
    ("KSX1001", Charset::KsX1001),
    ("CNS116431992", Charset::Cns11643),
    ("BIG5", Charset::Big5),
];

/// What a message says about its charset and whether its bytes agree.
///
/// ```
/// use hl7_core::{Charset, Message};
/// let msg = Message::parse("MSH|^~\\&|A|||||||||2.5||||||ASCII\rPID|1||||Müller\r".as_bytes()).unwrap();
/// let r = msg.charset_report();
/// assert_eq!(r.declared, Some(Charset::Ascii));
/// assert!(r.utf8_valid && r.has_non_ascii && r.mismatch);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[allow(clippy::struct_excessive_bools)]
#[non_exhaustive]
pub struct CharsetReport {
    /// The first MSH-18 repetition (the default charset), if present and known (leniently: see
    /// [`Charset::from_msh18_lenient`]). `None` when it is empty: the message is then ASCII, with any
    /// further repetitions as code extensions.
    pub declared: Option<Charset>,
    /// An MSH-18 value is present but not a known name, even leniently.
    pub unknown_name: bool,
    /// An MSH-18 name was known only after leniency (`ISOIR87` for `ISO IR87`): a repair to report.
    pub name_repaired: bool,
    /// Any MSH-18 repetition names an ISO 2022 code-switching set (ISO IR87 …), or MSH-20 names
    /// `ISO 2022-1994` (the SS-MIX2 convention of an empty first MSH-18 and `ISO IR87` second).
    pub iso2022: bool,
    /// The input starts with a UTF-8 BOM.
    pub bom: bool,
    /// The message bytes are valid UTF-8.
    pub utf8_valid: bool,
    /// The message has bytes ≥ 0x80.
    pub has_non_ascii: bool,
    /// The bytes contradict the declaration (non-ASCII under ASCII, invalid UTF-8 under UTF-8, or
    /// a BOM under a non-Unicode charset).
    pub mismatch: bool,
}

/// Whether the message declares a charset whose trail bytes may look like delimiters.
pub(crate) fn declares_lead_byte_charset(msg: &Message<'_>) -> bool {
    msh18_charsets(msg).any(|c| matches!(c, Some((Charset::Big5 | Charset::Gb18030 | Charset::Cns11643, _))))
}

/// Each non-empty MSH-18 repetition, read leniently.
fn msh18_charsets<'m>(msg: &Message<'m>) -> impl Iterator<Item = Option<(Charset, bool)>> + 'm {
    let field = msg.segments().next().filter(|s| s.id() == b"MSH").and_then(|s| s.field(18));
    field
        .into_iter()
        .flat_map(|f| f.repetitions())
        .filter(|r| !r.is_empty())
        .map(|r| Charset::from_msh18_lenient(r.as_bytes()))
}

impl Message<'_> {
    /// Every note about this message: the parser's skips and repairs ([`crate::ParseNotes::iter`])
    /// and, last, an MSH-18 charset name read only leniently ([`Note::CharsetNameRepaired`]). This is
    /// what callers report (the CLI on stderr, the JSON tree, validation as warnings).
    ///
    /// ```
    /// use hl7_core::{Message, Note};
    /// let msg = Message::parse(b"MSH|^~\\&&|A|||||||||2.5||||||ISOIR100\r")?;
    /// let kinds: Vec<&str> = msg.all_notes().map(|n| n.kind()).collect();
    /// assert_eq!(kinds, ["encoding_repair", "charset_name_repaired"]);
    /// # Ok::<(), hl7_core::ParseError>(())
    /// ```
    pub fn all_notes(&self) -> impl Iterator<Item = Note> + '_ {
        self.notes().iter().chain(self.charset_name_repair().map(|offset| Note::CharsetNameRepaired { offset }))
    }

    /// Offset of the first MSH-18 repetition whose name is known only leniently.
    fn charset_name_repair(&self) -> Option<usize> {
        let msh = self.segments().next().filter(|s| s.id() == b"MSH")?;
        msh.field(18)?
            .repetitions()
            .filter(|r| !r.is_empty())
            .find(|r| matches!(Charset::from_msh18_lenient(r.as_bytes()), Some((_, true))))
            .map(|r| r.offset())
    }

    /// Reads MSH-18 (and MSH-20) and checks the bytes against them.
    ///
    /// ```
    /// use hl7_core::{Charset, Message};
    /// // SS-MIX2: first MSH-18 repetition empty (ASCII), ISO IR87 second, MSH-20 ISO 2022-1994.
    /// let msg = Message::parse(b"MSH|^~\\&|A|||||||||2.5||||||~ISOIR87||ISO 2022-1994\r")?;
    /// let r = msg.charset_report();
    /// assert_eq!(r.declared, None);
    /// assert!(r.iso2022 && r.name_repaired && !r.unknown_name);
    /// # Ok::<(), hl7_core::ParseError>(())
    /// ```
    pub fn charset_report(&self) -> CharsetReport {
        let bytes = self.as_bytes();
        let msh = self.segments().next().filter(|s| s.id() == b"MSH");
        let first = msh.and_then(|s| s.field(18)).and_then(|f| f.repetition(1)).filter(|r| !r.is_empty());
        let first = first.map(|r| Charset::from_msh18_lenient(r.as_bytes()));
        let declared = first.flatten().map(|(c, _)| c);
        let (mut unknown_name, mut name_repaired, mut iso2022) = (false, false, false);
        for c in msh18_charsets(self) {
            match c {
                None => unknown_name = true,
                Some((charset, repaired)) => {
                    name_repaired |= repaired;
                    iso2022 |= charset == Charset::Iso2022Jp;
                }
            }
        }
        let msh20 = msh.and_then(|s| s.field(20)).into_iter().flat_map(|f| f.repetitions());
        iso2022 |=
            msh20.filter_map(|r| Charset::from_msh18_lenient(r.as_bytes())).any(|(c, _)| c == Charset::Iso2022Jp);
        let utf8_valid = core::str::from_utf8(bytes).is_ok();
        let has_non_ascii = !bytes.is_ascii();
        let bom = self.notes().bom;
        let mismatch = match declared {
            Some(Charset::Ascii) => has_non_ascii,
            Some(Charset::Utf8) => !utf8_valid,
            Some(_) => bom,
            None => false,
        };
        CharsetReport { declared, unknown_name, name_repaired, iso2022, bom, utf8_valid, has_non_ascii, mismatch }
    }
}
