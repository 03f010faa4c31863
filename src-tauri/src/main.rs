//! The `clinicdocs-desktop` binary: see the library for everything it does.

#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

fn main() {
    clinicdocs_desktop::run();
}
