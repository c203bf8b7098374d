//! The listener's durable store: an append-only journal of (key, message, acknowledgment) records
//! in the `--out` directory.
//!
//! Maintainer note: an earlier store wrote two files per message (temporary file, fsync, rename)
//! and fsynced the directory; three fsyncs per message bounded a real disk to about 1,500
//! messages/s. Here one group commit is one `write` of every record of the group at the end of
//! the current segment and one `fdatasync`; the acknowledgments of the group go out after that.
//!
//! Layout: `journal-00000001.hl7j`, `journal-00000002.hl7j`, ... (8-digit segment numbers); a new
//! segment is started when the current one has passed [`SEGMENT_BYTES`] (a group is never split
//! across segments), and the directory is fsynced when a segment is created. A record:
//!
//! ```text
//! offset  size  what
//!      0     4  magic "HL7J"
//!      4     4  key length K        (little-endian u32)
//!      8     4  message length M    (little-endian u32)
//!     12     4  ACK length A        (little-endian u32, the MLLP frames sent, 0 when none)
//!     16     8  group: the number of its group commit, rising across runs (little-endian u64)
//!     24     8  received, Unix time in milliseconds (little-endian u64)
//!     32     8  FNV-1a 64 of bytes 0..32 and the K + M + A bytes that follow (little-endian)
//!     40     K  key (ASCII)
//!   40+K     M  message (as received, without MLLP framing)
//! 40+K+M     A  ACK frames
//! ```
//!
//! The key is the message's control id (MSH-10, as written) when it is 1 to 64 characters of
//! `A-Z a-z 0-9 . _ -` (not starting with `.`), else `h-` and a 64-bit FNV-1a hash of the control
//! id in hex (`x-` and the hash of the whole message when it has no readable control id). A key
//! found in the journal is a duplicate and is answered with its stored ACK.
//!
//! At start every segment is read and the index of keys rebuilt. Only the last group can be
//! unfinished after a crash (a group is written only once the one before it is durable), so a
//! record that ends early or fails its checksum in the last segment is a torn write when nothing
//! but records of one group, not older than the last good record before it, follows it (after a
//! power loss the file system may have written later pages of the group and not earlier ones):
//! that group was never acknowledged (its `fdatasync` had not returned), and the journal is cut
//! at the damaged record (the file truncated and fsynced) with a note. Damage followed by records
//! of several groups or of an older one, or in an earlier segment, is not repaired: the store
//! refuses to open rather than drop acknowledged messages. (What cannot be told apart: a
//! record damaged on disk after it was made durable, at the very end of the journal, looks like
//! a torn write and is cut off too.)
//! `hl7rs mllp export` writes the records out as one `<key>.hl7` and `<key>.ack` file each.

use std::collections::HashMap;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

/// A segment is closed and the next one started once it is this large.
pub const SEGMENT_BYTES: u64 = 64 * 1024 * 1024;

const MAGIC: &[u8; 4] = b"HL7J";
const HEADER: usize = 40;
/// Largest key, message and ACK a record may claim (a larger claim is damage, not data).
const MAX_PART: usize = 1 << 30;

/// 64-bit FNV-1a, stable across runs and platforms (for keys, records and log lines).
pub fn fnv(bytes: &[u8]) -> u64 {
    fnv_from(0xcbf2_9ce4_8422_2325, bytes)
}

fn fnv_from(mut h: u64, bytes: &[u8]) -> u64 {
    for b in bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

/// The record key of a message: its control id when that is a safe file name, else a hash.
pub fn key(control_id: Option<&[u8]>, message: &[u8]) -> String {
    match control_id {
        Some(id) if is_safe(id) => String::from_utf8_lossy(id).into_owned(),
        Some(id) => format!("h-{:016x}", fnv(id)),
        None => format!("x-{:016x}", fnv(message)),
    }
}

fn is_safe(id: &[u8]) -> bool {
    (1..=64).contains(&id.len())
        && id[0] != b'.'
        && id.iter().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

/// One record of the journal, borrowed from a segment's bytes.
#[derive(Debug, Clone, Copy)]
pub struct Record<'a> {
    /// The key (see the module docs).
    pub key: &'a str,
    /// The message as received.
    pub message: &'a [u8],
    /// The MLLP frames of the acknowledgments sent for it.
    pub ack: &'a [u8],
    /// The number of its group commit.
    pub group: u64,
}

/// Appends one record to `out`.
fn encode(out: &mut Vec<u8>, key: &str, message: &[u8], ack: &[u8], group: u64, received_ms: u64) -> io::Result<()> {
    let len = |n: usize| u32::try_from(n).ok().filter(|_| n <= MAX_PART).ok_or(io::ErrorKind::InvalidInput);
    let start = out.len();
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&len(key.len())?.to_le_bytes());
    out.extend_from_slice(&len(message.len())?.to_le_bytes());
    out.extend_from_slice(&len(ack.len())?.to_le_bytes());
    out.extend_from_slice(&group.to_le_bytes());
    out.extend_from_slice(&received_ms.to_le_bytes());
    let sum = [key.as_bytes(), message, ack].iter().fold(fnv(&out[start..]), |h, part| fnv_from(h, part));
    out.extend_from_slice(&sum.to_le_bytes());
    out.extend_from_slice(key.as_bytes());
    out.extend_from_slice(message);
    out.extend_from_slice(ack);
    Ok(())
}

fn u32_at(bytes: &[u8], at: usize) -> usize {
    let mut b = [0u8; 4];
    b.copy_from_slice(&bytes[at..at + 4]);
    u32::from_le_bytes(b) as usize
}

fn u64_at(bytes: &[u8], at: usize) -> u64 {
    let mut b = [0u8; 8];
    b.copy_from_slice(&bytes[at..at + 8]);
    u64::from_le_bytes(b)
}

/// Decodes the record at the start of `bytes`: the record and its length, or None when it is
/// incomplete or damaged.
fn decode(bytes: &[u8]) -> Option<(Record<'_>, usize)> {
    if bytes.len() < HEADER || &bytes[..4] != MAGIC {
        return None;
    }
    let (k, m, a) = (u32_at(bytes, 4), u32_at(bytes, 8), u32_at(bytes, 12));
    if k > MAX_PART || m > MAX_PART || a > MAX_PART {
        return None;
    }
    let total = HEADER + k + m + a;
    let body = bytes.get(HEADER..total)?;
    let sum = fnv_from(fnv(&bytes[..32]), body);
    if sum != u64_at(bytes, 32) {
        return None;
    }
    let key = std::str::from_utf8(&body[..k]).ok()?;
    let record = Record { key, message: &body[k..k + m], ack: &body[k + m..], group: u64_at(bytes, 16) };
    Some((record, total))
}

/// How a segment's bytes end: cleanly, or with a damaged record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum End {
    /// Every byte belongs to a good record.
    Clean,
    /// A record at `offset` is incomplete or fails its checksum.
    Damaged {
        /// Where the damaged record starts.
        offset: usize,
        /// The group of the last good record before it.
        before: Option<u64>,
        /// The groups of the good records found after it.
        after: Vec<u64>,
        /// The group the damaged record's header names, when the header is there.
        claimed: Option<u64>,
        /// The damaged bytes (up to the next good record or the end) are all zero, as pages
        /// never written are after a power loss.
        zeros: bool,
    },
}

impl End {
    /// Whether the damage can only be the torn write of the last, unfinished group: nothing
    /// follows it, or only records of one group G, not older than the record before the damage,
    /// and the damaged record belongs to G too (its header says so, or it lies after a record of
    /// G, or it is zeros: bytes never written).
    fn is_torn_tail(&self) -> bool {
        match self {
            End::Clean => false,
            End::Damaged { before, after, claimed, zeros, .. } => match after.first() {
                None => true,
                Some(g) => {
                    after.iter().all(|a| a == g)
                        && before.is_none_or(|b| *g >= b)
                        && match claimed {
                            Some(c) => c == g,
                            None => *zeros || *before == Some(*g),
                        }
                }
            },
        }
    }
}

/// Calls `each` with every good record of a segment and its offset, up to the first damage;
/// says how the bytes end.
fn scan<'a>(bytes: &'a [u8], mut each: impl FnMut(usize, Record<'a>)) -> End {
    let mut at = 0;
    let mut before = None;
    while at < bytes.len() {
        let Some((record, len)) = decode(&bytes[at..]) else {
            let rest = &bytes[at..];
            let claimed = (rest.len() >= 24 && rest.starts_with(MAGIC)).then(|| u64_at(rest, 16));
            let (next, after) = groups_after(bytes, at + 1);
            let zeros = bytes[at..next].iter().all(|b| *b == 0);
            return End::Damaged { offset: at, before, after, claimed, zeros };
        };
        before = Some(record.group);
        each(at, record);
        at += len;
    }
    End::Clean
}

/// The groups of the good records that start at or after `from`, and where the first of them
/// starts (the end of `bytes` when there is none).
fn groups_after(bytes: &[u8], from: usize) -> (usize, Vec<u64>) {
    let mut groups = Vec::new();
    let mut first = bytes.len();
    let mut i = from;
    while i + HEADER <= bytes.len() {
        if bytes[i..].starts_with(MAGIC) {
            if let Some((record, len)) = decode(&bytes[i..]) {
                first = first.min(i);
                groups.push(record.group);
                i += len;
                continue;
            }
        }
        i += 1;
    }
    (first, groups)
}

/// The journal segments of `dir`, in order: (number, path).
fn segments(dir: &Path) -> io::Result<Vec<(u32, PathBuf)>> {
    let mut found = Vec::new();
    for entry in fs::read_dir(dir)? {
        let path = entry?.path();
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default();
        let number = name.strip_prefix("journal-").and_then(|n| n.strip_suffix(".hl7j")).and_then(|n| n.parse().ok());
        if let Some(n) = number {
            found.push((n, path));
        }
    }
    found.sort();
    Ok(found)
}

fn segment_path(dir: &Path, number: u32) -> PathBuf {
    dir.join(format!("journal-{number:08}.hl7j"))
}

fn damaged(path: &Path, offset: usize) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidData,
        format!(
            "{}: damaged record at byte {offset} followed by records of acknowledged groups (not a \
             torn last write): not repaired; move the file aside to start",
            path.display()
        ),
    )
}

/// Reads every good record of the journal in `dir`, in the order stored, without changing
/// anything (safe while a listener appends). A damaged or unfinished record at the very end is
/// reported in the returned note and skipped; damage anywhere else is an error.
pub fn read_all(dir: &Path, mut each: impl FnMut(Record<'_>) -> io::Result<()>) -> io::Result<Option<String>> {
    let all = segments(dir)?;
    let mut note = None;
    for (i, (_, path)) in all.iter().enumerate() {
        let bytes = fs::read(path)?;
        let mut failed = Ok(());
        let end = scan(&bytes, |_, r| {
            if failed.is_ok() {
                failed = each(r);
            }
        });
        failed?;
        if let End::Damaged { offset, .. } = end {
            if !end.is_torn_tail() || i + 1 < all.len() {
                return Err(damaged(path, offset));
            }
            note = Some(format!(
                "{}: {} byte(s) at byte {offset} are not a complete record (being written, or torn): skipped",
                path.display(),
                bytes.len() - offset
            ));
        }
    }
    Ok(note)
}

/// Where a stored message's ACK is.
#[derive(Debug, Clone, Copy)]
struct Loc {
    segment: u32,
    offset: u64,
    len: u32,
}

/// The journal, open for appending, and the index of the keys stored so far.
#[derive(Debug)]
pub struct Store {
    dir: PathBuf,
    index: HashMap<String, Loc>,
    /// The segment appended to, its number and length.
    file: File,
    number: u32,
    len: u64,
    /// The number of the next group commit.
    group: u64,
    /// A write or fdatasync failed: what reached the disk is unknown, so nothing more is stored
    /// (and acknowledged) until a restart rereads the journal.
    broken: bool,
    buf: Vec<u8>,
}

impl Store {
    /// Opens (creating) the journal in `dir`, rebuilds the index, and cuts off a torn last
    /// record. Returns the store and notes for the log (a torn record cut off, files of the
    /// earlier one-file-per-message layout present).
    pub fn open(dir: &Path) -> io::Result<(Store, Vec<String>)> {
        fs::create_dir_all(dir)?;
        let mut notes = Vec::new();
        let all = segments(dir)?;
        let mut index = HashMap::new();
        let mut group = 0u64;
        let mut last_len = 0u64;
        for (i, (number, path)) in all.iter().enumerate() {
            let bytes = fs::read(path)?;
            let end = scan(&bytes, |at, r| {
                let offset = (at + HEADER + r.key.len() + r.message.len()) as u64;
                let len = u32::try_from(r.ack.len()).unwrap_or(u32::MAX);
                index.entry(r.key.to_owned()).or_insert(Loc { segment: *number, offset, len });
                group = group.max(r.group);
            });
            last_len = bytes.len() as u64;
            if let End::Damaged { offset, ref after, .. } = end {
                if !end.is_torn_tail() || i + 1 < all.len() {
                    return Err(damaged(path, offset));
                }
                let file = OpenOptions::new().write(true).open(path)?;
                file.set_len(offset as u64)?;
                file.sync_all()?;
                notes.push(format!(
                    "{}: torn last record ({} byte(s) at byte {offset}, with {} good record(s) of the same \
                     unfinished group after it; never acknowledged) cut off",
                    path.display(),
                    bytes.len() - offset,
                    after.len()
                ));
                last_len = offset as u64;
            }
        }
        let old = fs::read_dir(dir)?
            .filter_map(Result::ok)
            .filter(|e| e.path().extension().is_some_and(|x| x == "ack"))
            .count();
        if old > 0 {
            notes.push(format!(
                "{old} .ack file(s) of the earlier one-file-per-message layout are not indexed (no duplicate check for them)"
            ));
        }
        let (number, file, len) = match all.last() {
            Some((n, path)) => (*n, OpenOptions::new().append(true).open(path)?, last_len),
            None => (1, Self::create_segment(dir, 1)?, 0),
        };
        let store =
            Store { dir: dir.to_owned(), index, file, number, len, group: group + 1, broken: false, buf: Vec::new() };
        Ok((store, notes))
    }

    fn create_segment(dir: &Path, number: u32) -> io::Result<File> {
        let file = OpenOptions::new().append(true).create_new(true).open(segment_path(dir, number))?;
        File::open(dir)?.sync_all()?;
        Ok(file)
    }

    /// Messages stored (in this journal, across runs).
    pub fn len(&self) -> usize {
        self.index.len()
    }

    /// Whether `key` is stored.
    pub fn contains(&self, key: &str) -> bool {
        self.index.contains_key(key)
    }

    /// The stored acknowledgment bytes of `key`, when it was stored before.
    pub fn stored_ack(&self, key: &str) -> io::Result<Option<Vec<u8>>> {
        let Some(loc) = self.index.get(key) else { return Ok(None) };
        let mut ack = vec![0u8; loc.len as usize];
        File::open(segment_path(&self.dir, loc.segment))?.read_exact_at(&mut ack, loc.offset)?;
        Ok(Some(ack))
    }

    /// Stores several messages and their acknowledgments durably in one group commit: one write
    /// of all the records at the end of the segment, then one `fdatasync`. `items`: (key,
    /// message, ACK bytes), keys distinct and not yet stored. On an error nothing of the group
    /// may be acknowledged, and the store refuses every later commit.
    pub fn commit_batch(&mut self, items: &[(&str, &[u8], &[u8])]) -> io::Result<()> {
        if items.is_empty() {
            return Ok(());
        }
        if self.broken {
            return Err(io::Error::other("an earlier write to the journal failed; restart to recover"));
        }
        let now = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis());
        let now = u64::try_from(now).unwrap_or(u64::MAX);
        self.buf.clear();
        let mut locs = Vec::with_capacity(items.len());
        for (key, message, ack) in items {
            let at = self.buf.len();
            encode(&mut self.buf, key, message, ack, self.group, now)?;
            locs.push((at + HEADER + key.len() + message.len()) as u64);
        }
        if self.len >= SEGMENT_BYTES {
            let file = Self::create_segment(&self.dir, self.number + 1)?;
            self.file = file;
            self.number += 1;
            self.len = 0;
        }
        let written = self.file.write_all(&self.buf).and_then(|()| self.file.sync_data());
        if let Err(e) = written {
            self.broken = true;
            return Err(e);
        }
        for ((key, _, ack), offset) in items.iter().zip(locs) {
            let len = u32::try_from(ack.len()).unwrap_or(u32::MAX);
            self.index.insert((*key).to_owned(), Loc { segment: self.number, offset: self.len + offset, len });
        }
        self.len += self.buf.len() as u64;
        self.group += 1;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dir(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("hl7rs-store-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&d);
        d
    }

    #[test]
    fn records_round_trip_and_the_index_is_rebuilt() {
        let d = dir("roundtrip");
        let (mut s, notes) = Store::open(&d).unwrap();
        assert!(notes.is_empty());
        s.commit_batch(&[("A1", b"MSH|1", b"ack1"), ("A2", b"MSH|2", b"")]).unwrap();
        s.commit_batch(&[("A3", b"MSH|3", b"ack3")]).unwrap();
        drop(s);
        let (s, _) = Store::open(&d).unwrap();
        assert_eq!(s.len(), 3);
        assert_eq!(s.stored_ack("A1").unwrap().unwrap(), b"ack1");
        assert_eq!(s.stored_ack("A2").unwrap().unwrap(), b"");
        assert_eq!(s.stored_ack("A3").unwrap().unwrap(), b"ack3");
        assert!(s.stored_ack("A4").unwrap().is_none());
        let mut keys = Vec::new();
        assert!(read_all(&d, |r| {
            keys.push((r.key.to_owned(), r.message.to_vec()));
            Ok(())
        })
        .unwrap()
        .is_none());
        assert_eq!(keys[2], ("A3".to_owned(), b"MSH|3".to_vec()));
    }

    #[test]
    fn every_torn_tail_is_cut_off_and_earlier_records_kept() {
        let d = dir("torn");
        let (mut s, _) = Store::open(&d).unwrap();
        s.commit_batch(&[("K1", b"MSH|one", b"ack")]).unwrap();
        drop(s);
        let path = segment_path(&d, 1);
        let good = fs::read(&path).unwrap();
        let mut second = Vec::new();
        encode(&mut second, "K2", b"MSH|two", b"ack2", 2, 7).unwrap();
        // Every prefix of the second record, and the whole record with a flipped byte.
        let mut cases: Vec<Vec<u8>> = (1..second.len()).map(|n| second[..n].to_vec()).collect();
        let mut flipped = second.clone();
        flipped[HEADER + 3] ^= 0x20;
        cases.push(flipped);
        cases.push(vec![0u8; 4096]);
        for tail in cases {
            let mut bytes = good.clone();
            bytes.extend_from_slice(&tail);
            fs::write(&path, &bytes).unwrap();
            assert!(read_all(&d, |_| Ok(())).unwrap().is_some());
            let (s, notes) = Store::open(&d).unwrap();
            assert_eq!(s.len(), 1);
            assert!(notes[0].contains("torn last record"), "{notes:?}");
            assert_eq!(fs::read(&path).unwrap(), good);
        }
    }

    #[test]
    fn a_hole_in_the_last_group_is_a_torn_write_and_is_cut_off() {
        let d = dir("hole");
        let (mut s, _) = Store::open(&d).unwrap();
        s.commit_batch(&[("G1", b"MSH|g1", b"a")]).unwrap();
        s.commit_batch(&[("H1", b"MSH|h1", b"a"), ("H2", b"MSH|h2", b"a"), ("H3", b"MSH|h3", b"a")]).unwrap();
        drop(s);
        let path = segment_path(&d, 1);
        let mut bytes = fs::read(&path).unwrap();
        let one = bytes.len() / 4;
        // The second record of group 2 (H2) never reached the disk; H3 did.
        let h2 = bytes.windows(2).position(|w| w == b"H2").unwrap() - HEADER;
        bytes[h2..h2 + one].fill(0);
        fs::write(&path, &bytes).unwrap();
        let (mut s, notes) = Store::open(&d).unwrap();
        assert!(notes[0].contains("1 good record(s) of the same unfinished group"), "{notes:?}");
        assert!(s.contains("G1") && s.contains("H1") && !s.contains("H2") && !s.contains("H3"));
        assert_eq!(fs::read(&path).unwrap().len(), h2);
        // The next group numbers on from the ones read.
        s.commit_batch(&[("J1", b"MSH|j1", b"a")]).unwrap();
        drop(s);
        let (s, notes) = Store::open(&d).unwrap();
        assert!(notes.is_empty() && s.contains("J1"));
    }

    #[test]
    fn zeros_at_the_start_of_the_last_group_are_a_torn_write() {
        let d = dir("zeros");
        let (mut s, _) = Store::open(&d).unwrap();
        s.commit_batch(&[("G1", b"MSH|g1", b"a")]).unwrap();
        s.commit_batch(&[("H1", b"MSH|h1", b"a"), ("H2", b"MSH|h2", b"a")]).unwrap();
        drop(s);
        let path = segment_path(&d, 1);
        let mut bytes = fs::read(&path).unwrap();
        let h1 = bytes.windows(2).position(|w| w == b"H1").unwrap() - HEADER;
        let h2 = bytes.windows(2).position(|w| w == b"H2").unwrap() - HEADER;
        bytes[h1..h2].fill(0);
        fs::write(&path, &bytes).unwrap();
        let (s, notes) = Store::open(&d).unwrap();
        assert_eq!(notes.len(), 1, "{notes:?}");
        assert!(s.contains("G1") && !s.contains("H1") && !s.contains("H2"));
        // Garbage that is not zeros at the same place: not provably torn, refused.
        drop(s);
        let d = dir("garbage");
        let (mut s, _) = Store::open(&d).unwrap();
        s.commit_batch(&[("G1", b"MSH|g1", b"a")]).unwrap();
        s.commit_batch(&[("H1", b"MSH|h1", b"a"), ("H2", b"MSH|h2", b"a")]).unwrap();
        drop(s);
        let path = segment_path(&d, 1);
        let mut bytes = fs::read(&path).unwrap();
        bytes[h1..h2].fill(0x55);
        fs::write(&path, &bytes).unwrap();
        assert!(Store::open(&d).is_err());
    }

    #[test]
    fn damage_followed_by_good_records_refuses_to_open() {
        let d = dir("damage");
        let (mut s, _) = Store::open(&d).unwrap();
        s.commit_batch(&[("K1", b"MSH|one", b"ack")]).unwrap();
        s.commit_batch(&[("K2", b"MSH|two", b"ack")]).unwrap();
        drop(s);
        let path = segment_path(&d, 1);
        let mut bytes = fs::read(&path).unwrap();
        bytes[HEADER + 4] ^= 1;
        fs::write(&path, &bytes).unwrap();
        let e = Store::open(&d).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::InvalidData);
        assert!(e.to_string().contains("not repaired"));
        assert!(!e.to_string().contains("MSH"));
        assert!(read_all(&d, |_| Ok(())).is_err());
        assert_eq!(fs::read(&path).unwrap(), bytes, "nothing changed");
    }

    #[test]
    fn segments_rotate() {
        let d = dir("rotate");
        let (mut s, _) = Store::open(&d).unwrap();
        s.len = SEGMENT_BYTES;
        s.commit_batch(&[("R1", b"MSH|r", b"a")]).unwrap();
        assert!(segment_path(&d, 2).exists());
        drop(s);
        let (s, _) = Store::open(&d).unwrap();
        assert_eq!(s.stored_ack("R1").unwrap().unwrap(), b"a");
    }
}
