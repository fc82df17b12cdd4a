FROM golang:1.22-bookworm AS build
WORKDIR /src
COPY . .
RUN go build -o /out/server .
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/server /server
ENTRYPOINT ["/server"]
