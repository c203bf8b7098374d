//! Work on threads with the GIL released, results handed to the calling thread as they come.
//!
//! `parse_many` and `convert_many` do their Rust work (parse, conversion, JSON) on worker threads
//! and on the calling thread, which also turns finished results into Python objects (holding the
//! GIL only for that): the Python-side work overlaps the Rust-side work instead of following it. Items are claimed in
//! blocks from a shared queue (so that uneven items balance across threads) and keep their
//! position; with one thread everything runs on the calling thread, the GIL released per block.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, TryRecvError};
use std::sync::Mutex;

use pyo3::prelude::*;

/// The number of cores (1 when unknown).
pub fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, std::num::NonZero::get)
}

/// What `consume` asks for after an item.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Next {
    /// Go on.
    More,
    /// Claim no new block (blocks already claimed are still handed over, so an earlier item that
    /// failed too is seen).
    Stop,
}

type Block<T> = (usize, Vec<T>);

/// Runs `work` on every item on `threads` threads, the calling thread one of them (with the GIL
/// released), and calls `consume(position, result)` on the calling thread, holding the GIL, as
/// blocks of `block` items finish (in completion order, not input order). The calling thread
/// consumes finished blocks first and works on a block of its own when none is waiting. An error
/// from `consume` stops the work and is returned.
pub fn pipeline<T, R, W, C>(
    py: Python<'_>,
    items: Vec<T>,
    threads: usize,
    block: usize,
    work: W,
    mut consume: C,
) -> PyResult<()>
where
    T: Send,
    R: Send,
    W: Fn(T) -> R + Sync,
    C: FnMut(usize, R) -> PyResult<Next>,
{
    let block = block.max(1);
    let mut blocks: Vec<Block<T>> = Vec::with_capacity(items.len().div_ceil(block));
    let mut rest = items.into_iter();
    let mut start = 0;
    loop {
        let chunk: Vec<T> = rest.by_ref().take(block).collect();
        if chunk.is_empty() {
            break;
        }
        let len = chunk.len();
        blocks.push((start, chunk));
        start += len;
    }
    let threads = threads.clamp(1, blocks.len().max(1));
    if threads == 1 {
        for (start, chunk) in blocks {
            let work = &work;
            let results: Vec<R> = py.detach(move || chunk.into_iter().map(work).collect());
            let mut stop = false;
            for (k, r) in results.into_iter().enumerate() {
                stop |= consume(start + k, r)? == Next::Stop;
            }
            if stop {
                break;
            }
        }
        return Ok(());
    }
    let queue = Mutex::new(blocks.into_iter());
    let stop = AtomicBool::new(false);
    // A poisoned queue (a panic while it was held) ends the claims: the caller sees the items
    // missing.
    let claim = || if stop.load(Ordering::Relaxed) { None } else { queue.lock().ok().and_then(|mut q| q.next()) };
    std::thread::scope(|scope| {
        let (tx, rx) = mpsc::channel::<Block<R>>();
        // The calling thread is one of the `threads`: it works too when no result is waiting.
        for _ in 1..threads {
            let (tx, claim, work) = (tx.clone(), &claim, &work);
            scope.spawn(move || {
                while let Some((start, chunk)) = claim() {
                    let results: Vec<R> = chunk.into_iter().map(work).collect();
                    if tx.send((start, results)).is_err() {
                        break;
                    }
                }
            });
        }
        drop(tx);
        let mut rx = rx;
        let mut claims_left = true;
        loop {
            let next = match rx.try_recv() {
                Ok(b) => Some(b),
                Err(TryRecvError::Disconnected) => None,
                Err(TryRecvError::Empty) => {
                    if let Some((start, chunk)) = claims_left.then(claim).flatten() {
                        // Nothing finished yet: a block of its own, without the GIL.
                        let work = &work;
                        Some((start, py.detach(move || chunk.into_iter().map(work).collect())))
                    } else {
                        // Nothing left to claim: wait without the GIL (the receiver goes into the
                        // wait and comes back).
                        claims_left = false;
                        let (back, b) = py.detach(move || {
                            let b = rx.recv().ok();
                            (rx, b)
                        });
                        rx = back;
                        b
                    }
                }
            };
            let Some((start, results)) = next else { return Ok(()) };
            for (k, r) in results.into_iter().enumerate() {
                match consume(start + k, r) {
                    Ok(Next::More) => {}
                    Ok(Next::Stop) => stop.store(true, Ordering::Relaxed),
                    Err(e) => {
                        stop.store(true, Ordering::Relaxed);
                        return Err(e);
                    }
                }
            }
        }
    })
}
