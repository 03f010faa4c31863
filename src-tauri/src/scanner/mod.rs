//! The scanner folder: the folder a front-desk scanner writes into. `inbox` notices new files
//! once they have stopped growing; `assemble` turns the pages a receptionist picked into what
//! is sent (pages turned, several page images combined into one PDF).

pub mod assemble;
pub mod inbox;
