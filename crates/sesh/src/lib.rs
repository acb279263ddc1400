//! Sessions for tower and axum (the layer lands in the next commit).
