//! The listener's durable store: one directory, each message in `<key>.hl7` and the acknowledgment
//! frames sent for it in `<key>.ack`.
//!
//! The key is the message's control id (MSH-10, decoded) when it is 1 to 64 characters of
//! `A-Z a-z 0-9 . _ -` (not starting with `.`), else `h-` and a 64-bit FNV-1a hash of the control
//! id in hex (`x-` and the hash of the whole message when it has no readable control id).
//!
//! Durability, in this order: the message and its acknowledgment are written to temporary files,
//! fsynced, renamed to `<key>.hl7` and then `<key>.ack`, and the directory is fsynced. Only after
//! that is the acknowledgment sent. The `.ack` file is renamed last, so its presence means the
//! message is stored: a control id whose `.ack` exists is a duplicate and is answered with the
//! stored bytes. Group commit: the listener hands over every message waiting at that moment (from
//! all connections) to one [`Store::commit_batch`].

use std::collections::HashSet;
use std::fs::{self, File};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// The store directory and the keys of the messages acknowledged so far.
#[derive(Debug)]
pub struct Store {
    dir: PathBuf,
    acked: HashSet<String>,
    tmp: u64,
}

/// 64-bit FNV-1a, stable across runs and platforms (for keys and for log lines).
pub fn fnv(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

/// The file name stem of a message: its control id when that is a safe file name, else a hash.
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

impl Store {
    /// Opens (creating) the directory and indexes the `.ack` files already there; leftover
    /// temporary files of an interrupted run are removed.
    pub fn open(dir: &Path) -> io::Result<Store> {
        fs::create_dir_all(dir)?;
        let mut acked = HashSet::new();
        for entry in fs::read_dir(dir)? {
            let path = entry?.path();
            let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default();
            if name.starts_with(".tmp-") {
                fs::remove_file(&path)?;
            } else if let Some(stem) = name.strip_suffix(".ack") {
                acked.insert(stem.to_owned());
            }
        }
        Ok(Store { dir: dir.to_owned(), acked, tmp: 0 })
    }

    /// Messages acknowledged so far (in this directory, across runs).
    pub fn len(&self) -> usize {
        self.acked.len()
    }

    /// The stored acknowledgment bytes of `key`, when it was acknowledged before.
    pub fn stored_ack(&self, key: &str) -> io::Result<Option<Vec<u8>>> {
        if self.acked.contains(key) {
            fs::read(self.dir.join(format!("{key}.ack"))).map(Some)
        } else {
            Ok(None)
        }
    }

    /// Stores several messages and their acknowledgments durably in one group commit: every
    /// temporary file is written, then each is fsynced (the first fsync commits the file system's
    /// journal for all of them, so the others are cheap), then the `.hl7` files are renamed, then
    /// the `.ack` files, then the directory is fsynced once. `items`: (key, message, ACK bytes),
    /// keys distinct and not yet stored.
    pub fn commit_batch(&mut self, items: &[(&str, &[u8], &[u8])]) -> io::Result<()> {
        if items.is_empty() {
            return Ok(());
        }
        let mut written = Vec::with_capacity(items.len() * 2);
        for (key, message, ack) in items {
            written.push((self.write_tmp(message)?, format!("{key}.hl7")));
            written.push((self.write_tmp(ack)?, format!("{key}.ack")));
        }
        for ((f, _), _) in &written {
            f.sync_all()?;
        }
        // Messages before acknowledgments: an `.ack` file always has its message.
        // `written` holds (message, ACK) pairs.
        for ((_, tmp), name) in written.iter().step_by(2) {
            fs::rename(tmp, self.dir.join(name))?;
        }
        for ((_, tmp), name) in written.iter().skip(1).step_by(2) {
            fs::rename(tmp, self.dir.join(name))?;
        }
        File::open(&self.dir)?.sync_all()?;
        for (key, _, _) in items {
            self.acked.insert((*key).to_owned());
        }
        Ok(())
    }

    fn write_tmp(&mut self, bytes: &[u8]) -> io::Result<(File, PathBuf)> {
        self.tmp += 1;
        let tmp = self.dir.join(format!(".tmp-{}-{}", std::process::id(), self.tmp));
        let mut f = File::create(&tmp)?;
        f.write_all(bytes)?;
        Ok((f, tmp))
    }
}
