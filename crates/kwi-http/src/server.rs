//! The connection loop: HTTP/1.1 with a deadline for request headers, a deadline for the whole
//! request, a cap on connections, and a graceful stop.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::ConnectInfo;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tower_service::Service;

use crate::tls::Tls;
use crate::write_deadline::WriteDeadline;

/// A client must send its request headers within this time.
pub const HEADER_TIMEOUT: Duration = Duration::from_secs(10);
/// At most this many connections are served at once; more wait in the kernel's backlog.
pub const MAX_CONNECTIONS: usize = 4096;
/// On shutdown, connections get this long to finish.
pub const GRACE: Duration = Duration::from_secs(10);
/// The answer to a plain-HTTP request on the TLS port: Go's `net/http` text, which OpenBao sends.
const PLAIN_HTTP_ON_TLS: &[u8] =
    b"HTTP/1.0 400 Bad Request\r\n\r\nClient sent an HTTP request to an HTTPS server.\n";

/// Serves the router on the listener until `shutdown` completes.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    shutdown: impl Future<Output = ()>,
) -> std::io::Result<()> {
    serve_with(listener, router, None, shutdown).await
}

/// [`serve`], over TLS when `tls` is given.
pub async fn serve_with(
    listener: TcpListener,
    router: Router,
    tls: Option<Tls>,
    shutdown: impl Future<Output = ()>,
) -> std::io::Result<()> {
    let graceful = GracefulShutdown::new();
    let permits = Arc::new(Semaphore::new(MAX_CONNECTIONS));
    tokio::pin!(shutdown);
    loop {
        let permit = tokio::select! {
            () = &mut shutdown => break,
            permit = permits.clone().acquire_owned() => match permit {
                Ok(p) => p,
                Err(_) => break,
            },
        };
        let (stream, remote) = tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok(pair) => pair,
                // Out of file descriptors and the like: wait a little rather than spin.
                Err(_) => {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        let _ = stream.set_nodelay(true);
        let router = router.clone();
        let service = hyper::service::service_fn(move |mut request: hyper::Request<Incoming>| {
            request
                .extensions_mut()
                .insert(ConnectInfo::<SocketAddr>(remote));
            let mut router = router.clone();
            crate::catch_panic::CatchPanic::new(async move {
                router.call(request.map(axum::body::Body::new)).await
            })
        });
        let builder = {
            let mut b = hyper::server::conn::http1::Builder::new();
            b.timer(TokioTimer::new())
                .header_read_timeout(HEADER_TIMEOUT)
                .keep_alive(true);
            b
        };
        match &tls {
            None => {
                let connection = graceful.watch(
                    builder.serve_connection(TokioIo::new(WriteDeadline::new(stream)), service),
                );
                tokio::spawn(async move {
                    let _ = connection.await;
                    drop(permit);
                });
            }
            Some(tls) => {
                let acceptor = tls.acceptor().clone();
                let watcher = graceful.watcher();
                tokio::spawn(async move {
                    let handshake = async {
                        // Plain HTTP on the TLS port (`http://` for `https://`) gets Go's
                        // answer, as from OpenBao, rather than a TLS alert.
                        let mut first = [0u8; 1];
                        if matches!(stream.peek(&mut first).await, Ok(1)) && first[0] != 0x16 {
                            if stream.writable().await.is_ok() {
                                let _ = stream.try_write(PLAIN_HTTP_ON_TLS);
                            }
                            return None;
                        }
                        acceptor.accept(stream).await.ok()
                    };
                    // The handshake gets the same deadline as request headers.
                    if let Ok(Some(stream)) = tokio::time::timeout(HEADER_TIMEOUT, handshake).await
                    {
                        let _ = watcher
                            .watch(builder.serve_connection(
                                TokioIo::new(WriteDeadline::new(stream)),
                                service,
                            ))
                            .await;
                    }
                    drop(permit);
                });
            }
        }
    }
    tokio::select! {
        () = graceful.shutdown() => {},
        () = tokio::time::sleep(GRACE) => {},
    }
    Ok(())
}
