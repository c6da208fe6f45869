//! `skerry-media-replay`: replays a stream of remote media references against the media
//! tiers with a small hot budget and reports the disk use of the hot tier and where each
//! reference was served from.
//!
//! It builds a real `App` in a temporary directory, records `--media` remote attachments
//! whose origin is a fake server on loopback (real PNGs of varied sizes), and then views
//! them `--refs` times in a Zipf-distributed order (a few popular files, a long tail), as
//! timelines do. A view goes through `app::media::open`, exactly as `GET /media/:id/original`:
//! a hot hit is served from disk, a cold hit is promoted from the cold tier (a local
//! directory through `object_store`, `--cold`), anything else is fetched from the origin
//! through the guarded client. After each view that leaves the hot tier over budget the
//! eviction pass runs, as the server's job does when a fetch wakes it.
//!
//! Disk use is measured on disk (the sizes of the files in the hot directory), not read from
//! the records. Nothing here is timed: the figures are bytes and counts, so a debug build
//! gives the same numbers as a release one.
//!
//! ```text
//! cargo run --bin skerry-media-replay -- --media 300 --refs 3000 --hot-bytes 4194304 --cold
//! ```

use std::io::Cursor;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use anyhow::Context as _;
use skerry::app::App;
use skerry::app::media::{self, RemoteMediaInput, Variant};
use skerry::model::{AccountId, MediaId, MediaKind, StatusId};

struct Options {
    media: usize,
    refs: usize,
    hot_bytes: u64,
    cold: bool,
    zipf_exponent: f64,
    seed: u64,
}

fn options() -> anyhow::Result<Options> {
    let mut options = Options {
        media: 300,
        refs: 3000,
        hot_bytes: 4 * 1024 * 1024,
        cold: false,
        zipf_exponent: 0.9,
        seed: 42,
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = || args.next().with_context(|| format!("{arg} needs a value"));
        match arg.as_str() {
            "--media" => options.media = value()?.parse()?,
            "--refs" => options.refs = value()?.parse()?,
            "--hot-bytes" => options.hot_bytes = value()?.parse()?,
            "--zipf" => options.zipf_exponent = value()?.parse()?,
            "--seed" => options.seed = value()?.parse()?,
            "--cold" => options.cold = true,
            other => anyhow::bail!(
                "unknown argument {other}; use --media N --refs N --hot-bytes N --zipf S --seed N --cold"
            ),
        }
    }
    anyhow::ensure!(
        options.media > 0 && options.refs > 0,
        "--media and --refs above 0"
    );
    Ok(options)
}

/// xorshift64*: deterministic, so a run can be repeated exactly.
struct Random(u64);

impl Random {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// A PNG of noise with a side between 40 and 300 pixels: 5 KB to 270 KB.
fn noise_png(random: &mut Random) -> Vec<u8> {
    let side = 40 + (random.next() % 261) as u32;
    let image = image::RgbImage::from_fn(side, side, |_, _| {
        let [a, b, c, ..] = random.next().to_le_bytes();
        image::Rgb([a, b, c])
    });
    let mut out = Vec::new();
    image::DynamicImage::ImageRgb8(image)
        .write_to(&mut Cursor::new(&mut out), image::ImageFormat::Png)
        .expect("encoding a PNG in memory does not fail");
    out
}

fn hot_dir_bytes(directory: &std::path::Path) -> u64 {
    let mut total = 0;
    let Ok(fans) = std::fs::read_dir(directory) else {
        return 0;
    };
    for fan in fans.flatten() {
        if let Ok(files) = std::fs::read_dir(fan.path()) {
            for file in files.flatten() {
                total += file.metadata().map(|meta| meta.len()).unwrap_or(0);
            }
        }
    }
    total
}

fn percentile(sorted: &[u64], fraction: f64) -> u64 {
    let index = ((sorted.len() - 1) as f64 * fraction).round() as usize;
    sorted[index]
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> anyhow::Result<()> {
    let options = options()?;
    let mut random = Random(options.seed.max(1));
    let directory =
        std::env::temp_dir().join(format!("skerry-media-replay-{}", std::process::id()));
    std::fs::create_dir_all(&directory)?;

    // The origin: real PNGs by index, counting requests.
    let files: Arc<Vec<Vec<u8>>> =
        Arc::new((0..options.media).map(|_| noise_png(&mut random)).collect());
    let origin_hits = Arc::new(AtomicU64::new(0));
    let origin_bytes = Arc::new(AtomicU64::new(0));
    let router = {
        use axum::extract::{Path, State};
        use axum::response::IntoResponse;
        type Shared = (Arc<Vec<Vec<u8>>>, Arc<AtomicU64>, Arc<AtomicU64>);
        async fn file(
            State((files, hits, bytes)): State<Shared>,
            Path(index): Path<usize>,
        ) -> axum::response::Response {
            hits.fetch_add(1, Ordering::Relaxed);
            match files.get(index) {
                Some(body) => {
                    bytes.fetch_add(body.len() as u64, Ordering::Relaxed);
                    ([("content-type", "image/png")], body.clone()).into_response()
                }
                None => axum::http::StatusCode::NOT_FOUND.into_response(),
            }
        }
        axum::Router::new()
            .route("/m/{index}", axum::routing::get(file))
            .with_state((files.clone(), origin_hits.clone(), origin_bytes.clone()))
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let origin = format!("http://{}", listener.local_addr()?);
    tokio::spawn(async move { axum::serve(listener, router).await });

    let mut environment = vec![
        (
            "SKERRY_FEDERATION_ALLOW_PRIVATE_NETWORKS".to_string(),
            "true".to_string(),
        ),
        (
            "SKERRY_MEDIA_HOT_BYTES_MAX".to_string(),
            options.hot_bytes.to_string(),
        ),
        (
            "SKERRY_MEDIA_DISK_FREE_BYTES_MIN".to_string(),
            "1".to_string(),
        ),
        ("SKERRY_LOG_LEVEL".to_string(), "warn".to_string()),
    ];
    if options.cold {
        environment.push((
            "SKERRY_MEDIA_COLD_URL".to_string(),
            format!("file://{}", directory.join("cold").display()),
        ));
    }
    let overrides = skerry::config::Overrides {
        data_dir: Some(directory.join("data")),
        ..Default::default()
    };
    let config = skerry::config::Config::load(None, environment, &overrides)?;
    let app = App::open(config)?;
    let hot_dir = app.config.media_dir().join("hot");

    let base = origin.clone();
    let count = options.media;
    let ids: Vec<MediaId> = app
        .run(move |app| {
            app.write(|tx| {
                let mut ids = Vec::new();
                for index in 0..count {
                    let input = RemoteMediaInput {
                        url: format!("{base}/m/{index}"),
                        kind: MediaKind::Image,
                        media_type: Some("image/png".into()),
                        description: String::new(),
                        width: None,
                        height: None,
                        blurhash: None,
                        focus: None,
                    };
                    ids.extend(media::insert_remote(
                        app,
                        tx,
                        AccountId(1),
                        StatusId(app.next_id()),
                        &[input],
                    )?);
                }
                Ok(ids)
            })
        })
        .await?;

    // Zipf weights over a shuffled order, so popularity is not tied to size.
    let mut order: Vec<usize> = (0..options.media).collect();
    for index in (1..order.len()).rev() {
        order.swap(index, (random.next() % (index as u64 + 1)) as usize);
    }
    let weights: Vec<f64> = (1..=options.media)
        .map(|rank| 1.0 / (rank as f64).powf(options.zipf_exponent))
        .collect();
    let total: f64 = weights.iter().sum();
    let mut cumulative = Vec::with_capacity(weights.len());
    let mut sum = 0.0;
    for weight in weights {
        sum += weight / total;
        cumulative.push(sum);
    }

    let (mut hot_hits, mut cold_hits, mut fetched, mut failed) = (0u64, 0u64, 0u64, 0u64);
    let mut disk_after_eviction = Vec::with_capacity(options.refs);
    let mut peak_before_eviction = 0u64;
    let mut served_bytes = 0u64;
    let mut evictions = 0u64;
    let mut moved_to_cold = 0u64;
    for _ in 0..options.refs {
        let draw = random.unit();
        let rank = cumulative
            .partition_point(|edge| *edge < draw)
            .min(options.media - 1);
        let id = ids[order[rank]];
        let hits_before = origin_hits.load(Ordering::Relaxed);
        let totals_before = app
            .run(|app| Ok(app.store.read(skerry::store::media::totals)?))
            .await?;
        match media::open(&app, id, Variant::Original).await {
            Ok(media::Served::File { bytes, .. } | media::Served::Opened { bytes, .. }) => {
                served_bytes += bytes;
                if origin_hits.load(Ordering::Relaxed) > hits_before {
                    fetched += 1;
                } else {
                    let totals_after = app
                        .run(|app| Ok(app.store.read(skerry::store::media::totals)?))
                        .await?;
                    if totals_after.hot_count > totals_before.hot_count {
                        cold_hits += 1;
                    } else {
                        hot_hits += 1;
                    }
                }
            }
            Ok(media::Served::Promoting {
                promotion, bytes, ..
            }) => {
                // Streamed through while promoted: the replay waits for the promotion so
                // that the disk it measures next includes it.
                if promotion.finished().await {
                    served_bytes += bytes;
                    cold_hits += 1;
                } else {
                    failed += 1;
                }
            }
            Ok(media::Served::Redirect(_)) => cold_hits += 1,
            Err(_) => failed += 1,
        }
        peak_before_eviction = peak_before_eviction.max(hot_dir_bytes(&hot_dir));
        let totals = app
            .run(|app| Ok(app.store.read(skerry::store::media::totals)?))
            .await?;
        if totals.hot_bytes > options.hot_bytes {
            let report = media::evict(&app, false).await?;
            evictions += 1;
            moved_to_cold += report.moved_to_cold;
        }
        disk_after_eviction.push(hot_dir_bytes(&hot_dir));
    }
    let mut sorted = disk_after_eviction.clone();
    sorted.sort_unstable();
    let largest_file = files.iter().map(Vec::len).max().unwrap_or(0);
    let refs = options.refs as f64;
    println!(
        "skerry-media-replay: {} media ({} distinct bytes at the origin), {} references, Zipf exponent {}, seed {}",
        options.media,
        files.iter().map(|file| file.len() as u64).sum::<u64>(),
        options.refs,
        options.zipf_exponent,
        options.seed,
    );
    println!(
        "hot budget                     {} bytes (cold tier: {})",
        options.hot_bytes,
        if options.cold {
            "local directory"
        } else {
            "none"
        }
    );
    println!(
        "hot disk after each view       median {} / p99 {} / max {} bytes",
        percentile(&sorted, 0.5),
        percentile(&sorted, 0.99),
        sorted[sorted.len() - 1]
    );
    println!(
        "hot disk peak before eviction  {} bytes (largest file {} bytes)",
        peak_before_eviction, largest_file
    );
    println!(
        "served from hot                {hot_hits} ({:.1}%)",
        100.0 * hot_hits as f64 / refs
    );
    println!(
        "served from cold (promoted)    {cold_hits} ({:.1}%)",
        100.0 * cold_hits as f64 / refs
    );
    println!(
        "fetched from origin            {fetched} ({:.1}%), {} bytes",
        100.0 * fetched as f64 / refs,
        origin_bytes.load(Ordering::Relaxed)
    );
    println!("failed                         {failed}");
    println!("bytes served                   {served_bytes}");
    println!("eviction passes                {evictions}, blobs moved to cold {moved_to_cold}");
    let within = sorted[sorted.len() - 1] <= options.hot_bytes;
    println!("hot disk within budget after every eviction: {within}");
    drop(app);
    let _ = std::fs::remove_dir_all(&directory);
    anyhow::ensure!(within, "the hot tier stayed over its budget");
    anyhow::ensure!(failed == 0, "{failed} views failed");
    Ok(())
}
