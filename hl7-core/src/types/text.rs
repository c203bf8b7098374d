//! Text and code scalars: ST, TX, FT, ID, IS.
//!
//! They are the raw [`Value`] with a name: read them raw, or decode escapes with `unescape()` /
//! `to_cow()`. FT keeps its formatting escapes (`\.br\`, `\H\`…) verbatim in the decoded chunks, as
//! [`crate::Chunk::Verbatim`], for a display layer to interpret.

use core::fmt;

use crate::escape::Unescape;
use crate::path::Value;

macro_rules! text_type {
    ($(#[$meta:meta])* $name:ident, $code:literal) => {
        $(#[$meta])*
        #[derive(Clone, Copy)]
        pub struct $name<'a> {
            value: Value<'a>,
        }

        impl<'a> $name<'a> {
            #[doc = concat!("A ", $code, " over a field, repetition, component or subcomponent.")]
            pub fn new(value: impl Into<Value<'a>>) -> Self {
                $name { value: value.into() }
            }

            /// The underlying value.
            pub fn value(&self) -> Value<'a> {
                self.value
            }

            /// Raw bytes, escapes not decoded.
            pub fn as_bytes(&self) -> &'a [u8] {
                self.value.as_bytes()
            }

            /// Byte offset in the parsed input.
            pub fn offset(&self) -> usize {
                self.value.offset()
            }

            /// Whether empty.
            pub fn is_empty(&self) -> bool {
                self.value.is_empty()
            }

            /// Whether the HL7 null `""`.
            pub fn is_null(&self) -> bool {
                self.value.is_null()
            }

            /// Decoded chunks, without allocating.
            pub fn unescape(&self) -> Unescape<'a> {
                self.value.unescape()
            }

            /// The decoded value; borrows when nothing needs decoding.
            #[cfg(feature = "alloc")]
            pub fn to_cow(&self) -> alloc::borrow::Cow<'a, [u8]> {
                self.value.to_cow()
            }
        }

        impl<'a, T: Into<Value<'a>>> From<T> for $name<'a> {
            fn from(v: T) -> Self {
                $name::new(v)
            }
        }

        impl fmt::Debug for $name<'_> {
            // Shape only (PHI).
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_struct(stringify!($name))
                    .field("offset", &self.value.offset())
                    .field("len", &self.value.as_bytes().len())
                    .finish()
            }
        }
    };
}

text_type!(
    /// ST (string data): short text, escapes allowed.
    ///
    /// ```
    /// use hl7_core::{Message, types::St};
    /// let msg = Message::parse(b"MSH|^~\\&|A\rNTE|1||A \\T\\ B\r").unwrap();
    /// let st = St::new(msg.segment(b"NTE").unwrap().field(3).unwrap());
    /// assert_eq!(&*st.to_cow(), b"A & B");
    /// ```
    St,
    "ST"
);
text_type!(
    /// TX (text data): like ST, longer; in a repeating field each repetition is one line.
    Tx,
    "TX"
);
text_type!(
    /// FT (formatted text): TX plus formatting escapes, kept verbatim when decoded.
    ///
    /// ```
    /// use hl7_core::{Chunk, Message, types::Ft};
    /// let msg = Message::parse(b"MSH|^~\\&|A\rOBX|1|FT|x||line1\\.br\\line2\r").unwrap();
    /// let ft = Ft::new(msg.segment(b"OBX").unwrap().field(5).unwrap());
    /// assert!(ft.unescape().any(|c| c == Chunk::Verbatim(b"\\.br\\")));
    /// ```
    Ft,
    "FT"
);
text_type!(
    /// ID (coded value from an HL7 table).
    ///
    /// ```
    /// use hl7_core::{Message, types::Id};
    /// let msg = Message::parse(b"MSH|^~\\&|A\rPID|1|||||||F\r").unwrap();
    /// assert!(Id::new(msg.segment(b"PID").unwrap().field(8).unwrap()).is(b"F"));
    /// ```
    Id,
    "ID"
);
text_type!(
    /// IS (coded value from a user-defined table).
    Is,
    "IS"
);

impl Id<'_> {
    /// Whether the raw value is exactly `code` (table values are case-sensitive).
    pub fn is(&self, code: &[u8]) -> bool {
        self.value.as_bytes() == code
    }
}

impl Is<'_> {
    /// Whether the raw value is exactly `code`.
    pub fn is(&self, code: &[u8]) -> bool {
        self.value.as_bytes() == code
    }
}
