//! What `kdg methods` shows about a faker method: its arguments with their defaults and one
//! example call in each syntax. Metadata only, next to the registry in [`super`]; a method not
//! listed here takes no arguments. Also the "did you mean" suggestions for unknown names.

/// One method's arguments and an example call.
#[derive(Debug, Clone, Copy)]
pub struct Signature {
    /// `namespace.method`.
    pub name: &'static str,
    /// The arguments, with faker.js 3.1.0's defaults.
    pub args: &'static str,
    /// Example arguments in KDG syntax: `{{name(KDG)}}`.
    pub kdg: &'static str,
    /// The same call in Handlebars syntax: `{{name HBS}}`.
    pub hbs: &'static str,
}

const fn sig(name: &'static str, args: &'static str, kdg: &'static str, hbs: &'static str) -> Signature {
    Signature { name, args, kdg, hbs }
}

/// The methods that take arguments (faker.js 3.1.0's parameters, as KDG bundles it).
pub const SIGNATURES: &[Signature] = &[
    sig(
        "address.zipCode",
        "format (default: the locale's)",
        "\"#####\"",
        "\"#####\"",
    ),
    sig(
        "address.nearbyGPSCoordinate",
        "{coordinate=[lat,lon], radius=10, isMetric=false} (required)",
        r#"{"coordinate":[40.7,-74.0],"radius":10,"isMetric":true}"#,
        "coordinate=[40.7,-74.0] radius=10 isMetric=true",
    ),
    sig("address.streetAddress", "useFullAddress=false", "true", "true"),
    sig(
        "commerce.price",
        "min=1, max=1000, dec=2, symbol=\"\"",
        r#"1,100,2,"$""#,
        r#"1 100 2 "$""#,
    ),
    sig("date.past", "years=1, refDate=now", "2", "2"),
    sig("date.future", "years=1, refDate=now", "2", "2"),
    sig("date.recent", "days=1", "7", "7"),
    sig(
        "date.between",
        "from, to (dates)",
        r#""2026-01-01","2026-12-31""#,
        r#""2026-01-01" "2026-12-31""#,
    ),
    sig(
        "date.month",
        "{abbr=false, context=false}",
        r#"{"abbr":true}"#,
        "abbr=true",
    ),
    sig(
        "date.weekday",
        "{abbr=false, context=false}",
        r#"{"abbr":true}"#,
        "abbr=true",
    ),
    sig(
        "date.now",
        "format (moment.js; default: Date.toString)",
        r#""YYYY-MM-DD HH:mm:ss""#,
        r#""YYYY-MM-DD HH:mm:ss""#,
    ),
    sig(
        "date.utc",
        "format (moment.js, in UTC)",
        r#""YYYY-MM-DDTHH:mm:ss[Z]""#,
        r#""YYYY-MM-DDTHH:mm:ss[Z]""#,
    ),
    sig(
        "date.simTime",
        "format (moment.js; the --backfill clock)",
        r#""YYYY-MM-DD HH:mm""#,
        r#""YYYY-MM-DD HH:mm""#,
    ),
    sig("finance.account", "length=8", "10", "10"),
    sig(
        "finance.mask",
        "length=4, parens=true, ellipsis=true",
        "6,false,false",
        "6 false false",
    ),
    sig(
        "finance.amount",
        "min=0, max=1000, dec=2, symbol=\"\"",
        r#"10,500,2,"€""#,
        r#"10 500 2 "€""#,
    ),
    sig(
        "helpers.randomize",
        "array=[\"a\",\"b\",\"c\"]",
        r#"["x","y","z"]"#,
        r#"["x","y","z"]"#,
    ),
    sig("helpers.slugify", "string=\"\"", r#""Hello World""#, r#""Hello World""#),
    sig(
        "helpers.replaceSymbolWithNumber",
        "string=\"\", symbol=\"#\"",
        r#""ID-####""#,
        r#""ID-####""#,
    ),
    sig(
        "helpers.replaceSymbols",
        "string=\"\" (# digit, ? letter, * either)",
        r#""??-##""#,
        r#""??-##""#,
    ),
    sig("helpers.shuffle", "array=[]", "[1,2,3,4]", "[1,2,3,4]"),
    sig(
        "image.imageUrl",
        "width=640, height=480, category",
        r#"320,240,"cats""#,
        r#"320 240 "cats""#,
    ),
    sig(
        "internet.email",
        "firstName, lastName, provider (default: random)",
        r#""Ada","Lovelace""#,
        r#""Ada" "Lovelace""#,
    ),
    sig(
        "internet.userName",
        "firstName, lastName (default: random)",
        r#""Ada","Lovelace""#,
        r#""Ada" "Lovelace""#,
    ),
    sig("lorem.words", "num=3", "5", "5"),
    sig("lorem.sentence", "wordCount=3..10 (random)", "6", "6"),
    sig(
        "lorem.sentences",
        "sentenceCount=2..6 (random), separator=\" \"",
        "2",
        "2",
    ),
    sig("lorem.paragraph", "sentenceCount=3", "2", "2"),
    sig(
        "lorem.paragraphs",
        "paragraphCount=3, separator=\"\\n \\r\"",
        r#"2,"|""#,
        r#"2 "|""#,
    ),
    sig("lorem.lines", "lineCount=1..5 (random)", "2", "2"),
    sig(
        "phone.phoneNumber",
        "format (default: the locale's)",
        "\"###-###-####\"",
        "\"###-###-####\"",
    ),
    sig("phone.phoneNumberFormat", "phoneFormatsArrayIndex=0", "1", "1"),
    sig(
        "random.number",
        "max, or {min=0, max=99999, precision=1}",
        r#"{"min":1,"max":15}"#,
        "min=1 max=15",
    ),
    sig(
        "random.arrayElement",
        "array=[\"a\",\"b\",\"c\"]",
        r#"["red","green","blue"]"#,
        r#"["red","green","blue"]"#,
    ),
    sig(
        "random.weightedArrayElement",
        "{weights, data} (KDG's: weights sum to 1)",
        r#"{"weights":[0.9,0.1],"data":["ok","error"]}"#,
        r#"weights=[0.9,0.1] data=["ok","error"]"#,
    ),
    sig(
        "random.objectElement",
        "object={\"foo\":\"bar\",\"too\":\"car\"}, field=\"value\"",
        r#"{"a":"x","b":"y"}"#,
        r#"{"a":"x","b":"y"}"#,
    ),
    sig("random.words", "count=1..3 (random)", "4", "4"),
];

/// The signature of `name` (`namespace.method`), if it takes arguments.
pub fn signature(name: &str) -> Option<&'static Signature> {
    SIGNATURES.iter().find(|s| s.name == name)
}

/// Up to three of `candidates` closest to `name`, best first, for "did you mean" hints: within
/// one edit (two for longer names; a swap of neighbours is one edit) or Jaro-Winkler over 0.8.
/// strsim is the crate clap already uses for its own flag suggestions.
pub fn closest<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> Vec<&'a str> {
    let lower = name.to_ascii_lowercase();
    let edits = if lower.len() >= 6 { 2 } else { 1 };
    let mut scored: Vec<(usize, f64, &str)> = candidates
        .into_iter()
        .map(|c| {
            let c_lower = c.to_ascii_lowercase();
            let d = strsim::damerau_levenshtein(&lower, &c_lower);
            (d, strsim::jaro_winkler(&lower, &c_lower), c)
        })
        .filter(|(d, jw, _)| *d <= edits || *jw > 0.8)
        .collect();
    scored.sort_by(|a, b| a.0.cmp(&b.0).then(b.1.total_cmp(&a.1)));
    scored.into_iter().take(3).map(|(_, _, c)| c).collect()
}
