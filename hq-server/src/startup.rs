//! Starting HQ: open the store, bind, serve. Used by `hq-server serve`, by the till's demo mode
//! (an HQ in-process on a loopback port) and by tests (port 0, a fresh database each).

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use axum::serve::ListenerExt;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::config::Config;
use crate::http::{self, AppState};
use crate::store::sql::SqlStore;
use crate::store::{Clocked as _, Store, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("database: {0}")]
    Store(#[from] StoreError),
    #[error("cannot listen on {addr}: {source}")]
    Bind { addr: SocketAddr, source: std::io::Error },
    #[error("the database could not be opened: {0}")]
    Join(#[from] tokio::task::JoinError),
}

/// A bound, not yet serving HQ.
pub struct Application {
    listener: TcpListener,
    address: SocketAddr,
    store: Arc<SqlStore>,
    config: Config,
}

impl Application {
    /// Opens (creating and migrating) the database and binds the listener.
    pub async fn build(config: Config) -> Result<Application, StartError> {
        let location = config.db.clone();
        let clock = config.clock.clone();
        let key = config.audit_key.clone();
        let store = Arc::new(
            tokio::task::spawn_blocking(move || SqlStore::open_location(&location, clock, key.as_deref())).await??,
        );
        Self::with_store(config, store).await
    }

    /// Binds a listener for an already open store (whose clock HQ then goes by).
    pub async fn with_store(mut config: Config, store: Arc<SqlStore>) -> Result<Application, StartError> {
        config.clock = store.clock();
        let listener = TcpListener::bind(config.listen)
            .await
            .map_err(|source| StartError::Bind { addr: config.listen, source })?;
        let address = listener.local_addr().map_err(|source| StartError::Bind { addr: config.listen, source })?;
        Ok(Application { listener, address, store, config })
    }

    pub fn address(&self) -> SocketAddr {
        self.address
    }

    pub fn port(&self) -> u16 {
        self.address.port()
    }

    /// The store, for seeding data in-process (demo mode, tests).
    pub fn store(&self) -> Arc<SqlStore> {
        self.store.clone()
    }

    /// Serves until the process is stopped.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.run_until(std::future::pending()).await
    }

    /// Serves until `shutdown` completes, then finishes the requests in flight.
    pub async fn run_until(self, shutdown: impl Future<Output = ()> + Send + 'static) -> std::io::Result<()> {
        let store: Arc<dyn Store> = self.store;
        let state = AppState::new(store, self.config);
        // Care messages a stopped HQ left queued go out now (each claimed, so never twice).
        tokio::spawn(crate::care::deliver(state.clone()));
        // Payment attempts a stopped HQ (or a till gone away) left open are driven to the end.
        let payments =
            state.payments.offers_any().then(|| state.payments.spawn_recovery(std::time::Duration::from_secs(1)));
        let app = http::app(state);
        tracing::info!(address = %self.address, "HQ listening");
        // Small request, small answer: send each answer at once rather than letting Nagle's
        // algorithm hold its last segment back for an acknowledgement.
        let listener = self.listener.tap_io(|tcp| {
            if let Err(e) = tcp.set_nodelay(true) {
                tracing::warn!(error = %e, "could not set TCP_NODELAY");
            }
        });
        let served = axum::serve(listener, app.into_make_service_with_connect_info::<SocketAddr>())
            .with_graceful_shutdown(shutdown)
            .await;
        if let Some(task) = payments {
            task.abort();
        }
        served
    }

    /// Serves in the background on the current tokio runtime.
    pub fn spawn(self) -> RunningHq {
        let address = self.address;
        let store = self.store.clone();
        let (tx, rx) = oneshot::channel::<()>();
        let task = tokio::spawn(self.run_until(async move {
            let _ = rx.await;
        }));
        RunningHq { address, store, stop: Some(tx), task }
    }
}

/// An HQ serving in the background; dropping it stops it.
pub struct RunningHq {
    address: SocketAddr,
    store: Arc<SqlStore>,
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<std::io::Result<()>>,
}

impl RunningHq {
    pub fn address(&self) -> SocketAddr {
        self.address
    }

    pub fn port(&self) -> u16 {
        self.address.port()
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://{}", self.address)
    }

    pub fn store(&self) -> Arc<SqlStore> {
        self.store.clone()
    }

    /// Stops serving and waits for the requests in flight.
    pub async fn stop(mut self) -> std::io::Result<()> {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        (&mut self.task).await.unwrap_or(Ok(()))
    }
}

impl Drop for RunningHq {
    fn drop(&mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
    }
}
