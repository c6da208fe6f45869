//! Small helpers with no knowledge of the domain: ids, clocks, randomness, lenient parsing.
//! May import nothing from the crate.

pub mod accept;
pub mod ids;
pub mod lenient;
pub mod pem;
pub mod random;
pub mod time;
pub mod units;
