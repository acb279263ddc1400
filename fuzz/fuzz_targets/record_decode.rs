//! `Record::decode` reads whatever a store hands back (a Redis value, a SQL
//! column): corrupt or hostile bytes must give an error, never a panic, and
//! what it accepts must survive another encode/decode unchanged.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sesh::store::Record;

fuzz_target!(|data: &[u8]| {
    let Ok(record) = Record::decode(data) else {
        return;
    };
    let bytes = record.encode().expect("a decoded record encodes");
    let again = Record::decode(&bytes).expect("an encoded record decodes");
    assert_eq!(again, record, "a record changed on its way through the store");
});
