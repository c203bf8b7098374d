//! Profiles of message streams: "what does this site really send?"
//!
//! A [`Profile`] reads files, batch files and MLLP captures ([`Profile::add_input`]) or single
//! messages ([`Profile::add_message`]) and keeps only counters: message types × versions, charsets
//! declared and detected, delimiters and terminators, the segment inventory and segment orders,
//! per field how often it is valued and repeated, and lengths as [`LengthHistogram`]s.
//!
//! Maintainer notes:
//! - **Memory is bounded.** Nothing grows with the number of messages: every map is capped
//!   ([`ProfileOptions::max_keys`], [`ProfileOptions::max_variants`], [`ProfileOptions::max_fields`],
//!   [`ProfileOptions::max_failures`]; what does not fit is counted under `(other)`), and medians
//!   and 95th percentiles come from a fixed-size histogram (exact below 32 bytes, then four buckets
//!   per power of two), never from stored values.
//! - **No field values (PHI).** The profile holds ids, counts, lengths and codes that pass a shape
//!   check: MSH-9.1/9.2 (upper-case letters, digits, `_`, at most 7), MSH-12 (digits and dots),
//!   MSH-18 as the name of a known charset, and the delimiter characters. Anything else is
//!   `(other)`; segment ids that are not three upper-case letters or digits are `(invalid)`.
//!   Lengths are raw byte lengths (escapes not decoded).

use alloc::collections::BTreeMap;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use std::collections::HashMap;

use hl7_core::mllp::{self, Decoder, Status};
use hl7_core::types::Dtm;
use hl7_core::{Batch, BatchEntry, Charset, Message, ParseOptions, Segment};
use serde_json::{json, Map, Value};

/// The label for a value outside the allow-list or past a cap.
const OTHER: &str = "(other)";
/// Buckets of [`LengthHistogram`]: 32 exact lengths, then four per power of two from 32 to 2^32
/// (longer lengths share the last bucket).
const BUCKETS: usize = 32 + 27 * 4;
/// The timestamp fields profiled for UTC offsets (segment, field).
const TIMESTAMPS: [(&[u8; 3], usize); 4] = [(b"MSH", 7), (b"EVN", 2), (b"OBX", 14), (b"PID", 7)];

/// Caps of a [`Profile`] (what keeps memory bounded) and the parse options used by
/// [`Profile::add_input`].
///
/// ```
/// let mut options = hl7_messaging::profile::ProfileOptions::default();
/// options.top_variants = 5;
/// assert_eq!(options.max_fields, 256);
/// ```
#[derive(Clone, Copy, Debug)]
#[non_exhaustive]
pub struct ProfileOptions {
    /// Distinct keys kept per table (message types, segment ids, charsets, delimiters, failure
    /// kinds); further keys are counted under `(other)`.
    pub max_keys: usize,
    /// Distinct segment orders kept per message type; further ones are counted as `other`.
    pub max_variants: usize,
    /// Segment orders listed per message type in the output (the most frequent).
    pub top_variants: usize,
    /// Fields profiled per segment (fields past it are counted in `fields_past_cap`).
    pub max_fields: usize,
    /// Parse failures listed with source and offset (all are counted by kind).
    pub max_failures: usize,
    /// Options for parsing the messages of [`Profile::add_input`].
    pub parse: ParseOptions,
}

impl Default for ProfileOptions {
    fn default() -> Self {
        ProfileOptions {
            max_keys: 1000,
            max_variants: 256,
            top_variants: 10,
            max_fields: 256,
            max_failures: 100,
            parse: ParseOptions::default(),
        }
    }
}

/// A fixed-size histogram of lengths: exact below 32, then four buckets per power of two (each
/// spanning an eighth to a quarter of its lengths); quantiles above 32 are the upper end of their
/// bucket, capped at the maximum seen, so at most 25% above the true value.
///
/// ```
/// use hl7_messaging::profile::LengthHistogram;
/// let mut h = LengthHistogram::default();
/// for len in [3, 5, 5, 7, 100] {
///     h.record(len);
/// }
/// assert_eq!((h.min(), h.max(), h.count()), (Some(3), Some(100), 5));
/// assert_eq!(h.quantile(0.5), Some(5));
/// assert_eq!(h.quantile(0.95), Some(100)); // bucket 96..=111, capped at the maximum
/// ```
#[derive(Clone, Debug)]
pub struct LengthHistogram {
    buckets: [u64; BUCKETS],
    count: u64,
    min: usize,
    max: usize,
}

impl Default for LengthHistogram {
    fn default() -> Self {
        LengthHistogram { buckets: [0; BUCKETS], count: 0, min: usize::MAX, max: 0 }
    }
}

fn bucket_of(len: usize) -> usize {
    if len < 32 {
        len
    } else {
        // Exponent e ≥ 5, then the two bits below the top one: 32..=39 → 32, 40..=47 → 33, …
        let e = (usize::BITS - 1 - len.leading_zeros()) as usize;
        let sub = (len >> (e - 2)) & 3;
        (32 + (e - 5) * 4 + sub).min(BUCKETS - 1)
    }
}

/// The largest length that falls into bucket `b`.
fn bucket_top(b: usize) -> usize {
    if b < 32 {
        return b;
    }
    if b == BUCKETS - 1 {
        return usize::MAX;
    }
    let e = (b - 32) / 4 + 5;
    let sub = (b - 32) % 4;
    ((4 + sub + 1) << (e - 2)) - 1
}

impl LengthHistogram {
    /// Counts one length.
    #[inline]
    pub fn record(&mut self, len: usize) {
        if let Some(b) = self.buckets.get_mut(bucket_of(len)) {
            *b += 1;
        }
        self.count += 1;
        self.min = self.min.min(len);
        self.max = self.max.max(len);
    }

    /// How many lengths were recorded.
    pub fn count(&self) -> u64 {
        self.count
    }

    /// The smallest length, if any.
    pub fn min(&self) -> Option<usize> {
        (self.count > 0).then_some(self.min)
    }

    /// The largest length, if any.
    pub fn max(&self) -> Option<usize> {
        (self.count > 0).then_some(self.max)
    }

    /// The `q` quantile (0.0–1.0): exact below 32, else the top of its bucket capped at
    /// [`LengthHistogram::max`].
    pub fn quantile(&self, q: f64) -> Option<usize> {
        if self.count == 0 {
            return None;
        }
        // Rank of the quantile, 1-based (nearest-rank method).
        #[allow(clippy::cast_precision_loss, clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let rank = ((q.clamp(0.0, 1.0) * self.count as f64).ceil() as u64).max(1);
        let mut seen = 0;
        for (b, n) in self.buckets.iter().enumerate() {
            seen += n;
            if seen >= rank {
                return Some(bucket_top(b).clamp(self.min, self.max));
            }
        }
        Some(self.max)
    }

    fn to_json(&self) -> Value {
        json!({ "min": self.min(), "median": self.quantile(0.5), "p95": self.quantile(0.95), "max": self.max() })
    }
}

#[derive(Clone, Debug, Default)]
struct FieldStats {
    valued: u64,
    repeated: u64,
    max_repetitions: usize,
    lengths: LengthHistogram,
}

#[derive(Clone, Debug)]
struct SegmentStats {
    count: u64,
    min_fields: usize,
    max_fields: usize,
    fields_past_cap: u64,
    fields: Vec<FieldStats>,
}

impl Default for SegmentStats {
    fn default() -> Self {
        SegmentStats { count: 0, min_fields: usize::MAX, max_fields: 0, fields_past_cap: 0, fields: Vec::new() }
    }
}

#[derive(Clone, Copy, Debug, Default)]
struct CharsetStats {
    messages: u64,
    non_ascii: u64,
    utf8_valid: u64,
    mismatch: u64,
}

#[derive(Clone, Copy, Debug, Default)]
struct TimestampStats {
    with_offset: u64,
    without_offset: u64,
    invalid: u64,
}

#[derive(Clone, Debug, Default)]
struct Variants {
    sequences: HashMap<String, u64>,
    other: u64,
}

/// A parse failure: where (source and byte offset in it) and what kind, never content.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Failure {
    /// The source name given to [`Profile::add_input`].
    pub source: String,
    /// Byte offset (0-based) in that source.
    pub offset: usize,
    /// The error kind in words (`ErrorKind`'s or the MLLP decoder's `Display`).
    pub kind: String,
}

/// Counters over a stream of messages; see the [module docs](self).
///
/// ```
/// use hl7_messaging::profile::Profile;
/// let mut profile = Profile::default();
/// let file = b"MSH|^~\\&|A|B|C|D|20240101120000-0500||ADT^A01|1|P|2.5.1\rPID|1||X||DOE^JANE\r\r\
/// MSH|^~\\&|A|B|C|D|20240101||ADT^A08|2|P|2.5.1\rPID|1||Y\rZPI|a|b|c\r";
/// profile.add_input("site.hl7", file);
/// profile.add_input("bad.hl7", b"no header here");
/// assert_eq!(profile.messages(), 2);
/// assert_eq!(profile.failure_count(), 1);
/// let doc = profile.to_json();
/// assert_eq!(doc["message_types"][0]["type"], "ADT^A01");
/// let pid_fields = doc["segments"][1]["fields"].as_array().unwrap();
/// assert!(pid_fields.iter().any(|f| f["field"] == "PID-5" && f["valued"] == 1 && f["rate"] == 0.5));
/// assert_eq!(doc["timestamps"][0]["with_offset"], 1);
/// assert_eq!(doc["z_segments"][0]["id"], "ZPI");
/// assert!(!doc.to_string().contains("DOE"));
/// ```
#[derive(Clone, Debug, Default)]
pub struct Profile {
    options: ProfileOptions,
    inputs: u64,
    bytes: u64,
    messages: u64,
    failures: Vec<Failure>,
    failure_count: u64,
    failure_kinds: BTreeMap<String, u64>,
    types: HashMap<(String, String), u64>,
    charsets: BTreeMap<String, CharsetStats>,
    delimiters: BTreeMap<String, u64>,
    terminators: [u64; 4],
    segments: HashMap<[u8; 3], SegmentStats>,
    variants: HashMap<String, Variants>,
    sizes: LengthHistogram,
    timestamps: [TimestampStats; TIMESTAMPS.len()],
    mllp_frames: u64,
    commit_acks: u64,
    skipped_bytes: u64,
    envelope_segments: u64,
    sequence: String,
}

/// Inserts or bumps `key` in a capped map; past the cap the count goes to `(other)`.
fn bump<K: Ord>(map: &mut BTreeMap<K, u64>, key: K, cap: usize, other: impl FnOnce() -> K) {
    if let Some(n) = map.get_mut(&key) {
        *n += 1;
    } else if map.len() < cap {
        map.insert(key, 1);
    } else {
        *map.entry(other()).or_default() += 1;
    }
}

/// A code of the allow-list, or `(other)`/`(empty)`: letters, digits and `_` only (`upper`: only
/// upper-case letters), at most `max` bytes; `extra` is one more byte allowed (`.` for versions).
fn code(bytes: &[u8], max: usize, extra: u8) -> &str {
    if bytes.is_empty() {
        return "(empty)";
    }
    let ok = bytes.len() <= max && bytes.iter().all(|&b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == extra);
    if ok {
        core::str::from_utf8(bytes).unwrap_or(OTHER)
    } else {
        OTHER
    }
}

/// Appends a segment id as text if it looks like one (three upper-case letters or digits), without
/// allocating (this runs once per segment).
fn push_segment_label(out: &mut String, id: [u8; 3]) {
    if id.iter().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit()) {
        out.extend(id.iter().map(|&b| char::from(b)));
    } else {
        out.push_str("(invalid)");
    }
}

fn segment_key(seg: &Segment<'_>) -> [u8; 3] {
    let mut key = [b' '; 3];
    for (k, b) in key.iter_mut().zip(seg.id()) {
        *k = *b;
    }
    key
}

impl Profile {
    /// An empty profile with the given caps.
    ///
    /// ```
    /// use hl7_messaging::profile::{Profile, ProfileOptions};
    /// let profile = Profile::new(ProfileOptions::default());
    /// assert_eq!(profile.messages(), 0);
    /// ```
    pub fn new(options: ProfileOptions) -> Self {
        Profile { options, ..Profile::default() }
    }

    /// Messages profiled so far.
    pub fn messages(&self) -> u64 {
        self.messages
    }

    /// Parse failures so far (messages that did not parse, MLLP framing errors, batch count
    /// mismatches).
    pub fn failure_count(&self) -> u64 {
        self.failure_count
    }

    /// The first [`ProfileOptions::max_failures`] failures.
    pub fn failures(&self) -> &[Failure] {
        &self.failures
    }

    /// Profiles one input (a file's bytes): an MLLP capture when its first byte other than white
    /// space is a start block (`0x0B`), else a batch file or a file of one or more messages.
    /// Failures are recorded with `source` and their byte offset in `bytes`.
    ///
    /// ```
    /// use hl7_messaging::profile::Profile;
    /// let mut profile = Profile::default();
    /// profile.add_input("capture.bin", b"\x0bMSH|^~\\&|A|||||||ADT^A01|1|P|2.5\r\x1c\r\x0b\x06\x1c\r");
    /// assert_eq!(profile.messages(), 1);
    /// assert_eq!(profile.to_json()["mllp"]["commit_acks"], 1);
    /// ```
    pub fn add_input(&mut self, source: &str, bytes: &[u8]) {
        self.inputs += 1;
        self.bytes += bytes.len() as u64;
        let first = bytes.iter().find(|b| !b.is_ascii_whitespace());
        if first == Some(&mllp::SB) {
            self.add_mllp(source, bytes);
            return;
        }
        for entry in Batch::with_options(bytes, &self.options.parse).entries() {
            match entry {
                Ok(BatchEntry::Message(msg)) => self.add_message(&msg),
                Ok(BatchEntry::Skipped(s)) => self.skipped_bytes += s.len as u64,
                Ok(_) => self.envelope_segments += 1,
                Err(e) => self.add_failure(source, e.offset(), &e.kind().to_string()),
            }
        }
    }

    fn add_mllp(&mut self, source: &str, bytes: &[u8]) {
        let mut decoder = Decoder::new();
        let mut pos = 0;
        let mut last_error = None;
        while let Some(rest) = bytes.get(pos..) {
            match decoder.finish(rest) {
                Ok(Status::Complete { frame, consumed }) => {
                    let payload = rest.get(frame.clone()).unwrap_or_default();
                    self.mllp_frames += 1;
                    if mllp::commit_kind(payload).is_some() {
                        self.commit_acks += 1;
                    } else if !payload.is_empty() {
                        match Message::parse_with(payload, &self.options.parse) {
                            Ok(msg) => self.add_message(&msg),
                            Err(e) => self.add_failure(source, pos + frame.start + e.offset(), &e.kind().to_string()),
                        }
                    }
                    pos += consumed;
                }
                Ok(Status::Junk { len, .. }) => {
                    self.skipped_bytes += len as u64;
                    pos += len;
                }
                Ok(Status::Partial) => break,
                Err(e) => {
                    // An error consumes nothing; the junk events after it do. Stop if none follows.
                    if last_error == Some(pos) {
                        break;
                    }
                    last_error = Some(pos);
                    self.add_failure(source, e.offset(), &e.to_string());
                }
            }
        }
    }

    /// Records a failure (kind in words, never content) at `offset` in `source`.
    ///
    /// ```
    /// let mut profile = hl7_messaging::profile::Profile::default();
    /// profile.add_failure("x.hl7", 7, "no MSH header");
    /// assert_eq!(profile.failures()[0].offset, 7);
    /// ```
    pub fn add_failure(&mut self, source: &str, offset: usize, kind: &str) {
        self.failure_count += 1;
        if self.failures.len() < self.options.max_failures {
            self.failures.push(Failure { source: source.to_string(), offset, kind: kind.to_string() });
        }
        bump(&mut self.failure_kinds, kind.to_string(), self.options.max_keys, || OTHER.to_string());
    }

    /// Profiles one parsed message.
    ///
    /// ```
    /// use hl7_core::Message;
    /// use hl7_messaging::profile::Profile;
    /// let mut profile = Profile::default();
    /// profile.add_message(&Message::parse(b"MSH|^~\\&|A|||||||ORU^R01|1|P|2.3\rOBX|1|NM\rOBX|2|NM\r")?);
    /// let doc = profile.to_json();
    /// assert_eq!(doc["order_variants"][0]["top"][0]["sequence"], "MSH OBX+");
    /// # Ok::<(), hl7_core::ParseError>(())
    /// ```
    pub fn add_message(&mut self, msg: &Message<'_>) {
        self.messages += 1;
        self.sizes.record(msg.as_bytes().len());
        let msh = msg.segments().next().filter(|s| s.id() == b"MSH");
        let field = |n| msh.and_then(|s| s.field(n));
        let comp = |n, c| field(n).and_then(|f| f.component(c)).map_or(&b""[..], |v| v.as_bytes());
        let kind = format!("{}^{}", code(comp(9, 1), 7, b'_'), code(comp(9, 2), 7, b'_'));
        let version = code(comp(12, 1), 8, b'.').to_string();
        let cap = self.options.max_keys;
        let key = if self.types.contains_key(&(kind.clone(), version.clone())) || self.types.len() < cap {
            (kind.clone(), version)
        } else {
            (OTHER.to_string(), OTHER.to_string())
        };
        *self.types.entry(key).or_default() += 1;

        self.add_charset(msg);
        let delimiters = match (field(1), field(2)) {
            // Delimiters are ASCII punctuation (at most 1 + 5 characters); anything else is not shown.
            (Some(f1), Some(f2))
                if f2.len() <= 5 && f1.as_bytes().iter().chain(f2.as_bytes()).all(u8::is_ascii_punctuation) =>
            {
                let mut d = String::from_utf8_lossy(f1.as_bytes()).into_owned();
                d.push_str(&String::from_utf8_lossy(f2.as_bytes()));
                d
            }
            _ => OTHER.to_string(),
        };
        bump(&mut self.delimiters, delimiters, cap, || OTHER.to_string());
        let t = msg.notes().terminators;
        for (n, seen) in self.terminators.iter_mut().zip([t.cr, t.lf, t.crlf, t.missing_final]) {
            *n += u64::from(seen);
        }

        let mut sequence = core::mem::take(&mut self.sequence);
        sequence.clear();
        let mut last = None;
        for seg in msg.segments() {
            let id = segment_key(&seg);
            if last == Some(id) {
                if !sequence.ends_with('+') {
                    sequence.push('+');
                }
            } else {
                if !sequence.is_empty() {
                    sequence.push(' ');
                }
                push_segment_label(&mut sequence, id);
                last = Some(id);
            }
            self.add_segment(id, &seg);
        }
        self.add_variant(&kind, &sequence);
        self.sequence = sequence;
    }

    fn add_charset(&mut self, msg: &Message<'_>) {
        let report = msg.charset_report();
        let declared = match report.declared {
            Some(c) => charset_name(c).to_string(),
            None if report.unknown_name => "(unknown)".to_string(),
            None => "(none)".to_string(),
        };
        let stats = if self.charsets.contains_key(&declared) || self.charsets.len() < self.options.max_keys {
            self.charsets.entry(declared).or_default()
        } else {
            self.charsets.entry(OTHER.to_string()).or_default()
        };
        stats.messages += 1;
        stats.non_ascii += u64::from(report.has_non_ascii);
        stats.utf8_valid += u64::from(report.utf8_valid);
        stats.mismatch += u64::from(report.mismatch);
    }

    fn add_variant(&mut self, kind: &str, sequence: &str) {
        let cap = self.options.max_keys;
        let kind = if self.variants.contains_key(kind) || self.variants.len() < cap { kind } else { OTHER };
        let variants = match self.variants.get_mut(kind) {
            Some(v) => v,
            None => self.variants.entry(kind.to_string()).or_default(),
        };
        if let Some(n) = variants.sequences.get_mut(sequence) {
            *n += 1;
        } else if variants.sequences.len() < self.options.max_variants {
            variants.sequences.insert(sequence.to_string(), 1);
        } else {
            variants.other += 1;
        }
    }

    fn add_segment(&mut self, id: [u8; 3], seg: &Segment<'_>) {
        // The timestamp field this segment has, if any (read in the field loop below, not by a
        // second split of the segment).
        let timestamp = TIMESTAMPS.iter().position(|(seg_id, _)| id == **seg_id);
        // One lookup in the common case (a segment id seen before).
        let full = self.segments.len() >= self.options.max_keys;
        let stats = match self.segments.get_mut(&id) {
            Some(stats) => stats,
            None => self.segments.entry(if full { *b"???" } else { id }).or_default(),
        };
        stats.count += 1;
        let header = seg.is_header();
        let max_fields = self.options.max_fields;
        let mut count = 0;
        for (i, field) in seg.fields().enumerate() {
            count = i + 1;
            if field.is_empty() {
                continue;
            }
            if i >= max_fields {
                stats.fields_past_cap += 1;
                continue;
            }
            if stats.fields.len() <= i {
                stats.fields.resize_with(i + 1, FieldStats::default);
            }
            if let Some(t) = timestamp.filter(|&t| TIMESTAMPS.get(t).is_some_and(|&(_, n)| n == i + 1)) {
                if let (Some(slot), Some(v)) =
                    (self.timestamps.get_mut(t), field.component(1).filter(|v| !v.is_empty()))
                {
                    match Dtm::parse(v.as_bytes()) {
                        Ok(dtm) if dtm.offset().is_some() => slot.with_offset += 1,
                        Ok(_) => slot.without_offset += 1,
                        Err(_) => slot.invalid += 1,
                    }
                }
            }
            let Some(fs) = stats.fields.get_mut(i) else { continue };
            fs.valued += 1;
            fs.lengths.record(field.len());
            let rep = field.delimiters().repetition();
            let reps = if header && i < 2 || memchr::memchr(rep, field.as_bytes()).is_none() {
                1
            } else {
                field.repetitions().count()
            };
            if reps > 1 {
                fs.repeated += 1;
            }
            fs.max_repetitions = fs.max_repetitions.max(reps);
        }
        stats.min_fields = stats.min_fields.min(count);
        stats.max_fields = stats.max_fields.max(count);
    }

    /// The profile as one JSON document (the shape `hl7rs profile --json` prints). Keys:
    /// `inputs`, `bytes`, `messages`, `failures` (`count`, `by_kind`, `first`: `source`, `offset`,
    /// `kind`), `message_types` (`type`, `version`, `count`), `charsets` (`declared`, `messages`,
    /// `non_ascii`, `utf8_valid`, `mismatch`), `delimiters` (`chars` = MSH-1 and MSH-2, `count`),
    /// `terminators` (`cr`, `lf`, `crlf`, `missing_final`: messages that use each), `segments`
    /// (`id`, `count`, `min_fields`, `max_fields`, `fields_past_cap`, `fields`: `field`, `valued`,
    /// `rate`, `repeated`, `max_repetitions`, `length`), `z_segments`, `order_variants` (`type`,
    /// `distinct`, `other`, `top`: `sequence`, `count`), `message_size`, `timestamps` (`field`,
    /// `with_offset`, `without_offset`, `invalid`), `mllp`, `skipped_bytes`, `envelope_segments`.
    /// Lengths are `{min, median, p95, max}` in bytes.
    ///
    /// ```
    /// let doc = hl7_messaging::profile::Profile::default().to_json();
    /// assert_eq!(doc["messages"], 0);
    /// ```
    pub fn to_json(&self) -> Value {
        let mut types: Vec<_> = self.types.iter().collect();
        types.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
        let types: Vec<Value> =
            types.into_iter().map(|((t, v), n)| json!({ "type": t, "version": v, "count": n })).collect();
        let charsets: Vec<Value> = self
            .charsets
            .iter()
            .map(|(name, s)| {
                json!({ "declared": name, "messages": s.messages, "non_ascii": s.non_ascii,
                        "utf8_valid": s.utf8_valid, "mismatch": s.mismatch })
            })
            .collect();
        let delimiters: Vec<Value> = self.delimiters.iter().map(|(d, n)| json!({ "chars": d, "count": n })).collect();
        let [cr, lf, crlf, missing_final] = self.terminators;
        let mut ids: Vec<_> = self.segments.keys().copied().collect();
        ids.sort_unstable();
        let mut segments = Vec::new();
        let mut z_segments = Vec::new();
        for id in ids {
            let Some(s) = self.segments.get(&id) else { continue };
            let mut label = String::new();
            push_segment_label(&mut label, id);
            let fields: Vec<Value> = s
                .fields
                .iter()
                .enumerate()
                .filter(|(_, f)| f.valued > 0)
                .map(|(i, f)| {
                    #[allow(clippy::cast_precision_loss)]
                    let rate = f.valued as f64 / s.count as f64;
                    json!({ "field": format!("{label}-{}", i + 1), "valued": f.valued, "rate": rate,
                            "repeated": f.repeated, "max_repetitions": f.max_repetitions,
                            "length": f.lengths.to_json() })
                })
                .collect();
            let min_fields = if s.count == 0 { 0 } else { s.min_fields };
            if id[0] == b'Z' {
                z_segments.push(json!({ "id": label, "count": s.count, "min_fields": min_fields,
                                        "max_fields": s.max_fields }));
            }
            segments.push(json!({ "id": label, "count": s.count, "min_fields": min_fields,
                                  "max_fields": s.max_fields, "fields_past_cap": s.fields_past_cap,
                                  "fields": fields }));
        }
        let mut kinds: Vec<_> = self.variants.keys().collect();
        kinds.sort();
        let variants: Vec<Value> = kinds
            .into_iter()
            .filter_map(|k| self.variants.get(k).map(|v| (k, v)))
            .map(|(k, v)| {
                let mut top: Vec<_> = v.sequences.iter().collect();
                top.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
                let top: Vec<Value> = top
                    .into_iter()
                    .take(self.options.top_variants)
                    .map(|(s, n)| json!({ "sequence": s, "count": n }))
                    .collect();
                json!({ "type": k, "distinct": v.sequences.len(), "other": v.other, "top": top })
            })
            .collect();
        let timestamps: Vec<Value> = self
            .timestamps
            .iter()
            .zip(TIMESTAMPS)
            .map(|(t, (id, n))| {
                json!({ "field": format!("{}-{n}", String::from_utf8_lossy(id)), "with_offset": t.with_offset,
                        "without_offset": t.without_offset, "invalid": t.invalid })
            })
            .collect();
        let first: Vec<Value> =
            self.failures.iter().map(|f| json!({ "source": f.source, "offset": f.offset, "kind": f.kind })).collect();
        let by_kind: Map<String, Value> = self.failure_kinds.iter().map(|(k, n)| (k.clone(), json!(n))).collect();
        json!({
            "inputs": self.inputs,
            "bytes": self.bytes,
            "messages": self.messages,
            "failures": { "count": self.failure_count, "by_kind": by_kind, "first": first },
            "message_types": types,
            "charsets": charsets,
            "delimiters": delimiters,
            "terminators": { "cr": cr, "lf": lf, "crlf": crlf, "missing_final": missing_final },
            "segments": segments,
            "z_segments": z_segments,
            "order_variants": variants,
            "message_size": self.sizes.to_json(),
            "timestamps": timestamps,
            "mllp": { "frames": self.mllp_frames, "commit_acks": self.commit_acks },
            "skipped_bytes": self.skipped_bytes,
            "envelope_segments": self.envelope_segments,
        })
    }
}

/// The table 0211 name of a charset (a fixed string, never the sender's spelling).
fn charset_name(c: Charset) -> &'static str {
    match c {
        Charset::Ascii => "ASCII",
        Charset::Iso8859(1) => "8859/1",
        Charset::Iso8859(2) => "8859/2",
        Charset::Iso8859(3) => "8859/3",
        Charset::Iso8859(4) => "8859/4",
        Charset::Iso8859(5) => "8859/5",
        Charset::Iso8859(6) => "8859/6",
        Charset::Iso8859(7) => "8859/7",
        Charset::Iso8859(8) => "8859/8",
        Charset::Iso8859(9) => "8859/9",
        Charset::Iso8859(15) => "8859/15",
        Charset::Iso8859(_) => "8859/?",
        Charset::Utf8 => "UNICODE UTF-8",
        Charset::Utf16 => "UNICODE UTF-16",
        Charset::Utf32 => "UNICODE UTF-32",
        Charset::JisX0201 => "ISO IR14",
        Charset::Iso2022Jp => "ISO IR87",
        Charset::Gb18030 => "GB 18030-2000",
        Charset::KsX1001 => "KS X 1001",
        Charset::Cns11643 => "CNS 11643-1992",
        Charset::Big5 => "BIG-5",
        _ => OTHER,
    }
}
