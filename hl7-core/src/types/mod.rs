//! Typed datatype views (DTM, NM, CX, XPN, …) over borrowed field values.
//!
//! Composite types ([`Xpn`], [`Cx`], [`Cwe`], …) wrap a repetition, or a component when used
//! inside another type (the [`Hd`] in CX-4 reads subcomponents). Their accessors are named after
//! the standard's components, numbered per the v2.5+ tables (version notes on each type), and
//! return the raw [`Value`] (zero-copy, offset-aware, decodable with `unescape()` / `to_cow()`),
//! a nested view, or a parsed scalar. An accessor gives `None` when its part is absent or empty; the
//! HL7 null `""` is returned (check `is_null()`), since it means "delete" at the receiver.
//!
//! Scalars are parsed on demand and checked: [`Dtm`], [`Dt`], [`Tm`] keep the precision, fraction
//! digits and UTC offset that were sent; [`Nm`] keeps its lexical form. A bad value gives a
//! [`TypeError`] with its kind and byte offset, never a panic. Nothing here allocates.
//!
//! ```
//! use hl7_core::Message;
//! use hl7_core::types::{Cx, Dtm, Precision, Ts, Xpn};
//!
//! let input = b"MSH|^~\\&|ADT|HOSP|EHR|HOSP|20240131093000-0500||ADT^A01^ADT_A01|MSG1|P|2.5.1\r\
//! PID|1||12345^^^HOSP&1.2.3&ISO^MR||DOE^JANE^Q^^^^L~DOE-SMITH^JANE^^^^^M||19800115|F\r";
//! let msg = Message::parse(input)?;
//! let pid = msg.segment(b"PID").unwrap();
//!
//! // PID-5, each repetition an XPN:
//! let names: Vec<Xpn> = pid.field(5).unwrap().repetitions().map(Xpn::new).collect();
//! assert_eq!(names[0].family().unwrap().as_bytes(), b"DOE");
//! assert_eq!(names[0].given_name().unwrap().as_bytes(), b"JANE");
//! assert_eq!(names[1].name_type_code().unwrap().as_bytes(), b"M");
//!
//! // PID-3 as CX, with its assigning authority (an HD in subcomponents):
//! let mrn = Cx::from_field(pid.field(3).unwrap());
//! assert_eq!(mrn.assigning_authority().unwrap().universal_id().unwrap().as_bytes(), b"1.2.3");
//!
//! // PID-7 (TS before v2.6, DTM after), checked and as precise as sent:
//! let birth = Ts::from_field(pid.field(7).unwrap()).time().unwrap()?;
//! assert_eq!((birth.year(), birth.month(), birth.day()), (1980, Some(1), Some(15)));
//! assert_eq!(birth.precision(), Precision::Day);
//!
//! // MSH-7 keeps the UTC offset that was sent:
//! let sent = Dtm::from_value(msg.segment(b"MSH").unwrap().field(7).unwrap())?;
//! assert_eq!(sent.offset().map(|z| z.total_minutes()), Some(-300));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod address;
mod coded;
mod composite;
mod datetime;
mod error;
mod identifier;
mod media;
mod message_types;
mod name;
mod numeric;
mod text;

pub use address::{Pl, StreetAddress, Xad, Xtn};
pub use coded::{Ce, Cne, Cwe};
pub use datetime::{Dr, Dt, Dtm, Precision, Tm, Ts, UtcOffset};
pub use error::{TypeError, TypeErrorKind};
pub use identifier::{Cx, Ei, Hd};
pub use media::{Ed, Rp};
pub use message_types::{Msg, Pt, Vid};
pub use name::{FamilyName, Xcn, Xon, Xpn};
pub use numeric::{Comparator, Cp, Cq, Mo, Nm, Sn, SnSeparator};
pub use text::{Ft, Id, Is, St, Tx};

/// Re-exported so the accessors' return type is at hand.
pub use crate::path::Value;
