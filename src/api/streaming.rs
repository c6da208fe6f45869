//! Mastodon's streaming API: `GET /api/v1/streaming` (WebSocket, several streams on one
//! socket) and server-sent events per stream. Each connection listens to the `app::stream`
//! hub and, for every event, loads and checks what it names for its own viewer: the status
//! must be visible and not blocked or muted, the token still valid (revoked tokens and
//! suspended accounts end the stream at once) and of the right scope.

use std::convert::Infallible;
use std::time::Duration;

use axum::extract::State;
use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use tokio::sync::OwnedSemaphorePermit;
use tokio::sync::broadcast::error::RecvError;

use crate::app::stream::{self, Event, Timeline};
use crate::app::timelines::Scope as Part;
use crate::app::{App, AppError};
use crate::model::{AccountId, Scope, ScopeSet, StatusId};

use super::{ApiError, Query, entities};

/// Streams one WebSocket may subscribe to at once.
const SUBSCRIPTIONS_MAX: usize = 16;
/// Largest message a client may send on a WebSocket: subscribe and unsubscribe are tiny.
const MESSAGE_BYTES_MAX: usize = 4096;
/// Heartbeat of idle streams (Mastodon's SSE `:thump` interval; WebSocket pings too), so
/// proxies keep them open and dead peers are noticed.
const HEARTBEAT: Duration = Duration::from_secs(15);
/// How often an idle stream re-checks its token: a revoked token or a suspended account
/// ends the stream within this time even when no event comes (every event checks too).
const TOKEN_CHECK: Duration = Duration::from_secs(2);
/// Longest bearer token accepted; ours are 43 characters.
const TOKEN_BYTES_MAX: usize = 512;
/// Longest hashtag name in a subscription.
const TAG_BYTES_MAX: usize = 256;

#[derive(Debug, Default, Deserialize)]
pub struct StreamParams {
    stream: Option<String>,
    tag: Option<String>,
    list: Option<String>,
    access_token: Option<String>,
}

/// What a subscription shows.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Kind {
    /// Home feed statuses, and notifications when the token reads them.
    User,
    Notifications,
    Statuses(Timeline),
}

#[derive(Clone, Debug, PartialEq, Eq)]
struct Subscription {
    /// Mastodon's `stream` array: `["user"]`, `["hashtag", "tag"]`.
    names: Vec<String>,
    kind: Kind,
}

/// The viewer of one connection.
#[derive(Clone)]
struct Session {
    app: App,
    bearer: Option<String>,
    viewer: Option<AccountId>,
    scopes: ScopeSet,
}

struct Frame {
    stream: Vec<String>,
    event: &'static str,
    payload: String,
}

fn forbidden() -> ApiError {
    ApiError::new(
        StatusCode::FORBIDDEN,
        "This action is outside the authorized scopes",
    )
}

impl Session {
    async fn open(app: &App, bearer: Option<String>) -> Result<Session, ApiError> {
        let Some(bearer) = bearer else {
            return Ok(Session {
                app: app.clone(),
                bearer: None,
                viewer: None,
                // Never consulted without a token: scope checks ask for a bearer or a viewer.
                scopes: ScopeSet::parse("read").unwrap_or_else(|_| unreachable!()),
            });
        };
        if bearer.is_empty() || bearer.len() > TOKEN_BYTES_MAX {
            return Err(ApiError::unauthorized());
        }
        let token = bearer.clone();
        let (caller, _) = app
            .run(move |app| crate::app::oauth::authenticate_token(app, &token))
            .await?;
        Ok(Session {
            app: app.clone(),
            bearer: Some(bearer),
            viewer: caller.account_id,
            scopes: caller.scopes,
        })
    }

    /// Whether the token is still valid and its account active (always true without one).
    async fn still_valid(&self) -> bool {
        let Some(bearer) = self.bearer.clone() else {
            return true;
        };
        let viewer = self.viewer;
        self.app
            .run(move |app| crate::app::oauth::authenticate_token(app, &bearer))
            .await
            .is_ok_and(|(caller, _)| caller.account_id == viewer)
    }

    /// The subscription that `stream` (and `tag`) name, if this viewer may have it.
    fn subscription(
        &self,
        stream: &str,
        tag: Option<&str>,
        list: Option<&str>,
    ) -> Result<Subscription, ApiError> {
        let read_statuses = || {
            if self.bearer.is_some() && !self.scopes.contains(Scope::ReadStatuses) {
                return Err(forbidden());
            }
            Ok(())
        };
        let signed_in = |scope: Scope| match self.viewer {
            None => Err(ApiError::unauthorized()),
            Some(_) if !self.scopes.contains(scope) => Err(forbidden()),
            Some(_) => Ok(()),
        };
        let tag = || match tag.map(str::trim).map(|tag| tag.trim_start_matches('#')) {
            Some(tag) if !tag.is_empty() && tag.len() <= TAG_BYTES_MAX => Ok(tag.to_lowercase()),
            _ => Err(ApiError::new(StatusCode::BAD_REQUEST, "Missing tag name")),
        };
        let named = |names: &[&str], kind| Subscription {
            names: names.iter().map(|name| name.to_string()).collect(),
            kind,
        };
        let public = |part| Kind::Statuses(Timeline::Public(part));
        Ok(match stream {
            "user" => {
                signed_in(Scope::ReadStatuses)?;
                named(&["user"], Kind::User)
            }
            "user:notification" => {
                signed_in(Scope::ReadNotifications)?;
                named(&["user:notification"], Kind::Notifications)
            }
            "direct" => {
                signed_in(Scope::ReadStatuses)?;
                named(&["direct"], Kind::Statuses(Timeline::Direct))
            }
            "public" | "public:media" => {
                read_statuses()?;
                named(&[stream], public(Part::All))
            }
            "public:local" | "public:local:media" => {
                read_statuses()?;
                named(&[stream], public(Part::Local))
            }
            "public:remote" | "public:remote:media" => {
                read_statuses()?;
                named(&[stream], public(Part::Remote))
            }
            "hashtag" | "hashtag:local" => {
                read_statuses()?;
                let name = tag()?;
                let local_only = stream == "hashtag:local";
                named(
                    &[stream, &name],
                    Kind::Statuses(Timeline::Tag {
                        name: name.clone(),
                        local_only,
                    }),
                )
            }
            "list" => {
                signed_in(Scope::ReadStatuses)?;
                let viewer = self.viewer.ok_or_else(ApiError::unauthorized)?;
                let id: u64 = list
                    .and_then(|list| list.trim().parse().ok())
                    .ok_or_else(|| ApiError::new(StatusCode::BAD_REQUEST, "Missing list id"))?;
                // Someone else's list is not found, as on the list timeline. A single-key
                // read: quick enough to do here rather than on the blocking pool.
                crate::app::lists::get(&self.app, viewer, id)?;
                named(
                    &["list", &id.to_string()],
                    Kind::Statuses(Timeline::List(id)),
                )
            }
            _ => {
                return Err(ApiError::new(
                    StatusCode::BAD_REQUEST,
                    "Unknown stream type",
                ));
            }
        })
    }

    /// What `event` shows on each subscription, checked for this viewer.
    async fn frames(&self, subscriptions: &[Subscription], event: Event) -> Vec<Frame> {
        let session = self.clone();
        let subscriptions = subscriptions.to_vec();
        let rendered = self
            .app
            .run(move |app| Ok(session.render(app, &subscriptions, event)))
            .await;
        rendered.unwrap_or_default()
    }

    /// On a blocking thread: loads what the event names for each subscription.
    fn render(&self, app: &App, subscriptions: &[Subscription], event: Event) -> Vec<Frame> {
        let mut frames = Vec::new();
        for subscription in subscriptions {
            let found = match self.render_one(app, &subscription.kind, event) {
                Ok(found) => found,
                Err(error) => {
                    tracing::debug!(%error, "a streaming event was not rendered");
                    None
                }
            };
            if let Some((name, payload)) = found {
                frames.push(Frame {
                    stream: subscription.names.clone(),
                    event: name,
                    payload,
                });
            }
        }
        frames
    }

    fn render_one(
        &self,
        app: &App,
        kind: &Kind,
        event: Event,
    ) -> Result<Option<(&'static str, String)>, AppError> {
        let status = |id: StatusId, name: &'static str| -> Result<_, AppError> {
            let timeline = match kind {
                Kind::User => Timeline::Home,
                Kind::Statuses(timeline) => timeline.clone(),
                Kind::Notifications => return Ok(None),
            };
            Ok(stream::status_on(app, self.viewer, id, &timeline)?
                .map(|view| (name, json(&entities::status(app, &view)))))
        };
        match event {
            Event::StatusCreated { status: id } => status(id, "update"),
            Event::StatusUpdated { status: id } => status(id, "status.update"),
            Event::StatusDeleted { status, author } => {
                let reaches = match (kind, self.viewer) {
                    (Kind::Notifications, _) => false,
                    (Kind::User, Some(viewer)) => stream::delete_reaches_home(app, viewer, author)?,
                    (Kind::Statuses(Timeline::Direct), viewer) => viewer == Some(author),
                    (Kind::Statuses(_), _) => true,
                    (Kind::User, None) => false,
                };
                Ok(reaches.then(|| ("delete", status.to_string())))
            }
            Event::FiltersChanged { owner } => {
                // Mastodon sends it on the user stream, without a payload.
                let wanted = matches!(kind, Kind::User) && self.viewer == Some(owner);
                Ok(wanted.then(|| ("filters_changed", String::new())))
            }
            Event::Conversation { owner, root } => {
                let wanted =
                    matches!(kind, Kind::Statuses(Timeline::Direct)) && self.viewer == Some(owner);
                if !wanted {
                    return Ok(None);
                }
                match crate::app::conversations::get(app, owner, root) {
                    Ok(view) => Ok(Some((
                        "conversation",
                        json(&entities::conversation(app, &view)),
                    ))),
                    Err(AppError::NotFound) => Ok(None),
                    Err(error) => Err(error),
                }
            }
            Event::Notification {
                recipient,
                notification,
            } => {
                let wanted = matches!(kind, Kind::User | Kind::Notifications)
                    && self.viewer == Some(recipient)
                    && self.scopes.contains(Scope::ReadNotifications);
                if !wanted {
                    return Ok(None);
                }
                match crate::app::notifications::get(app, recipient, notification) {
                    Ok(view) => Ok(Some((
                        "notification",
                        json(&entities::notification(app, &view)),
                    ))),
                    Err(AppError::NotFound) => Ok(None),
                    Err(error) => Err(error),
                }
            }
        }
    }
}

/// An entity as JSON text (the `payload` of an event is a string of JSON, as Mastodon's).
fn json<T: serde::Serialize>(entity: &T) -> String {
    serde_json::to_string(entity).unwrap_or_default()
}

/// The bearer token of `Authorization`, else of the `access_token` parameter.
fn bearer(headers: &HeaderMap, query: &StreamParams) -> Result<Option<String>, ApiError> {
    if let Some(header) = headers.get(header::AUTHORIZATION) {
        let header = header.to_str().map_err(|_| ApiError::unauthorized())?;
        let Some((scheme, token)) = header.split_once(' ') else {
            return Err(ApiError::unauthorized());
        };
        if !scheme.eq_ignore_ascii_case("bearer") {
            return Err(ApiError::unauthorized());
        }
        return Ok(Some(token.trim().to_string()));
    }
    Ok(query.access_token.clone().filter(|token| !token.is_empty()))
}

fn connect(app: &App) -> Result<OwnedSemaphorePermit, ApiError> {
    app.stream.connect().ok_or_else(|| {
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "Too many streaming connections",
        )
    })
}

pub async fn health() -> &'static str {
    "OK"
}

/// `GET /api/v1/streaming`: a WebSocket, with a first stream from `?stream=` and more by
/// `subscribe` messages. The token may also come as `Sec-WebSocket-Protocol`, as Mastodon's
/// web client sends it.
pub async fn websocket(
    State(app): State<App>,
    Query(params): Query<StreamParams>,
    headers: HeaderMap,
    upgrade: WebSocketUpgrade,
) -> Result<Response, ApiError> {
    let protocol = headers
        .get(header::SEC_WEBSOCKET_PROTOCOL)
        .and_then(|value| value.to_str().ok())
        .map(|value| value.trim().to_string())
        .filter(|value| !value.is_empty() && !value.contains(','));
    let bearer = match bearer(&headers, &params)? {
        Some(token) => Some(token),
        None => protocol.clone(),
    };
    let session = Session::open(&app, bearer).await?;
    let mut subscriptions = Vec::new();
    if let Some(stream) = &params.stream {
        subscriptions.push(session.subscription(
            stream,
            params.tag.as_deref(),
            params.list.as_deref(),
        )?);
    }
    let permit = connect(&app)?;
    let upgrade = match protocol {
        Some(protocol) => upgrade.protocols([protocol]),
        None => upgrade,
    };
    Ok(upgrade
        .max_message_size(MESSAGE_BYTES_MAX)
        .max_frame_size(MESSAGE_BYTES_MAX)
        .on_upgrade(move |socket| async move {
            run_socket(session, subscriptions, socket).await;
            drop(permit);
        }))
}

#[derive(Deserialize)]
struct Command {
    #[serde(rename = "type")]
    kind: String,
    stream: String,
    tag: Option<String>,
    list: Option<String>,
}

fn error_frame(message: &str, status: u16) -> Message {
    Message::Text(
        serde_json::json!({ "error": message, "status": status })
            .to_string()
            .into(),
    )
}

/// Applies a `subscribe`/`unsubscribe` message; the answer to send if it failed.
fn command(
    session: &Session,
    subscriptions: &mut Vec<Subscription>,
    text: &str,
) -> Option<Message> {
    let Ok(command) = serde_json::from_str::<Command>(text) else {
        return Some(error_frame("Invalid message", 400));
    };
    let subscription = match session.subscription(
        &command.stream,
        command.tag.as_deref(),
        command.list.as_deref(),
    ) {
        Ok(subscription) => subscription,
        Err(error) => return Some(error_frame(&error.message, error.http_status.as_u16())),
    };
    match command.kind.as_str() {
        "subscribe" => {
            if subscriptions.contains(&subscription) {
                return None;
            }
            if subscriptions.len() >= SUBSCRIPTIONS_MAX {
                return Some(error_frame("Too many subscriptions", 400));
            }
            subscriptions.push(subscription);
            None
        }
        "unsubscribe" => {
            subscriptions.retain(|existing| *existing != subscription);
            None
        }
        _ => Some(error_frame("Unknown message type", 400)),
    }
}

async fn run_socket(session: Session, mut subscriptions: Vec<Subscription>, mut socket: WebSocket) {
    let mut events = session.app.stream.subscribe();
    let mut check = tokio::time::interval(TOKEN_CHECK);
    let mut heartbeat = tokio::time::interval(HEARTBEAT);
    heartbeat.reset();
    let revoked = || {
        Message::Close(Some(CloseFrame {
            code: axum::extract::ws::close_code::POLICY,
            reason: "The access token is invalid".into(),
        }))
    };
    loop {
        tokio::select! {
            message = socket.recv() => match message {
                Some(Ok(Message::Text(text))) => {
                    if let Some(answer) = command(&session, &mut subscriptions, text.as_str()) {
                        if socket.send(answer).await.is_err() {
                            return;
                        }
                    }
                }
                Some(Ok(Message::Close(_))) | None | Some(Err(_)) => return,
                Some(Ok(_)) => {}
            },
            event = events.recv() => match event {
                Ok(event) => {
                    if subscriptions.is_empty() {
                        continue;
                    }
                    if !session.still_valid().await {
                        let _ = socket.send(revoked()).await;
                        return;
                    }
                    for frame in session.frames(&subscriptions, event).await {
                        let mut text = serde_json::json!({
                            "stream": frame.stream,
                            "event": frame.event,
                            "payload": frame.payload,
                        });
                        // An event without a payload (`filters_changed`) has no key for it.
                        if frame.payload.is_empty() {
                            if let Some(object) = text.as_object_mut() {
                                object.remove("payload");
                            }
                        }
                        if socket.send(Message::Text(text.to_string().into())).await.is_err() {
                            return;
                        }
                    }
                }
                Err(RecvError::Lagged(skipped)) => {
                    tracing::warn!(skipped, "a streaming connection fell behind; events skipped");
                }
                Err(RecvError::Closed) => return,
            },
            _ = check.tick() => {
                if !session.still_valid().await {
                    let _ = socket.send(revoked()).await;
                    return;
                }
            }
            _ = heartbeat.tick() => {
                if socket.send(Message::Ping(Vec::new().into())).await.is_err() {
                    return;
                }
            }
        }
    }
}

/// What an SSE stream carries between polls.
struct SseState {
    session: Session,
    subscription: Subscription,
    events: tokio::sync::broadcast::Receiver<Event>,
    check: tokio::time::Interval,
    queued: std::collections::VecDeque<Frame>,
    _permit: OwnedSemaphorePermit,
}

async fn next_sse(mut state: SseState) -> Option<(Result<SseEvent, Infallible>, SseState)> {
    loop {
        if let Some(frame) = state.queued.pop_front() {
            let event = SseEvent::default().event(frame.event).data(frame.payload);
            return Some((Ok(event), state));
        }
        tokio::select! {
            event = state.events.recv() => match event {
                Ok(event) => {
                    if !state.session.still_valid().await {
                        return None;
                    }
                    let subscriptions = [state.subscription.clone()];
                    state.queued.extend(state.session.frames(&subscriptions, event).await);
                }
                Err(RecvError::Lagged(skipped)) => {
                    tracing::warn!(skipped, "a streaming connection fell behind; events skipped");
                }
                Err(RecvError::Closed) => return None,
            },
            _ = state.check.tick() => {
                if !state.session.still_valid().await {
                    return None;
                }
            }
        }
    }
}

async fn sse(
    app: App,
    headers: HeaderMap,
    params: StreamParams,
    stream: &str,
) -> Result<Response, ApiError> {
    let session = Session::open(&app, bearer(&headers, &params)?).await?;
    let subscription =
        session.subscription(stream, params.tag.as_deref(), params.list.as_deref())?;
    let permit = connect(&app)?;
    let state = SseState {
        events: app.stream.subscribe(),
        session,
        subscription,
        check: tokio::time::interval(TOKEN_CHECK),
        queued: Default::default(),
        _permit: permit,
    };
    let body = futures_util::stream::unfold(state, next_sse);
    Ok(Sse::new(body)
        .keep_alive(KeepAlive::new().interval(HEARTBEAT).text("thump"))
        .into_response())
}

macro_rules! sse_endpoint {
    ($name:ident, $stream:literal) => {
        pub async fn $name(
            State(app): State<App>,
            Query(params): Query<StreamParams>,
            headers: HeaderMap,
        ) -> Result<Response, ApiError> {
            sse(app, headers, params, $stream).await
        }
    };
}

sse_endpoint!(user, "user");
sse_endpoint!(user_notification, "user:notification");
sse_endpoint!(public, "public");
sse_endpoint!(public_local, "public:local");
sse_endpoint!(public_remote, "public:remote");
sse_endpoint!(hashtag, "hashtag");
sse_endpoint!(hashtag_local, "hashtag:local");
sse_endpoint!(direct, "direct");
sse_endpoint!(list, "list");
