//! [`GuardFuture`]: the guard's check, then the route or the guard's own
//! answer.

use std::{
    fmt,
    future::Future,
    pin::Pin,
    task::{Context, Poll, ready},
};

use axum_core::response::{IntoResponse, Response};
use http::Request;
use pin_project_lite::pin_project;
use tower_service::Service;

use super::answer::{Check, Verdict, Visitors};

pin_project! {
    /// The response future of [`RequireLogin`](crate::RequireLogin) and
    /// [`RequirePermission`](crate::RequirePermission): it waits for the
    /// guard's check (which loads the user), then for the inner service, or
    /// answers 401, 303 or 403 itself.
    pub struct GuardFuture<S, ReqBody>
    where
        S: Service<Request<ReqBody>>,
    {
        #[pin]
        state: State<S, ReqBody>,
    }
}

pin_project! {
    #[project = StateProj]
    enum State<S, ReqBody>
    where
        S: Service<Request<ReqBody>>,
    {
        Checking {
            check: Check,
            // The inner service poll_ready readied, and the request for it.
            waiting: Option<(S, Request<ReqBody>)>,
            visitors: Visitors,
        },
        Calling { #[pin] future: S::Future },
    }
}

impl<S, ReqBody> GuardFuture<S, ReqBody>
where
    S: Service<Request<ReqBody>>,
{
    pub(crate) fn new(check: Check, inner: S, req: Request<ReqBody>, visitors: Visitors) -> Self {
        Self {
            state: State::Checking {
                check,
                waiting: Some((inner, req)),
                visitors,
            },
        }
    }
}

impl<S, ReqBody> Future for GuardFuture<S, ReqBody>
where
    S: Service<Request<ReqBody>>,
    S::Response: IntoResponse,
{
    type Output = Result<Response, S::Error>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        loop {
            let next = match self.as_mut().project().state.project() {
                StateProj::Checking {
                    check,
                    waiting,
                    visitors,
                } => {
                    let verdict = ready!(check.as_mut().poll(cx));
                    let (mut inner, req) = waiting.take().expect("polled after completion");
                    match verdict {
                        Ok(Verdict::Pass) => State::Calling {
                            future: inner.call(req),
                        },
                        Ok(verdict) => return Poll::Ready(Ok(visitors.answer(verdict, req.uri()))),
                        Err(error) => return Poll::Ready(Ok(error.into_response())),
                    }
                }
                StateProj::Calling { future } => {
                    return Poll::Ready(ready!(future.poll(cx)).map(IntoResponse::into_response));
                }
            };
            self.as_mut().project().state.set(next);
        }
    }
}

impl<S, ReqBody> fmt::Debug for GuardFuture<S, ReqBody>
where
    S: Service<Request<ReqBody>>,
{
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GuardFuture").finish_non_exhaustive()
    }
}
