//! The HTTP server around the API and pages. (Being written.)
