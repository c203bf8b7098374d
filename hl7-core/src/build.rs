//! Building and editing messages (`MessageBuf`).
