//! Structured log lines, written by one thread in batches: a write per line would cost a system
//! call on every login and serialize the workers on the stderr lock.

use std::io::Write;
use std::sync::OnceLock;
use std::sync::mpsc::{Receiver, Sender, channel};

enum Message {
    Line(String),
    Flush(Sender<()>),
}

fn writer() -> &'static Sender<Message> {
    static WRITER: OnceLock<Sender<Message>> = OnceLock::new();
    WRITER.get_or_init(|| {
        let (tx, rx) = channel();
        std::thread::Builder::new()
            .name("kwi-log".into())
            .spawn(move || drain(rx))
            .ok();
        tx
    })
}

fn drain(rx: Receiver<Message>) {
    let mut out = std::io::BufWriter::with_capacity(64 * 1024, std::io::stderr());
    while let Ok(first) = rx.recv() {
        let mut next = Some(first);
        // Write everything that is waiting, then flush once.
        while let Some(message) = next {
            match message {
                Message::Line(line) => {
                    let _ = out.write_all(line.as_bytes());
                    let _ = out.write_all(b"\n");
                }
                Message::Flush(done) => {
                    let _ = out.flush();
                    let _ = done.send(());
                }
            }
            next = rx.try_recv().ok();
        }
        let _ = out.flush();
    }
}

/// Queues one line for standard error.
pub fn line(text: String) {
    let _ = writer().send(Message::Line(text));
}

/// Waits until every queued line is written (call before the process exits).
pub fn flush() {
    let (tx, rx) = channel();
    if writer().send(Message::Flush(tx)).is_ok() {
        let _ = rx.recv_timeout(std::time::Duration::from_secs(2));
    }
}
