//! ACK/NAK building (original and enhanced mode).
