//! Structured log lines, gathered in memory and written in batches by one thread: a write per
//! line would cost a system call on every login, and waking a writer per line (a channel) costs
//! a futex call and a context switch, which halved throughput in both cases.

use std::io::Write;
use std::sync::{Condvar, Mutex, MutexGuard, OnceLock};
use std::time::Duration;

/// Lines waiting to be written.
static PENDING: Mutex<Vec<u8>> = Mutex::new(Vec::new());
/// Held while a batch is written, so that batches reach stderr in order.
static OUTPUT: Mutex<()> = Mutex::new(());
/// Wakes the writer early when much is waiting.
static FULL: Condvar = Condvar::new();

/// The writer wakes at least this often…
const PERIOD: Duration = Duration::from_millis(100);
/// …and as soon as this much is waiting.
const EARLY: usize = 256 * 1024;

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic while a line was appended leaves nothing inconsistent behind: go on.
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn start_writer() {
    static STARTED: OnceLock<()> = OnceLock::new();
    STARTED.get_or_init(|| {
        let _ = std::thread::Builder::new()
            .name("kwi-log".into())
            .spawn(|| {
                loop {
                    {
                        let pending = lock(&PENDING);
                        if pending.len() < EARLY {
                            let _ = FULL.wait_timeout(pending, PERIOD);
                        }
                    }
                    write_pending();
                }
            });
    });
}

/// Writes what is waiting, in order with any other batch.
fn write_pending() {
    let _output = lock(&OUTPUT);
    let batch = std::mem::take(&mut *lock(&PENDING));
    if !batch.is_empty() {
        let mut err = std::io::stderr().lock();
        let _ = err.write_all(&batch);
        let _ = err.flush();
    }
}

/// Queues one line for standard error (written within a tenth of a second).
pub fn line(text: String) {
    start_writer();
    let mut pending = lock(&PENDING);
    pending.extend_from_slice(text.as_bytes());
    pending.push(b'\n');
    if pending.len() >= EARLY {
        FULL.notify_one();
    }
}

/// Writes every queued line now (call before the process exits).
pub fn flush() {
    write_pending();
}

/// `text` as a JSON string literal, for hand-built log lines.
pub fn json_string(text: &str) -> String {
    serde_json::Value::String(text.to_string()).to_string()
}

/// Queues one JSON log line `{"time":…,"level":…,"msg":…,…}` whose extra members are strings.
pub fn event(level: &str, msg: &str, fields: &[(&str, &str)]) {
    let mut out = format!(
        "{{\"time\":{},\"level\":{},\"msg\":{}",
        json_string(&now_rfc3339()),
        json_string(level),
        json_string(msg)
    );
    for (name, value) in fields {
        out.push(',');
        out.push_str(&json_string(name));
        out.push(':');
        out.push_str(&json_string(value));
    }
    out.push('}');
    line(out);
}

/// The current UTC time as RFC 3339 with seconds, for log lines.
pub fn now_rfc3339() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX));
    kwi_jose::time::format_rfc3339(secs)
}
