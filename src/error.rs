//! The library's error type: every variant says which input and where.
use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}: not an EVTX file ({reason})")]
    NotEvtx { path: PathBuf, reason: String },
    #[error("{path}: {message}")]
    BadInput { path: PathBuf, message: String },
    #[error("invalid {what}: {message}")]
    InvalidArgument { what: String, message: String },
    #[error("{0}")]
    Other(String),
}

impl Error {
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            path: path.into(),
            source,
        }
    }
    pub fn bad_input(path: impl Into<PathBuf>, message: impl Into<String>) -> Self {
        Error::BadInput {
            path: path.into(),
            message: message.into(),
        }
    }
    /// The message without the leading `path: ` it starts with (for a line that names the path
    /// already, as an input's summary does).
    pub fn message_for(&self, path: &std::path::Path) -> String {
        let text = self.to_string();
        let prefix = format!("{}: ", path.display());
        text.strip_prefix(&prefix).unwrap_or(&text).to_string()
    }
    pub fn arg(what: impl Into<String>, message: impl Into<String>) -> Self {
        Error::InvalidArgument {
            what: what.into(),
            message: message.into(),
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
