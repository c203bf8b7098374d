//! Matrix loading (`Matrix::from_files`, the project's CSV format) on arbitrary bytes, split at NUL
//! bytes into up to five files (a message map, two segment maps, a datatype map, a vocabulary
//! map): never a panic; an error names one of the files given, and a row no later than the
//! file's last record. A matrix that loads compiles into an engine that converts a fixed message
//! without a panic (hostile-input class 14: deep nesting, huge literals, references to nothing,
//! cycles).
#![no_main]

use hl7_core::Message;
use hl7_map::engine::Engine;
use hl7_map::matrix::Matrix;
use libfuzzer_sys::fuzz_target;

/// The file each NUL-separated chunk becomes, in order.
const FILES: [&str; 5] = [
    "messages/ADT_A01.csv",
    "segments/PID[Patient].csv",
    "datatypes/XPN[HumanName].csv",
    "vocabulary/AdministrativeSex.csv",
    "segments/MSH[MessageHeader].csv",
];

const MESSAGE: &[u8] = b"MSH|^~\\&|APP|FAC|RCV|RFAC|20240131093000-0500||ADT^A01^ADT_A01|42|P|2.5.1\rEVN|A01|20240131\rPID|1||123^^^H^MR~456^^^X^PI||Doe^Jane^Q^^Dr~Roe^J||19800101|F|||1 Main St^^Town^ST^12345||555-1234\rPV1|1|I|W^1^2\r";

fuzz_target!(|data: &[u8]| {
    let texts: Vec<String> =
        data.split(|&b| b == 0).take(FILES.len()).map(|c| String::from_utf8_lossy(c).into_owned()).collect();
    let files: Vec<(&str, &str)> = FILES.iter().zip(&texts).map(|(p, t)| (*p, t.as_str())).collect();
    match Matrix::from_files(&files) {
        Ok(matrix) => {
            let engine = Engine::new(matrix);
            let msg = Message::parse(MESSAGE).expect("the fixed message parses");
            // A loaded matrix may still map into FHIR that fhir-model refuses: an Err is allowed,
            // a panic is not.
            let _ = engine.convert(&msg).map(|c| c.bundle.entry.len());
        }
        Err(e) => {
            let (path, text) = files
                .iter()
                .find(|(p, _)| p.split_once('/').is_some_and(|(_, name)| name == e.file()))
                .unwrap_or_else(|| panic!("error names a file that was not given ({} bytes)", e.file().len()));
            // Records ≤ lines + 1 (a quoted cell may span lines, never the other way round).
            let lines = text.bytes().filter(|&b| b == b'\n' || b == b'\r').count() + 1;
            if let Some(row) = e.row() {
                assert!(row >= 1 && row <= lines, "{path}: error row {row} past the file's {lines} lines");
            }
            let _ = (e.to_string(), format!("{e:?}"), e.column(), e.kind());
        }
    }
});
