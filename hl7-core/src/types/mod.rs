//! Typed datatype views (DTM, NM, CX, XPN, …) over borrowed field values.
