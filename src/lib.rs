//! dlcheck: will this binary start in a distroless container?
//!
//! dlcheck reads a binary's bytes (it never executes, loads or `dlopen`s
//! what it inspects), reports the facts that decide whether it can start,
//! its PT_INTERP, DT_NEEDED libraries, symbol-version needs, libc, and for
//! Go binaries the build information and evidence of cgo, and judges it
//! against every Google distroless image (`static`, `base-nossl`, `base`,
//! `cc` × `debian11`, `debian12`, `debian13`) using the embedded, checked
//! facts in [`catalog`].
//!
//! The flow, one module per step (see [`run`]):
//! - [`input`]: a path to bytes ([`input::load`]), what kind of file it is
//!   ([`input::sniff`]), directory scans ([`input::scan`]);
//! - [`elf`], [`go`]: the facts, in the ELF gABI's and Go's own terms;
//!   [`binary`] gathers them for one file;
//! - [`catalog`]: what each distroless image contains;
//! - [`loader`]: glibc's dynamic loader, modelled once, over any root;
//! - [`verdict`]: which images run a binary, which to use, what will fail;
//! - [`source`]: where an image is (a path, stdin, the Docker engine, a
//!   registry), made local for [`imagefs`];
//! - [`imagefs`], [`replay`]: a built image's files, and its start replayed;
//! - [`dockerfile`]: a Dockerfile's build and start, predicted;
//! - [`report`]: the one report model and its JSON wire types;
//! - [`render`]: human and JSON output, which only render.
//!
//! Entry points: [`run()`] takes a [`Request`]; [`analyze`] takes bytes.
//! Neither panics on bad input.

#![deny(missing_docs)]
#![deny(unsafe_code)]

pub mod binary;
pub mod catalog;
pub mod dockerfile;
pub mod elf;
pub mod endian;
pub mod error;
pub mod gate;
pub mod go;
pub mod imagefs;
pub mod input;
pub mod loader;
pub mod render;
pub mod replay;
pub mod report;
pub mod run;
pub mod shipped;
pub mod source;
pub mod text;
pub mod verdict;

pub use error::Error;
pub use input::Format;
pub use report::{Document, Report, SCHEMA_VERSION};
pub use run::{Options, Outcome, Progress, Request, analyze, run};
