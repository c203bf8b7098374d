//! Only datatypes that a listed resource reaches (or that hand-written code names) are generated.

#[path = "../../../hl7-core/tests/common/shared.rs"]
mod shared;

use std::collections::BTreeSet;

use fhir_codegen::model::{FieldTy, PRIMITIVES};
use fhir_codegen::{read_schema, HAND_WRITTEN_ROOTS};

#[test]
fn only_reachable_datatypes_are_generated() {
    let Some(input) = shared::shared_dir("fhir-r4") else { return };
    let schema = read_schema(&input).expect("the definitions read");
    let generated: BTreeSet<&str> = schema.datatypes.iter().map(|d| d.name.as_str()).collect();
    for root in HAND_WRITTEN_ROOTS {
        assert!(generated.contains(root), "{root} is named by hand-written code");
    }
    // Reached by no listed resource: not generated.
    for absent in ["ElementDefinition", "MarketingStatus", "Population", "ProdCharacteristic", "SubstanceAmount"] {
        assert!(!generated.contains(absent), "{absent} is generated");
    }
    // Extension.value[x] reaches the open types, such as Dosage and Meta.
    for reached in ["Dosage", "TriggerDefinition", "DataRequirementCodeFilter", "Signature"] {
        assert!(generated.contains(reached), "{reached} is reached through Extension.value[x]");
    }
    // Each generated datatype is named by a hand-written root or by a field of another struct.
    let all = schema.datatypes.iter().chain(schema.resources.iter().flat_map(|(_, defs)| defs));
    let mut referenced: BTreeSet<(String, String)> = BTreeSet::new();
    for d in all {
        for f in &d.fields {
            let names: Vec<&String> = match &f.ty {
                FieldTy::Complex { name } => vec![name],
                FieldTy::Choice { types, .. } => types.iter().filter(|t| !PRIMITIVES.contains(&t.as_str())).collect(),
                _ => vec![],
            };
            referenced.extend(names.into_iter().map(|n| (d.name.clone(), n.clone())));
        }
    }
    for name in &generated {
        let named = HAND_WRITTEN_ROOTS.contains(name)
            || referenced.iter().any(|(from, to)| to == name && from != name)
            || (*name == "Quantity"
                && referenced.iter().any(|(_, to)| to == "SimpleQuantity" || to == "MoneyQuantity"));
        assert!(named, "{name} is generated but nothing refers to it");
    }
}
