//! Keeps the bytes around a few tokens as a PDF streams past, so its encryption dictionary and
//! trailer `/ID` can be read at the end without holding or re-reading the file. Memory is
//! bounded (a few captures of a few KB each) and each byte is copied at most once per token.

use super::objects::{is_delimiter, is_space};
use memchr::memmem;

/// A token to keep the surroundings of.
pub struct Watch {
    finder: memmem::Finder<'static>,
    /// Bytes kept before and after the token's start.
    before: usize,
    after: usize,
    /// How many captures to keep: the first ones, or the last ones (later ones replace them).
    keep: usize,
    keep_last: bool,
}

impl Watch {
    pub fn first(needle: &'static [u8], before: usize, after: usize, keep: usize) -> Watch {
        Watch { finder: memmem::Finder::new(needle), before, after, keep, keep_last: false }
    }

    pub fn last(needle: &'static [u8], before: usize, after: usize, keep: usize) -> Watch {
        Watch { finder: memmem::Finder::new(needle), before, after, keep, keep_last: true }
    }

    fn needle_len(&self) -> usize {
        self.finder.needle().len()
    }
}

/// Bytes around one occurrence of a token; the token starts at `bytes[at]`, and again at each
/// offset in `also` (later occurrences that fell inside this capture).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Captured {
    pub bytes: Vec<u8>,
    pub at: usize,
    pub also: Vec<usize>,
}

impl Captured {
    /// Every offset the token starts at, in order.
    pub fn offsets(&self) -> impl Iterator<Item = usize> + '_ {
        std::iter::once(self.at).chain(self.also.iter().copied())
    }
}

/// What one watch saw: its captures in file order, and whether some occurrence was not kept
/// (more than it keeps, or one cut by the end of the capture it fell in).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Watched {
    pub captures: Vec<Captured>,
    pub missed: bool,
}

struct Open {
    watch: usize,
    captured: Captured,
    /// The length the capture is complete at.
    want: usize,
    /// Where in the file the capture ends when complete.
    ends: u64,
}

pub struct Captures {
    watches: Vec<Watch>,
    done: Vec<Watched>,
    open: Vec<Open>,
    /// The file's last bytes before the current chunk: enough for every watch's `before` ahead
    /// of a token that starts in them and ends in the chunk.
    recent: Vec<u8>,
    recent_len: usize,
    /// Bytes seen so far.
    seen: u64,
    /// Per watch, where in the file its latest capture ends (a match before it is inside it).
    covered: Vec<u64>,
}

impl Captures {
    pub fn new(watches: Vec<Watch>) -> Captures {
        let recent_len = watches.iter().map(|w| w.before + w.needle_len()).max().unwrap_or(0);
        Captures {
            done: watches.iter().map(|_| Watched::default()).collect(),
            covered: vec![0; watches.len()],
            watches,
            open: Vec::new(),
            recent: Vec::new(),
            recent_len,
            seen: 0,
        }
    }

    /// Feeds the next chunk of the file.
    pub fn update(&mut self, chunk: &[u8]) {
        for o in &mut self.open {
            let take = (o.want - o.captured.bytes.len()).min(chunk.len());
            o.captured.bytes.extend_from_slice(&chunk[..take]);
        }
        for w in 0..self.watches.len() {
            let n = self.watches[w].needle_len();
            // Matches across the seam with the previous chunk, then within this chunk; each
            // as an offset into `recent ++ chunk`.
            let tail = self.recent.len().min(n - 1);
            let mut seam = self.recent[self.recent.len() - tail..].to_vec();
            seam.extend_from_slice(&chunk[..chunk.len().min(n - 1)]);
            let base = self.recent.len() - tail;
            let mut hits: Vec<usize> = self.watches[w].finder.find_iter(&seam).map(|i| base + i).collect();
            hits.extend(self.watches[w].finder.find_iter(chunk).map(|i| self.recent.len() + i));
            for at in hits {
                // `/StandardEncoding`, `/EncryptMetadata`, `/IDTree`: another name, not the
                // token (a token at the very end of the chunk is kept, to be safe).
                let next = at + n;
                let r = self.recent.len();
                let after = if next < r { self.recent.get(next) } else { chunk.get(next - r) };
                if after.is_some_and(|&b| !is_space(b) && !is_delimiter(b)) {
                    continue;
                }
                self.capture(w, at, chunk);
            }
        }
        self.seen += chunk.len() as u64;
        let mut finished = Vec::new();
        self.open.retain(|o| {
            let complete = o.captured.bytes.len() == o.want;
            if complete {
                finished.push((o.watch, o.captured.clone()));
            }
            !complete
        });
        for (w, c) in finished {
            self.keep(w, c);
        }
        if chunk.len() >= self.recent_len {
            self.recent.clear();
            self.recent.extend_from_slice(&chunk[chunk.len() - self.recent_len..]);
        } else {
            self.recent.extend_from_slice(chunk);
            if self.recent.len() > 2 * self.recent_len {
                self.recent.drain(..self.recent.len() - self.recent_len);
            }
        }
    }

    /// Starts a capture of watch `w` at offset `at` of `recent ++ chunk`; an occurrence inside
    /// the watch's latest capture is noted there instead.
    fn capture(&mut self, w: usize, at: usize, chunk: &[u8]) {
        let watch = &self.watches[w];
        let n = watch.needle_len() as u64;
        let file_at = (self.seen + at as u64).saturating_sub(self.recent.len() as u64);
        if file_at < self.covered[w] {
            let latest = self.open.iter_mut().rev().find(|o| o.watch == w);
            match latest {
                Some(o) if file_at + n <= o.ends => {
                    let start = o.ends - o.want as u64;
                    o.captured.also.push((file_at - start) as usize);
                }
                _ => self.done[w].missed = true,
            }
            return;
        }
        if !watch.keep_last && self.done[w].captures.len() + self.open_of(w) >= watch.keep {
            self.done[w].missed = true;
            return;
        }
        let start = at.saturating_sub(watch.before);
        let end = at + watch.after;
        let mut bytes = Vec::with_capacity(end - start);
        let r = self.recent.len();
        if start < r {
            bytes.extend_from_slice(&self.recent[start..r.min(end)]);
        }
        if end > r {
            bytes.extend_from_slice(&chunk[start.max(r) - r..(end - r).min(chunk.len())]);
        }
        let want = end - start;
        let ends = file_at + watch.after as u64;
        self.covered[w] = ends;
        // Complete or not, it joins the open ones, which are kept in file order.
        self.open.push(Open { watch: w, captured: Captured { bytes, at: at - start, also: Vec::new() }, want, ends });
    }

    fn open_of(&self, w: usize) -> usize {
        self.open.iter().filter(|o| o.watch == w).count()
    }

    fn keep(&mut self, w: usize, c: Captured) {
        let watch = &self.watches[w];
        let list = &mut self.done[w].captures;
        list.push(c);
        if watch.keep_last && list.len() > watch.keep {
            list.remove(0);
            self.done[w].missed = true;
        }
    }

    /// Every watch's captures in file order; captures cut short by the file's end included.
    pub fn finish(mut self) -> Vec<Watched> {
        let mut open = std::mem::take(&mut self.open);
        open.sort_by_key(|o| o.ends);
        for o in open {
            self.keep(o.watch, o.captured);
        }
        self.done
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(file: &[u8], chunk: usize, watches: Vec<Watch>) -> Vec<Vec<Captured>> {
        run_watched(file, chunk, watches).into_iter().map(|w| w.captures).collect()
    }

    fn run_watched(file: &[u8], chunk: usize, watches: Vec<Watch>) -> Vec<Watched> {
        let mut c = Captures::new(watches);
        file.chunks(chunk).for_each(|piece| c.update(piece));
        c.finish()
    }

    #[test]
    fn captures_do_not_depend_on_how_the_file_is_cut() {
        let mut file = b"junk /Standard early ".to_vec();
        file.extend(b"x".repeat(300));
        file.extend(b"9 0 obj <</Filter /Standard /R 3>> endobj trailer <</ID [<01><02>]>> /ID [<03>] end");
        let watches = || vec![Watch::first(b"/Standard", 40, 30, 2), Watch::last(b"/ID", 0, 12, 1)];
        let whole = run(&file, file.len(), watches());
        assert_eq!(whole[0].len(), 2);
        // 5 bytes before the token (the file's start), 30 from it.
        assert_eq!(whole[0][0].bytes, b"junk /Standard early xxxxxxxxxxxxxx");
        assert_eq!(&whole[0][1].bytes[whole[0][1].at..][..9], b"/Standard");
        assert_eq!(
            whole[1],
            vec![Captured { bytes: b"/ID [<03>] e".to_vec(), at: 0, also: vec![] }],
            "the last /ID kept"
        );
        for size in [1, 2, 3, 8, 9, 10, 17, 64, 100] {
            assert_eq!(run(&file, size, watches()), whole, "chunks of {size}");
        }
    }

    #[test]
    fn a_flood_of_tokens_keeps_little_and_copies_each_byte_once_at_most() {
        let file = b"/ID".repeat(100_000);
        let got = run(&file, 4096, vec![Watch::last(b"/ID", 0, 60, 3)]);
        assert_eq!(got[0].len(), 3);
        assert!(got[0].iter().all(|c| c.bytes.len() <= 60));
        let got = run(&file, 4096, vec![Watch::first(b"/ID", 10, 10, 4)]);
        assert_eq!(got[0].len(), 4);
    }

    #[test]
    fn a_capture_cut_by_the_end_of_the_file_is_kept() {
        let got = run(b"abc /Encrypt 1", 5, vec![Watch::last(b"/Encrypt", 2, 100, 2)]);
        assert_eq!(got[0], vec![Captured { bytes: b"c /Encrypt 1".to_vec(), at: 2, also: vec![] }]);
    }

    #[test]
    fn an_occurrence_inside_a_capture_is_noted_and_one_past_what_is_kept_is_missed() {
        let file = b"/E 1 /E 2 ........ /E 3 /E 4";
        for size in [1, 2, 3, 5, 7, file.len()] {
            let got = run_watched(file, size, vec![Watch::first(b"/E", 0, 9, 2)]);
            assert_eq!(
                got[0].captures[0],
                Captured { bytes: b"/E 1 /E 2".to_vec(), at: 0, also: vec![5] },
                "chunks of {size}"
            );
            assert_eq!(got[0].captures.len(), 2);
            assert!(!got[0].missed, "chunks of {size}");
            let got = run_watched(file, size, vec![Watch::first(b"/E", 0, 9, 1)]);
            assert!(got[0].missed, "the third is past what is kept, chunks of {size}");
            let got = run_watched(file, size, vec![Watch::first(b"/E", 0, 6, 3)]);
            assert!(got[0].missed, "`/E 2` is cut by the first capture's end, chunks of {size}");
        }
    }
}
