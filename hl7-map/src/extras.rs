//! What a conversion adds on request after the Bundle is assembled: coverage and the audit record
//! (kept out of `engine.rs` so the engine's internals and these outputs change apart).

use hl7_core::{Message, Path};

use crate::engine::{Conversion, IssueKind, MapIssue};
use crate::matrix::Lineage;

/// The extra outputs asked for in `ConvertOptions`.
pub(crate) struct Extras {
    pub lineage: bool,
    pub coverage: bool,
    pub audit: bool,
    pub recorded: Option<String>,
}

impl Extras {
    /// Whether the engine must record lineage (coverage and the audit's field list read it).
    pub fn needs_lineage(&self) -> bool {
        self.lineage || self.coverage || self.audit
    }

    /// Adds coverage and the audit record; drops lineage the caller did not ask for.
    pub fn finish(self, msg: &Message<'_>, mut out: Conversion) -> Conversion {
        let lineage = out.lineage.take().unwrap_or_default();
        if self.coverage {
            out.coverage = Some(crate::coverage::uncovered(msg, &lineage));
        }
        if self.audit {
            out.audit = crate::audit::audit_event(msg, &out.bundle, &lineage, &out.issues, self.recorded.as_deref());
            if out.audit.is_none() {
                let span = msg.query("MSH-7").ok().flatten().map_or(0..0, |v| v.offset()..v.offset() + v.len());
                out.issues.push(MapIssue {
                    kind: IssueKind::ResourceDropped {
                        resource: "AuditEvent".into(),
                        reason: "no recorded time: none valid was given and MSH-7 is not an instant".into(),
                    },
                    source: Path::new(b"MSH").field(7),
                    span,
                    row: Lineage { file: String::new(), row: 0 },
                });
            }
        }
        if self.lineage {
            out.lineage = Some(lineage);
        }
        out
    }
}
