//! `hl7rs mllp listen`, `hl7rs mllp send` and `hl7rs mllp export`: an MLLP receiver that stores
//! each message durably before acknowledging it, a sender that waits for each acknowledgment, and
//! the export of the receiver's journal as one file per message.

pub mod allow;
mod connection;
pub mod export;
pub mod listen;
pub mod metrics;
pub mod send;
pub mod store;
pub mod tls;
