//! Group commit for the API's complaint intake.
//!
//! Requests hand their parsed report to one writer task per app instance and wait for its
//! answer. The writer takes whatever has queued up (up to [`MAX_BATCH`]) and stores it in one
//! transaction, so a burst from a feedback loop costs one commit and one lock wait instead of
//! one each: on SQLite every writer would otherwise queue on the database's one write lock.
//! A request waits no longer than one batch under load and not at all when the intake is idle.
//! The answer a request gets is the one [`intake::store`] would give it alone.
use super::batch::{self, Incoming};
use super::intake;
use super::outcome::{Outcome, Source};
use crate::intake::arf::FeedbackReport;
use crate::services::common::ServiceError;
use crate::services::notices::outbox::NoticeSettings;
use sea_orm::{DatabaseBackend, DatabaseConnection};
use std::sync::Arc;
use tokio::sync::{Mutex, mpsc, oneshot};

/// Reports stored in one transaction at most.
pub const MAX_BATCH: usize = 128;
/// Reports waiting for the writer; a request beyond this waits to be queued (back-pressure).
const QUEUE_LENGTH: usize = 1024;
/// Writers per app instance on PostgreSQL.
const POSTGRES_WRITERS: usize = 3;

struct Job {
    report: FeedbackReport,
    source: Source,
    reply: oneshot::Sender<Result<Outcome, ServiceError>>,
}

/// The handle requests use; cloning it is cheap. The writer stops when every handle is gone.
#[derive(Clone, Debug)]
pub struct ComplaintWriter {
    jobs: mpsc::Sender<Job>,
}

impl ComplaintWriter {
    /// Starts the writers on the current tokio runtime: one on SQLite, which has one write
    /// lock anyway; on PostgreSQL a few, so one batch is built while another commits. Their
    /// batches lock mailboxes in id order, so they cannot deadlock on each other.
    pub fn start(db: DatabaseConnection, settings: NoticeSettings) -> Self {
        let writers = match db.get_database_backend() {
            DatabaseBackend::Sqlite => 1,
            _ => POSTGRES_WRITERS,
        };
        let (jobs, queue) = mpsc::channel(QUEUE_LENGTH);
        let queue = Arc::new(Mutex::new(queue));
        for _ in 0..writers {
            tokio::spawn(supervise(db.clone(), settings.clone(), queue.clone()));
        }
        Self { jobs }
    }

    /// Stores one report through the writer and returns its outcome.
    pub async fn store(&self, report: FeedbackReport, source: Source) -> Result<Outcome, ServiceError> {
        let stopped = || ServiceError::Internal("the complaint writer has stopped".into());
        let (reply, answer) = oneshot::channel();
        self.jobs.send(Job { report, source, reply }).await.map_err(|_| stopped())?;
        answer.await.map_err(|_| stopped())?
    }
}

/// Restarts a writer that panicked, so the intake does not stop until the process does. The
/// requests of the batch it was writing are answered with an error (they are retried).
async fn supervise(db: DatabaseConnection, settings: NoticeSettings, queue: Arc<Mutex<mpsc::Receiver<Job>>>) {
    loop {
        match tokio::spawn(run(db.clone(), settings.clone(), queue.clone())).await {
            Ok(()) => return,
            Err(error) => tracing::error!(%error, "the complaint writer failed; restarting it"),
        }
    }
}

async fn run(db: DatabaseConnection, settings: NoticeSettings, queue: Arc<Mutex<mpsc::Receiver<Job>>>) {
    let mut jobs = Vec::with_capacity(MAX_BATCH);
    loop {
        // The queue is held only while taking a batch, not while writing it.
        let taken = queue.lock().await.recv_many(&mut jobs, MAX_BATCH).await;
        if taken == 0 {
            return;
        }
        metrics::histogram!("mailadmin_complaint_batch_size").record(taken as f64);
        write(&db, &settings, &mut jobs).await;
    }
}

/// Stores `jobs` as one batch and answers each. A batch that fails is retried report by report,
/// so one report that cannot be stored does not fail the others; when the database cannot be
/// reached at all, every report is answered with the error at once (the sender retries).
async fn write(db: &DatabaseConnection, settings: &NoticeSettings, jobs: &mut Vec<Job>) {
    let batch: Vec<Incoming<'_>> =
        jobs.iter().map(|job| Incoming { report: &job.report, source: job.source }).collect();
    let error = match batch::store_batch(db, settings, &batch).await {
        Ok(outcomes) => {
            for (job, outcome) in jobs.drain(..).zip(outcomes) {
                let _ = job.reply.send(Ok(outcome));
            }
            return;
        }
        Err(error) => error,
    };
    if jobs.len() > 1 && db.ping().await.is_ok() {
        tracing::warn!(%error, reports = jobs.len(), "a batch of complaints failed; storing them one by one");
        for job in jobs.drain(..) {
            let outcome = intake::store(db, settings, &job.report, job.source).await;
            let _ = job.reply.send(outcome);
        }
        return;
    }
    let reason = match error {
        ServiceError::Internal(reason) => reason,
        other => other.to_string(),
    };
    for job in jobs.drain(..) {
        let _ = job.reply.send(Err(ServiceError::Internal(reason.clone())));
    }
}
