//! The HTTP plumbing every API fake shares (the fakes serve `usagelake demo` and the
//! tests, so this is part of the binary): bind 127.0.0.1 on port 0, serve each
//! connection with HTTP/1, stop every connection when the handle is dropped. What a fake
//! answers is its own (`FakeService`).

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use bytes::Bytes;
use http_body_util::combinators::BoxBody;
use hyper::body::Incoming;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::task::{JoinHandle, JoinSet};

/// A fake's response body: whole, streamed, or cut short by an injected error.
pub type Body = BoxBody<Bytes, std::io::Error>;

/// What a fake answers to one request.
pub trait FakeService: Send + Sync + 'static {
    fn handle(&self, request: Request<Incoming>) -> impl Future<Output = Response<Body>> + Send;
}

/// A running server; dropping it stops the acceptor and every open connection.
pub struct RunningServer {
    acceptor: JoinHandle<()>,
}

impl Drop for RunningServer {
    fn drop(&mut self) {
        self.acceptor.abort();
    }
}

/// Binds 127.0.0.1:0 and serves `service` there. Returns the server and its address.
pub async fn serve<S: FakeService>(
    service: Arc<S>,
) -> std::io::Result<(RunningServer, SocketAddr)> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let address = listener.local_addr()?;
    let acceptor = tokio::spawn(async move {
        // Connections live in this set, so aborting the acceptor drops them all.
        let mut connections = JoinSet::new();
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                continue;
            };
            let service = service.clone();
            connections.spawn(async move {
                let handler = hyper::service::service_fn(move |request| {
                    let service = service.clone();
                    async move { Ok::<_, Infallible>(service.handle(request).await) }
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), handler)
                    .await;
            });
            while connections.try_join_next().is_some() {}
        }
    });
    Ok((RunningServer { acceptor }, address))
}
