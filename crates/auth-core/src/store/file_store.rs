//! The file token store (feature `file-store`).

use std::fmt;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use futures::future::BoxFuture;
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::{StoredToken, TokenStore};
use crate::clock::SharedClock;
use crate::error::{AuthError, ErrorKind};

/// First line of a token file.
const TOKEN_MAGIC: &str = "tollgate-token 1";
/// First line of a fetch-lock record. (Records of format `1` held no TTL and are treated
/// as absent.)
const LOCK_MAGIC: &str = "tollgate-fetch-lock 2";
/// The longest fetch lock: a record claiming a longer TTL is treated as expired, and a
/// longer TTL asked of [`TokenStore::try_lock`] or [`TokenStore::renew`] is cut to this.
const MAX_LOCK_TTL_MS: u64 = 60 * 60 * 1000;
/// Files larger than this are not read (and so treated as absent).
const MAX_FILE: u64 = 64 * 1024;

/// Why a [`FileStore`] refused its directory.
#[derive(Debug)]
#[non_exhaustive]
pub enum FileStoreError {
    /// No cache directory could be determined (no `$XDG_CACHE_HOME`, no home directory).
    NoCacheDir,
    /// The path exists and is not a directory.
    NotADirectory(PathBuf),
    /// The directory belongs to another user.
    NotOwned(PathBuf),
    /// The directory is writable by its group or by everyone (Unix mode shown in octal).
    WritableByOthers {
        /// The directory.
        path: PathBuf,
        /// Its permission bits.
        mode: u32,
    },
    /// Creating or inspecting the directory failed.
    Io {
        /// The directory.
        path: PathBuf,
        /// What failed.
        kind: io::ErrorKind,
    },
}

impl fmt::Display for FileStoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FileStoreError::NoCacheDir => {
                f.write_str("no cache directory: neither XDG_CACHE_HOME nor a home directory")
            }
            FileStoreError::NotADirectory(p) => {
                write!(f, "token cache {} is not a directory", p.display())
            }
            FileStoreError::NotOwned(p) => write!(
                f,
                "token cache directory {} belongs to another user; refusing to use it",
                p.display()
            ),
            FileStoreError::WritableByOthers { path, mode } => write!(
                f,
                "token cache directory {} is writable by others (mode {mode:o}); refusing to \
                 use it (chmod 700 it)",
                path.display()
            ),
            FileStoreError::Io { path, kind } => {
                write!(f, "token cache directory {}: {kind}", path.display())
            }
        }
    }
}

impl std::error::Error for FileStoreError {}

impl From<FileStoreError> for AuthError {
    fn from(e: FileStoreError) -> Self {
        AuthError::new(ErrorKind::StoreUnavailable, e.to_string()).with_retryable(false)
    }
}

/// Shares tokens between processes on one host through files in a directory.
///
/// **The token files hold bearer secrets**: anyone who can read them can call the provider
/// as you until the token expires. The store therefore creates its directory with mode
/// `0700` and every file with mode `0600`, and refuses a directory that another user owns
/// or that its group or everyone may write to. (On non-Unix systems there are no mode
/// bits to set or check: the directory's own access control applies.)
///
/// Layout, per key (the file names are a SHA-256 digest of the key, so no credential
/// identifier or secret appears in a name):
/// - `<digest>.lock`: an empty file locked with the operating system's advisory file lock
///   (`flock`) around every operation, which makes each operation atomic across processes;
/// - `<digest>.token`: the token ([`StoredToken::encode`]) and its absolute expiry;
/// - `<digest>.fetch`: the fetch lock, a fenced record with an expiry and its TTL (as Redis
///   `SET NX PX`), renewable by its holder, ignored once expired. A record claiming more
///   remaining life than its TTL (one written before the clock stepped back, or a bogus
///   one) or a TTL over an hour is expired too: no record blocks fetching for longer than
///   a lock may live. (Lock TTLs are capped at one hour.)
///
/// Remaining life is the stored expiry minus the store's clock (processes on one host
/// share that clock). Every file is untrusted input: one that is truncated, corrupted,
/// oversized or written by something else is treated as absent and replaced by the next
/// save, never an error that blocks fetching. Files are replaced by writing a temporary
/// file and renaming it, so a process killed mid-write leaves the previous file.
///
/// An operation holds the file lock for a few file-system calls only; the lock is released
/// by the kernel if the process dies.
///
/// ```no_run
/// # fn demo() -> Result<(), tollgate_auth_core::store::FileStoreError> {
/// use std::sync::Arc;
/// use tollgate_auth_core::CacheConfig;
/// use tollgate_auth_core::store::{FileStore, SharedStore};
///
/// let files = Arc::new(FileStore::open_default(tollgate_auth_core::clock::system_clock())?);
/// let cache = CacheConfig::default()
///     .with_shared_store(SharedStore::new(files, "v5:my-app-id"));
/// # let _ = cache; Ok(()) }
/// ```
pub struct FileStore {
    dir: PathBuf,
    clock: SharedClock,
}

impl fmt::Debug for FileStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FileStore")
            .field("dir", &self.dir)
            .finish_non_exhaustive()
    }
}

impl FileStore {
    /// A store in `dir`, created (mode `0700`, parents included) if missing. Refuses a
    /// directory owned by another user or writable by its group or everyone.
    pub fn open(dir: impl Into<PathBuf>, clock: SharedClock) -> Result<Self, FileStoreError> {
        let dir = dir.into();
        let io = |kind| FileStoreError::Io {
            path: dir.clone(),
            kind,
        };
        match fs::metadata(&dir) {
            Ok(_) => {}
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                create_private_dir(&dir).map_err(|e| io(e.kind()))?;
            }
            Err(e) => return Err(io(e.kind())),
        }
        let meta = fs::metadata(&dir).map_err(|e| io(e.kind()))?;
        if !meta.is_dir() {
            return Err(FileStoreError::NotADirectory(dir));
        }
        check_private(&dir, &meta)?;
        Ok(FileStore { dir, clock })
    }

    /// A store in [`default_dir`](Self::default_dir).
    pub fn open_default(clock: SharedClock) -> Result<Self, FileStoreError> {
        Self::open(
            Self::default_dir().ok_or(FileStoreError::NoCacheDir)?,
            clock,
        )
    }

    /// `tollgate` under the platform's cache directory: `$XDG_CACHE_HOME/tollgate` (or
    /// `~/.cache/tollgate`) on Linux, `~/Library/Caches/tollgate` on macOS,
    /// `%LOCALAPPDATA%\tollgate` on Windows. `None` without a home directory.
    pub fn default_dir() -> Option<PathBuf> {
        dirs::cache_dir().map(|d| d.join("tollgate"))
    }

    /// The directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The file holding the token of `key` (its name is a digest of the key).
    pub fn token_path(&self, key: &str) -> PathBuf {
        self.dir.join(format!("{}.token", digest(key)))
    }

    #[cfg(feature = "test-util")]
    #[cfg_attr(docsrs, doc(cfg(feature = "test-util")))]
    /// The file holding the fetch-lock record of `key`, for tests that plant records.
    pub fn fetch_lock_path(&self, key: &str) -> PathBuf {
        self.fetch_path(key)
    }

    fn lock_path(&self, key: &str) -> PathBuf {
        self.dir.join(format!("{}.lock", digest(key)))
    }

    fn fetch_path(&self, key: &str) -> PathBuf {
        self.dir.join(format!("{}.fetch", digest(key)))
    }

    /// Removes every stored token and fetch lock in the directory (each under its key's
    /// file lock), and temporary files left by interrupted writes. Returns how many tokens
    /// were removed.
    pub fn clear(&self) -> Result<usize, AuthError> {
        let entries = fs::read_dir(&self.dir).map_err(|e| io_error("list", &e))?;
        let mut removed = 0;
        for entry in entries {
            let entry = entry.map_err(|e| io_error("list", &e))?;
            let name = entry.file_name();
            let Some(name) = name.to_str() else { continue };
            let Some((stem, ext)) = name.split_once('.') else {
                continue;
            };
            // Tokens, fetch locks, and temporary files left by a process killed mid-write.
            if !is_digest(stem) || !(matches!(ext, "token" | "fetch") || ext.starts_with("tmp")) {
                continue;
            }
            let _guard = FileLock::take(&self.dir.join(format!("{stem}.lock")))?;
            match fs::remove_file(entry.path()) {
                Ok(()) if ext == "token" => removed += 1,
                Ok(()) => {}
                Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                Err(e) => return Err(io_error("remove", &e)),
            }
        }
        Ok(removed)
    }

    fn now_ms(&self) -> u64 {
        millis_since_epoch(self.clock.now())
    }

    /// The live token record of `key`: its encoded token and remaining life. Anything
    /// unreadable, malformed or expired is `None`.
    fn live_token(&self, key: &str) -> Result<Option<(SecretString, Duration)>, AuthError> {
        let Some(raw) = read_small(&self.token_path(key))? else {
            return Ok(None);
        };
        let raw = SecretString::from(raw);
        let Some(([expires], body)) = parse_record(raw.expose_secret(), TOKEN_MAGIC) else {
            return Ok(None);
        };
        let Some(left) = expires.checked_sub(self.now_ms()).filter(|ms| *ms > 0) else {
            return Ok(None);
        };
        Ok(Some((
            SecretString::from(body.to_string()),
            Duration::from_millis(left),
        )))
    }

    /// The fence of the live fetch lock on `key`, if any. A record is live while its
    /// expiry is ahead of the store's clock by at most its TTL, and that TTL is at most
    /// [`MAX_LOCK_TTL_MS`]: a record claiming more life than its TTL (written before the
    /// clock stepped back, or bogus) is expired, so no record blocks fetching for longer
    /// than a lock may live.
    fn live_fence(&self, key: &str) -> Result<Option<String>, AuthError> {
        let Some(raw) = read_small(&self.fetch_path(key))? else {
            return Ok(None);
        };
        let Some(([expires, ttl], fence)) = parse_record(&raw, LOCK_MAGIC) else {
            return Ok(None);
        };
        let live = (1..=MAX_LOCK_TTL_MS).contains(&ttl)
            && expires
                .checked_sub(self.now_ms())
                .is_some_and(|left| left > 0 && left <= ttl);
        Ok(live.then(|| fence.to_string()))
    }

    fn holds(&self, key: &str, fence: &str) -> Result<bool, AuthError> {
        Ok(self
            .live_fence(key)?
            .is_some_and(|f| bool::from(f.as_bytes().ct_eq(fence.as_bytes()))))
    }

    fn write_fetch_lock(&self, key: &str, fence: &str, ttl: Duration) -> Result<(), AuthError> {
        let ttl = duration_ms(ttl).clamp(1, MAX_LOCK_TTL_MS);
        let until = self.now_ms().saturating_add(ttl);
        let record = format!("{LOCK_MAGIC}\n{until}\n{ttl}\n{fence}");
        write_atomic(&self.fetch_path(key), record.as_bytes())
    }

    /// Runs `op` holding the file lock of `key`.
    fn locked<T>(
        &self,
        key: &str,
        op: impl FnOnce() -> Result<T, AuthError>,
    ) -> Result<T, AuthError> {
        let _guard = FileLock::take(&self.lock_path(key))?;
        op()
    }
}

impl TokenStore for FileStore {
    fn load<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<Option<StoredToken>, AuthError>> {
        Box::pin(async move {
            self.locked(key, || {
                Ok(self
                    .live_token(key)?
                    .and_then(|(body, left)| StoredToken::decode(body.expose_secret(), Some(left))))
            })
        })
    }

    fn save<'a>(
        &'a self,
        key: &'a str,
        fence: &'a str,
        token: &'a StoredToken,
        ttl: Duration,
    ) -> BoxFuture<'a, Result<bool, AuthError>> {
        Box::pin(async move {
            self.locked(key, || {
                if !self.holds(key, fence)? {
                    return Ok(false);
                }
                let until = self.now_ms().saturating_add(duration_ms(ttl).max(1));
                let record =
                    SecretString::from(format!("{TOKEN_MAGIC}\n{until}\n{}", token.encode()));
                write_atomic(&self.token_path(key), record.expose_secret().as_bytes())?;
                Ok(true)
            })
        })
    }

    fn try_lock<'a>(
        &'a self,
        key: &'a str,
        fence: &'a str,
        ttl: Duration,
    ) -> BoxFuture<'a, Result<bool, AuthError>> {
        Box::pin(async move {
            self.locked(key, || {
                if self.live_fence(key)?.is_some() {
                    return Ok(false);
                }
                self.write_fetch_lock(key, fence, ttl)?;
                Ok(true)
            })
        })
    }

    fn renew<'a>(
        &'a self,
        key: &'a str,
        fence: &'a str,
        ttl: Duration,
    ) -> BoxFuture<'a, Result<bool, AuthError>> {
        Box::pin(async move {
            self.locked(key, || {
                if !self.holds(key, fence)? {
                    return Ok(false);
                }
                self.write_fetch_lock(key, fence, ttl)?;
                Ok(true)
            })
        })
    }

    fn unlock<'a>(&'a self, key: &'a str, fence: &'a str) -> BoxFuture<'a, Result<(), AuthError>> {
        Box::pin(async move {
            self.locked(key, || {
                // An expired record with our fence is ours to remove too: nobody else holds it.
                let path = self.fetch_path(key);
                let ours = read_small(&path)?
                    .and_then(|raw| {
                        parse_record::<2>(&raw, LOCK_MAGIC)
                            .map(|(_, f)| bool::from(f.as_bytes().ct_eq(fence.as_bytes())))
                    })
                    .unwrap_or(false);
                if ours {
                    remove_if_present(&path)?;
                }
                Ok(())
            })
        })
    }

    fn remove_if<'a>(
        &'a self,
        key: &'a str,
        value: &'a SecretString,
    ) -> BoxFuture<'a, Result<(), AuthError>> {
        Box::pin(async move {
            self.locked(key, || {
                let same = self
                    .live_token(key)?
                    .and_then(|(body, _)| StoredToken::decode(body.expose_secret(), None))
                    .is_some_and(|t| {
                        bool::from(
                            t.value
                                .expose_secret()
                                .as_bytes()
                                .ct_eq(value.expose_secret().as_bytes()),
                        )
                    });
                if same {
                    remove_if_present(&self.token_path(key))?;
                }
                Ok(())
            })
        })
    }
}

/// Hex SHA-256 of `key`.
fn digest(key: &str) -> String {
    hex::encode(Sha256::digest(key.as_bytes()))
}

fn is_digest(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit())
}

fn millis_since_epoch(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH).map(duration_ms).unwrap_or(0)
}

fn duration_ms(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

/// `<magic>\n<N decimal numbers, one a line>\n<body>` → (numbers, body): a token record
/// has one number (its expiry in ms since the epoch), a fetch-lock record two (its expiry
/// and its TTL in ms). Strict: any other shape, or a number beyond `u64`, is `None`.
fn parse_record<'s, const N: usize>(raw: &'s str, magic: &str) -> Option<([u64; N], &'s str)> {
    let mut rest = raw.strip_prefix(magic)?.strip_prefix('\n')?;
    let mut numbers = [0u64; N];
    for n in &mut numbers {
        let (field, tail) = rest.split_once('\n')?;
        if field.is_empty() || field.len() > 20 || !field.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        *n = field.parse().ok()?;
        rest = tail;
    }
    if rest.is_empty() || rest.contains('\n') {
        return None;
    }
    Some((numbers, rest))
}

fn io_error(what: &str, e: &io::Error) -> AuthError {
    AuthError::new(
        ErrorKind::StoreUnavailable,
        format!("file token store: {what}: {}", e.kind()),
    )
}

/// The contents of `path` if it exists, is at most [`MAX_FILE`] bytes and is UTF-8;
/// `None` otherwise. Only failures to read an existing file are errors.
fn read_small(path: &Path) -> Result<Option<String>, AuthError> {
    let file = match File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(io_error("open", &e)),
    };
    let mut buf = Vec::new();
    file.take(MAX_FILE.saturating_add(1))
        .read_to_end(&mut buf)
        .map_err(|e| io_error("read", &e))?;
    if u64::try_from(buf.len()).map_or(true, |n| n > MAX_FILE) {
        zeroize_vec(&mut buf);
        return Ok(None);
    }
    match String::from_utf8(buf) {
        Ok(s) => Ok(Some(s)),
        Err(e) => {
            zeroize_vec(&mut e.into_bytes());
            Ok(None)
        }
    }
}

fn zeroize_vec(buf: &mut Vec<u8>) {
    buf.iter_mut().for_each(|b| *b = 0);
    buf.clear();
}

fn remove_if_present(path: &Path) -> Result<(), AuthError> {
    match fs::remove_file(path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(io_error("remove", &e)),
    }
}

/// Writes `bytes` to a new private temporary file beside `path`, then renames it over
/// `path`: readers see the old file or the new one, never half of one.
fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), AuthError> {
    let tmp = path.with_extension(format!(
        "tmp{}-{:016x}",
        std::process::id(),
        rand::random::<u64>()
    ));
    let written = (|| {
        let mut f = private_options().create_new(true).write(true).open(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()
    })();
    if let Err(e) = written {
        let _ = fs::remove_file(&tmp);
        return Err(io_error("write", &e));
    }
    fs::rename(&tmp, path).map_err(|e| {
        let _ = fs::remove_file(&tmp);
        io_error("rename", &e)
    })
}

/// Options that create files readable and writable by their owner only (Unix).
fn private_options() -> OpenOptions {
    #[allow(unused_mut)]
    let mut o = OpenOptions::new();
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        o.mode(0o600);
    }
    o
}

fn create_private_dir(dir: &Path) -> io::Result<()> {
    let mut b = fs::DirBuilder::new();
    b.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        b.mode(0o700);
    }
    b.create(dir)
}

#[cfg(unix)]
fn check_private(dir: &Path, meta: &fs::Metadata) -> Result<(), FileStoreError> {
    use std::os::unix::fs::MetadataExt;
    if meta.uid() != rustix::process::geteuid().as_raw() {
        return Err(FileStoreError::NotOwned(dir.to_path_buf()));
    }
    let mode = meta.mode() & 0o7777;
    if mode & 0o022 != 0 {
        return Err(FileStoreError::WritableByOthers {
            path: dir.to_path_buf(),
            mode,
        });
    }
    Ok(())
}

#[cfg(not(unix))]
fn check_private(_dir: &Path, _meta: &fs::Metadata) -> Result<(), FileStoreError> {
    Ok(())
}

/// An exclusive OS file lock, released when dropped (and by the kernel if the process
/// dies).
struct FileLock(File);

impl FileLock {
    fn take(path: &Path) -> Result<Self, AuthError> {
        let file = private_options()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(path)
            .map_err(|e| io_error("open lock file", &e))?;
        fs4::FileExt::lock(&file).map_err(|e| io_error("lock", &e))?;
        Ok(FileLock(file))
    }
}

impl Drop for FileLock {
    fn drop(&mut self) {
        let _ = fs4::FileExt::unlock(&self.0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_parse_strictly() {
        assert_eq!(
            parse_record("tollgate-token 1\n42\n5:tok", TOKEN_MAGIC),
            Some(([42], "5:tok"))
        );
        assert_eq!(
            parse_record("tollgate-fetch-lock 2\n42\n7\nfence", LOCK_MAGIC),
            Some(([42, 7], "fence"))
        );
        for bad in [
            "tollgate-fetch-lock 1\n42\nfence",
            "tollgate-fetch-lock 2\n42\nfence",
            "tollgate-fetch-lock 2\n42\n\nfence",
            "tollgate-fetch-lock 2\n42\n18446744073709551616\nfence",
            "tollgate-fetch-lock 2\n42\n7\n",
        ] {
            assert_eq!(parse_record::<2>(bad, LOCK_MAGIC), None, "{bad:?}");
        }
        for bad in [
            "",
            "tollgate-token 1",
            "tollgate-token 1\n",
            "tollgate-token 1\n42",
            "tollgate-token 1\n42\n",
            "tollgate-token 1\n\n5:tok",
            "tollgate-token 1\n-1\n5:tok",
            "tollgate-token 1\n+4\n5:tok",
            "tollgate-token 1\n99999999999999999999999\n5:tok",
            "tollgate-token 1\n42\n5:tok\nmore",
            "tollgate-token 2\n42\n5:tok",
            "tollgate-fetch-lock 1\n42\nfence",
        ] {
            assert_eq!(parse_record::<1>(bad, TOKEN_MAGIC), None, "{bad:?}");
        }
    }

    #[test]
    fn digests_are_hex_sha256() {
        let d = digest("snap:client");
        assert!(is_digest(&d));
        assert_ne!(d, digest("snap:client2"));
        assert!(!is_digest("abc"));
    }
}
