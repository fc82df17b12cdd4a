"""dlcheck's image-data generator: scripts/gen-images.py is its command line.

- distroless.py: the image definitions, read from the distroless repository
  at a pinned commit (Starlark files parsed as Python syntax, never run);
- debian.py: the pinned Debian packages, downloaded from Debian's archive
  and checked against the lock files' SHA-256;
- contents.py: what each package holds, read with dlcheck's own ELF reader
  (examples/image-facts.rs);
- layout.py: the packages layered into images (deterministic, no network);
- reference.py: the field-by-field comparison with the hand-checked
  reference data.
"""
