//! Arbitrary bytes through the whole pipeline (detection, decoding, html, repair, reflow,
//! boilerplate, conversion; HTML sniffed or forced) in
//! arbitrary chunks: no panic, valid UTF-8 out, output not depending on the chunking, bounded
//! growth, and repair idempotent on its own output.
#![no_main]

use libfuzzer_sys::fuzz_target;
use zhtidy::convert::{Config, Target};
use zhtidy::pipeline::Html;
use zhtidy::Pipeline;

fuzz_target!(|data: &[u8]| {
    if data.is_empty() {
        return;
    }
    let config = Config::ALL[data[0] as usize % Config::ALL.len()];
    let cut = if data.len() > 1 { data[1] as usize % data.len() } else { 0 };
    let bytes = &data[2.min(data.len())..];
    let html = if data[0] & 0x80 != 0 { Html::Always } else { Html::Auto };
    let build = || Pipeline::builder().target(Target::Config(config)).html(html).build().unwrap();
    let whole = build().run_bytes(bytes);
    let mut p = build();
    let mut out = String::new();
    let cut = cut.min(bytes.len());
    let pieces = p.push_bytes(&bytes[..cut], &mut out, false).and_then(|_| p.push_bytes(&bytes[cut..], &mut out, true));
    match (whole, pieces) {
        (Ok((w, _)), Ok(())) => {
            let w = String::from_utf8(w).expect("valid UTF-8 out");
            assert_eq!(w, out, "chunking changed the output");
            assert!(w.len() <= bytes.len() * 4 + 64, "output grew without bound");
            let again = Pipeline::builder().only(&["repair"]).unwrap().build().unwrap().run_text(&w).unwrap();
            let twice = Pipeline::builder().only(&["repair"]).unwrap().build().unwrap().run_text(&again).unwrap();
            assert_eq!(again, twice, "repair is not idempotent");
        }
        (Err(a), Err(b)) => assert_eq!(a.kind(), b.kind()),
        (a, b) => panic!("whole {:?} vs pieces {:?}", a.map(|x| x.0.len()), b),
    }
});
