//! The record codec on a realistic status: positional MessagePack, zstd level 3, and the
//! checks on both sides (`store::records`).
//!
//! The status is a typical ~500-character post with a link, a mention and two hashtags, its
//! HTML made by the same formatter that local posts go through (`app::text::format`). Before
//! the benchmarks run, the record's size on disk is printed next to the size of the same
//! content as JSON with field names, which is what a record would cost without the codec.
//!
//! Run with `cargo bench --bench codec`; `cargo test --benches` runs each benchmark once.

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use skerry::app::text::{self, ResolvedMention};
use skerry::model::{AccountId, AppId, Status, StatusId, Visibility};
use skerry::store::records::{decode, encode};

/// The largest decompressed record decoding accepts, as the default `storage.record_bytes_max`.
const RECORD_BYTES_MAX: usize = 1024 * 1024;

/// A post as people write them: prose, a link with a query string, a mention, two hashtags.
const POST_TEXT: &str = "Spent the weekend moving our small community server from a 4 GB VPS to a \
    1 GB one, and it went better than expected. Memory at idle is now around 30 MB, and the \
    database file is a tenth of what it was before the move.\n\n\
    The write-up with all the numbers, the backup procedure and the one thing that went wrong \
    is here: https://blog.example.org/2024/05/moving-to-a-smaller-box?utm_source=fediverse\n\n\
    Thanks @alice for reviewing the migration plan and catching the missing fsync. \
    Questions welcome, replies are open. #selfhosting #fediverse";

fn realistic_status() -> Status {
    let alice = AccountId(7_231_592_470_528_000);
    let formatted = text::format(
        POST_TEXT,
        |target| {
            (target.username == "alice" && target.domain.is_none()).then(|| ResolvedMention {
                id: alice,
                url: "https://social.example/@alice".to_string(),
                username: "alice".to_string(),
            })
        },
        |tag| format!("https://social.example/tags/{tag}"),
    );
    assert_eq!(formatted.mentions, [alice], "the post mentions alice");
    assert_eq!(formatted.tags.len(), 2, "the post has two hashtags");
    Status {
        id: StatusId(7_231_601_253_376_017),
        account_id: AccountId(7_231_590_013_952_000),
        in_reply_to_id: None,
        in_reply_to_account_id: None,
        reblog_of: None,
        content_html: formatted.html,
        text_source: POST_TEXT.to_string(),
        spoiler_text: String::new(),
        visibility: Visibility::Public,
        sensitive: false,
        language: Some("en".to_string()),
        mentions: formatted.mentions,
        tags: formatted.tags,
        application_id: Some(AppId(7_231_500_000_000_001)),
        created_ms: 1_715_000_000_000,
        edited_ms: None,
        quote_of: None,
        media_ids: Vec::new(),
        uri: None,
    }
}

fn codec(criterion: &mut Criterion) {
    let status = realistic_status();
    let encoded = encode(&status).expect("the status passes its checks");
    let json_bytes = serde_json::to_vec(&status)
        .expect("a status serializes to JSON")
        .len();
    let packed_bytes = rmp_serde::to_vec(&status)
        .expect("a status serializes to MessagePack")
        .len();
    eprintln!(
        "status record: {} chars of text, {} bytes of HTML; JSON {json_bytes} B, \
         positional MessagePack {packed_bytes} B, on disk (header + zstd) {} B ({:.0}% of JSON)",
        POST_TEXT.chars().count(),
        status.content_html.len(),
        encoded.len(),
        100.0 * encoded.len() as f64 / json_bytes as f64,
    );
    assert_eq!(
        decode::<Status>(&encoded, RECORD_BYTES_MAX).expect("the record decodes"),
        status
    );

    let mut group = criterion.benchmark_group("codec");
    group.bench_function("encode_status", |bencher| {
        bencher.iter(|| encode(black_box(&status)))
    });
    group.bench_function("decode_status", |bencher| {
        bencher.iter(|| decode::<Status>(black_box(&encoded), RECORD_BYTES_MAX))
    });
    group.finish();
}

criterion_group! {
    name = benches;
    // Short runs: the whole `cargo bench` is meant to finish in a couple of minutes on 2 cores.
    config = Criterion::default()
        .sample_size(30)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(3));
    targets = codec
}
criterion_main!(benches);
