//! The input file's text encoding: its byte-order mark, or `--encoding`, or UTF-8 when its first
//! 64 KiB are UTF-8; anything else is refused rather than guessed. UTF-8 goes to the parser as
//! it is (the parser strips a UTF-8 BOM); any other encoding is decoded to UTF-8 as it streams in
//! (`encoding_rs`), so memory stays bounded whatever the file's size.

use std::io::{Cursor, Read};

use credit_scorer::{Error, ErrorKind};
use encoding_rs::{Encoding, UTF_8};
use encoding_rs_io::DecodeReaderBytesBuilder;

/// How much of the file is looked at to tell UTF-8 from other encodings.
const SNIFF_BYTES: usize = 64 << 10;

/// The encodings the help names; `--encoding` takes any WHATWG label.
pub const ENCODINGS: &str = "utf-8, utf-16le, utf-16be, gbk, gb18030, windows-1252";

/// `--encoding`'s value: a WHATWG label (`gbk`, `latin1`, `utf-16le` …).
pub fn parse_encoding(label: &str) -> Result<&'static Encoding, String> {
    match Encoding::for_label(label.trim().as_bytes()) {
        Some(e) if e != encoding_rs::REPLACEMENT => Ok(e),
        _ => Err(format!(
            "unknown encoding `{label}`; name one of {ENCODINGS} (or another WHATWG label)"
        )),
    }
}

/// The file as UTF-8 bytes, and the encoding it was read in.
pub struct Decoded<'a> {
    pub reader: Box<dyn Read + 'a>,
    pub encoding: &'static Encoding,
    /// The file began with a byte-order mark.
    pub bom: bool,
}

impl Decoded<'_> {
    /// `UTF-8`, `GBK (chosen)`, `UTF-16LE (byte-order mark)` …, for the summary.
    pub fn describe(&self, chosen: bool) -> String {
        let how = if self.bom {
            " (byte-order mark)"
        } else if chosen {
            " (--encoding)"
        } else {
            ""
        };
        format!("{}{how}", self.encoding.name())
    }
}

fn io(what: &str, e: &std::io::Error) -> Error {
    Error::new(ErrorKind::Io, format!("{what}: {e}"))
}

/// Reads the start of `reader` (file `name`) and decides its encoding: a byte-order mark wins,
/// then `chosen`, then UTF-8 if the start is UTF-8 text; otherwise an error naming `--encoding`.
pub fn decode<'a>(
    mut reader: Box<dyn Read + 'a>,
    name: &str,
    chosen: Option<&'static Encoding>,
) -> Result<Decoded<'a>, Error> {
    let mut start = Vec::with_capacity(SNIFF_BYTES);
    (&mut reader)
        .take(SNIFF_BYTES as u64)
        .read_to_end(&mut start)
        .map_err(|e| io(&format!("cannot read `{name}`"), &e))?;
    let bom = Encoding::for_bom(&start).map(|(e, _)| e);
    let encoding = match (bom, chosen) {
        (Some(e), _) | (None, Some(e)) => e,
        (None, None) => sniff(&start, name)?,
    };
    let whole = Cursor::new(start).chain(reader);
    let reader: Box<dyn Read + 'a> = if encoding == UTF_8 {
        // Zero copy: UTF-8 is what the parser reads.
        Box::new(whole)
    } else {
        Box::new(
            DecodeReaderBytesBuilder::new()
                .encoding(Some(encoding))
                .bom_override(true)
                .build(whole),
        )
    };
    Ok(Decoded {
        reader,
        encoding,
        bom: bom.is_some(),
    })
}

/// UTF-8 when `start` is UTF-8 text (a character cut at its end aside); otherwise an error.
fn sniff(start: &[u8], name: &str) -> Result<&'static Encoding, Error> {
    let refuse = |why: String| {
        Err(Error::new(
            ErrorKind::Csv,
            format!(
                "`{name}` is not UTF-8 ({why}) and has no byte-order mark, so its encoding \
                 cannot be told safely; name it with --encoding ({ENCODINGS})"
            ),
        ))
    };
    if let Some(at) = start.iter().position(|&b| b == 0) {
        return refuse(format!(
            "byte {} is zero, as in UTF-16 text: try --encoding utf-16le or utf-16be",
            at + 1
        ));
    }
    match std::str::from_utf8(start) {
        Ok(_) => Ok(UTF_8),
        // A character cut by the end of the sniffed bytes, not a bad one.
        Err(e) if e.error_len().is_none() && start.len() == SNIFF_BYTES => Ok(UTF_8),
        Err(e) => refuse(format!("byte {} is not", e.valid_up_to() + 1)),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic, clippy::indexing_slicing)]
mod tests {
    use super::*;

    fn decoded(bytes: &[u8], chosen: Option<&'static Encoding>) -> (String, &'static str) {
        let mut d = decode(Box::new(bytes), "f.csv", chosen).unwrap();
        let mut out = String::new();
        d.reader.read_to_string(&mut out).unwrap();
        (out, d.encoding.name())
    }

    #[test]
    fn encodings_are_told_by_their_mark_or_named_and_never_guessed() {
        assert_eq!(decoded(b"a,b\n", None), ("a,b\n".into(), "UTF-8"));
        // The parser strips a UTF-8 BOM itself: UTF-8 is passed through untouched.
        assert_eq!(
            decoded(b"\xef\xbb\xbfa\n", None),
            ("\u{feff}a\n".into(), "UTF-8")
        );
        assert_eq!(
            decoded(b"\xff\xfea\x00,\x00\xe9\x00\n\x00", None),
            ("a,\u{e9}\n".into(), "UTF-16LE")
        );
        assert_eq!(
            decoded(b"\xfe\xff\x00a\x00\n", None),
            ("a\n".into(), "UTF-16BE")
        );
        let gbk = parse_encoding("GBK").unwrap();
        assert_eq!(
            decoded(b"\xd6\xa7\xc6\xb1\n", Some(gbk)),
            ("支票\n".into(), "GBK")
        );
        let cp1252 = parse_encoding("windows-1252").unwrap();
        assert_eq!(
            decoded(b"\x80 1,5\n", Some(cp1252)),
            ("€ 1,5\n".into(), "windows-1252")
        );
        for (bytes, why) in [
            (&b"a;\xe9\n"[..], "byte 3 is not"),
            (&b"a\x00,\x00"[..], "byte 2 is zero"),
        ] {
            let Err(e) = decode(Box::new(bytes), "f.csv", None) else {
                panic!("{bytes:?} was read without --encoding");
            };
            assert!(e.message().contains(why), "{e}");
            assert!(e.message().contains("name it with --encoding"), "{e}");
        }
        assert!(
            parse_encoding("klingon")
                .unwrap_err()
                .contains("unknown encoding `klingon`")
        );
    }
}
