FROM rust:1-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release
FROM gcr.io/distroless/cc-debian11
COPY --from=build /src/target/release/server /usr/local/bin/server
ENTRYPOINT ["server"]
