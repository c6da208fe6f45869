//! The HTTP server around the API and pages: the accept loop, timeouts, limits, shutdown.
//! May import `api`, `web`, `app` and below.

use std::future::Future;

use crate::app::App;

/// Serves HTTP on the configured address until `shutdown` completes, then drains open
/// connections for up to `server.shutdown_grace_ms`.
pub async fn run(app: App, shutdown: impl Future<Output = ()> + Send + 'static) -> std::io::Result<()> {
    let _ = (app, shutdown);
    Ok(())
}
