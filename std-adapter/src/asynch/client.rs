//! An async HTTP/1.x client on tokio with a connection pool per origin.
//!
//! It is the blocking [`client`](crate::client) with `async` calls: the
//! same [`ClientConfig`], [`Request`], [`Url`], [`Error`], [`Retry`] and
//! [`Outcome`], and the same decisions, all the engine's. Each connection
//! runs the core's async driver ([`h1conn::io::asynch::Client`]) over a
//! [`TokioTransport`]; this module adds sockets, buffers and the pool.
//!
//! - **Reuse.** A request goes on an idle pooled connection only when the
//!   driver's `reusable()` says that connection may carry another request
//!   *now*: persistence, the server's `Keep-Alive: max` countdown, its
//!   `timeout` minus [`ClientConfig::idle_margin`], and nothing arrived
//!   while it sat idle (the driver polls one read before answering, so
//!   stray bytes or a close reach the engine first). Otherwise a new TCP
//!   connection is opened.
//! - **Retry.** When a reused connection dies before any byte of the
//!   response, the request is sent once more on a new connection if the
//!   driver's `may_retry()` (the engine's rule: idempotent method, nothing
//!   of the response seen) allows it; otherwise the error is
//!   [`Error::NotRetried`].
//! - **Limits.** [`ClientConfig::connect_timeout`] bounds each TCP connect,
//!   [`ClientConfig::timeout`] a silent peer (and writing one request),
//!   [`ClientConfig::max_time`] a whole exchange: connect, request,
//!   response head and body (the engine's exchange deadline, raced against
//!   every read, plus a tokio timeout around what comes before the head).
//!
//! The client is `Send + Sync` and its calls take `&self`, so tasks can
//! share one (put it in an `Arc` for [`tokio::spawn`]). A [`Response`]
//! borrows its connection until its body is read to the end (with
//! [`chunk`](Response::chunk), [`body`](Response::body) or
//! [`text`](Response::text)); then the connection goes back to the pool
//! if the engine allows. Dropping a response earlier closes it.
//!
//! # Example
//!
//! ```
//! use h1conn_std::asynch::client::Client;
//! use h1conn_std::asynch::server::{Handler, Request, Server};
//! use h1conn_std::server::ServerConfig;
//!
//! struct Hello;
//!
//! impl Handler for Hello {
//!     async fn handle(&self, request: &mut Request<'_>) -> std::io::Result<()> {
//!         let greeting = format!("hello, {}\n", request.path());
//!         request.respond(200, &[("Content-Type", "text/plain")], greeting.as_bytes()).await
//!     }
//! }
//!
//! #[tokio::main]
//! async fn main() -> Result<(), Box<dyn std::error::Error>> {
//!     let server = Server::bind("127.0.0.1:0", ServerConfig::default(), Hello)?.spawn()?;
//!     let base = format!("http://{}", server.local_addr());
//!
//!     let client = Client::new();
//!     let mut response = client.get(&format!("{base}/you")).await?;
//!     assert_eq!(response.status(), 200);
//!     assert_eq!(response.header("content-type"), Some("text/plain"));
//!     assert_eq!(response.text().await?, "hello, /you\n");
//!
//!     // The body was read to its end: the connection went back to the
//!     // pool, and the engine lets the next request use it.
//!     let mut again = client.get(&format!("{base}/again")).await?;
//!     while let Some(piece) = again.chunk().await? {
//!         print!("{}", String::from_utf8_lossy(piece));
//!     }
//!     assert!(again.reused());
//!     assert_eq!(client.connections_opened(), 1);
//!
//!     server.shutdown();
//!     Ok(())
//! }
//! ```

use std::future::Future;
use std::io;
use std::time::Instant as StdInstant;

use h1conn::io::asynch;
use h1conn::wire::{KeepAlive, Version};
use tokio::net::TcpStream;
use tokio::time::{timeout, timeout_at};

use super::{TokioClock, TokioTransport};
use crate::client::{
    ClientConfig, Error, Head, Origin, Outcome, Pool, Pooled, Record, Request, Retry, Url,
    client_common, connect_timeout, engine_config, plan_retry, response_accessors, wire_fields,
    wire_request,
};
use crate::net::SystemClock;

/// The engine's async client over a tokio socket, owning its buffers.
type Driver = asynch::Client<TokioTransport, TokioClock, Vec<u8>>;

type AsyncPooled = Pooled<Driver>;

/// An async HTTP/1.x client that pools connections per origin.
///
/// Its calls take `&self`: share it between tasks by reference, or in an
/// `Arc` across spawned tasks.
#[derive(Debug)]
pub struct Client {
    pool: Pool<Driver>,
    /// One epoch for every connection's clock, so an exchange deadline is
    /// the same engine instant on any of them.
    origin: StdInstant,
    clock: SystemClock,
}

impl Default for Client {
    fn default() -> Self {
        Self::new()
    }
}

impl Client {
    /// A client with `config`.
    pub fn with_config(config: ClientConfig) -> Self {
        let origin = StdInstant::now();
        Self {
            pool: Pool::new(config),
            origin,
            clock: SystemClock::since(origin),
        }
    }

    client_common!();

    /// The configuration.
    pub fn config(&self) -> &ClientConfig {
        &self.pool.config
    }

    /// `GET url`.
    pub async fn get(&self, url: &str) -> Result<Response<'_>, Error> {
        self.send(&Request::new("GET", url)?).await
    }

    /// Sends `request` on a reusable pooled connection or a new one, and
    /// returns the response once its final head arrived. Read the body
    /// from the [`Response`]; the connection goes back to the pool when
    /// the body is complete and the engine allows reuse.
    pub async fn send(&self, request: &Request) -> Result<Response<'_>, Error> {
        let deadline = self.pool.config.max_time.map(|t| StdInstant::now() + t);
        let idle = self.checkout(&request.url.origin()).await;
        let reused = idle.is_some();
        let mut conn = match idle {
            Some(conn) => conn,
            None => self.connect(&request.url, deadline).await?,
        };
        let error = match self.exchange(&mut conn, request, deadline).await {
            Ok(head) => {
                let record = Record::new(conn.id, head, reused, None);
                return Ok(Response::new(self, conn, record));
            }
            Err(error) => error,
        };
        let may_retry = conn.driver.may_retry();
        let engine = conn.driver.connection();
        let retry = plan_retry(error, conn.id, reused, may_retry, engine, request)?;
        drop(conn);
        let mut fresh = self.connect(&request.url, deadline).await?;
        let head = self.exchange(&mut fresh, request, deadline).await?;
        let record = Record::new(fresh.id, head, false, Some(retry));
        Ok(Response::new(self, fresh, record))
    }

    /// An idle connection to `origin` the engine allows to use now.
    async fn checkout(&self, origin: &Origin) -> Option<AsyncPooled> {
        while let Some(mut conn) = self.pool.take_idle(origin) {
            // The engine answers, after the driver handed it every byte it
            // holds and polled the socket once; tokio's view of the socket
            // must be current for that poll to see what came while idle.
            conn.driver.transport_mut().catch_up().await;
            if conn.driver.reusable().is_ok() {
                return Some(conn);
            }
        }
        None
    }

    /// Sends `request` on `conn` and reads up to the final response head,
    /// all before `deadline`.
    async fn exchange(
        &self,
        conn: &mut AsyncPooled,
        request: &Request,
        deadline: Option<StdInstant>,
    ) -> Result<Head, Error> {
        let fields = wire_fields(request);
        let wire = wire_request(request, &fields);
        let driver = &mut conn.driver;
        // The engine keeps the deadline for every read, the body's too;
        // the timeout around this part also bounds the writes.
        driver.set_exchange_deadline(deadline.map(|at| self.clock.instant_of(at)));
        within(deadline, async {
            driver.send_request(&wire).await?;
            let head = driver.read_response().await?;
            Ok(Head::of(&head))
        })
        .await
    }

    /// A new connection to `url`'s origin: each address in turn, each
    /// connect within the connect timeout and the exchange's `deadline`.
    async fn connect(&self, url: &Url, deadline: Option<StdInstant>) -> Result<AsyncPooled, Error> {
        let lookup = async {
            tokio::net::lookup_host((url.host.as_str(), url.port))
                .await
                .map_err(Error::Connect)
        };
        let addrs = within(deadline, lookup).await?;
        let mut failure = None;
        for addr in addrs {
            let limit = connect_timeout(&self.pool.config, deadline)?;
            match timeout(limit, TcpStream::connect(addr)).await {
                Ok(Ok(stream)) => return self.pooled(stream, url),
                Ok(Err(e)) => failure = Some(e),
                Err(_) => failure = Some(io::ErrorKind::TimedOut.into()),
            }
        }
        let no_address = || io::Error::new(io::ErrorKind::NotFound, "no address for host");
        Err(Error::Connect(failure.unwrap_or_else(no_address)))
    }

    /// A driver with its buffers on a connected `stream`.
    fn pooled(&self, stream: TcpStream, url: &Url) -> Result<AsyncPooled, Error> {
        let config = &self.pool.config;
        let limit = Some(config.timeout);
        let transport = TokioTransport::new(stream)
            .map_err(Error::Io)?
            .with_write_timeout(limit)
            .with_silence_limit(limit);
        let size = config.buffer_size;
        let engine = engine_config(config);
        let driver = Driver::new(
            transport,
            TokioClock::since(self.origin),
            engine,
            vec![0; size],
            vec![0; size],
        );
        Ok(Pooled {
            driver,
            id: self.pool.next_id(),
            origin: url.origin(),
        })
    }
}

/// Runs `work` until `deadline`, [`Error::TimedOut`] past it.
async fn within<T>(
    deadline: Option<StdInstant>,
    work: impl Future<Output = Result<T, Error>>,
) -> Result<T, Error> {
    let Some(at) = deadline else {
        return work.await;
    };
    timeout_at(at.into(), work)
        .await
        .unwrap_or(Err(Error::TimedOut))
}

/// A response whose head has arrived; read the body with
/// [`chunk`](Self::chunk), [`body`](Self::body) or [`text`](Self::text).
/// Dropping it before the body is complete closes the connection.
#[derive(Debug)]
pub struct Response<'c> {
    client: &'c Client,
    conn: Option<AsyncPooled>,
    record: Record,
    /// The piece [`chunk`](Self::chunk) lends out.
    piece: Vec<u8>,
}

impl<'c> Response<'c> {
    fn new(client: &'c Client, conn: AsyncPooled, record: Record) -> Self {
        Self {
            client,
            conn: Some(conn),
            record,
            piece: Vec::new(),
        }
    }

    response_accessors!();

    /// The next piece of the body as it arrives, `None` at its end (then
    /// [`outcome`](Self::outcome) holds the engine's decision and the
    /// connection is back in the pool if it may be reused).
    pub async fn chunk(&mut self) -> Result<Option<&[u8]>, Error> {
        // A copy: the driver's piece borrows the connection, which the
        // end of the body hands back to the pool.
        let mut piece = std::mem::take(&mut self.piece);
        piece.clear();
        let more = self.read_into(&mut piece).await;
        self.piece = piece;
        Ok(more?.then_some(self.piece.as_slice()))
    }

    /// The rest of the body.
    pub async fn body(&mut self) -> Result<Vec<u8>, Error> {
        let mut body = Vec::new();
        while self.read_into(&mut body).await? {}
        Ok(body)
    }

    /// The rest of the body as text (invalid UTF-8 replaced).
    pub async fn text(&mut self) -> Result<String, Error> {
        Ok(String::from_utf8_lossy(&self.body().await?).into_owned())
    }

    /// Appends the next piece of the body to `out`; `false` at its end.
    async fn read_into(&mut self, out: &mut Vec<u8>) -> Result<bool, Error> {
        if self.record.outcome.is_some() {
            return Ok(false);
        }
        let Some(conn) = self.conn.as_mut() else {
            return Err(Error::Closed);
        };
        match conn.driver.read_body().await {
            Ok(Some(data)) => {
                self.record.body_bytes += data.len() as u64;
                out.extend_from_slice(data);
                Ok(true)
            }
            Ok(None) => {
                self.finish();
                Ok(false)
            }
            Err(e) => {
                self.conn = None;
                Err(e.into())
            }
        }
    }

    /// The body is complete: record the decision and pool the connection
    /// if the engine allows reuse.
    fn finish(&mut self) {
        let Some(mut conn) = self.conn.take() else {
            return;
        };
        if self.record.finish(conn.driver.reusable()) {
            self.client.pool.checkin(conn);
        }
    }
}
