//! Values as UTF-8 text: escapes decoded, then the message's charset.
//!
//! A [`TextDecoder`] is made once per message: it reads MSH-18 (and MSH-20) and checks the bytes
//! once, then decodes any number of values without looking at the whole message again. Decoding
//! borrows when the bytes are already valid UTF-8 in a UTF-8 or ASCII message.
//!
//! Without a declaration, a message whose bytes are all valid UTF-8 is read as UTF-8; otherwise
//! each value is read as UTF-8 when it is valid and as windows-1252 (the WHATWG superset of
//! Latin-1) when it is not.

use alloc::borrow::Cow;
use core::fmt;

use encoding_rs::Encoding;
use hl7_core::{Charset, CharsetReport, Message, Value};

/// The `encoding_rs` decoder for a charset; `None` where `encoding_rs` has no match (CNS 11643,
/// JIS X 0201, UTF-32).
///
/// ```
/// use hl7_core::Charset;
/// use hl7_messaging::text::encoding_for;
/// assert_eq!(encoding_for(Charset::Iso8859(1)).unwrap().name(), "windows-1252");
/// assert_eq!(encoding_for(Charset::Iso2022Jp).unwrap().name(), "ISO-2022-JP");
/// assert!(encoding_for(Charset::Utf32).is_none());
/// ```
pub fn encoding_for(charset: Charset) -> Option<&'static Encoding> {
    use encoding_rs as e;
    Some(match charset {
        // WHATWG maps the latin-1 label to windows-1252, a superset for printable text.
        Charset::Ascii | Charset::Iso8859(1) => e::WINDOWS_1252,
        Charset::Iso8859(2) => e::ISO_8859_2,
        Charset::Iso8859(3) => e::ISO_8859_3,
        Charset::Iso8859(4) => e::ISO_8859_4,
        Charset::Iso8859(5) => e::ISO_8859_5,
        Charset::Iso8859(6) => e::ISO_8859_6,
        Charset::Iso8859(7) => e::ISO_8859_7,
        Charset::Iso8859(8) => e::ISO_8859_8,
        Charset::Iso8859(9) => e::WINDOWS_1254,
        Charset::Iso8859(15) => e::ISO_8859_15,
        Charset::Utf8 => e::UTF_8,
        Charset::Utf16 => e::UTF_16LE,
        Charset::Iso2022Jp => e::ISO_2022_JP,
        Charset::Gb18030 => e::GB18030,
        Charset::KsX1001 => e::EUC_KR,
        Charset::Big5 => e::BIG5,
        _ => return None,
    })
}

/// Decodes the values of one message to UTF-8 text; the charset is resolved once, at
/// construction. `Debug` names the encoding only.
///
/// ```
/// use hl7_core::Message;
/// use hl7_messaging::TextDecoder;
/// let msg = Message::parse(b"MSH|^~\\&|A|||||||||2.5||||||8859/1\rPID|1||||M\xfcller\r")?;
/// let text = TextDecoder::new(&msg);
/// assert_eq!(text.encoding().map(|e| e.name()), Some("windows-1252"));
/// let (name, malformed) = text.decode(msg.query("PID-5")?.unwrap().as_bytes());
/// assert_eq!((&*name, malformed), ("Müller", false));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Copy)]
pub struct TextDecoder {
    /// `None`: no usable declaration and the message is not valid UTF-8 as a whole, so each value
    /// is sniffed (UTF-8 when valid, else windows-1252).
    encoding: Option<&'static Encoding>,
    /// The charset name was known only leniently (`ISOIR87`): a repair to report.
    name_repaired: bool,
}

impl TextDecoder {
    /// The decoder for `msg`: reads its charset declaration and checks its bytes once.
    ///
    /// ```
    /// use hl7_messaging::TextDecoder;
    /// let msg = hl7_core::Message::parse("MSH|^~\\&|A\rPID|1||||Zoë\r".as_bytes())?;
    /// assert_eq!(TextDecoder::new(&msg).encoding().map(|e| e.name()), Some("UTF-8"));
    /// # Ok::<(), hl7_core::ParseError>(())
    /// ```
    pub fn new(msg: &Message<'_>) -> TextDecoder {
        TextDecoder::from_report(&msg.charset_report())
    }

    /// The decoder for a message whose [`CharsetReport`] the caller already has.
    ///
    /// ```
    /// use hl7_messaging::TextDecoder;
    /// let msg = hl7_core::Message::parse(b"MSH|^~\\&|A\rPID|1||||M\xfcller\r")?;
    /// let text = TextDecoder::from_report(&msg.charset_report());
    /// assert_eq!(text.encoding(), None); // undeclared and not UTF-8: each value is sniffed
    /// assert_eq!(text.decode(b"M\xfcller").0, "Müller");
    /// # Ok::<(), hl7_core::ParseError>(())
    /// ```
    pub fn from_report(report: &CharsetReport) -> TextDecoder {
        let declared = if report.iso2022 { Some(Charset::Iso2022Jp) } else { report.declared };
        let encoding = match declared.and_then(encoding_for) {
            Some(e) => Some(e),
            None if report.utf8_valid => Some(encoding_rs::UTF_8),
            None => None,
        };
        TextDecoder { encoding, name_repaired: report.name_repaired }
    }

    /// A decoder for one fixed encoding (a site that knows better than the header).
    ///
    /// ```
    /// use hl7_messaging::TextDecoder;
    /// let text = TextDecoder::with_encoding(encoding_rs::ISO_8859_2);
    /// assert_eq!(text.decode(b"\xb3").0, "ł");
    /// ```
    pub fn with_encoding(encoding: &'static Encoding) -> TextDecoder {
        TextDecoder { encoding: Some(encoding), name_repaired: false }
    }

    /// Whether the message's charset name (MSH-18) was read only leniently (`ISOIR87` for
    /// `ISO IR87`, `utf8` for `UNICODE UTF-8`): a repair that callers report.
    ///
    /// ```
    /// use hl7_messaging::TextDecoder;
    /// let msg = hl7_core::Message::parse(b"MSH|^~\\&|A|||||||||2.5||||||iso-ir 100\r")?;
    /// let text = TextDecoder::new(&msg);
    /// assert!(text.charset_name_repaired());
    /// assert_eq!(text.encoding().map(|e| e.name()), Some("windows-1252"));
    /// # Ok::<(), hl7_core::ParseError>(())
    /// ```
    pub fn charset_name_repaired(&self) -> bool {
        self.name_repaired
    }

    /// The encoding every value is decoded with; `None` when each value is sniffed (UTF-8 when
    /// valid, else windows-1252).
    ///
    /// ```
    /// use hl7_messaging::TextDecoder;
    /// let msg = hl7_core::Message::parse(b"MSH|^~\\&|A|||||||||2.5||||||ISO IR87\r")?;
    /// assert_eq!(TextDecoder::new(&msg).encoding().map(|e| e.name()), Some("ISO-2022-JP"));
    /// # Ok::<(), hl7_core::ParseError>(())
    /// ```
    pub fn encoding(&self) -> Option<&'static Encoding> {
        self.encoding
    }

    /// Decodes raw bytes (no escape decoding) to text. Returns the text and whether any byte was
    /// malformed (replaced by U+FFFD). Borrows when the bytes are already UTF-8 text.
    ///
    /// ```
    /// use hl7_messaging::TextDecoder;
    /// let text = TextDecoder::with_encoding(encoding_rs::UTF_8);
    /// let (s, malformed) = text.decode(b"a\xffb");
    /// assert_eq!((&*s, malformed), ("a\u{fffd}b", true));
    /// ```
    pub fn decode<'b>(&self, raw: &'b [u8]) -> (Cow<'b, str>, bool) {
        let encoding = match self.encoding {
            Some(e) => e,
            None if core::str::from_utf8(raw).is_ok() => encoding_rs::UTF_8,
            None => encoding_rs::WINDOWS_1252,
        };
        encoding.decode_without_bom_handling(raw)
    }

    /// A value as text: its escapes decoded with the message's delimiters, then its bytes decoded.
    /// Malformed bytes become U+FFFD (use [`TextDecoder::decode`] to learn whether there were any).
    ///
    /// ```
    /// use hl7_core::Message;
    /// use hl7_messaging::TextDecoder;
    /// let msg = Message::parse(b"MSH|^~\\&|A\rOBX|1|TX|||a\\F\\b\r")?;
    /// let text = TextDecoder::new(&msg);
    /// assert_eq!(text.value(msg.query("OBX-5")?.unwrap()), "a|b");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn value<'b>(&self, value: impl Into<Value<'b>>) -> Cow<'b, str> {
        match value.into().to_cow() {
            Cow::Borrowed(raw) => self.decode(raw).0,
            Cow::Owned(bytes) => Cow::Owned(self.decode(&bytes).0.into_owned()),
        }
    }
}

impl fmt::Debug for TextDecoder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TextDecoder")
            .field("encoding", &self.encoding.map(Encoding::name))
            .field("name_repaired", &self.name_repaired)
            .finish()
    }
}
