//! Word lists kdg ships itself, where the `fake` crate's `en` data has no equivalent.
//!
//! The lists are written for kdg: they have the shape and flavour of faker.js's `en` data (the
//! values a KDG template would see are of the same kind) but are shorter.

use std::sync::LazyLock;

/// US ZIP code patterns for `address.zipCode` (`#` is a digit).
pub const ZIP_FORMATS: &[&str] = &["#####", "#####-####"];

/// Patterns for `address.secondaryAddress` (`#` is a digit).
pub const SECONDARY_ADDRESS: &[&str] = &["Apt. ###", "Suite ###"];

/// faker's `en` locale has no street prefixes, so `address.streetPrefix` falls back to
/// `random.arrayElement()`'s default list.
pub const STREET_PREFIX: &[&str] = &["a", "b", "c"];

/// Counties for `address.county`: a handful, as faker's `en` data has.
pub const COUNTY: &[&str] = &[
    "Cornwall",
    "Derbyshire",
    "Gloucestershire",
    "Hampshire",
    "Lancashire",
    "Norfolk",
    "Somerset",
    "Wiltshire",
];

/// Colours for `commerce.color`.
pub const COMMERCE_COLOR: &[&str] = &[
    "red",
    "green",
    "blue",
    "yellow",
    "purple",
    "mint green",
    "teal",
    "white",
    "black",
    "orange",
    "pink",
    "grey",
    "maroon",
    "violet",
    "turquoise",
    "tan",
    "sky blue",
    "salmon",
    "plum",
    "orchid",
    "olive",
    "magenta",
    "lime",
    "ivory",
    "indigo",
    "gold",
    "fuchsia",
    "cyan",
    "azure",
    "lavender",
    "silver",
];

/// Shop departments for `commerce.department`.
pub const COMMERCE_DEPARTMENT: &[&str] = &[
    "Books",
    "Movies",
    "Music",
    "Games",
    "Electronics",
    "Computers",
    "Home",
    "Garden",
    "Tools",
    "Grocery",
    "Health",
    "Beauty",
    "Toys",
    "Kids",
    "Baby",
    "Clothing",
    "Shoes",
    "Jewelery",
    "Sports",
    "Outdoors",
    "Automotive",
    "Industrial",
];

/// Adjectives for `commerce.productAdjective`.
pub const PRODUCT_ADJECTIVE: &[&str] = &[
    "Small",
    "Ergonomic",
    "Rustic",
    "Intelligent",
    "Gorgeous",
    "Incredible",
    "Fantastic",
    "Practical",
    "Sleek",
    "Awesome",
    "Generic",
    "Handcrafted",
    "Handmade",
    "Licensed",
    "Refined",
    "Unbranded",
    "Tasty",
];

/// Materials for `commerce.productMaterial`.
pub const PRODUCT_MATERIAL: &[&str] = &[
    "Steel", "Wooden", "Concrete", "Plastic", "Cotton", "Granite", "Rubber", "Metal", "Soft", "Fresh", "Frozen",
];

/// Products for `commerce.product`.
pub const PRODUCT: &[&str] = &[
    "Chair", "Car", "Computer", "Keyboard", "Mouse", "Bike", "Ball", "Gloves", "Pants", "Shirt", "Table", "Shoes",
    "Hat", "Towels", "Soap", "Tuna", "Chicken", "Fish", "Cheese", "Bacon", "Pizza", "Salad", "Sausages", "Chips",
];

/// Account kinds for `finance.accountName` (followed by " Account").
pub const FINANCE_ACCOUNT_TYPE: &[&str] = &[
    "Checking",
    "Savings",
    "Money Market",
    "Investment",
    "Home Loan",
    "Credit Card",
    "Auto Loan",
    "Personal Loan",
];

/// Transaction kinds for `finance.transactionType`.
pub const FINANCE_TRANSACTION_TYPE: &[&str] = &["deposit", "withdrawal", "payment", "invoice"];

/// Abbreviations for `hacker.abbreviation`.
pub const HACKER_ABBREVIATION: &[&str] = &[
    "ADP", "AGP", "AI", "API", "CSS", "DNS", "EXE", "FTP", "GB", "HDD", "HTTP", "IB", "JSON", "PCI", "PNG", "RAM",
    "RSS", "SAS", "SCSI", "SDD", "SMS", "SMTP", "SQL", "SSL", "TCP", "THX", "USB", "XML", "XSS",
];

/// Adjectives for `hacker.adjective`.
pub const HACKER_ADJECTIVE: &[&str] = &[
    "auxiliary",
    "primary",
    "back-end",
    "digital",
    "open-source",
    "virtual",
    "cross-platform",
    "redundant",
    "online",
    "haptic",
    "multi-byte",
    "bluetooth",
    "wireless",
    "1080p",
    "neural",
    "optical",
    "solid state",
    "mobile",
];

/// Nouns for `hacker.noun`.
pub const HACKER_NOUN: &[&str] = &[
    "driver",
    "protocol",
    "bandwidth",
    "panel",
    "microchip",
    "program",
    "port",
    "card",
    "array",
    "interface",
    "system",
    "sensor",
    "firewall",
    "hard drive",
    "pixel",
    "alarm",
    "feed",
    "monitor",
    "application",
    "transmitter",
    "bus",
    "circuit",
    "capacitor",
    "matrix",
];

/// Verbs for `hacker.verb`.
pub const HACKER_VERB: &[&str] = &[
    "back up",
    "bypass",
    "hack",
    "override",
    "compress",
    "copy",
    "navigate",
    "index",
    "connect",
    "generate",
    "quantify",
    "calculate",
    "synthesize",
    "input",
    "transmit",
    "program",
    "reboot",
    "parse",
];

/// "-ing" verbs for `hacker.ingverb`.
pub const HACKER_INGVERB: &[&str] = &[
    "backing up",
    "bypassing",
    "hacking",
    "overriding",
    "compressing",
    "copying",
    "navigating",
    "indexing",
    "connecting",
    "generating",
    "quantifying",
    "calculating",
    "synthesizing",
    "transmitting",
    "programming",
    "parsing",
];

/// Sentence patterns for `hacker.phrase`. Placeholders: `{a}` abbreviation, `{j}` adjective,
/// `{n}` noun, `{v}` verb, `{i}` -ing verb. Each word is drawn once per phrase.
pub const HACKER_PHRASE: &[&str] = &[
    "If we {v} the {n}, we can get to the {a} {n} through the {j} {a} {n}!",
    "We need to {v} the {j} {a} {n}!",
    "Try to {v} the {a} {n}, maybe it will {v} the {j} {n}!",
    "You can't {v} the {n} without {i} the {j} {a} {n}!",
    "Use the {j} {a} {n}, then you can {v} the {j} {n}!",
    "The {a} {n} is down, {v} the {j} {n} so we can {v} the {a} {n}!",
    "{i} the {n} won't do anything, we need to {v} the {j} {a} {n}!",
    "I'll {v} the {j} {a} {n}, that should {n} the {a} {n}!",
];

/// Domains for `internet.exampleEmail`.
pub const EXAMPLE_EMAIL: &[&str] = &["example.org", "example.com", "example.net"];

/// Categories of `image.image` (and of lorempixel.com).
pub const IMAGE_CATEGORIES: &[&str] = &[
    "abstract",
    "animals",
    "business",
    "cats",
    "city",
    "food",
    "nightlife",
    "fashion",
    "people",
    "nature",
    "sports",
    "technics",
    "transport",
];

/// Every media type of the IANA-based media-type database that the `mime-db` crate carries
/// (the kind of database faker draws from), with its file extensions, for the `system`
/// namespace: about a thousand types, `application/vnd.*` included.
pub static MIME_TYPES: LazyLock<Vec<(&'static str, Vec<&'static str>)>> = LazyLock::new(|| {
    mime_db::TYPES
        .iter()
        .map(|(mime, start, len)| {
            (
                *mime,
                mime_db::EXTENSIONS[*start..][..*len].iter().map(|(e, _)| *e).collect(),
            )
        })
        .collect()
});

/// Every media type of the media-type database, with or without a file extension (the
/// `mediatypes` crate), for `system.mimeType`: about 2,600, `application/vnd.*+xml` included,
/// as many and of the same shapes as faker's table (which also lists the types without one).
pub static ALL_MIME_TYPES: LazyLock<Vec<&'static str>> = LazyLock::new(mediatypes::all_types::all);

/// The distinct top-level types of [`MIME_TYPES`] (`application`, `audio`, …), for
/// `system.fileType`.
pub static FILE_TYPES: LazyLock<Vec<&'static str>> = LazyLock::new(|| {
    let mut tops: Vec<&'static str> = Vec::new();
    for (mime, _) in MIME_TYPES.iter() {
        let top = mime.split('/').next().unwrap_or(mime);
        if !tops.contains(&top) {
            tops.push(top);
        }
    }
    tops
});

/// The types `system.commonFileType` picks from.
pub const COMMON_FILE_TYPES: &[&str] = &["video", "audio", "image", "text", "application"];

/// The MIME types `system.commonFileExt` picks an extension of.
pub const COMMON_MIME_TYPES: &[&str] = &[
    "application/pdf",
    "audio/mpeg",
    "audio/wav",
    "image/png",
    "image/jpeg",
    "image/gif",
    "video/mp4",
    "video/mpeg",
    "text/html",
];

/// The extensions of `mime`, if it is in [`MIME_TYPES`] and has any.
pub fn mime_extensions(mime: &str) -> Option<&'static [&'static str]> {
    MIME_TYPES
        .iter()
        .find(|(m, _)| *m == mime)
        .map(|(_, e)| e.as_slice())
        .filter(|e| !e.is_empty())
}

/// `random.locale()`: locale identifiers of the kind faker.js ships data for (CLDR-style
/// `language` or `language_REGION`; faker 3.1.0 has 35 of them), picked uniformly. The template's
/// own locale stays `en`: no tag changes it.
pub const LOCALES: &[&str] = &[
    "ar",
    "cs",
    "da",
    "de",
    "el",
    "en",
    "es",
    "fi",
    "fr",
    "he",
    "hu",
    "it",
    "ja",
    "ko",
    "nl",
    "pl",
    "pt",
    "ru",
    "de_AT",
    "de_CH",
    "en_AU",
    "en_CA",
    "en_GB",
    "en_IE",
    "en_IN",
    "en_US",
    "es_MX",
    "fr_CA",
    "id_ID",
    "nb_NO",
    "pt_BR",
    "sv_SE",
    "zh_CN",
    "zh_TW",
    "sr_Latn_RS",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_types_are_the_mime_types_top_levels() {
        let tops: std::collections::BTreeSet<&str> =
            MIME_TYPES.iter().map(|(m, _)| m.split('/').next().unwrap()).collect();
        assert_eq!(tops.len(), FILE_TYPES.len());
        assert!(FILE_TYPES.len() >= 8, "{:?}", *FILE_TYPES);
        // The whole database, vendor types included.
        assert!(MIME_TYPES.len() > 900);
        assert!(ALL_MIME_TYPES.len() > 2500);
        assert!(ALL_MIME_TYPES
            .iter()
            .all(|m| m.split_once('/').is_some_and(|(a, b)| !a.is_empty() && !b.is_empty())));
        assert!(MIME_TYPES.iter().any(|(m, _)| m.starts_with("application/vnd.")));
        for m in COMMON_MIME_TYPES {
            assert!(mime_extensions(m).is_some(), "{m}");
        }
        for t in COMMON_FILE_TYPES {
            assert!(FILE_TYPES.contains(t));
        }
    }

    #[test]
    fn lists_are_not_empty() {
        for list in [
            ZIP_FORMATS,
            SECONDARY_ADDRESS,
            STREET_PREFIX,
            COUNTY,
            COMMERCE_COLOR,
            COMMERCE_DEPARTMENT,
            PRODUCT_ADJECTIVE,
            PRODUCT_MATERIAL,
            PRODUCT,
            FINANCE_ACCOUNT_TYPE,
            FINANCE_TRANSACTION_TYPE,
            HACKER_ABBREVIATION,
            HACKER_ADJECTIVE,
            HACKER_NOUN,
            HACKER_VERB,
            HACKER_INGVERB,
            HACKER_PHRASE,
            EXAMPLE_EMAIL,
            IMAGE_CATEGORIES,
        ] {
            assert!(!list.is_empty());
        }
    }
}
