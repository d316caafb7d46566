//! [`ServerConfig`]: the limits and deadlines of a server, checked once at
//! start-up and mapped onto the engine's [`Config`] for each connection.

use std::fmt;
use std::time::Duration;

use h1conn::Config;
use h1conn::time::Duration as EngineDuration;
use h1conn::wire::ParseConfig;

/// How a [`Server`](super::Server) treats its connections.
///
/// Build it with struct update syntax over the defaults:
///
/// ```
/// use std::time::Duration;
/// use h1conn_std::server::ServerConfig;
///
/// let config = ServerConfig {
///     keep_alive_timeout: Duration::from_secs(2),
///     max_requests: 10,
///     ..ServerConfig::default()
/// };
/// assert_eq!(config.head_timeout, None); // follows the keep-alive timeout
/// assert!(config.validate().is_ok());
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ServerConfig {
    /// Close a connection idle longer than this between requests; announced
    /// as `Keep-Alive: timeout=T` (whole seconds). Default 5 s. Zero means
    /// no keep-alive: every response says `Connection: close`.
    pub keep_alive_timeout: Duration,
    /// Most requests served on one connection; the response to the last one
    /// says `Connection: close`, and `Keep-Alive: max=M` counts down to it.
    /// `0` means no limit. Default 100.
    pub max_requests: u32,
    /// How long a request head may take once its first byte arrived; a
    /// client that sends part of a head and goes silent gets `408` and is
    /// disconnected then. `None` (the default): the keep-alive timeout (or
    /// 5 s when keep-alive is off).
    pub head_timeout: Option<Duration>,
    /// Longest silence while a request body is being read (never shorter
    /// than the keep-alive and head timeouts). Default 30 s.
    pub read_timeout: Duration,
    /// Longest a whole response may take to write (total, not per write
    /// call, so a peer reading a byte at a time cannot stretch it; a larger
    /// download to a slow client needs a longer one). Default 30 s.
    pub write_timeout: Duration,
    /// A request body must arrive within this time, extended by 1 s for
    /// every [`body_min_rate`](Self::body_min_rate) bytes received; past
    /// it the server answers `408` (if it has not answered yet) and
    /// closes. Default 20 s.
    pub body_timeout: Duration,
    /// Bytes of request body that earn one more second of
    /// [`body_timeout`](Self::body_timeout). Default 500.
    pub body_min_rate: u32,
    /// Longest request body the server reads and discards when the handler
    /// does not read it, to keep the connection. A longer `Content-Length`
    /// gets `Connection: close` in the response; a chunked body that grows
    /// past it closes the connection after the response. Default 1 MiB.
    pub max_discard_body: u64,
    /// Longest request head accepted, in bytes; longer ones get `431`
    /// (`414` when the request line alone is too long). Default 8 KiB.
    pub max_head_len: usize,
    /// Most connections served at once; a connection above it is answered
    /// `503 Service Unavailable` with `Connection: close` at once.
    /// Default 1024.
    pub max_connections: usize,
    /// After the last response, how long a closing connection keeps
    /// reading (and discarding) what the peer still sends, so that closing
    /// with unread data never resets the connection under the response.
    /// Default 1 s.
    pub close_linger: Duration,
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            keep_alive_timeout: Duration::from_secs(5),
            max_requests: 100,
            head_timeout: None,
            read_timeout: Duration::from_secs(30),
            write_timeout: Duration::from_secs(30),
            body_timeout: Duration::from_secs(20),
            body_min_rate: 500,
            max_discard_body: 1024 * 1024,
            max_head_len: ParseConfig::DEFAULT_MAX_HEAD_LEN,
            max_connections: 1024,
            close_linger: Duration::from_secs(1),
        }
    }
}

/// A [`ServerConfig`] value that makes no sense, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigError(String);

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ConfigError {}

/// Longest timeout accepted: a day (longer ones are typos, and the engine
/// counts milliseconds).
const MAX_TIMEOUT: Duration = Duration::from_secs(24 * 60 * 60);

/// The head timeout when keep-alive is off (there is no keep-alive
/// timeout to follow then).
const HEAD_TIMEOUT_WITHOUT_KEEP_ALIVE: Duration = Duration::from_secs(5);

impl ServerConfig {
    /// Checks that every value makes sense: non-zero limits and deadlines
    /// (except the keep-alive timeout, where zero turns keep-alive off),
    /// timeouts of at most a day, a head limit of at least 64 bytes.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let fail = |message: &str| Err(ConfigError(message.to_owned()));
        let timeouts = [
            ("keep-alive timeout", self.keep_alive_timeout, true),
            ("read timeout", self.read_timeout, false),
            ("write timeout", self.write_timeout, false),
            ("body timeout", self.body_timeout, false),
            ("close linger", self.close_linger, true),
        ];
        for (name, value, zero_ok) in timeouts {
            if value > MAX_TIMEOUT {
                return Err(ConfigError(format!("{name} longer than a day")));
            }
            if value.is_zero() && !zero_ok {
                return Err(ConfigError(format!("{name} must not be zero")));
            }
        }
        if self
            .head_timeout
            .is_some_and(|head| head.is_zero() || head > MAX_TIMEOUT)
        {
            return fail("head timeout must be between 1 ms and a day");
        }
        if self.body_min_rate == 0 {
            return fail("body minimum rate must be at least 1 byte per second");
        }
        if self.max_connections == 0 {
            return fail("max connections must be at least 1");
        }
        if self.max_head_len < 64 {
            return fail("max head length must be at least 64 bytes");
        }
        Ok(())
    }

    /// Whether connections may carry more than one request.
    pub fn keep_alive(&self) -> bool {
        !self.keep_alive_timeout.is_zero()
    }

    /// The head timeout in force (the keep-alive timeout unless set).
    pub fn effective_head_timeout(&self) -> Duration {
        match self.head_timeout {
            Some(timeout) => timeout,
            None if self.keep_alive() => self.keep_alive_timeout,
            None => HEAD_TIMEOUT_WITHOUT_KEEP_ALIVE,
        }
    }

    /// The engine configuration for one connection.
    pub(crate) fn engine(&self) -> Config {
        let mut config = Config::new();
        config.parse = ParseConfig::strict().with_max_head_len(self.max_head_len.max(64));
        config.head_timeout = engine_duration(self.effective_head_timeout());
        config.body_timeout = engine_duration(self.body_timeout);
        config.body_min_rate = self.body_min_rate;
        if self.keep_alive() {
            config.idle_timeout = engine_duration(self.keep_alive_timeout);
            config.max_requests = (self.max_requests != 0).then_some(self.max_requests);
            config.announce_keep_alive = true;
        } else {
            // One request per connection: the engine then says
            // `Connection: close` on the first response. The first request
            // still gets the head timeout to arrive.
            config.idle_timeout = engine_duration(self.effective_head_timeout());
            config.max_requests = Some(1);
            config.announce_keep_alive = false;
        }
        config
    }

    /// The silence limit of a connection's reads: the engine's own
    /// deadlines (idle, head) must always fire first.
    pub(crate) fn silence_limit(&self) -> Duration {
        self.read_timeout
            .max(self.keep_alive_timeout)
            .max(self.effective_head_timeout())
            .max(Duration::from_millis(1))
    }
}

fn engine_duration(duration: Duration) -> EngineDuration {
    EngineDuration::from_millis(u64::try_from(duration.as_millis()).unwrap_or(u64::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_maps_to_the_engine() {
        let config = ServerConfig {
            keep_alive_timeout: Duration::from_secs(2),
            max_requests: 0,
            ..ServerConfig::default()
        };
        let engine = config.engine();
        assert_eq!(engine.idle_timeout.as_millis(), 2_000);
        assert_eq!(engine.head_timeout.as_millis(), 2_000);
        assert_eq!(engine.max_requests, None);
        assert_eq!(ServerConfig::default().engine().max_requests, Some(100));
        assert!(config.silence_limit() >= Duration::from_secs(30));
    }

    #[test]
    fn zero_keep_alive_means_one_request_and_a_real_head_timeout() {
        let config = ServerConfig {
            keep_alive_timeout: Duration::ZERO,
            ..ServerConfig::default()
        };
        let engine = config.engine();
        assert_eq!(engine.max_requests, Some(1));
        assert!(!engine.announce_keep_alive);
        assert_eq!(engine.head_timeout.as_millis(), 5_000);
        assert_eq!(engine.idle_timeout.as_millis(), 5_000);
    }

    #[test]
    fn nonsense_is_refused() {
        assert_eq!(ServerConfig::default().validate(), Ok(()));
        let bad = [
            ServerConfig {
                max_connections: 0,
                ..ServerConfig::default()
            },
            ServerConfig {
                body_min_rate: 0,
                ..ServerConfig::default()
            },
            ServerConfig {
                body_timeout: Duration::ZERO,
                ..ServerConfig::default()
            },
            ServerConfig {
                keep_alive_timeout: Duration::from_secs(u64::from(u32::MAX)),
                ..ServerConfig::default()
            },
            ServerConfig {
                head_timeout: Some(Duration::ZERO),
                ..ServerConfig::default()
            },
            ServerConfig {
                max_head_len: 10,
                ..ServerConfig::default()
            },
        ];
        for config in bad {
            assert!(config.validate().is_err(), "{config:?}");
        }
    }
}
