//! DICOM to an 8-bit picture, as a command, beside dcmtk's `dcmj2pnm` (`dcml2pnm` for JPEG-LS)
//! on the same files: at full size (PGM/PPM) and as a 256-px JPEG thumbnail, each at the
//! file's own window. Every run is a whole process (read the file, decode, window, write the
//! picture); the two tools alternate run by run and the medians are compared. Prints the times
//! and our ratio (target ≤ 0.5×); asserts nothing (see `bench/dicom.sh`).

use anyhow::{bail, Context, Result};
use clap::{Parser, Subcommand};
use clinicdocs_core::limits::THUMBNAIL_EDGE;
use clinicdocs_core::media::dicom::DicomFile;
use clinicdocs_core::media::image_file::THUMBNAIL_JPEG_QUALITY;
use image::DynamicImage;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

#[derive(Parser)]
struct Cli {
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Draws one file as the server and the app do: frame 1 at full size as PGM/PPM, or the
    /// tile (middle frame) as a JPEG.
    Draw {
        input: PathBuf,
        output: PathBuf,
        /// Draw the tile, this many pixels on its longest side.
        #[arg(long)]
        thumbnail: Option<u32>,
    },
    /// Times `draw` beside dcmtk on each file.
    Compare {
        /// Runs per tool, file and size.
        #[arg(long, default_value_t = 9)]
        runs: usize,
        /// Where the pictures are written.
        #[arg(long)]
        out_dir: PathBuf,
        files: Vec<PathBuf>,
    },
}

fn main() -> Result<()> {
    match Cli::parse().command {
        Cmd::Draw { input, output, thumbnail } => draw(&input, &output, thumbnail),
        Cmd::Compare { runs, out_dir, files } => compare(runs, &out_dir, &files),
    }
}

fn draw(input: &Path, output: &Path, thumbnail: Option<u32>) -> Result<()> {
    let bytes = std::fs::read(input).with_context(|| format!("reading {}", input.display()))?;
    let file = DicomFile::parse(&bytes)?;
    match thumbnail {
        Some(edge) => {
            let jpeg = file.thumbnail_jpeg(edge)?.context("this encoding is not decoded here")?;
            std::fs::write(output, jpeg)?;
        }
        None => {
            let drawn = file.render(0, None)?;
            std::fs::write(output, pnm(&drawn.image))?;
        }
    }
    Ok(())
}

/// A binary PGM (grey) or PPM (colour), as dcmj2pnm writes by default.
fn pnm(img: &DynamicImage) -> Vec<u8> {
    let (magic, w, h, pixels) = match img {
        DynamicImage::ImageLuma8(g) => ("P5", g.width(), g.height(), g.as_raw().clone()),
        other => {
            let rgb = other.to_rgb8();
            ("P6", rgb.width(), rgb.height(), rgb.into_raw())
        }
    };
    let mut out = format!("{magic}\n{w} {h}\n255\n").into_bytes();
    out.extend_from_slice(&pixels);
    out
}

/// What dcmtk is told to match our default display of `file`.
struct Reference {
    tool: &'static str,
    window: Vec<String>,
    frames: u32,
    width: u32,
    height: u32,
}

fn reference(path: &Path) -> Result<Reference> {
    let bytes = std::fs::read(path)?;
    let file = DicomFile::parse(&bytes)?;
    let facts = file.image.as_ref().context("no image")?;
    let tool = if file.transfer_syntax.starts_with("1.2.840.10008.1.2.4.8") { "dcml2pnm" } else { "dcmj2pnm" };
    // The file's VOI LUT, else its first window, else min–max; colour images as they are.
    let window: Vec<String> = if facts.samples_per_pixel > 1 {
        vec![]
    } else if facts.voi_table.is_some() {
        vec!["+Wl".into(), "1".into()]
    } else if facts.window.is_some() {
        vec!["+Wi".into(), "1".into()]
    } else {
        vec!["+Wm".into()]
    };
    Ok(Reference { tool, window, frames: facts.frames, width: facts.width, height: facts.height })
}

/// Wall time of one process run; an error if it fails.
fn time(cmd: &mut Command) -> Result<Duration> {
    let t = Instant::now();
    let out = cmd.output()?;
    let took = t.elapsed();
    if !out.status.success() {
        bail!("{:?} failed: {}", cmd, String::from_utf8_lossy(&out.stderr));
    }
    Ok(took)
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn compare(runs: usize, out_dir: &Path, files: &[PathBuf]) -> Result<()> {
    std::fs::create_dir_all(out_dir)?;
    let me = std::env::current_exe()?;
    println!(
        "{:<34} {:>10} {:>9} | {:>9} {:>9} {:>6} | {:>9} {:>9} {:>6}",
        "file", "pixels", "size", "full: us", "dcmtk", "ratio", "tile: us", "dcmtk", "ratio"
    );
    let mut ratios = Vec::new();
    for path in files {
        let name = path.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_default();
        let r = match reference(path) {
            Ok(r) => r,
            Err(e) => {
                println!("{name:<34} skipped: {e}");
                continue;
            }
        };
        let size = std::fs::metadata(path)?.len();
        let out = |what: &str| out_dir.join(format!("{name}.{what}"));
        let scale = if r.width >= r.height { "+Sxv" } else { "+Syv" };
        let edge = THUMBNAIL_EDGE.to_string();
        let middle = ((r.frames - 1) / 2 + 1).to_string();
        let quality = THUMBNAIL_JPEG_QUALITY.to_string();
        let (mut ours_full, mut theirs_full, mut ours_tile, mut theirs_tile) = (vec![], vec![], vec![], vec![]);
        for _ in 0..runs {
            ours_full.push(time(Command::new(&me).arg("draw").arg(path).arg(out("ours.pnm")))?);
            theirs_full.push(time(Command::new(r.tool).args(&r.window).arg(path).arg(out("dcmtk.pnm")))?);
            ours_tile
                .push(time(Command::new(&me).arg("draw").arg(path).arg(out("ours.jpg")).args(["--thumbnail", &edge]))?);
            // dcml2pnm writes no JPEG: its tile is a PNG (a 256-px picture either way).
            let tile_format: &[&str] = if r.tool == "dcml2pnm" { &["+on"] } else { &["+oj", "+Jq", &quality] };
            theirs_tile.push(time(
                Command::new(r.tool)
                    .args(&r.window)
                    .args(["+F", &middle, scale, &edge])
                    .args(tile_format)
                    .arg(path)
                    .arg(out("dcmtk.tile")),
            )?);
        }
        let ms = |d: Duration| d.as_secs_f64() * 1000.0;
        let (of, tf, ot, tt) = (median(ours_full), median(theirs_full), median(ours_tile), median(theirs_tile));
        let (rf, rt) = (ms(of) / ms(tf), ms(ot) / ms(tt));
        ratios.push((rf, rt));
        println!(
            "{name:<34} {:>10} {:>7}KB | {:>7.1}ms {:>7.1}ms {:>5.2}× | {:>7.1}ms {:>7.1}ms {:>5.2}×",
            format!("{}×{}", r.width, r.height),
            size / 1024,
            ms(of),
            ms(tf),
            rf,
            ms(ot),
            ms(tt),
            rt
        );
    }
    if !ratios.is_empty() {
        let n = ratios.len() as f64;
        let (sf, st) = ratios.iter().fold((0.0, 0.0), |(a, b), (f, t)| (a + f.ln(), b + t.ln()));
        println!(
            "geometric mean of the ratios: full size {:.2}×, tile {:.2}× (target ≤ 0.5×; medians of {runs} runs each, \
             every run a whole process, the two tools alternating)",
            (sf / n).exp(),
            (st / n).exp()
        );
    }
    Ok(())
}
