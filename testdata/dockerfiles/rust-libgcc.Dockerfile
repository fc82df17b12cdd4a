FROM rust:1-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release
FROM gcr.io/distroless/base-debian12
COPY --from=build /src/target/release/server /server
ENTRYPOINT ["/server"]
