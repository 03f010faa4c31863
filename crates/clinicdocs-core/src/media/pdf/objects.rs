//! Just enough of PDF's object syntax to read an encryption dictionary and a trailer's `/ID`
//! from bytes kept around a token: numbers, names, strings, arrays, dictionaries, references.

/// A parsed PDF object (streams and the rest of the syntax are never needed here).
#[derive(Debug, Clone, PartialEq)]
pub enum Object {
    Null,
    Bool(bool),
    Int(i64),
    Real(f64),
    Name(Vec<u8>),
    String(Vec<u8>),
    Array(Vec<Object>),
    Dict(Dict),
    /// `N G R`: an indirect reference to object N.
    Ref(u32),
}

/// A dictionary's entries, in file order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Dict(pub Vec<(Vec<u8>, Object)>);

impl Dict {
    /// The value of `key`; of a key given twice, the last (as PDF readers take it).
    pub fn get(&self, key: &str) -> Option<&Object> {
        self.0.iter().rev().find(|(k, _)| k == key.as_bytes()).map(|(_, v)| v)
    }

    pub fn int(&self, key: &str) -> Option<i64> {
        match self.get(key)? {
            Object::Int(i) => Some(*i),
            Object::Real(r) if r.is_finite() => Some(*r as i64),
            _ => None,
        }
    }

    pub fn string(&self, key: &str) -> Option<&[u8]> {
        match self.get(key)? {
            Object::String(s) => Some(s),
            _ => None,
        }
    }

    pub fn name(&self, key: &str) -> Option<&[u8]> {
        match self.get(key)? {
            Object::Name(n) => Some(n),
            _ => None,
        }
    }
}

/// Containers nested deeper than this are not read (a hostile file's `<<<<<<…`).
const MAX_DEPTH: usize = 16;

pub fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | b'\n' | b'\x0c' | b'\0')
}

pub fn is_delimiter(b: u8) -> bool {
    matches!(b, b'(' | b')' | b'<' | b'>' | b'[' | b']' | b'{' | b'}' | b'/' | b'%')
}

/// Parses the object starting at `pos` (after any space or comments): the object and where it
/// ends, or `None` when the bytes there are not one (or are cut off).
pub fn parse_at(bytes: &[u8], pos: usize) -> Option<(Object, usize)> {
    let mut p = Parser { bytes, pos };
    let obj = p.object(0)?;
    Some((obj, p.pos))
}

struct Parser<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl Parser<'_> {
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    fn skip_space(&mut self) {
        while let Some(b) = self.peek() {
            if is_space(b) {
                self.pos += 1;
            } else if b == b'%' {
                while self.peek().is_some_and(|c| c != b'\n' && c != b'\r') {
                    self.pos += 1;
                }
            } else {
                break;
            }
        }
    }

    fn object(&mut self, depth: usize) -> Option<Object> {
        if depth > MAX_DEPTH {
            return None;
        }
        self.skip_space();
        match self.peek()? {
            b'/' => {
                self.pos += 1;
                Some(Object::Name(self.name()))
            }
            b'(' => {
                self.pos += 1;
                self.literal().map(Object::String)
            }
            b'<' if self.bytes.get(self.pos + 1) == Some(&b'<') => {
                self.pos += 2;
                self.dict(depth).map(Object::Dict)
            }
            b'<' => {
                self.pos += 1;
                self.hex().map(Object::String)
            }
            b'[' => {
                self.pos += 1;
                let mut items = Vec::new();
                loop {
                    self.skip_space();
                    if self.peek()? == b']' {
                        self.pos += 1;
                        return Some(Object::Array(items));
                    }
                    items.push(self.object(depth + 1)?);
                }
            }
            _ => self.number_or_keyword(),
        }
    }

    fn dict(&mut self, depth: usize) -> Option<Dict> {
        let mut entries = Vec::new();
        loop {
            self.skip_space();
            match self.peek()? {
                b'>' if self.bytes.get(self.pos + 1) == Some(&b'>') => {
                    self.pos += 2;
                    return Some(Dict(entries));
                }
                b'/' => {
                    self.pos += 1;
                    let key = self.name();
                    let value = self.object(depth + 1)?;
                    entries.push((key, value));
                }
                _ => return None,
            }
        }
    }

    /// A name's characters after `/`, with `#xx` escapes decoded.
    fn name(&mut self) -> Vec<u8> {
        let mut out = Vec::new();
        while let Some(b) = self.peek().filter(|&b| !is_space(b) && !is_delimiter(b)) {
            self.pos += 1;
            if b == b'#' {
                let hex = self.bytes.get(self.pos..self.pos + 2).and_then(|h| std::str::from_utf8(h).ok());
                if let Some(v) = hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                    out.push(v);
                    self.pos += 2;
                    continue;
                }
            }
            out.push(b);
        }
        out
    }

    /// A literal string's bytes after `(`, escapes decoded, nested parentheses kept.
    fn literal(&mut self) -> Option<Vec<u8>> {
        let (mut out, mut depth) = (Vec::new(), 0usize);
        loop {
            let b = self.peek()?;
            self.pos += 1;
            match b {
                b'(' => {
                    depth += 1;
                    out.push(b);
                }
                b')' if depth == 0 => return Some(out),
                b')' => {
                    depth -= 1;
                    out.push(b);
                }
                b'\\' => {
                    let e = self.peek()?;
                    self.pos += 1;
                    match e {
                        b'n' => out.push(b'\n'),
                        b'r' => out.push(b'\r'),
                        b't' => out.push(b'\t'),
                        b'b' => out.push(0x08),
                        b'f' => out.push(0x0c),
                        b'\r' => {
                            // A line continuation: `\` then CR or CR LF.
                            if self.peek() == Some(b'\n') {
                                self.pos += 1;
                            }
                        }
                        b'\n' => {}
                        b'0'..=b'7' => {
                            let mut v = u32::from(e - b'0');
                            for _ in 0..2 {
                                match self.peek() {
                                    Some(d @ b'0'..=b'7') => {
                                        v = v * 8 + u32::from(d - b'0');
                                        self.pos += 1;
                                    }
                                    _ => break,
                                }
                            }
                            out.push((v & 0xff) as u8);
                        }
                        other => out.push(other),
                    }
                }
                _ => out.push(b),
            }
        }
    }

    /// A hex string's bytes after `<` (space ignored, an odd last digit followed by 0).
    fn hex(&mut self) -> Option<Vec<u8>> {
        let mut digits = Vec::new();
        loop {
            let b = self.peek()?;
            self.pos += 1;
            match b {
                b'>' => break,
                b if is_space(b) => {}
                b => digits.push(char::from(b).to_digit(16)? as u8),
            }
        }
        if digits.len() % 2 == 1 {
            digits.push(0);
        }
        Some(digits.chunks(2).map(|d| d[0] << 4 | d[1]).collect())
    }

    fn word(&mut self) -> &[u8] {
        let start = self.pos;
        while self.peek().is_some_and(|b| !is_space(b) && !is_delimiter(b)) {
            self.pos += 1;
        }
        &self.bytes[start..self.pos]
    }

    /// A number (and `N G R` when a reference follows), `true`, `false` or `null`.
    fn number_or_keyword(&mut self) -> Option<Object> {
        let word = self.word();
        match word {
            b"true" => return Some(Object::Bool(true)),
            b"false" => return Some(Object::Bool(false)),
            b"null" => return Some(Object::Null),
            _ => {}
        }
        let text = std::str::from_utf8(word).ok()?;
        if let Ok(n) = text.parse::<i64>() {
            let after = self.pos;
            if let Some(r) = u32::try_from(n).ok().filter(|_| self.reference_follows()) {
                return Some(Object::Ref(r));
            }
            self.pos = after;
            return Some(Object::Int(n));
        }
        text.parse::<f64>().ok().filter(|r| r.is_finite()).map(Object::Real)
    }

    /// Whether ` G R` follows (consumed if so).
    fn reference_follows(&mut self) -> bool {
        self.skip_space();
        let gen = self.word();
        if gen.is_empty() || !gen.iter().all(u8::is_ascii_digit) {
            return false;
        }
        self.skip_space();
        self.word() == b"R"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &[u8]) -> Object {
        parse_at(s, 0).expect("an object").0
    }

    #[test]
    fn reads_an_encryption_dictionary_with_every_kind_of_value() {
        let d = parse(b"<< /Filter /Standard /V 4 /R 4 /Length 128 /CF << /StdCF << /CFM /AESV2 >> >>\n/O <0a0B 1> /U (a\\(b\\)\\051\\n\\\r\nc(d)) /P -1028 /EncryptMetadata false /K [1 0 R 2.5 null] >>");
        let Object::Dict(d) = d else { panic!("a dict") };
        assert_eq!(d.name("Filter"), Some(&b"Standard"[..]));
        assert_eq!((d.int("V"), d.int("R"), d.int("Length"), d.int("P")), (Some(4), Some(4), Some(128), Some(-1028)));
        let Some(Object::Dict(cf)) = d.get("CF") else { panic!("/CF") };
        assert!(matches!(cf.get("StdCF"), Some(Object::Dict(s)) if s.name("CFM") == Some(b"AESV2")));
        assert_eq!(d.string("O"), Some(&[0x0a, 0x0b, 0x10][..]));
        assert_eq!(d.string("U"), Some(&b"a(b))\nc(d)"[..]));
        assert_eq!(d.get("EncryptMetadata"), Some(&Object::Bool(false)));
        assert_eq!(d.get("K"), Some(&Object::Array(vec![Object::Ref(1), Object::Real(2.5), Object::Null])));
    }

    #[test]
    fn cut_off_or_hostile_bytes_are_no_object() {
        assert_eq!(parse_at(b"<< /O <0a0b", 0), None);
        assert_eq!(parse_at(b"<< /O (abc", 0), None);
        assert_eq!(parse_at(b"<< /O <zz> >>", 0), None);
        assert_eq!(parse_at(&b"[".repeat(10_000), 0), None, "deep nesting stops, no stack overflow");
        assert_eq!(parse(b"15 0 R"), Object::Ref(15));
        assert_eq!(parse(b"15 0 obj"), Object::Int(15));
        assert_eq!(parse(b"/A#20B"), Object::Name(b"A B".to_vec()));
    }
}
