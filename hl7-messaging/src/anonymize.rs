//! Anonymization, default-deny: every value not on an allow-list of coded, non-identifying fields
//! is replaced by a surrogate of the same shape.
//!
//! Maintainer notes:
//! - **Default-deny by construction.** [`Anonymizer::anonymize`] first replaces *every* letter,
//!   digit and non-ASCII byte of the input (the safety net: bytes of a message that does not
//!   parse, log text, junk between frames), then restores only what the rules allow: segment ids,
//!   MSH-1/MSH-2 (and FHS/BHS), a UTF-8 byte order mark, and the fields the rules file keeps.
//!   Every other leaf (subcomponent) is written again: dates shifted, the rest as surrogates.
//! - **Same length, same shape.** A surrogate has the length of the value: letters stay letters of
//!   the same case, digits stay digits, other ASCII bytes (spaces, punctuation, the HL7 null `""`)
//!   stay as they are, escape sequences stay valid (`\T\`, `\.br\`, `\C..\`, `\M..\` kept; `\X..\`
//!   gets other hex digits that decode to letters; `\Z..\` is replaced like text). Delimiters,
//!   terminators, MLLP framing and batch envelopes are untouched, so segment counts and the
//!   repetition/component/subcomponent counts of every field are those of the input. Equal
//!   lengths do reveal the length of each value.
//! - **Charsets.** Non-ASCII characters become ASCII letters (one per byte; in lead-byte charsets
//!   such as Big5 both bytes of a character), so the output is ASCII in any declared charset; MSH-18
//!   is kept. A value holding ISO-2022 escape sequences becomes letters and digits only.
//! - **Pseudonyms.** Surrogates come from a keyed hash (BLAKE3 keyed mode) of the value (each
//!   text run between escape sequences): the same value gives the same surrogate wherever it
//!   occurs, under the same key. Without a key, a random key is drawn for the run.
//! - **Dates** (rule `date`, or any value that is a valid DTM of 8 digits or more) are shifted by a
//!   number of days in ±1..365 taken from the keyed hash of the patient id (PID-3, first
//!   repetition, first component), so the intervals of one patient are kept; precision, time and
//!   UTC offset stay. With `safe_harbor` they are generalised to the year instead (month and day
//!   `01`, time `00`), and years more than 89 years before the reference year become that year −
//!   90 (Safe Harbor's "90 or older").
//! - **ZIP codes** (component 5 of an `address` field) are surrogates; with `safe_harbor` their
//!   first three digits are kept and the rest zeroed (`000` for the restricted prefixes of
//!   `data/anonymize-zip3.txt`).
//! - The rules are data ([`Rules::builtin`] reads `data/anonymize-rules.txt`), checked by tests.

use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::fmt;
use std::collections::HashMap;

use hl7_core::mllp::{self, Decoder, Status};
use hl7_core::types::{Dtm, Precision};
use hl7_core::{Batch, BatchEntry, Delimiters, Message, ParseOptions, Scan, Segment};

/// The rules shipped with the crate.
const RULES: &str = include_str!("../data/anonymize-rules.txt");
/// The restricted three-digit ZIP prefixes shipped with the crate.
const ZIP3: &str = include_str!("../data/anonymize-zip3.txt");
const BOM: &[u8] = b"\xEF\xBB\xBF";

/// What the rules say of a field or component (anything without a rule is replaced).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Rule {
    /// Kept as it is: a coded, non-identifying value.
    Keep,
    /// A date/time: shifted, or generalised to the year.
    Date,
    /// An address (XAD): the ZIP code (component 5) is generalised under Safe Harbor.
    Address,
}

/// A line of a rules file that could not be read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RulesError {
    /// The 1-based line number.
    pub line: usize,
    /// What is wrong.
    pub reason: &'static str,
}

impl fmt::Display for RulesError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "anonymizer rules, line {}: {}", self.line, self.reason)
    }
}

impl std::error::Error for RulesError {}

/// The anonymizer's rules: which fields and components are kept, which are dates and addresses,
/// and the restricted ZIP prefixes.
///
/// ```
/// use hl7_messaging::anonymize::{Rule, Rules};
/// let rules = Rules::builtin();
/// assert_eq!(rules.rule(b"PID", 8, 1), Some(Rule::Keep));
/// assert_eq!(rules.rule(b"PID", 3, 5), Some(Rule::Keep)); // identifier type code
/// assert_eq!(rules.rule(b"PID", 3, 1), None); // the identifier itself is replaced
/// assert_eq!(rules.rule(b"PID", 7, 1), Some(Rule::Date));
/// assert!(Rules::parse("ZPD-1 keep # no", "").is_err()); // Z-segments are always replaced
/// ```
#[derive(Clone, Debug)]
pub struct Rules {
    fields: HashMap<([u8; 3], usize), Rule>,
    components: HashMap<([u8; 3], usize, usize), Rule>,
    restricted_zip3: Vec<[u8; 3]>,
}

impl Rules {
    /// The rules shipped in `data/anonymize-rules.txt` and `data/anonymize-zip3.txt`.
    pub fn builtin() -> Rules {
        // The shipped files are checked by this crate's tests; an empty rule set (replace all) is
        // the safe fallback should they ever not parse.
        Rules::parse(RULES, ZIP3).unwrap_or_else(|_| Rules {
            fields: HashMap::new(),
            components: HashMap::new(),
            restricted_zip3: Vec::new(),
        })
    }

    /// Reads a rules file (`SEG-n[.c] keep|date|address  # why`, one a line) and a list of
    /// restricted ZIP prefixes (three digits a line). `#` starts a comment.
    ///
    /// ```
    /// use hl7_messaging::anonymize::{Rule, Rules};
    /// let rules = Rules::parse("OBX-3 keep # a LOINC code\nPID-7 date", "036\n")?;
    /// assert_eq!(rules.rule(b"OBX", 3, 2), Some(Rule::Keep));
    /// assert!(rules.is_restricted_zip3(b"036"));
    /// # Ok::<(), hl7_messaging::anonymize::RulesError>(())
    /// ```
    pub fn parse(rules: &str, zip3: &str) -> Result<Rules, RulesError> {
        let mut out = Rules { fields: HashMap::new(), components: HashMap::new(), restricted_zip3: Vec::new() };
        for (i, line) in rules.lines().enumerate() {
            let err = |reason| RulesError { line: i + 1, reason };
            let line = line.split('#').next().unwrap_or_default().trim();
            if line.is_empty() {
                continue;
            }
            let mut words = line.split_whitespace();
            let (Some(path), Some(rule), None) = (words.next(), words.next(), words.next()) else {
                return Err(err("expected `SEG-n[.c] RULE`"));
            };
            let rule = match rule {
                "keep" => Rule::Keep,
                "date" => Rule::Date,
                "address" => Rule::Address,
                _ => return Err(err("unknown rule (keep, date, address)")),
            };
            let (seg, rest) = path.split_once('-').ok_or_else(|| err("expected SEG-n"))?;
            let seg: [u8; 3] = seg.as_bytes().try_into().map_err(|_| err("segment id is not 3 characters"))?;
            if !seg.iter().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit()) {
                return Err(err("segment id is not upper-case letters and digits"));
            }
            if seg[0] == b'Z' && rule == Rule::Keep {
                return Err(err("Z-segments are always replaced"));
            }
            let number = |s: &str| s.parse::<usize>().ok().filter(|&n| n > 0).ok_or_else(|| err("bad field number"));
            let duplicate = match rest.split_once('.') {
                Some((f, c)) => out.components.insert((seg, number(f)?, number(c)?), rule).is_some(),
                None => out.fields.insert((seg, number(rest)?), rule).is_some(),
            };
            if duplicate {
                return Err(err("duplicate rule"));
            }
        }
        for (i, line) in zip3.lines().enumerate() {
            let line = line.split('#').next().unwrap_or_default().trim();
            if line.is_empty() {
                continue;
            }
            let prefix: [u8; 3] = line
                .as_bytes()
                .try_into()
                .ok()
                .filter(|p: &[u8; 3]| p.iter().all(u8::is_ascii_digit))
                .ok_or(RulesError { line: i + 1, reason: "expected three digits" })?;
            out.restricted_zip3.push(prefix);
        }
        Ok(out)
    }

    /// The rule for component `component` (1-based) of field `field` of segment `seg`: the
    /// component's rule, else the field's. `None` means replaced. Z-segments have none.
    pub fn rule(&self, seg: &[u8], field: usize, component: usize) -> Option<Rule> {
        let seg: [u8; 3] = seg.try_into().ok()?;
        if seg[0] == b'Z' {
            return None;
        }
        self.components.get(&(seg, field, component)).or_else(|| self.fields.get(&(seg, field))).copied()
    }

    /// Whether a value at this place is kept as it is.
    ///
    /// ```
    /// let rules = hl7_messaging::anonymize::Rules::builtin();
    /// assert!(rules.is_kept(b"MSH", 9, 2));
    /// assert!(!rules.is_kept(b"PID", 5, 1));
    /// ```
    pub fn is_kept(&self, seg: &[u8], field: usize, component: usize) -> bool {
        self.rule(seg, field, component) == Some(Rule::Keep)
    }

    /// Whether a three-digit ZIP prefix is one Safe Harbor turns into `000`.
    pub fn is_restricted_zip3(&self, prefix: &[u8]) -> bool {
        self.restricted_zip3.iter().any(|p| p[..] == *prefix)
    }

    /// Every `(segment, field, component)` kept (component 0: the whole field), for reports.
    ///
    /// ```
    /// let kept = hl7_messaging::anonymize::Rules::builtin().kept();
    /// assert!(kept.contains(&("MSH".to_string(), 9, 0)));
    /// ```
    pub fn kept(&self) -> Vec<(String, usize, usize)> {
        let fields = self.fields.iter().map(|((s, f), r)| (s, *f, 0, r));
        let comps = self.components.iter().map(|((s, f, c), r)| (s, *f, *c, r));
        let mut kept: Vec<_> = fields
            .chain(comps)
            .filter(|(.., r)| **r == Rule::Keep)
            .map(|(s, f, c, _)| (String::from_utf8_lossy(s).into_owned(), f, c))
            .collect();
        kept.sort();
        kept
    }
}

/// Options of an [`Anonymizer`].
///
/// ```
/// let mut options = hl7_messaging::anonymize::AnonymizeOptions::default();
/// options.key = Some(b"site secret".to_vec());
/// options.safe_harbor = true;
/// ```
#[derive(Clone, Debug, Default)]
#[non_exhaustive]
pub struct AnonymizeOptions {
    /// The key of the pseudonyms and date shifts: the same key gives the same surrogates. `None`:
    /// a random key for this anonymizer.
    pub key: Option<Vec<u8>>,
    /// Generalise dates to the year and ZIP codes to three digits (HIPAA Safe Harbor).
    pub safe_harbor: bool,
    /// The year ages are counted to under `safe_harbor` (default: the current year).
    pub reference_year: Option<u16>,
    /// Options for parsing the input.
    pub parse: ParseOptions,
}

/// A failure met while anonymizing: where and what kind, never content. The bytes concerned are
/// still in the output, every letter, digit and non-ASCII byte replaced.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Failure {
    /// Byte offset (0-based) in the input.
    pub offset: usize,
    /// The kind in words.
    pub kind: String,
}

/// The result of [`Anonymizer::anonymize`].
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct Anonymized {
    /// The anonymized bytes (the same length as the input).
    pub bytes: Vec<u8>,
    /// Messages anonymized.
    pub messages: usize,
    /// Messages that did not parse, framing errors and batch count mismatches.
    pub failures: Vec<Failure>,
}

/// Anonymizes files of messages; see the [module docs](self).
///
/// ```
/// use hl7_messaging::anonymize::{AnonymizeOptions, Anonymizer};
/// let mut options = AnonymizeOptions::default();
/// options.key = Some(b"k".to_vec());
/// let anonymizer = Anonymizer::new(&options);
/// let input = b"MSH|^~\\&|APP|FAC|||20240131093000-0500||ADT^A01|C1|P|2.5.1\r\
/// PID|1||12345^^^HOSP^MR||O'Brien\\T\\Sons^Mary||19800115|F\r";
/// let out = anonymizer.anonymize(input);
/// let text = String::from_utf8(out.bytes.clone()).unwrap();
/// assert!(!text.contains("Brien") && !text.contains("12345") && !text.contains("19800115"));
/// assert!(text.contains("|ADT^A01|") && text.contains("|F\r") && text.contains("^MR||"));
/// assert!(text.contains("\\T\\")); // the escape is kept
/// assert_eq!(out.bytes.len(), input.len());
/// assert_eq!(anonymizer.anonymize(input).bytes, out.bytes); // same key, same surrogates
/// ```
#[derive(Clone, Debug)]
pub struct Anonymizer {
    rules: Rules,
    key: [u8; 32],
    safe_harbor: bool,
    reference_year: i64,
    parse: ParseOptions,
}

impl Anonymizer {
    /// An anonymizer with the built-in [`Rules`].
    pub fn new(options: &AnonymizeOptions) -> Anonymizer {
        Anonymizer::with_rules(Rules::builtin(), options)
    }

    /// An anonymizer with the given rules.
    ///
    /// ```
    /// use hl7_messaging::anonymize::{AnonymizeOptions, Anonymizer, Rules};
    /// let rules = Rules::parse("", "")?; // keep nothing
    /// let out = Anonymizer::with_rules(rules, &AnonymizeOptions::default()).anonymize(b"MSH|^~\\&|A|||||||ADT^A01\r");
    /// assert!(!out.bytes.ends_with(b"ADT^A01\r"));
    /// # Ok::<(), hl7_messaging::anonymize::RulesError>(())
    /// ```
    pub fn with_rules(rules: Rules, options: &AnonymizeOptions) -> Anonymizer {
        let key = match &options.key {
            Some(k) => blake3::derive_key("hl7rs anonymize 2024-01 pseudonym key", k),
            None => random_key(),
        };
        let reference_year = options.reference_year.map_or_else(current_year, i64::from);
        Anonymizer { rules, key, safe_harbor: options.safe_harbor, reference_year, parse: options.parse }
    }

    /// Anonymizes one input (a file's bytes): an MLLP capture when its first byte other than
    /// white space is a start block, else a batch file or a file of one or more messages.
    pub fn anonymize(&self, input: &[u8]) -> Anonymized {
        let mut out = Anonymized { bytes: input.to_vec(), messages: 0, failures: Vec::new() };
        self.scrub(&mut out.bytes, input);
        if let Some(bom) = out.bytes.get_mut(..3).filter(|_| input.starts_with(BOM)) {
            bom.copy_from_slice(BOM);
        }
        if input.iter().find(|b| !b.is_ascii_whitespace()) == Some(&mllp::SB) {
            self.anonymize_mllp(input, &mut out);
            return out;
        }
        for entry in Batch::with_options(input, &self.parse).entries() {
            match entry {
                Ok(BatchEntry::Message(msg)) => {
                    out.messages += 1;
                    self.message(&msg, 0, &mut out.bytes);
                }
                Ok(
                    BatchEntry::FileHeader(seg)
                    | BatchEntry::BatchHeader(seg)
                    | BatchEntry::BatchTrailer(seg)
                    | BatchEntry::FileTrailer(seg),
                ) => self.segment(&seg, 0, self.day_shift(b""), Scan::Bytes, &mut out.bytes),
                Ok(_) => {}
                Err(e) => out.failures.push(Failure { offset: e.offset(), kind: e.kind().to_string() }),
            }
        }
        out
    }

    fn anonymize_mllp(&self, input: &[u8], out: &mut Anonymized) {
        let mut decoder = Decoder::new();
        let mut pos = 0;
        let mut last_error = None;
        while let Some(rest) = input.get(pos..) {
            match decoder.finish(rest) {
                Ok(Status::Complete { frame, consumed }) => {
                    let base = pos + frame.start;
                    let payload = rest.get(frame).unwrap_or_default();
                    if mllp::commit_kind(payload).is_none() && !payload.is_empty() {
                        match Message::parse_with(payload, &self.parse) {
                            Ok(msg) => {
                                out.messages += 1;
                                self.message(&msg, base, &mut out.bytes);
                            }
                            Err(e) => {
                                out.failures.push(Failure { offset: base + e.offset(), kind: e.kind().to_string() });
                            }
                        }
                    }
                    pos += consumed;
                }
                Ok(Status::Junk { len, .. }) => pos += len,
                Ok(Status::Partial) => break,
                Err(e) => {
                    if last_error == Some(pos) {
                        break;
                    }
                    last_error = Some(pos);
                    out.failures.push(Failure { offset: e.offset(), kind: e.to_string() });
                }
            }
        }
    }

    /// Rewrites one message in `out` (the message's offsets plus `base` index `out`).
    fn message(&self, msg: &Message<'_>, base: usize, out: &mut [u8]) {
        let patient = msg
            .segment(b"PID")
            .and_then(|s| s.field(3))
            .and_then(|f| f.component(1))
            .map_or(&b""[..], |c| c.as_bytes());
        let shift = self.day_shift(patient);
        for seg in msg.segments() {
            self.segment(&seg, base, shift, msg.scan(), out);
        }
    }

    /// The day shift of a patient: ±1..=365 from the keyed hash of the patient id.
    fn day_shift(&self, patient: &[u8]) -> i64 {
        let mut bytes = [0u8; 8];
        self.stream(b"day shift", patient).fill(&mut bytes);
        let v = i64::try_from(u64::from_le_bytes(bytes) % 730).unwrap_or(0);
        if v < 365 {
            v - 365
        } else {
            v - 364
        }
    }

    /// The keyed pseudo-random stream for a value in a domain.
    fn stream(&self, domain: &[u8], value: &[u8]) -> blake3::OutputReader {
        let mut hasher = blake3::Hasher::new_keyed(&self.key);
        hasher.update(domain);
        hasher.update(&[0]);
        hasher.update(value);
        hasher.finalize_xof()
    }

    /// The safety net: every letter, digit and non-ASCII byte replaced.
    fn scrub(&self, out: &mut [u8], input: &[u8]) {
        let mut stream = self.stream(b"scrub", blake3::hash(input).as_bytes());
        let mut random = [0u8; 4096];
        for chunk in out.chunks_mut(random.len()) {
            stream.fill(&mut random);
            for (b, r) in chunk.iter_mut().zip(random) {
                *b = replace_byte(*b, r);
            }
        }
    }

    fn segment(&self, seg: &Segment<'_>, base: usize, shift: i64, scan: Scan, out: &mut [u8]) {
        let id = seg.id();
        restore(out, base + seg.offset(), id);
        for (i, field) in seg.fields().enumerate() {
            let n = i + 1;
            if seg.is_header() && n <= 2 {
                restore(out, base + field.offset(), field.as_bytes());
                continue;
            }
            let d = field.delimiters();
            for rep in field.repetitions() {
                for (c, comp) in rep.components().enumerate() {
                    let rule = self.rules.rule(id, n, c + 1);
                    match rule {
                        Some(Rule::Keep) => restore(out, base + comp.offset(), comp.as_bytes()),
                        Some(Rule::Address) if c + 1 == 5 && self.safe_harbor => {
                            let at = base + comp.offset();
                            if !self.zip(comp.as_bytes(), out, at) {
                                self.surrogate(comp.as_bytes(), out, at, &d, scan);
                            }
                        }
                        _ => {
                            let date_rule = rule == Some(Rule::Date) && c == 0;
                            for sub in comp.subcomponents() {
                                let at = base + sub.offset();
                                if !self.date(sub.as_bytes(), date_rule, shift, out, at) {
                                    self.surrogate(sub.as_bytes(), out, at, &d, scan);
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /// Writes the surrogate of one value at `at`.
    fn surrogate(&self, v: &[u8], out: &mut [u8], at: usize, d: &Delimiters, scan: Scan) {
        let Some(target) = out.get_mut(at..at + v.len()) else { return };
        let mut stream = self.stream(b"value", v);
        let mut random = alloc::vec![0u8; v.len()];
        stream.fill(&mut random);
        if scan == Scan::Iso2022 && v.contains(&0x1B) {
            // Code switching: two-byte characters may hold delimiter bytes; letters only.
            for (t, r) in target.iter_mut().zip(&random) {
                *t = b'a' + r % 26;
            }
            return;
        }
        let esc = d.escape();
        let mut i = 0;
        while let Some(&b) = v.get(i) {
            let r = random.get(i).copied().unwrap_or(0);
            if scan == Scan::LeadByte && b >= 0x80 {
                // A two-byte character: its trail byte may look like a delimiter.
                for k in i..(i + 2).min(v.len()) {
                    put(target, k, b'a' + random.get(k).copied().unwrap_or(0) % 26);
                }
                i += 2;
                continue;
            }
            if Some(b) == esc {
                let close = v.get(i + 1..).and_then(|rest| rest.iter().position(|&x| Some(x) == esc));
                put(target, i, b);
                if let Some(len) = close {
                    let content = v.get(i + 1..i + 1 + len).unwrap_or_default();
                    let mut written = content.to_vec();
                    escape_content(&mut written, random.get(i + 1..).unwrap_or_default());
                    for (k, w) in written.into_iter().enumerate() {
                        put(target, i + 1 + k, w);
                    }
                    put(target, i + 1 + len, b);
                    i += len + 2;
                } else {
                    i += 1;
                }
                continue;
            }
            put(target, i, replace_byte(b, r));
            i += 1;
        }
    }

    /// Writes a date shifted (or generalised to the year) at `at`; false when `v` is not a date
    /// (a valid DTM; without the `date` rule, one of 8 digits or more).
    fn date(&self, v: &[u8], date_rule: bool, shift: i64, out: &mut [u8], at: usize) -> bool {
        let digits = v.iter().position(|b| !b.is_ascii_digit()).unwrap_or(v.len());
        if v.is_empty() || (!date_rule && digits < 8) {
            return false;
        }
        let Ok(dtm) = Dtm::parse(v) else { return false };
        let Some(target) = out.get_mut(at..at + v.len()) else { return false };
        target.copy_from_slice(v);
        let year = i64::from(dtm.year());
        if self.safe_harbor {
            let year = year.max(self.reference_year - 90);
            write_number(target, 0, year, 4);
            for (k, t) in target.iter_mut().enumerate().skip(4) {
                if t.is_ascii_digit() && k < digits {
                    *t = if k == 5 || k == 7 { b'1' } else { b'0' };
                } else if *t == b'+' || *t == b'-' {
                    break; // the UTC offset stays
                } else if t.is_ascii_digit() {
                    *t = b'0'; // fraction
                }
            }
            return true;
        }
        let (month, day) = match dtm.precision() {
            Precision::Year => (7, 1),
            Precision::Month => (i64::from(dtm.month().unwrap_or(1)), 15),
            _ => (i64::from(dtm.month().unwrap_or(1)), i64::from(dtm.day().unwrap_or(1))),
        };
        let (y, m, d) = civil_from_days(days_from_civil(year, month, day) + shift);
        if !(1..=9999).contains(&y) {
            return false;
        }
        write_number(target, 0, y, 4);
        if dtm.precision() >= Precision::Month {
            write_number(target, 4, m, 2);
        }
        if dtm.precision() >= Precision::Day {
            write_number(target, 6, d, 2);
        }
        true
    }

    /// Writes a ZIP code generalised to three digits (`000` when restricted); false when `v` does
    /// not start with three digits.
    fn zip(&self, v: &[u8], out: &mut [u8], at: usize) -> bool {
        let Some(prefix) = v.get(..3).filter(|p| p.iter().all(u8::is_ascii_digit)) else { return false };
        let Some(target) = out.get_mut(at..at + v.len()) else { return false };
        let restricted = self.rules.is_restricted_zip3(prefix);
        for (k, (t, b)) in target.iter_mut().zip(v).enumerate() {
            *t = match *b {
                b'0'..=b'9' if k < 3 && !restricted => *b,
                b'0'..=b'9' => b'0',
                b if b.is_ascii_alphabetic() || !b.is_ascii() => b'X',
                b => b,
            };
        }
        true
    }
}

/// Writes the input bytes of a view back at `at` in `out`.
fn restore(out: &mut [u8], at: usize, bytes: &[u8]) {
    if let Some(o) = out.get_mut(at..at + bytes.len()) {
        o.copy_from_slice(bytes);
    }
}

fn put(target: &mut [u8], at: usize, b: u8) {
    if let Some(t) = target.get_mut(at) {
        *t = b;
    }
}

/// Letters → letters of the same case, digits → digits, non-ASCII → letters; the rest kept.
fn replace_byte(b: u8, r: u8) -> u8 {
    match b {
        b'a'..=b'z' | 0x80.. => b'a' + r % 26,
        b'A'..=b'Z' => b'A' + r % 26,
        b'0'..=b'9' => b'0' + r % 10,
        _ => b,
    }
}

/// The content of an escape sequence (between the escape characters), rewritten in place: codes
/// without content kept, hex data replaced by the hex of letters, anything else like text.
fn escape_content(content: &mut [u8], random: &[u8]) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    match content.first() {
        Some(b'F' | b'S' | b'T' | b'R' | b'E' | b'P' | b'H' | b'N' | b'C' | b'M' | b'.') | None => {}
        Some(b'X') if content.len() % 2 == 1 && content.iter().skip(1).all(u8::is_ascii_hexdigit) => {
            for (k, pair) in content.get_mut(1..).unwrap_or_default().chunks_mut(2).enumerate() {
                let letter = b'A' + random.get(k).copied().unwrap_or(0) % 26;
                if let [hi, lo] = pair {
                    *hi = HEX.get(usize::from(letter >> 4)).copied().unwrap_or(b'4');
                    *lo = HEX.get(usize::from(letter & 15)).copied().unwrap_or(b'1');
                }
            }
        }
        Some(b'Z') => {
            for (k, b) in content.iter_mut().enumerate().skip(1) {
                *b = replace_byte(*b, random.get(k).copied().unwrap_or(0));
            }
        }
        Some(_) => {
            for (k, b) in content.iter_mut().enumerate() {
                *b = replace_byte(*b, random.get(k).copied().unwrap_or(0));
            }
        }
    }
}

/// Writes `value` as `width` decimal digits at `at`.
fn write_number(target: &mut [u8], at: usize, mut value: i64, width: usize) {
    for k in (0..width).rev() {
        let digit = u8::try_from(value.rem_euclid(10)).unwrap_or(0);
        put(target, at + k, b'0' + digit);
        value /= 10;
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * (m + if m > 2 { -3 } else { 9 }) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The date of a day count since 1970-01-01 (the inverse of [`days_from_civil`]).
fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { yoe + era * 400 + 1 } else { yoe + era * 400 }, m, d)
}

/// A random key for a run without `--key` (the standard library's per-process random hasher keys
/// and the time, hashed).
fn random_key() -> [u8; 32] {
    use std::hash::{BuildHasher, Hasher};
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos());
    let mut seed = Vec::new();
    for i in 0..4u64 {
        let mut h = std::collections::hash_map::RandomState::new().build_hasher();
        h.write_u64(i);
        h.write_u128(nanos);
        seed.extend_from_slice(&h.finish().to_le_bytes());
    }
    blake3::derive_key("hl7rs anonymize random run key", &seed)
}

fn current_year() -> i64 {
    let secs = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs());
    civil_from_days(i64::try_from(secs / 86_400).unwrap_or(0)).0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_round_trip() {
        for z in [-800_000, -1, 0, 1, 19_000, 2_932_896] {
            let (y, m, d) = civil_from_days(z);
            assert_eq!(days_from_civil(y, m, d), z);
        }
        assert_eq!(civil_from_days(days_from_civil(2024, 2, 28) + 1), (2024, 2, 29));
    }

    #[test]
    fn shipped_rules_parse() {
        assert!(Rules::parse(RULES, ZIP3).is_ok());
    }
}
