use std::{
    fmt,
    future::Future,
    pin::Pin,
    sync::Arc,
    task::{Context, Poll, ready},
};

use http::{HeaderValue, Response, StatusCode};
use pin_project_lite::pin_project;
use sesh_core::Error;

use crate::{
    Session,
    response::{client_side, headers, respond},
};

/// The store work after the handler, boxed: its size depends on the store
/// calls it makes. The response waits beside it rather than inside it, so
/// it is not moved into the box.
type Storing = Pin<Box<dyn Future<Output = (Session, Result<Option<HeaderValue>, Error>)> + Send>>;

pin_project! {
    /// The response future of [`SessionService`](crate::SessionService).
    pub struct ResponseFuture<F, B> {
        #[pin]
        state: State<F, B>,
    }
}

pin_project! {
    #[project = StateProj]
    enum State<F, B> {
        Handler { #[pin] future: F, session: Option<Session> },
        Storing { future: Storing, response: Option<Response<B>> },
    }
}

impl<F, B> ResponseFuture<F, B> {
    pub(crate) fn new(future: F, session: Session) -> Self {
        Self {
            state: State::Handler {
                future,
                session: Some(session),
            },
        }
    }
}

impl<F, B, E> Future for ResponseFuture<F, B>
where
    F: Future<Output = Result<Response<B>, E>>,
    B: Default + Send + 'static,
{
    type Output = Result<Response<B>, E>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        loop {
            let next = match self.as_mut().project().state.project() {
                StateProj::Handler { future, session } => {
                    let mut response = ready!(future.poll(cx))?;
                    let session = session.take().expect("polled after completion");
                    let config = session.config();
                    let transport = &config.cookie.transport;
                    // The layer owns its cookie (or header): a handler's
                    // value under that name never goes out beside it.
                    headers::drop_handler_values(&config.cookie, response.headers_mut());
                    // A handler that never extracted the session leaves
                    // nothing to store: answer without a store call.
                    if !session.is_loaded() {
                        return Poll::Ready(Ok(response));
                    }
                    // The answer may depend on the session: caches must
                    // key it by the cookie (or header), cookie set or not.
                    for vary in transport.vary() {
                        headers::add_vary(response.headers_mut(), vary);
                    }
                    // A failed handler stores nothing.
                    if response.status().is_server_error() {
                        return Poll::Ready(Ok(response));
                    }
                    let reissue = session.reissue();
                    // A client-side session is sealed into its cookie: no
                    // store, nothing to wait for.
                    if config.cookie.client_side {
                        let sent = client_side::commit(&session, reissue);
                        return Poll::Ready(Ok(finish(&session, response, sent)));
                    }
                    // A read that needs neither a touch nor a cookie answers
                    // here, without a commit.
                    if !reissue && session.is_idle() {
                        return Poll::Ready(Ok(response));
                    }
                    State::Storing {
                        future: Box::pin(async move {
                            let sent = respond(&session, reissue, &session.config().store).await;
                            (session, sent)
                        }),
                        response: Some(response),
                    }
                }
                StateProj::Storing { future, response } => {
                    let (session, sent) = ready!(future.as_mut().poll(cx));
                    let response = response.take().expect("polled after completion");
                    return Poll::Ready(Ok(finish(&session, response, sent)));
                }
            };
            self.as_mut().project().state.set(next);
        }
    }
}

/// The response with what storing the session gave: the cookie added, or
/// an error status in its place.
fn finish<B: Default>(
    session: &Session,
    mut response: Response<B>,
    sent: Result<Option<HeaderValue>, Error>,
) -> Response<B> {
    match sent {
        Ok(None) => response,
        Ok(Some(value)) => {
            let transport = &session.config().cookie.transport;
            let via = session.lock().via;
            let headers = response.headers_mut();
            headers.append(transport.response_header(via), value);
            headers::keep_private(headers);
            response
        }
        Err(error) => {
            let session = session.incoming_log_id();
            tracing::error!(?session, %error, source = ?std::error::Error::source(&error), "storing the session failed");
            let status = if error.is_unavailable() {
                StatusCode::SERVICE_UNAVAILABLE
            } else {
                StatusCode::INTERNAL_SERVER_ERROR
            };
            let mut failed = Response::new(B::default());
            *failed.status_mut() = status;
            failed.extensions_mut().insert(StoreFailure(Arc::new(error)));
            failed
        }
    }
}

/// In the extensions of the response that replaced a handler's answer
/// because the session could not be stored: an empty 503 (the store is
/// down or slow) or 500 (it refused the write for good). To answer with a
/// page of your own, look for it in a layer outside the session layer.
///
/// ```
/// use axum::{Router, http::StatusCode, response::{Html, IntoResponse, Response}, routing::get};
/// use sesh::{MemoryStore, SessionLayer, StoreFailure};
///
/// async fn friendly(response: Response) -> Response {
///     match response.extensions().get::<StoreFailure>() {
///         Some(failure) if failure.error().is_unavailable() => {
///             (StatusCode::SERVICE_UNAVAILABLE, Html("<h1>Back in a minute</h1>")).into_response()
///         }
///         _ => response,
///     }
/// }
///
/// let app: Router = Router::new()
///     .route("/", get(|| async { "hi" }))
///     .layer(SessionLayer::new(MemoryStore::new()))
///     .layer(axum::middleware::map_response(friendly));
/// ```
#[derive(Debug, Clone)]
pub struct StoreFailure(Arc<Error>);

impl StoreFailure {
    /// Why the session could not be stored: its kind says whether trying
    /// again may help ([`Error::is_unavailable`]).
    #[must_use]
    pub fn error(&self) -> &Error {
        &self.0
    }
}

impl<F, B> fmt::Debug for ResponseFuture<F, B> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ResponseFuture").finish_non_exhaustive()
    }
}
