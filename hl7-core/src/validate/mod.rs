//! Validation (filled in next).
