//! [`Session`]: requests to one server over connections kept open as long as
//! the engine allows, reopened when it says close, with one retry of an
//! idempotent request whose reused connection turned out dead.

use core::fmt;

use h1conn::io::asynch::{Client, Clock};
use h1conn::io::{Buffer, DriverError, Request};
use h1conn::policy::CloseReason;
use h1conn::{ClientRole, Config, Connection, NotReusable, UsageError};

use crate::fmt::{log_debug, log_info, log_warn};
use crate::transport::Connect;

/// What one request brought.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Outcome {
    /// The final status code.
    pub status: u16,
    /// Length of the whole response body.
    pub body_len: usize,
    /// How many bytes of the body (its start) were copied into the
    /// caller's buffer; the rest was read and dropped.
    pub stored: usize,
    /// Which connection of the session carried it (1 for the first).
    pub connection: u32,
    /// The connection had carried earlier requests.
    pub reused: bool,
    /// The request was sent again on a new connection because the reused
    /// one died before any byte of the response arrived.
    pub retried: bool,
    /// Why the connection was closed after this exchange (`None`: it stays
    /// open for the next request).
    pub closed: Option<CloseReason>,
}

/// Why a request failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum SessionError<E> {
    /// No connection could be opened.
    Connect(E),
    /// The exchange failed (after the one retry, when it was allowed).
    Exchange(DriverError<E>),
}

impl<E: fmt::Display> fmt::Display for SessionError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Connect(e) => write!(f, "connect failed: {e}"),
            Self::Exchange(e) => write!(f, "request failed: {e}"),
        }
    }
}

impl<E: core::error::Error + 'static> core::error::Error for SessionError<E> {
    fn source(&self) -> Option<&(dyn core::error::Error + 'static)> {
        match self {
            Self::Connect(e) => Some(e),
            Self::Exchange(e) => Some(e),
        }
    }
}

/// A short name of a driver error for log lines (the error's own type may
/// not be printable with both `log` and `defmt`).
fn error_name<E>(error: &DriverError<E>) -> &'static str {
    match error {
        DriverError::Io(_) => "transport error",
        DriverError::Protocol(_) => "protocol error",
        DriverError::Usage(_) => "usage error",
        DriverError::Closed => "closed before responding",
        DriverError::TimedOut => "timed out",
        DriverError::TooManyHeaders => "too many header fields",
        DriverError::InputBufferFull => "input buffer full",
        _ => "driver error",
    }
}

/// Requests to one server, over one reconnectable transport.
///
/// Each [`request`](Self::request) reuses the open connection when the
/// engine allows it ([`Client::reusable`]: the connection
/// persists, the server's `Keep-Alive: max` is not used up, and it has not
/// been idle past the server's `Keep-Alive: timeout` minus the configured
/// margin) and the transport still looks alive; otherwise it closes it and
/// connects again. After each exchange it closes at once when the engine
/// says so (`Connection: close`, HTTP/1.0 without keep-alive, the last
/// request the server's `max` allows, ...).
///
/// It owns the transport, the clock and both buffers for its whole life,
/// and allocates nothing.
#[derive(Debug)]
pub struct Session<T, C, B> {
    /// Always `Some` between calls: it is taken out and put back with no
    /// `.await` in between (see [`renew`](Self::renew)).
    client: Option<Client<T, C, B>>,
    config: Config,
    /// The transport is connected (as far as we know).
    open: bool,
    /// Connections opened so far.
    connections: u32,
}

type Result<T, E> = core::result::Result<T, SessionError<E>>;

impl<T: Connect, C: Clock, B: Buffer> Session<T, C, B> {
    /// A session on `transport` (not connected yet), reading responses into
    /// `input` (which must hold the largest response head) and writing
    /// request heads through `scratch`.
    pub fn new(transport: T, clock: C, config: Config, input: B, scratch: B) -> Self {
        Self {
            client: Some(Client::new(transport, clock, config, input, scratch)),
            config,
            open: false,
            connections: 0,
        }
    }

    /// Connections opened so far.
    pub fn connections(&self) -> u32 {
        self.connections
    }

    /// Whether a connection is open.
    pub fn is_open(&self) -> bool {
        self.open
    }

    /// The engine of the current (or last) connection.
    pub fn connection(&self) -> Option<&Connection<Config, ClientRole>> {
        self.client.as_ref().map(Client::connection)
    }

    /// The transport.
    pub fn transport_mut(&mut self) -> Option<&mut T> {
        self.client.as_mut().map(Client::transport_mut)
    }

    /// Sends `request` and reads the whole response, copying the start of
    /// its body into `body` (see [`Outcome::stored`]).
    pub async fn request(
        &mut self,
        request: &Request<'_>,
        body: &mut [u8],
    ) -> Result<Outcome, T::Error> {
        let mut retried = false;
        loop {
            let reused = self.ready().await?;
            let connection = self.connections;
            let client = self.client()?;
            match exchange(client, request, body).await {
                Ok((status, body_len, stored)) => {
                    let closed = self.settle().await;
                    return Ok(Outcome {
                        status,
                        body_len,
                        stored,
                        connection,
                        reused,
                        retried,
                        closed,
                    });
                }
                Err(error) => {
                    // Only a connection that died under us is a candidate;
                    // whether to retry is the engine's one rule.
                    let died = matches!(error, DriverError::Closed | DriverError::Io(_));
                    let retry = died && self.client()?.may_retry();
                    // A peer that closed gets a FIN back; after anything
                    // else what is in flight is garbage: reset.
                    self.drop_connection(matches!(error, DriverError::Closed))
                        .await;
                    if !retried && retry {
                        log_warn!(
                            "conn {}: reused connection failed ({}), retrying on a new one",
                            connection,
                            error_name(&error)
                        );
                        retried = true;
                        continue;
                    }
                    log_warn!("conn {}: {}", connection, error_name(&error));
                    return Err(SessionError::Exchange(error));
                }
            }
        }
    }

    /// Closes the open connection, if any, gracefully.
    pub async fn close(&mut self) {
        if self.open {
            log_info!("conn {}: closing (local)", self.connections);
            self.drop_connection(true).await;
        }
    }

    fn client(&mut self) -> Result<&mut Client<T, C, B>, T::Error> {
        self.client
            .as_mut()
            .ok_or(SessionError::Exchange(DriverError::Usage(
                UsageError::WrongState,
            )))
    }

    /// Makes sure a connection is open and may carry a request; returns
    /// whether it is a reused one.
    async fn ready(&mut self) -> Result<bool, T::Error> {
        let n = self.connections;
        if self.open {
            let client = self.client()?;
            let engine_allows = client.reusable().is_ok();
            let alive = client.transport_mut().is_usable();
            if engine_allows && alive {
                let conn = client.connection();
                log_debug!(
                    "conn {}: reusing (exchanges {}, requests left {:?})",
                    n,
                    conn.exchanges(),
                    conn.requests_left()
                );
                return Ok(true);
            }
            let why = if engine_allows {
                "closed by the server while idle"
            } else {
                "past the keep-alive window or max"
            };
            log_info!("conn {}: {}, reconnecting", n, why);
            self.drop_connection(true).await;
        }
        self.renew();
        self.client()?
            .transport_mut()
            .connect()
            .await
            .map_err(SessionError::Connect)?;
        self.open = true;
        self.connections = self.connections.saturating_add(1);
        log_info!("conn {}: connected", self.connections);
        Ok(false)
    }

    /// After a complete exchange: closes the connection if the engine says
    /// so (or if it may carry no further request anyway), and says why.
    async fn settle(&mut self) -> Option<CloseReason> {
        let n = self.connections;
        let client = self.client.as_mut()?;
        let reason = match client.reusable() {
            Ok(()) => return None,
            Err(NotReusable::Closing(reason)) => reason,
            // A complete exchange leaves no exchange in progress; be safe
            // and start over.
            Err(_) => CloseReason::LocalClose,
        };
        log_info!("conn {}: closing ({})", n, reason.as_str());
        self.drop_connection(true).await;
        Some(reason)
    }

    async fn drop_connection(&mut self, graceful: bool) {
        // Marked closed first: if this future is dropped halfway, the next
        // request still opens a new connection.
        self.open = false;
        if let Some(client) = self.client.as_mut() {
            client.transport_mut().disconnect(graceful).await;
        }
    }

    /// A fresh engine (and empty input buffer) for a new connection, on the
    /// same transport and buffers. Synchronous, so `client` is never left
    /// `None` across an `.await`.
    fn renew(&mut self) {
        if let Some(old) = self.client.take() {
            let (transport, clock, input, scratch) = old.into_parts();
            self.client = Some(Client::new(transport, clock, self.config, input, scratch));
        }
    }
}

/// One request and its whole response: (status, body length, bytes stored).
async fn exchange<T: Connect, C: Clock, B: Buffer>(
    client: &mut Client<T, C, B>,
    request: &Request<'_>,
    body: &mut [u8],
) -> core::result::Result<(u16, usize, usize), DriverError<T::Error>> {
    client.send_request(request).await?;
    let status = client.read_response().await?.status;
    let (mut body_len, mut stored) = (0usize, 0usize);
    while let Some(chunk) = client.read_body().await? {
        let room = body.get_mut(stored..).unwrap_or_default();
        let n = room.len().min(chunk.len());
        if let (Some(to), Some(from)) = (room.get_mut(..n), chunk.get(..n)) {
            to.copy_from_slice(from);
            stored += n;
        }
        body_len = body_len.saturating_add(chunk.len());
    }
    Ok((status, body_len, stored))
}
