#!/usr/bin/env bash
# Seeds the cargo-fuzz corpora (fuzz/corpus/<target>/, gitignored) from the project's own corpus
# (corpus/**) plus a few hand-written inputs for the text targets. Idempotent; files are named by
# their content hash so re-running adds nothing twice.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="$root/fuzz/corpus"
# Larger files slow every libFuzzer run down and teach it nothing the small ones do not.
max_bytes=$((256 * 1024))

seed() { # seed <target> <file>
    local dir="$out/$1"
    mkdir -p "$dir"
    cp "$2" "$dir/$(sha1sum "$2" | cut -c1-16)"
}

seed_text() { # seed_text <target> <printf-format>
    local tmp
    tmp="$(mktemp)"
    printf "$2" >"$tmp"
    seed "$1" "$tmp"
    rm -f "$tmp"
}

count=0
while IFS= read -r -d '' file; do
    [ "$(stat -c %s "$file")" -le "$max_bytes" ] || continue
    for target in parse batch mllp ack validate convert; do
        seed "$target" "$file"
    done
    count=$((count + 1))
done < <(find "$root/corpus" -type f ! -name '*.md' ! -name '*.tsv' ! -name '.git*' -print0)

for p in 'PID' 'PID-3' 'PID-3[2]' 'PID-3[2].1' 'PID-3[2].1.2' 'OBX[3]-5' 'MSH-9.2' 'ZPD-1.2.2' 'OBX[0]-5' \
    'PID-99999999999999999999' 'PID-3[1' 'pid-3'; do
    seed_text path "$p"
done
# escape: a mode byte (MSH-2 length), the delimiter bytes, then the value.
seed_text escape '\005|^~\\&#a|b^c~d\\e&f#g\r\n'
seed_text escape '\001|^~x\\F\\'
seed_text escape '\003#!@%%*A\\E\\R\\\\X0D\\\\X0A\\ \\.br\\ \\H\\'
for t in mllp roundtrip edit; do mkdir -p "$out/$t"; done
seed_text mllp '\000\000\000\000junk\013MSH|^~\\&|A\r\034\r\013\006\034\r\013MSH|\034'

# fhir_json: a few FHIR R4 resources written here (the shared conformance cases make good extra
# seeds for long local runs, but CI seeds only from the project's own material).
seed_text fhir_json '{"resourceType":"Patient","id":"p1","birthDate":"1980-01","_birthDate":{"extension":[{"url":"http://example.org/x","valueString":"a"}]},"name":[{"family":"Test","given":["A","B"]}],"gender":"female"}'
seed_text fhir_json '{"resourceType":"Bundle","type":"collection","entry":[{"fullUrl":"urn:uuid:1","resource":{"resourceType":"Observation","status":"final","code":{"text":"x"},"valueQuantity":{"value":1.50,"unit":"mg"},"subject":{"reference":"urn:uuid:2"}}},{"fullUrl":"urn:uuid:2","resource":{"resourceType":"Patient"}}]}'
seed_text fhir_json '{"resourceType":"Observation","status":"final","code":{"coding":[{"system":"http://loinc.org","code":"1-8"}]},"valueString":"ok","contained":[{"resourceType":"Patient","id":"c"}],"subject":{"reference":"#c"}}'

# One minimal resource of every type fhir-model holds, so that each type's reader is reached.
for r in Account AllergyIntolerance Appointment Bundle ChargeItem Condition Coverage Device DiagnosticReport \
    DocumentReference Encounter EpisodeOfCare Immunization ImmunizationRecommendation Location Medication \
    MedicationAdministration MedicationRequest MessageHeader Observation OperationOutcome Organization Patient \
    Practitioner PractitionerRole Procedure Provenance RelatedPerson ServiceRequest Specimen; do
    seed_text fhir_json "{\"resourceType\":\"$r\",\"id\":\"a\",\"extension\":[{\"url\":\"http://e\",\"valueString\":\"x\"}]}"
done

# The exemplars (fhir-model/tests/exemplars, written by fhir-codegen): every element of every
# struct present once, every type of every choice in one of them, so that each generated reader
# starts with an input that reaches it.
exemplars=0
for file in "$root"/fhir-model/tests/exemplars/*.json; do
    [ -f "$file" ] || continue
    seed fhir_json "$file"
    exemplars=$((exemplars + 1))
done

# matrix_load: NUL-separated files in the order the target names them (messages/ADT_A01,
# segments/PID[Patient], datatypes/XPN[HumanName], vocabulary/AdministrativeSex,
# segments/MSH[MessageHeader]), from the built-in matrix: one whole set (its message map refers to
# segment maps the set lacks, so that load fails on the reference), one without the message map
# (loads), and the maps one by one.
maps="$root/hl7-map/mappings"
matrix_seed() { # matrix_seed <file>...: the files joined by NUL bytes (a missing name: empty chunk)
    local tmp f first=1
    tmp="$(mktemp)"
    for f in "$@"; do
        [ "$first" -eq 1 ] || printf '\0' >>"$tmp"
        first=0
        [ -n "$f" ] && cat "$f" >>"$tmp"
    done
    seed matrix_load "$tmp"
    rm -f "$tmp"
}
adt="$maps/messages/ADT_A01.csv" pid="$maps/segments/PID[Patient].csv" xpn="$maps/datatypes/XPN[HumanName].csv"
sex="$maps/vocabulary/AdministrativeSex.csv" msh="$maps/segments/MSH[MessageHeader].csv"
matrix_seed "$adt" "$pid" "$xpn" "$sex" "$msh"
matrix_seed "" "" "$xpn" "$sex"
matrix_seed "" "" "$xpn"
matrix_seed "" "" "" "$sex"
matrix_seed "$adt"
# A whole small matrix that loads and maps: conditions, a vocabulary, a datatype map, constants.
seed_text matrix_load 'key,position,segment,resource,segment_map\nm1,ADT_A01.PID,PID,Patient[1],PID[Patient]\n\0key,source,condition,target,datatype_map,vocabulary,constant\n,PID-5,IF PID-5.1 VALUED AND (PID-8 IN ("F","M") OR NOT PID-7 VALUED),name,XPN[HumanName],,\n,PID-8,,gender,,AdministrativeSex,\n,PID-3.1,IF PID-3.4 = "H",identifier[1].value,,,\n,PID,,active,,,true\n\0source,target,condition\nXPN.1,family,\nXPN.2,given[1],IF XPN.2 VALUED\n\0code,table,target_code,target_system\nF,HL70001,female,http://hl7.org/fhir/administrative-gender\nM,HL70001,male,http://hl7.org/fhir/administrative-gender\n'

echo "fuzz seeds: $count corpus files into $out/{parse,batch,mllp,ack,validate,convert}; path, escape and mllp extras; $exemplars fhir_json exemplars; matrix_load sets"
