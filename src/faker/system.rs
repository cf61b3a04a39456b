//! The `system` namespace of faker.js 3.1.0 as bundled by KDG (`docs/templates.md#namespaces`).

use std::sync::LazyLock;

use fake::locales::{Data, EN};

use super::data::{
    self, mime_extensions, ALL_MIME_TYPES, COMMON_FILE_TYPES, COMMON_MIME_TYPES, FILE_TYPES, MIME_TYPES,
};
use super::helpers::{fixed, params, text};
use super::{boxed, write_int, ArgError, Args, BuildCtx, Builder, Ctx, Gen, Pick};

/// The methods of `system`.
pub const METHODS: &[&str] = &[
    "fileName",
    "commonFileName",
    "mimeType",
    "commonFileType",
    "commonFileExt",
    "fileType",
    "fileExt",
    "directoryPath",
    "filePath",
    "semver",
];

/// The builder for `system.<method>`.
pub fn lookup(method: &str) -> Option<Builder> {
    Some(match method {
        "fileName" => crate::no_args!(|ctx: &mut Ctx, out: &mut Vec<u8>| {
            let start = out.len();
            write_random_words(ctx, out);
            out.push(b'.');
            out.extend_from_slice(ctx.pick(ALL_EXTENSIONS.as_slice()).as_bytes());
            file_name_chars(out, start);
        }),
        "commonFileName" => common_file_name,
        "mimeType" => crate::pick_from!(ALL_MIME_TYPES.as_slice()),
        "commonFileType" => crate::pick_from!(COMMON_FILE_TYPES),
        "commonFileExt" => crate::no_args!(write_common_file_ext),
        "fileType" => crate::pick_from!(FILE_TYPES.as_slice()),
        "fileExt" => file_ext,
        // Both are `undefined` in faker 3.1.0 (`docs/templates.md#values-as-text`).
        "directoryPath" | "filePath" => {
            crate::no_args!(|_: &mut Ctx, out: &mut Vec<u8>| out.extend_from_slice(b"undefined"))
        }
        "semver" => crate::no_args!(|ctx: &mut Ctx, out: &mut Vec<u8>| {
            for i in 0..3 {
                if i > 0 {
                    out.push(b'.');
                }
                write_int(out, ctx.int(0, 9));
            }
        }),
        _ => return None,
    })
}

/// Every extension of every MIME type, for `fileExt()` without an argument.
static ALL_EXTENSIONS: LazyLock<Vec<&'static str>> =
    LazyLock::new(|| MIME_TYPES.iter().flat_map(|(_, exts)| exts.iter().copied()).collect());

/// `random.words()`: 1 to 3 words from faker's assorted word lists, separated by spaces.
fn write_random_words(ctx: &mut Ctx, out: &mut Vec<u8>) {
    const LISTS: [&[&str]; 10] = [
        data::COMMERCE_DEPARTMENT,
        data::PRODUCT_ADJECTIVE,
        data::PRODUCT,
        data::COMMERCE_COLOR,
        EN::COMPANY_BUZZWORD_TAIL,
        EN::COMPANY_BS_NOUNS,
        EN::COMPANY_BS_ADJ,
        data::HACKER_NOUN,
        EN::JOB_FIELD,
        EN::ADDRESS_STREET_SUFFIX,
    ];
    let n = ctx.int(1, 3);
    for i in 0..n {
        if i > 0 {
            out.push(b' ');
        }
        let list = LISTS[ctx.index(LISTS.len())];
        out.extend_from_slice(ctx.pick(list).as_bytes());
    }
}

/// faker's file-name clean-up over `out[start..]`: space, `,`, `-` and `\` become `_`, and
/// everything is lower-cased.
fn file_name_chars(out: &mut [u8], start: usize) {
    for b in &mut out[start..] {
        *b = match *b {
            b' ' | b',' | b'-' | b'\\' => b'_',
            c => c.to_ascii_lowercase(),
        };
    }
}

/// `commonFileExt()`: an extension of a common MIME type (pdf, mp3, png, html, …).
fn write_common_file_ext(ctx: &mut Ctx, out: &mut Vec<u8>) {
    let mime = ctx.pick(COMMON_MIME_TYPES);
    let exts = mime_extensions(mime).unwrap_or(&["txt"]);
    out.extend_from_slice(ctx.pick(exts).as_bytes());
}

/// `commonFileName(ext)`: random words and `ext` (or a common extension).
struct CommonFileName(Option<Box<str>>);

impl Gen for CommonFileName {
    fn emit(&self, ctx: &mut Ctx, out: &mut Vec<u8>) {
        let start = out.len();
        write_random_words(ctx, out);
        out.push(b'.');
        match &self.0 {
            Some(ext) => out.extend_from_slice(ext.as_bytes()),
            None => write_common_file_ext(ctx, out),
        }
        file_name_chars(out, start);
    }
}

fn common_file_name(args: &Args, _: &mut BuildCtx) -> Result<Box<dyn Gen>, ArgError> {
    let [ext] = params(args, ["ext"], false)?;
    // `ext || commonFileExt()`: an empty extension counts as none.
    let ext = text(&ext, "ext")?.filter(|e| !e.is_empty()).map(Into::into);
    boxed(CommonFileName(ext))
}

/// `fileExt(mimeType)`: an extension of `mimeType`, or of any type.
fn file_ext(args: &Args, _: &mut BuildCtx) -> Result<Box<dyn Gen>, ArgError> {
    let [mime] = params(args, ["mimeType"], false)?;
    match text(&mime, "mimeType")? {
        None => boxed(|ctx: &mut Ctx, out: &mut Vec<u8>| {
            out.extend_from_slice(ctx.pick(ALL_EXTENSIONS.as_slice()).as_bytes())
        }),
        Some(m) => match mime_extensions(m) {
            Some([one]) => fixed(one.as_bytes()),
            Some(exts) => boxed(Pick(exts)),
            None => Err(ArgError::new(format!(
                "unknown MIME type {m:?}, or one without file extensions; write one such as \"image/png\""
            ))),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::faker::helpers::tests::{kdg, render_with};
    use crate::faker::Compat;
    use serde_json::json;

    crate::faker::helpers::tests::namespace_test_fns!();

    #[test]
    fn file_names_are_lowercase_words_and_an_extension() {
        for v in render("fileName", Args::default(), 200) {
            let (name, ext) = v.rsplit_once('.').expect("has an extension");
            assert!(!name.is_empty() && ALL_EXTENSIONS.contains(&ext), "{v}");
            assert!(!v.contains(' ') && !v.contains('-') && v.to_lowercase() == v, "{v}");
        }
        for v in render("commonFileName", kdg(json!("CSV")), 20) {
            assert!(v.ends_with(".csv"), "{v}");
        }
        for v in render("commonFileName", Args::default(), 50) {
            let ext = v.rsplit_once('.').unwrap().1;
            assert!(
                COMMON_MIME_TYPES
                    .iter()
                    .any(|m| mime_extensions(m).unwrap().contains(&ext)),
                "{v}"
            );
        }
    }

    #[test]
    fn mime_types_and_extensions() {
        // Every registered media type, as faker's table, most without extensions.
        for v in render("mimeType", Args::default(), 50) {
            assert!(ALL_MIME_TYPES.contains(&v.as_str()), "{v}");
            assert_eq!(v.matches('/').count(), 1, "{v}");
        }
        for v in render("fileType", Args::default(), 50) {
            assert!(FILE_TYPES.contains(&v.as_str()));
        }
        for v in render("fileExt", kdg(json!("image/jpeg")), 50) {
            assert!(["jpeg", "jpg", "jpe"].contains(&v.as_str()), "{v}");
        }
        assert_eq!(render("fileExt", kdg(json!("application/pdf")), 1), ["pdf"]);
        assert!(render_with(file_ext, kdg(json!("foo/bar")), Compat::Tolerant, 1).is_err());
        for v in render("commonFileExt", Args::default(), 50) {
            assert!(!v.is_empty() && v.bytes().all(|b| b.is_ascii_alphanumeric()));
        }
    }

    #[test]
    fn paths_are_undefined_and_semver_has_three_digits() {
        assert_eq!(render("directoryPath", Args::default(), 1), ["undefined"]);
        assert_eq!(render("filePath", Args::default(), 1), ["undefined"]);
        for v in render("semver", Args::default(), 50) {
            let parts: Vec<&str> = v.split('.').collect();
            assert_eq!(parts.len(), 3);
            assert!(parts.iter().all(|p| p.len() == 1 && p.as_bytes()[0].is_ascii_digit()));
        }
    }
}
