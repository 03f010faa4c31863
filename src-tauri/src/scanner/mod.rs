//! The scanner folder: the folder a front-desk scanner writes into. `inbox` notices new files
//! once they have stopped growing; `watch` keeps the checked list the window shows; `send`
//! takes the pages a receptionist picked to the queue, `assemble` turning them into what is
//! sent (pages turned, several page images combined into one PDF).

pub mod assemble;
pub mod inbox;
pub mod send;
pub mod watch;
