# BuildKit's cross-compilation form without --target: the Rust builder runs
# on the build platform, so cargo builds for the machine that builds.
FROM --platform=$BUILDPLATFORM rust:1-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release
FROM gcr.io/distroless/cc-debian12
COPY --from=build /src/target/release/server /server
ENTRYPOINT ["/server"]
