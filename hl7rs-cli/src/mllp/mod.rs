//! `hl7rs mllp listen` and `hl7rs mllp send`: an MLLP receiver that stores each message durably
//! before acknowledging it, and a sender that waits for each acknowledgment.

pub mod listen;
pub mod send;
pub mod store;
