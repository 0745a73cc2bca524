//! An output file written atomically: into a temporary file in the same directory, renamed over
//! the output only when complete, so that a failed or interrupted run never leaves a partial file
//! and an existing output stays as it was. The input is never the output, and an existing output
//! is replaced only with `--force`.

use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use credit_scorer::{Error, ErrorKind};
use tempfile::NamedTempFile;

const BUFFER_BYTES: usize = 1 << 20;

fn io(what: String, e: &std::io::Error) -> Error {
    Error::new(ErrorKind::Io, format!("{what}: {e}"))
}

/// A file being written; it appears at its path on [`AtomicFile::commit`], and nothing does when
/// it is dropped before.
pub(super) struct AtomicFile {
    writer: BufWriter<NamedTempFile>,
    path: PathBuf,
    force: bool,
}

impl AtomicFile {
    /// Starts writing `path`. Refused: `path` is one of `inputs` (the same file by any path or
    /// link) or the file on stdin when `stdin` is read, `path` exists and not `force`, or no
    /// temporary file can be made beside it.
    pub(super) fn create(
        path: &Path,
        inputs: &[&Path],
        stdin: bool,
        force: bool,
    ) -> Result<Self, Error> {
        let shown = path.display();
        if stdin
            && let (Ok(a), Ok(b)) = (
                same_file::Handle::stdin(),
                same_file::Handle::from_path(path),
            )
            && a == b
        {
            return Err(Error::new(
                ErrorKind::Input,
                format!(
                    "the output `{shown}` is the file on stdin: writing it would destroy the input; give another output file"
                ),
            ));
        }
        for input in inputs {
            // `is_same_file` compares device and inode, so links and `./x` are caught too; it is
            // an error when either is missing, and a missing file cannot be the input.
            if same_file::is_same_file(input, path).unwrap_or(false) {
                return Err(Error::new(
                    ErrorKind::Input,
                    format!(
                        "the output `{shown}` is the input `{}`: writing it would destroy the input; give another output file",
                        input.display()
                    ),
                ));
            }
        }
        if !force && std::fs::symlink_metadata(path).is_ok() {
            return Err(exists(path));
        }
        let dir = match path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d,
            _ => Path::new("."),
        };
        let name = path
            .file_name()
            .ok_or_else(|| {
                Error::new(
                    ErrorKind::Input,
                    format!("the output `{shown}` is not a file name"),
                )
            })?
            .to_string_lossy();
        let prefix = format!(".{name}.");
        let mut builder = tempfile::Builder::new();
        builder.prefix(&prefix).suffix(".partial");
        // As `File::create` would: read-write for all, less the umask (tempfile's own is 0600).
        #[cfg(unix)]
        builder.permissions(std::os::unix::fs::PermissionsExt::from_mode(0o666));
        let temp = builder.tempfile_in(dir).map_err(|e| {
            io(
                format!(
                    "cannot create a temporary file in `{}` to write `{shown}`",
                    dir.display()
                ),
                &e,
            )
        })?;
        Ok(AtomicFile {
            writer: BufWriter::with_capacity(BUFFER_BYTES, temp),
            path: path.to_path_buf(),
            force,
        })
    }

    /// Where to write the contents.
    pub(super) fn writer(&mut self) -> &mut dyn Write {
        &mut self.writer
    }

    /// Writes `bytes` as the whole file and puts it at its path (see [`AtomicFile::commit`]).
    pub(super) fn write_and_commit(mut self, bytes: &[u8]) -> Result<(), Error> {
        let shown = self.path.display().to_string();
        self.writer
            .write_all(bytes)
            .map_err(|e| io(format!("cannot write `{shown}`"), &e))?;
        self.commit()
    }

    /// Puts the complete file at its path (replacing an existing one only with `force`).
    pub(super) fn commit(self) -> Result<(), Error> {
        let shown = self.path.display();
        let temp = self
            .writer
            .into_inner()
            .map_err(|e| io(format!("cannot write `{shown}`"), e.error()))?;
        let persisted = if self.force {
            temp.persist(&self.path)
        } else {
            // Not `persist`: the output may have appeared while this run was writing.
            temp.persist_noclobber(&self.path)
        };
        match persisted {
            Ok(_) => Ok(()),
            Err(e) if e.error.kind() == std::io::ErrorKind::AlreadyExists => {
                Err(exists(&self.path))
            }
            Err(e) => Err(io(format!("cannot write `{shown}`"), &e.error)),
        }
    }
}

fn exists(path: &Path) -> Error {
    Error::new(
        ErrorKind::Input,
        format!(
            "the output `{}` exists; give --force to replace it, or another output file",
            path.display()
        ),
    )
}
