//! CPU work that strangers cause (decompressing and parsing the reports anyone may send) runs
//! below the async workers' priority: when the machine is busy, answering policy fetches and
//! connections comes first, and the parsing takes what is left. Nothing is dropped; a payload
//! under attack just waits longer for its core.

/// The nice value of a parsing thread: the kernel gives it about a tenth of a core's share
/// while a normal thread wants the core.
const NICENESS: i32 = 10;

/// Why the work did not run to its end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LowPriorityError {
    /// No thread could be started (the process is at its thread limit): try again later.
    NoThread,
    /// The work panicked (a bug the same input would hit again).
    Panicked,
}

/// Runs `work` on a thread of its own at a lower priority and waits for its result. A fresh
/// thread each time: an unprivileged process may lower a thread's priority but never raise it
/// back, so a pooled thread could not be reused for normal work. Starting a thread costs tens of
/// microseconds, nothing beside a parse.
pub(crate) async fn run_low_priority<T: Send + 'static>(
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, LowPriorityError> {
    let (done, result) = tokio::sync::oneshot::channel();
    std::thread::Builder::new()
        .name("report-parse".into())
        .spawn(move || {
            lower_this_thread();
            // A panic drops `done` unsent, which the waiting side reads as `Panicked`.
            let _ = done.send(work());
        })
        .map_err(|e| {
            tracing::warn!(error = %e, "no thread for parsing a report");
            LowPriorityError::NoThread
        })?;
    result.await.map_err(|_| LowPriorityError::Panicked)
}

#[cfg(target_os = "linux")]
fn lower_this_thread() {
    // On Linux, PRIO_PROCESS with a thread id sets that one thread's nice value.
    if let Err(e) = rustix::process::setpriority_process(Some(rustix::thread::gettid()), NICENESS) {
        tracing::debug!(error = %e, "could not lower a parsing thread's priority");
    }
}

#[cfg(not(target_os = "linux"))]
fn lower_this_thread() {}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(target_os = "linux")]
    #[tokio::test]
    async fn work_runs_on_a_lowered_thread_and_gives_its_result() {
        let (nice, name) = run_low_priority(|| {
            let nice = rustix::process::getpriority_process(Some(rustix::thread::gettid())).unwrap();
            (nice, std::thread::current().name().map(str::to_owned))
        })
        .await
        .unwrap();
        assert!(nice >= NICENESS, "nice {nice}");
        assert_eq!(name.as_deref(), Some("report-parse"));
        // The caller's own thread keeps its priority.
        let own = rustix::process::getpriority_process(Some(rustix::thread::gettid())).unwrap();
        assert!(own < NICENESS, "nice {own}");
    }

    #[tokio::test]
    async fn a_panic_is_reported_not_propagated() {
        let outcome = run_low_priority(|| -> u32 { panic!("a bug") }).await;
        assert_eq!(outcome, Err(LowPriorityError::Panicked));
    }
}
