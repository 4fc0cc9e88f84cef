//! Where a report came from and what storing it did: the words the intake's callers share.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    Api,
    Cli,
    Manual,
}

impl Source {
    pub fn as_str(self) -> &'static str {
        match self {
            Source::Api => "api",
            Source::Cli => "ingest-arf",
            Source::Manual => "manual",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Stored {
        complaint_id: i32,
        mailbox_id: Option<i32>,
        suspended: bool,
    },
    /// Seen before: counted once, answered as a success.
    Duplicate {
        complaint_id: i32,
    },
}
