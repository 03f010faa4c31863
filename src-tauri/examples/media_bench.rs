//! The desktop media benchmark (prints figures and ratios; not a test): the app's own thumbnail
//! and PDF page code against `vipsthumbnail` and `mutool draw`, run side by side on the same
//! files, median of several runs each. `bench/desktop.sh` makes the input files and runs this.
//!
//! Each app figure covers what the app does for one request, through the app's own code: read
//! the file, decode or render (`media::thumbnail`, `media::pdf`), encode the JPEG the web view
//! shows, write it into the app's disk cache (`media::cache`). Each reference figure is
//! one run of the tool from the command line (process start included), and for
//! `vipsthumbnail` also the per-file time of one run over ten files, which leaves its start-up
//! out; ratios are given against both where they differ.

use clinicdocs_core::media::FileKind;
use clinicdocs_desktop::media::{pdf, thumbnail, MediaCache};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};
use uuid::Uuid;

const EDGE: u32 = 256;

/// Whatever stopped the benchmark; it only prints it.
type BenchError = Box<dyn std::error::Error>;

struct Args {
    dir: PathBuf,
    reps: usize,
    /// The app's disk cache, in the bench folder.
    cache: MediaCache,
}

fn args() -> Result<Args, BenchError> {
    let mut dir = None;
    let mut reps = 9;
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        match a.as_str() {
            "--dir" => dir = it.next().map(PathBuf::from),
            "--reps" => reps = it.next().and_then(|r| r.parse().ok()).ok_or("--reps needs a number")?,
            other => return Err(format!("unknown argument {other}; usage: media_bench --dir DIR [--reps N]").into()),
        }
    }
    let dir: PathBuf = dir.ok_or("--dir DIR (the folder bench/desktop.sh filled) is required")?;
    let cache = MediaCache::new(dir.join("out").join("cache"));
    Ok(Args { dir, reps, cache })
}

/// Median wall time of `reps` runs after one warm-up run.
fn median(reps: usize, mut f: impl FnMut() -> Result<(), BenchError>) -> Result<Duration, BenchError> {
    f()?;
    let mut times = Vec::with_capacity(reps);
    for _ in 0..reps {
        let t = Instant::now();
        f()?;
        times.push(t.elapsed());
    }
    times.sort();
    Ok(times[times.len() / 2])
}

fn run(cmd: &mut Command) -> Result<(), BenchError> {
    let out = cmd.output().map_err(|e| format!("{cmd:?}: {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!("{cmd:?} failed: {}", String::from_utf8_lossy(&out.stderr)).into())
    }
}

fn read(p: &Path) -> Result<Vec<u8>, BenchError> {
    Ok(std::fs::read(p).map_err(|e| format!("{}: {e}", p.display()))?)
}

/// Writes into the app's own cache, as the app keeps what it rendered.
fn write(cache: &MediaCache, what: &str, bytes: &[u8]) -> Result<(), BenchError> {
    let p = cache.path(Uuid::nil(), "0", what);
    Ok(cache.write(&p, bytes).map_err(|e| format!("{}: {e}", p.display()))?)
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

fn row(what: &str, app: Duration, reference: &str, r: Duration, target: Option<f64>) {
    let ratio = app.as_secs_f64() / r.as_secs_f64();
    let verdict = match target {
        Some(t) if ratio <= t => format!("target ≤ {t:.1}×: met"),
        Some(t) => format!("target ≤ {t:.1}×: MISSED"),
        None => "no target".into(),
    };
    println!("{what:<44} app {:>10}   {reference:<28} {:>10}   ratio {ratio:>5.2}×   {verdict}", ms(app), ms(r));
}

fn image_thumb(a: &Args, name: &str, kind: FileKind, target: Option<f64>) -> Result<(), BenchError> {
    let input = a.dir.join(name);
    let out = a.dir.join("out");
    let app = median(a.reps, || {
        let bytes = read(&input)?;
        let jpeg = thumbnail::thumbnail(&bytes, kind, EDGE).map_err(|e| e.to_string())?;
        write(&a.cache, &format!("thumb-{name}"), &jpeg)
    })?;
    let one = median(a.reps, || {
        run(Command::new("vipsthumbnail").arg(&input).args(["-s", "256", "-o"]).arg(out.join("vips-%s.jpg")))
    })?;
    // Ten copies in one run: the tool's per-file cost without its start-up.
    let copies: Vec<PathBuf> = (0..10).map(|i| out.join(format!("copy{i}-{name}"))).collect();
    for c in &copies {
        std::fs::copy(&input, c).map_err(|e| e.to_string())?;
    }
    let batch = median(a.reps.min(5), || {
        run(Command::new("vipsthumbnail").args(&copies).args(["-s", "256", "-o", "vips10-%s.jpg"]))
    })? / 10;
    for c in &copies {
        let _ = std::fs::remove_file(c);
    }
    if kind == FileKind::Jpeg {
        let bytes = read(&input)?;
        let decode = median(a.reps, || Ok(thumbnail::decode_scaled(&bytes, EDGE).map(drop)?))?;
        println!("  (of the app's time, the DCT-scaled decode alone: {})", ms(decode));
    }
    row(&format!("thumbnail 256 px: {name}"), app, "vipsthumbnail (1 file)", one, target);
    row("", app, "vipsthumbnail (per file of 10)", batch, target);
    Ok(())
}

fn pdf_rows(a: &Args) -> Result<(), BenchError> {
    let input = a.dir.join("report-20p.pdf");
    let out = a.dir.join("out");
    let thumb = median(a.reps, || {
        let bytes = read(&input)?;
        let jpeg = pdf::render_page(&bytes, 0, pdf::Size::LongEdge(EDGE)).map_err(|e| e.to_string())?;
        write(&a.cache, "pdf-thumb", &jpeg)
    })?;
    let mthumb = median(a.reps, || {
        run(Command::new("mutool")
            .args(["draw", "-q", "-h", "256", "-o"])
            .arg(out.join("mu-thumb.png"))
            .arg(&input)
            .arg("1"))
    })?;
    row("PDF page thumbnail 256 px (page 1)", thumb, "mutool draw -h 256 (PNG)", mthumb, Some(1.0));

    let page = median(a.reps, || {
        let bytes = read(&input)?;
        let jpeg = pdf::render_page(&bytes, 0, pdf::Size::Dpi(150.0)).map_err(|e| e.to_string())?;
        write(&a.cache, "p1w150", &jpeg)
    })?;
    let mpage = median(a.reps, || {
        run(Command::new("mutool")
            .args(["draw", "-q", "-r", "150", "-o"])
            .arg(out.join("mu-p1-150.png"))
            .arg(&input)
            .arg("1"))
    })?;
    row("PDF page at 150 dpi for the viewer (page 1)", page, "mutool draw -r 150 (PNG)", mpage, Some(0.5));

    let reps = a.reps.min(5);
    let all = median(reps, || {
        let bytes = read(&input)?;
        Ok(pdf::with_document(&bytes, |doc| {
            for i in 0..20 {
                let jpeg = pdf::render_open_page(doc, i, pdf::Size::Dpi(150.0))?;
                let _ = write(&a.cache, &format!("p{}w150", i + 1), &jpeg);
            }
            Ok(())
        })?)
    })?;
    let mall = median(reps, || {
        run(Command::new("mutool")
            .args(["draw", "-q", "-r", "150", "-o"])
            .arg(out.join("mu-p%d-150.png"))
            .arg(&input)
            .arg("1-20"))
    })?;
    row("all 20 PDF pages at 150 dpi", all, "mutool draw -r 150 1-20 (PNG)", mall, None);
    Ok(())
}

fn main() {
    let result = args().and_then(|a| {
        std::fs::create_dir_all(a.dir.join("out")).map_err(|e| e.to_string())?;
        println!("median of {} runs each; app = read, decode/render, encode JPEG, write\n", a.reps);
        image_thumb(&a, "photo-4000x3000.jpg", FileKind::Jpeg, Some(0.5))?;
        image_thumb(&a, "scan-2480x3508.jpg", FileKind::Jpeg, Some(0.5))?;
        image_thumb(&a, "grey-3000x2400.png", FileKind::Png, None)?;
        pdf_rows(&a)
    });
    if let Err(e) = result {
        eprintln!("media_bench: {e}");
        std::process::exit(1);
    }
}
