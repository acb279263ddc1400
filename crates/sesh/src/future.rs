use std::{
    fmt,
    future::Future,
    pin::Pin,
    task::{Context, Poll, ready},
};

use http::{Response, StatusCode};
use pin_project_lite::pin_project;

use crate::{Session, commit, cookie, outgoing::respond};

type Committing<B> = Pin<Box<dyn Future<Output = Response<B>> + Send>>;

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
        Handler { #[pin] future: F, session: Option<Session>, reissue: bool },
        Committing { future: Committing<B> },
    }
}

impl<F, B> ResponseFuture<F, B> {
    pub(crate) fn new(future: F, session: Session, reissue: bool) -> Self {
        Self {
            state: State::Handler {
                future,
                session: Some(session),
                reissue,
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
                StateProj::Handler {
                    future,
                    session,
                    reissue,
                } => {
                    let response = ready!(future.poll(cx))?;
                    let session = session.take().expect("polled after completion");
                    // A handler that never extracted the session, or failed,
                    // leaves nothing to store: answer without a store call.
                    if !session.is_loaded() || response.status().is_server_error() {
                        return Poll::Ready(Ok(response));
                    }
                    // A read that needs neither a touch nor a cookie answers
                    // here, without boxing a commit.
                    if !*reissue && !session.shared().cookie.client_side && commit::is_idle(&session) {
                        return Poll::Ready(Ok(response));
                    }
                    State::Committing {
                        future: Box::pin(finish(session, response, *reissue)),
                    }
                }
                StateProj::Committing { future } => return future.as_mut().poll(cx).map(Ok),
            };
            self.as_mut().project().state.set(next);
        }
    }
}

async fn finish<B: Default>(session: Session, mut response: Response<B>, reissue: bool) -> Response<B> {
    match respond(&session, reissue).await {
        Ok(None) => response,
        Ok(Some(value)) => {
            let transport = &session.shared().cookie.transport;
            let headers = response.headers_mut();
            headers.append(transport.response_header(), value);
            cookie::mark_private(headers, transport.vary());
            response
        }
        Err(error) => {
            let session = session.incoming().map(sesh_core::SessionId::log_id);
            tracing::error!(?session, %error, source = ?std::error::Error::source(&error), "storing the session failed");
            let status = if error.is_unavailable() {
                StatusCode::SERVICE_UNAVAILABLE
            } else {
                StatusCode::INTERNAL_SERVER_ERROR
            };
            let mut failed = Response::new(B::default());
            *failed.status_mut() = status;
            failed
        }
    }
}

impl<F, B> fmt::Debug for ResponseFuture<F, B> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ResponseFuture").finish_non_exhaustive()
    }
}
