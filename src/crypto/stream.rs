//! Evidence files sealed in chunks: the STREAM construction (`aead::stream`, a 32-bit big-endian chunk
//! counter and a last-chunk flag in each nonce) over AES-256-GCM.
//!
//! Each file has its own key, derived from the report key and bound to the report and the attachment id
//! (HKDF-SHA256), and a random 7-byte nonce prefix; each chunk carries the same associated data, so a
//! chunk moved to another file, another place in the file or after the last one fails to open, and a file
//! cut short fails at its end. What is sealed is one stream: an 8-byte length, the content, then zeros up
//! to a size bucket (Padmé: at most 12 % more, never under one chunk), so the number and size of the
//! stored chunks reveal only the bucket.
//!
//! Memory is one chunk: the sealer reads the content it is given a chunk at a time and yields each sealed
//! chunk as it goes; the opener takes one sealed chunk and returns its share of the content.

use aead::stream::{DecryptorBE32, EncryptorBE32};
use aead::{KeyInit, Payload};
use aes_gcm::Aes256Gcm;
use zeroize::Zeroizing;

use super::envelope::associated_data;
use super::{CryptoError, ReportKey};

/// Plaintext bytes per chunk (the last one may be shorter).
pub const CHUNK: usize = 64 * 1024;
/// The random part of a file's nonces; the other 5 bytes are STREAM's counter and last-chunk flag.
pub const NONCE_PREFIX: usize = 7;
const LENGTH_HEADER: usize = 8;
/// AES-GCM's tag on every sealed chunk.
pub const TAG: usize = 16;

/// The length of the sealed stream for `content` bytes: the header and the content rounded up with Padmé
/// (the low bits of the length zeroed, keeping about log₂ log₂ of its bits), never under one chunk.
pub fn padded_len(content: usize) -> usize {
    let len = content.saturating_add(LENGTH_HEADER);
    if len <= CHUNK {
        return CHUNK;
    }
    let exponent = usize::BITS - 1 - len.leading_zeros();
    let significant = u32::BITS - exponent.leading_zeros();
    let mask = (1usize << (exponent - significant)) - 1;
    len.saturating_add(mask) & !mask
}

/// How many chunks hold a file of `content` bytes once sealed.
pub fn chunk_count(content: usize) -> usize {
    padded_len(content).div_ceil(CHUNK)
}

fn file_cipher(key: &ReportKey, context: &[&str]) -> Aes256Gcm {
    let purpose = format!("minhbach/attachment/{}", hex::encode(associated_data(context)));
    let file_key = super::subkey(key.as_bytes(), &purpose);
    Aes256Gcm::new(file_key.as_ref().into())
}

/// Seals `content` a chunk at a time: an iterator of sealed chunks, in order, the last flagged as last.
pub struct FileSealer<'a> {
    encryptor: Option<EncryptorBE32<Aes256Gcm>>,
    aad: Vec<u8>,
    content: &'a [u8],
    total: usize,
    position: usize,
    nonce: [u8; NONCE_PREFIX],
}

impl<'a> FileSealer<'a> {
    /// `context` binds the file to its place (for example `aad::attachment(report, attachment)`).
    pub fn new(key: &ReportKey, context: &[&str], content: &'a [u8]) -> Self {
        let nonce = super::random_bytes::<NONCE_PREFIX>();
        let encryptor = EncryptorBE32::from_aead(file_cipher(key, context), (&nonce).into());
        Self {
            encryptor: Some(encryptor),
            aad: associated_data(context),
            content,
            total: padded_len(content.len()),
            position: 0,
            nonce,
        }
    }

    /// The nonce prefix to store beside the chunks.
    pub fn nonce(&self) -> [u8; NONCE_PREFIX] {
        self.nonce
    }

    /// The bytes of the padded stream in `start..end`: the length header, the content, then zeros.
    fn plaintext(&self, start: usize, end: usize) -> Zeroizing<Vec<u8>> {
        let header = (self.content.len() as u64).to_be_bytes();
        let mut chunk = Zeroizing::new(Vec::with_capacity(end - start));
        chunk.extend(header.iter().take(end.min(LENGTH_HEADER)).skip(start));
        let from = start.max(LENGTH_HEADER) - LENGTH_HEADER;
        let to = (end.max(LENGTH_HEADER) - LENGTH_HEADER).min(self.content.len());
        if from < to {
            chunk.extend_from_slice(&self.content[from..to]);
        }
        chunk.resize(end - start, 0);
        chunk
    }
}

impl Iterator for FileSealer<'_> {
    type Item = Vec<u8>;

    fn next(&mut self) -> Option<Vec<u8>> {
        let start = self.position;
        let end = (start + CHUNK).min(self.total);
        let plaintext = self.plaintext(start, end);
        let payload = Payload {
            msg: &plaintext,
            aad: &self.aad,
        };
        // Encryption fails only past 2³² chunks or AES-GCM's length limit, far beyond any upload limit.
        let sealed = if end == self.total {
            self.encryptor.take()?.encrypt_last(payload)
        } else {
            self.encryptor.as_mut()?.encrypt_next(payload)
        };
        self.position = end;
        sealed.ok()
    }
}

/// Opens a sealed file's chunks in order and gives back the content without its header and padding.
pub struct FileOpener {
    decryptor: Option<DecryptorBE32<Aes256Gcm>>,
    aad: Vec<u8>,
    /// Content bytes still to come, once the first chunk told the length.
    remaining: Option<u64>,
}

impl FileOpener {
    pub fn new(key: &ReportKey, context: &[&str], nonce: &[u8]) -> Result<Self, CryptoError> {
        let nonce: [u8; NONCE_PREFIX] = nonce.try_into().map_err(|_| CryptoError::Open)?;
        Ok(Self {
            decryptor: Some(DecryptorBE32::from_aead(file_cipher(key, context), (&nonce).into())),
            aad: associated_data(context),
            remaining: None,
        })
    }

    /// Opens the next chunk; `last` says whether the store holds no chunk after it. A chunk that does not
    /// open, comes after the last, or a last chunk that leaves content missing, is an error.
    pub fn open_chunk(&mut self, sealed: &[u8], last: bool) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
        let payload = Payload {
            msg: sealed,
            aad: &self.aad,
        };
        let plaintext = if last {
            self.decryptor.take().ok_or(CryptoError::Open)?.decrypt_last(payload)
        } else {
            self.decryptor.as_mut().ok_or(CryptoError::Open)?.decrypt_next(payload)
        }
        .map_err(|_| CryptoError::Open)?;
        let plaintext = Zeroizing::new(plaintext);
        let mut body: &[u8] = &plaintext;
        let remaining = match self.remaining {
            Some(remaining) => remaining,
            None => {
                let header: [u8; LENGTH_HEADER] = body
                    .get(..LENGTH_HEADER)
                    .and_then(|h| h.try_into().ok())
                    .ok_or(CryptoError::Open)?;
                body = &body[LENGTH_HEADER..];
                u64::from_be_bytes(header)
            }
        };
        let take = remaining.min(body.len() as u64);
        let left = remaining - take;
        if last && left > 0 {
            return Err(CryptoError::Open);
        }
        self.remaining = Some(left);
        // `take` is at most `body.len()`, so it fits a usize.
        Ok(Zeroizing::new(body[..take as usize].to_vec()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seal(key: &ReportKey, content: &[u8]) -> ([u8; NONCE_PREFIX], Vec<Vec<u8>>) {
        let sealer = FileSealer::new(key, &["r1", "attachment", "a1"], content);
        let nonce = sealer.nonce();
        (nonce, sealer.collect())
    }

    fn open(key: &ReportKey, context: &[&str], nonce: &[u8], chunks: &[Vec<u8>]) -> Result<Vec<u8>, CryptoError> {
        let mut opener = FileOpener::new(key, context, nonce)?;
        let mut content = Vec::new();
        for (i, chunk) in chunks.iter().enumerate() {
            content.extend_from_slice(&opener.open_chunk(chunk, i + 1 == chunks.len())?);
        }
        Ok(content)
    }

    const CONTEXT: [&str; 3] = ["r1", "attachment", "a1"];

    #[test]
    fn files_of_every_size_round_trip_in_their_bucket() {
        let key = ReportKey::generate();
        for len in [0, 1, CHUNK - 9, CHUNK - 8, CHUNK, 3 * CHUNK + 17, 1_000_000] {
            let content: Vec<u8> = (0..len).map(|i| (i % 251) as u8).collect();
            let (nonce, chunks) = seal(&key, &content);
            assert_eq!(chunks.len(), chunk_count(len), "{len} bytes");
            let sealed: usize = chunks.iter().map(|c| c.len() - TAG).sum();
            assert_eq!(sealed, padded_len(len), "{len} bytes");
            assert_eq!(
                open(&key, &CONTEXT, &nonce, &chunks).expect("opens"),
                content,
                "{len} bytes"
            );
        }
    }

    #[test]
    fn buckets_hide_the_exact_size_and_cost_at_most_an_eighth_more() {
        assert_eq!(padded_len(0), CHUNK);
        assert_eq!(padded_len(CHUNK - 8), CHUNK);
        assert_eq!(padded_len(1_000_000), padded_len(1_000_001));
        for len in [CHUNK, 100_000, 1_000_000, 20 << 20, 50 << 20] {
            let padded = padded_len(len);
            assert!(padded >= len + 8, "{len}");
            assert!((padded as f64) <= (len + 8) as f64 * 1.125, "{len}: {padded}");
        }
    }

    #[test]
    fn a_tampered_dropped_reordered_or_truncated_chunk_fails() {
        let key = ReportKey::generate();
        let content = vec![7u8; 3 * CHUNK];
        let (nonce, chunks) = seal(&key, &content);
        assert!(chunks.len() >= 4);
        // The positive control: untouched, it opens.
        assert!(open(&key, &CONTEXT, &nonce, &chunks).is_ok());
        let mut flipped = chunks.clone();
        flipped[1][5] ^= 1;
        assert_eq!(open(&key, &CONTEXT, &nonce, &flipped), Err(CryptoError::Open));
        let truncated = &chunks[..chunks.len() - 1];
        assert_eq!(open(&key, &CONTEXT, &nonce, truncated), Err(CryptoError::Open));
        let mut dropped = chunks.clone();
        dropped.remove(1);
        assert_eq!(open(&key, &CONTEXT, &nonce, &dropped), Err(CryptoError::Open));
        let mut swapped = chunks.clone();
        swapped.swap(0, 1);
        assert_eq!(open(&key, &CONTEXT, &nonce, &swapped), Err(CryptoError::Open));
        let mut cut = chunks.clone();
        let last = cut.len() - 1;
        cut[last].truncate(TAG + 1);
        assert_eq!(open(&key, &CONTEXT, &nonce, &cut), Err(CryptoError::Open));
    }

    #[test]
    fn another_key_file_or_nonce_does_not_open_it() {
        let key = ReportKey::generate();
        let (nonce, chunks) = seal(&key, b"receipt");
        assert!(open(&ReportKey::generate(), &CONTEXT, &nonce, &chunks).is_err());
        assert!(open(&key, &["r1", "attachment", "a2"], &nonce, &chunks).is_err());
        assert!(open(&key, &["r2", "attachment", "a1"], &nonce, &chunks).is_err());
        let mut other = nonce;
        other[0] ^= 1;
        assert!(open(&key, &CONTEXT, &other, &chunks).is_err());
        assert!(FileOpener::new(&key, &CONTEXT, &nonce[..6]).is_err());
    }
}
