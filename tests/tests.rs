//! dlcheck's integration tests, one module per feature (one test binary,
//! as ripgrep's). Every expected value comes from an independent source:
//! GNU readelf and `go version -m` (testdata/oracle), the image facts of
//! the shared reference, or real runs (testdata/crash, the Docker engine).
//!
//! - `facts`: ELF facts against readelf; `go`: Go build info and cgo;
//! - `verdicts`: which images run each fixture, and why;
//! - `loader`: shipped libraries, DT_RUNPATH tokens, advice that agrees;
//! - `crash`: predicted messages against real runs in the images;
//! - `platforms`: arm/v7, s390x, ppc64le, riscv64 and the language images
//!   against real runs, and "no data" where there is none;
//! - `image`: container images and root file systems;
//! - `sources`: images from stdin, compressed, the Docker engine and a
//!   registry (the real ones, through `common::engine`);
//! - `dockerfile`: Dockerfile mode, its fixtures, and each prediction
//!   against a real build and run (the Docker engine);
//! - `inputs`, `cli`: bad input, exit codes, the command line;
//! - `gate`, `gate_cli`: findings, SARIF, Markdown, the rules, exit
//!   statuses and the gate's flags;
//! - `hostile`, `proptest`: damaged and mutated files, never a panic;
//! - `hostile_images`: hostile images, each kind within the budget;
//! - `system`: this machine's own /usr/bin against readelf;
//! - `data`: the embedded image data: rebuilt from its sources, against
//!   the reference;
//! - `readme`: the README's samples are what dlcheck prints;
//! - `streaming`: JSON Lines and the document written report by report;
//! - `golden`: every rendering, byte for byte, and the JSON Schema.

mod cli;
mod common;
mod crash;
mod data;
mod dockerfile;
mod facts;
mod gate;
mod gate_cli;
mod go;
mod golden;
mod hostile;
mod hostile_images;
mod image;
mod inputs;
mod loader;
mod platforms;
mod proptest;
mod readme;
mod sources;
mod streaming;
mod system;
mod verdicts;
